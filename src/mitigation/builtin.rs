//! The built-in mitigations. Each acts on moderation labels (or, for `exposure_cap` and
//! `diversity_injection`, on the platform's content clusters), and only removes or reorders.

use super::{Capabilities, Mitigation, MitigationCtx, Slate};
use crate::ids::AccountId;
use crate::rng::SimRng;
use crate::scenario::kinds::BuildPlugin;
use crate::scenario::kinds::ParamError;
use crate::scenario::spec::MitigationSpec;
use crate::slate::{Candidate, Surface};
use rand::RngExt;

/// A search for a labelled term returns nothing, or shows a warning interstitial that the user
/// clicks through with probability `click_through`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SuppressFlaggedSearch {
    /// Click-through probability of the interstitial; `None`: no results at all.
    pub click_through: Option<f64>,
}

impl Mitigation for SuppressFlaggedSearch {
    fn name(&self) -> &str {
        "suppress_flagged_search"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.suppressing_terms()
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, rng: &mut SimRng) {
        if ctx.surface == Surface::Search && ctx.query.is_some_and(|t| ctx.view.labels().term(t)) {
            let through = self.click_through.is_some_and(|p| rng.random_bool(p));
            if !through {
                slate.clear();
            }
        }
    }
}

/// Labelled accounts are removed from suggested accounts (the rest of the pool moves up).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExcludeFlaggedFromSuggestions;

impl Mitigation for ExcludeFlaggedFromSuggestions {
    fn name(&self) -> &str {
        "exclude_flagged_from_suggestions"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        if ctx.surface == Surface::SuggestedAccounts {
            let labels = ctx.view.labels();
            slate.retain(|c| !labels.account(c.account));
        }
    }
}

/// Labelled accounts rank as if their score were multiplied by `factor`, on every surface.
#[derive(Clone, Copy, Debug)]
pub struct DemoteFlagged {
    /// Score multiplier in [0, 1].
    pub factor: f32,
}

impl Mitigation for DemoteFlagged {
    fn name(&self) -> &str {
        "demote_flagged"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        let labels = ctx.view.labels();
        let f = self.factor;
        let key = |c: &Candidate| {
            if labels.account(c.account) {
                c.score - (1.0 - f) * c.score.abs()
            } else {
                c.score
            }
        };
        slate.sort_by(|a, b| key(b).total_cmp(&key(a)));
    }
}

/// Labelled accounts disappear from every surface `delay` steps after their label.
#[derive(Clone, Copy, Debug, Default)]
pub struct BanDetected {
    /// Steps from label to removal.
    pub delay: u32,
}

impl Mitigation for BanDetected {
    fn name(&self) -> &str {
        "ban_detected"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.banning_after(self.delay)
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        let labels = ctx.view.labels();
        let now = labels.now();
        slate.retain(|c| {
            labels
                .labelled_since(c.account)
                .is_none_or(|since| since.saturating_add(self.delay) > now)
        });
    }

    fn follow_probability(&self, ctx: &MitigationCtx<'_>, account: AccountId) -> f64 {
        let labels = ctx.view.labels();
        let banned = labels
            .labelled_since(account)
            .is_some_and(|since| since.saturating_add(self.delay) <= labels.now());
        if banned {
            0.0
        } else {
            1.0
        }
    }
}

/// Share of an account's followers that are labelled (the first 256 followers, enough to tell a
/// dense labelled cluster).
fn labelled_follower_share(ctx: &MitigationCtx<'_>, a: AccountId) -> f32 {
    let followers = ctx.view.followers(a);
    let sample = &followers[..followers.len().min(256)];
    if sample.is_empty() {
        return 0.0;
    }
    let labels = ctx.view.labels();
    sample.iter().filter(|f| labels.account(**f)).count() as f32 / sample.len() as f32
}

/// Suggested accounts rank as if their score were divided by `1 + strength * s`, with `s` the
/// share of their followers that are labelled: a dense labelled cluster cannot carry its
/// members into co-follow suggestions.
#[derive(Clone, Copy, Debug)]
pub struct CofollowDampening {
    /// Strength of the dampening.
    pub strength: f32,
}

impl Mitigation for CofollowDampening {
    fn name(&self) -> &str {
        "cofollow_dampening"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        if ctx.surface != Surface::SuggestedAccounts {
            return;
        }
        let keys: Vec<f32> = slate
            .items()
            .iter()
            .map(|c| {
                let d = 1.0 + self.strength * labelled_follower_share(ctx, c.account);
                if c.score >= 0.0 {
                    c.score / d
                } else {
                    c.score * d
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]).then(a.cmp(&b)));
        slate.reorder(&order);
    }
}

/// No suggestion within `hops` follow hops of a labelled account.
#[derive(Clone, Copy, Debug)]
pub struct GraphDistanceGuard {
    /// Excluded distance (0: only labelled accounts themselves).
    pub hops: u16,
}

impl Mitigation for GraphDistanceGuard {
    fn name(&self) -> &str {
        "graph_distance_guard"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        if ctx.surface == Surface::SuggestedAccounts {
            let labels = ctx.view.labels();
            slate.retain(|c| labels.hops_to_labelled(c.account) > self.hops);
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE.reading_label_hops()
    }
}

/// At most `max_share` of a slate from one content cluster, on every surface but search;
/// candidates over the cap move behind the cut.
#[derive(Clone, Copy, Debug)]
pub struct ExposureCap {
    /// Largest share of a slate from one cluster.
    pub max_share: f64,
}

impl Mitigation for ExposureCap {
    fn name(&self) -> &str {
        "exposure_cap"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        if ctx.surface == Surface::Search {
            return;
        }
        let cap = ((self.max_share * ctx.slate_size as f64).floor() as usize).max(1);
        let mut counts: Vec<(u32, usize)> = Vec::new();
        slate.move_to_back(|c| {
            let cluster = ctx.view.cluster(c.account).0;
            match counts.iter_mut().find(|(k, _)| *k == cluster) {
                Some((_, n)) => {
                    *n += 1;
                    *n > cap
                }
                None => {
                    counts.push((cluster, 1));
                    false
                }
            }
        });
    }
}

/// A share of the slots of suggestions and explore goes to unlabelled candidates from other
/// clusters than the top item's, drawn at random from the rest of the pool.
#[derive(Clone, Copy, Debug)]
pub struct DiversityInjection {
    /// Share of slate slots.
    pub share: f64,
}

impl Mitigation for DiversityInjection {
    fn name(&self) -> &str {
        "diversity_injection"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, rng: &mut SimRng) {
        if !matches!(ctx.surface, Surface::SuggestedAccounts | Surface::Explore) || slate.is_empty()
        {
            return;
        }
        let items = slate.items();
        let size = ctx.slate_size.min(items.len());
        let slots = (self.share * size as f64).round() as usize;
        let top_cluster = ctx.view.cluster(items[0].account);
        let labels = ctx.view.labels();
        let mut eligible: Vec<usize> = (1..items.len())
            .filter(|&i| {
                let a = items[i].account;
                !labels.account(a) && ctx.view.cluster(a) != top_cluster
            })
            .collect();
        let mut chosen = Vec::with_capacity(slots);
        while chosen.len() < slots && !eligible.is_empty() {
            chosen.push(eligible.swap_remove(rng.random_range(0..eligible.len())));
        }
        if chosen.is_empty() {
            return;
        }
        chosen.sort_unstable();
        // The injected candidates take the last `slots` places of the slate; the others keep
        // their order.
        let rest: Vec<usize> = (0..items.len())
            .filter(|i| chosen.binary_search(i).is_err())
            .collect();
        let keep = size - chosen.len();
        let mut order: Vec<usize> = rest[..keep.min(rest.len())].to_vec();
        order.extend(&chosen);
        order.extend(rest.iter().skip(keep));
        slate.reorder(&order);
    }
}

/// Following a labelled account goes through only with probability `factor`.
#[derive(Clone, Copy, Debug)]
pub struct Friction {
    /// Probability that the follow goes through.
    pub factor: f64,
}

impl Mitigation for Friction {
    fn name(&self) -> &str {
        "friction"
    }

    fn apply(&self, _ctx: &MitigationCtx<'_>, _slate: &mut Slate, _rng: &mut SimRng) {}

    fn follow_probability(&self, ctx: &MitigationCtx<'_>, account: AccountId) -> f64 {
        if ctx.view.labels().account(account) {
            self.factor
        } else {
            1.0
        }
    }
}

impl MitigationSpec {
    /// Builds the mitigation this spec describes; `plugin` builds registered plug-ins.
    pub fn build_with(
        &self,
        plugin: &BuildPlugin<'_, dyn Mitigation>,
    ) -> Result<Box<dyn Mitigation>, ParamError> {
        Ok(match self {
            Self::Plugin(p) => plugin(p)?,
            Self::SuppressFlaggedSearch(s) => Box::new(SuppressFlaggedSearch {
                click_through: s.click_through,
            }),
            Self::ExcludeFlaggedFromSuggestions(_) => Box::new(ExcludeFlaggedFromSuggestions),
            Self::DemoteFlagged(s) => Box::new(DemoteFlagged {
                factor: s.factor as f32,
            }),
            Self::BanDetected(s) => Box::new(BanDetected { delay: s.delay }),
            Self::CofollowDampening(s) => Box::new(CofollowDampening {
                strength: s.strength as f32,
            }),
            Self::GraphDistanceGuard(s) => Box::new(GraphDistanceGuard {
                hops: s.hops.min(u32::from(u16::MAX - 1)) as u16,
            }),
            Self::ExposureCap(s) => Box::new(ExposureCap {
                max_share: s.max_share,
            }),
            Self::DiversityInjection(s) => Box::new(DiversityInjection { share: s.share }),
            Self::Friction(s) => Box::new(Friction { factor: s.factor }),
        })
    }

    /// Builds a built-in mitigation (tests).
    #[cfg(test)]
    pub(crate) fn build(&self) -> Box<dyn Mitigation> {
        self.build_with(&|p| {
            Err(ParamError::new(
                "kind",
                format!("`{}` is not built in", p.kind),
            ))
        })
        .expect("a built-in mitigation")
    }

    /// Whether the mitigation acts on moderation labels (and so needs moderation enabled).
    pub fn uses_labels(&self) -> bool {
        !matches!(
            self,
            Self::ExposureCap(_) | Self::DiversityInjection(_) | Self::Plugin(_)
        )
    }
}
