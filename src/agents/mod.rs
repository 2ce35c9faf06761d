//! The agents: everyone the platform serves, and one loop that serves them.
//!
//! Probes (scripted sock puppets, [`probe`]), the collateral panel of ordinary accounts
//! ([`panel`]) and the living population ([`population`]) all go through the same routine,
//! `serve_and_respond`: for each enabled surface in order, the platform serves a slate
//! through the pipeline, the agent sees it, makes at most one multinomial-logit choice on its
//! latent interests, the platform's estimate of it learns from the engagement, and on
//! suggested accounts it may follow one (subject to the arm's friction and bans). What differs
//! between them, what they measure, how they pick a follow and what a follow changes, is a
//! `Persona`.

pub(crate) mod batched;
pub mod panel;
pub mod population;
pub mod probe;

use crate::ids::{AccountId, TermId};
use crate::mitigation::{Mitigation, MitigationCtx};
use crate::pipeline::{Serving, SurfacePlan};
use crate::platform::{InterestEstimates, PlatformView, Viewer};
use crate::policy::Scratch;
use crate::rng::SimRng;
use crate::slate::{Candidate, Slate, Surface};
use crate::world::dot;
use rand::RngExt;

/// How one kind of agent responds to what it is served: the persona over the shared loop.
/// Every method that draws random numbers receives the agent's behaviour stream, so the order
/// of draws is the loop's.
pub(crate) trait Persona {
    /// The accounts the agent follows now, sorted.
    fn followees(&self) -> &[AccountId];

    /// The account it most recently followed.
    fn last_followed(&self) -> Option<AccountId>;

    /// The agent's latent interests (ground truth: they drive its choices, never a policy).
    fn latent(&self) -> &[f32];

    /// Sees a non-empty slate on `surface`, before choosing (measurements, reports).
    fn shown(&mut self, _surface: Surface, _items: &[Candidate], _behaviour: &mut SimRng) {}

    /// The logit choice over the slate was made.
    fn chose(&mut self, _choice: &Choice) {}

    /// Engaged with `account` (whose content is `content`), after the platform's estimate has
    /// learned from it.
    fn engaged(&mut self, _account: AccountId, _content: &[f32]) {}

    /// Whether (and whom) to follow from a non-empty slate of suggested accounts.
    fn pick_follow(&mut self, items: &[Candidate], behaviour: &mut SimRng) -> Option<AccountId>;

    /// A follow went through the arm's friction and bans; returns whether the platform's
    /// estimate learns from it (the followed account's content).
    fn followed(&mut self, account: AccountId) -> bool;
}

/// How an agent responds and how the platform learns from it: the logit choice's settings and
/// the rate at which the platform's estimate follows engagement.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChoiceModel {
    /// Sharpness `beta` of the logit.
    pub sharpness: f64,
    /// Affinity of the no-engagement option.
    pub no_click: f64,
    /// Rate at which the platform's estimate follows engagement (and reported follows).
    pub estimate_rate: f32,
}

/// What serves an agent in one step of an arm: the platform's view, the enabled surfaces in
/// order and the arm's mitigation stack.
#[derive(Clone, Copy)]
pub(crate) struct Platform<'a> {
    /// The platform's observable state this step.
    pub view: &'a PlatformView<'a>,
    /// The enabled surfaces, in serving order.
    pub surfaces: &'a [SurfacePlan<'a>],
    /// The arm's mitigations.
    pub mitigation: &'a dyn Mitigation,
}

/// The random streams of the agent being served.
pub(crate) struct Streams<'s> {
    /// Its own draws (queries, choices, follows, reports).
    pub behaviour: &'s mut SimRng,
    /// Draws made by the policies serving it.
    pub policy: &'s mut SimRng,
    /// Draws made by the mitigations serving it (and by friction).
    pub mitigation: &'s mut SimRng,
}

/// Reusable buffers of the loop (per thread or per agent: serving allocates nothing once warm).
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    /// Policy scratch buffers.
    pub scratch: Scratch,
    /// The served slate.
    pub slate: Slate,
    /// Logit weights.
    pub weights: Vec<f64>,
    /// Keys and candidates re-ranked by a batched mitigation.
    pub order: Vec<(f64, Candidate)>,
}

/// Serves every surface of the `platform` in order to one agent and lets it respond: see the
/// module doc. `query` is its search term this step (search serves nothing without one);
/// `estimate` is the platform's estimate of the agent ([`InterestEstimates`]), which learns at
/// `model.estimate_rate` from each engagement (and each follow the persona reports).
pub(crate) fn serve_and_respond<P: Persona>(
    persona: &mut P,
    estimate: &mut [f32],
    platform: &Platform<'_>,
    query: Option<TermId>,
    model: ChoiceModel,
    streams: Streams<'_>,
    buffers: &mut Buffers,
) {
    let Platform {
        view,
        surfaces,
        mitigation,
    } = *platform;
    let Streams {
        behaviour,
        policy,
        mitigation: mitigation_rng,
    } = streams;
    for plan in surfaces {
        let serving = Serving {
            policy_rng: policy,
            mitigation_rng,
            scratch: &mut buffers.scratch,
            slate: &mut buffers.slate,
        };
        let viewer = Viewer {
            followees: persona.followees(),
            last_followed: persona.last_followed(),
            estimate,
        };
        if !plan.serve(view, mitigation, viewer, query, serving) {
            continue;
        }
        respond(
            persona,
            estimate,
            platform,
            plan,
            model,
            behaviour,
            mitigation_rng,
            buffers,
        );
    }
}

/// The agent's response to the slate served on `plan`'s surface (left in `buffers.slate`): it
/// sees it, makes at most one logit choice, the platform's estimate learns from it, and on
/// suggested accounts it may follow one (subject to friction and bans).
#[allow(clippy::too_many_arguments)]
pub(crate) fn respond<P: Persona>(
    persona: &mut P,
    estimate: &mut [f32],
    platform: &Platform<'_>,
    plan: &SurfacePlan<'_>,
    model: ChoiceModel,
    behaviour: &mut SimRng,
    mitigation_rng: &mut SimRng,
    buffers: &mut Buffers,
) {
    let Platform {
        view, mitigation, ..
    } = *platform;
    let items = buffers.slate.items();
    if items.is_empty() {
        return;
    }
    // The choice reads every shown account's content: start those loads together.
    for c in items {
        view.prefetch_content(c.account);
    }
    persona.shown(plan.surface, items, behaviour);
    let choice = logit_choice(
        persona.latent(),
        items.iter().map(|c| view.content(c.account)),
        model.sharpness,
        model.no_click,
        behaviour,
        &mut buffers.weights,
    );
    persona.chose(&choice);
    if let Some(i) = choice.chosen {
        let account = items[i].account;
        let content = view.content(account);
        InterestEstimates::learn(estimate, content, model.estimate_rate);
        persona.engaged(account, content);
    }
    if plan.surface == Surface::SuggestedAccounts {
        let Some(account) = persona.pick_follow(items, behaviour) else {
            return;
        };
        // Friction and bans may stop the follow (a draw only when they apply).
        let ctx = MitigationCtx {
            view,
            surface: plan.surface,
            query: None,
            slate_size: plan.slate,
        };
        let p = mitigation.follow_probability(&ctx, account);
        if p < 1.0 && !mitigation_rng.random_bool(p.max(0.0)) {
            return;
        }
        if persona.followed(account) {
            InterestEstimates::learn(estimate, view.content(account), model.estimate_rate);
        }
    }
}

/// The outcome of one multinomial-logit choice over a slate.
pub(crate) struct Choice {
    /// Index of the engaged item, `None` for no engagement.
    pub chosen: Option<usize>,
    /// Probability of engaging with something, `1 - P(no engagement)`.
    pub engage_prob: f64,
}

/// A multinomial-logit choice over items with contents `contents` plus a no-engagement option:
/// weights `exp(beta * cos(latent, content))` and `exp(beta * no_click)`; one uniform draw. The
/// one logit choice of probes, panel and population. `weights` is left holding the weights of
/// no engagement and of each item, in order, as a numerically stable softmax computes them:
/// every exponent minus the largest, so the largest weight is 1 and none overflows, whatever
/// the sharpness.
pub(crate) fn logit_choice<'c>(
    latent: &[f32],
    contents: impl Iterator<Item = &'c [f32]>,
    beta: f64,
    no_click: f64,
    rng: &mut SimRng,
    weights: &mut Vec<f64>,
) -> Choice {
    weights.clear();
    weights.push(beta * no_click);
    weights.extend(contents.map(|c| beta * f64::from(dot(latent, c))));
    let max = weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    weights.iter_mut().for_each(|w| *w = (*w - max).exp());
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    let chosen = weights.iter().position(|w| {
        let hit = u < *w;
        u -= w;
        hit
    });
    Choice {
        chosen: chosen.filter(|&i| i > 0).map(|i| i - 1),
        engage_prob: 1.0 - weights[0] / total,
    }
}

pub(crate) use crate::world::blend;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Contents at cosines 0, 0.6, 1, -1 and 0.6 to the latent `[1, 0, 0]`.
    const LATENT: [f32; 3] = [1.0, 0.0, 0.0];
    const CONTENTS: [[f32; 3]; 5] = [
        [0.0, 1.0, 0.0],
        [0.6, 0.8, 0.0],
        [1.0, 0.0, 0.0],
        [-1.0, 0.0, 0.0],
        [0.6, 0.0, 0.8],
    ];

    fn choose(beta: f64, no_click: f64, rng: &mut SimRng, weights: &mut Vec<f64>) -> Choice {
        choose_among(&CONTENTS, beta, no_click, rng, weights)
    }

    fn choose_among(
        contents: &[[f32; 3]],
        beta: f64,
        no_click: f64,
        rng: &mut SimRng,
        weights: &mut Vec<f64>,
    ) -> Choice {
        let contents = contents.iter().map(|c| c.as_slice());
        logit_choice(&LATENT, contents, beta, no_click, rng, weights)
    }

    #[test]
    fn logit_choice_is_stable_for_huge_sharpness() {
        let mut rng = SimRng::seed_from_u64(3);
        let mut weights = Vec::new();
        for beta in [1e4, 1e6, 1e300, f64::MAX] {
            for _ in 0..100 {
                // The most similar item (cosine 1) beats no engagement (0.3) and every other.
                let c = choose(beta, 0.3, &mut rng, &mut weights);
                assert_eq!(c.chosen, Some(2), "beta {beta}");
                assert_eq!(c.engage_prob, 1.0, "beta {beta}");
                assert!(
                    weights.iter().all(|w| w.is_finite() && *w >= 0.0),
                    "{weights:?}"
                );
                let total: f64 = weights.iter().sum();
                let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
                assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{p:?}");
                assert_eq!(p[3], 1.0, "beta {beta}: {p:?}");
                // No engagement beats every item (the best is at cosine 0.6): never engages.
                let others = [CONTENTS[0], CONTENTS[1], CONTENTS[3], CONTENTS[4]];
                let c = choose_among(&others, beta, 0.9, &mut rng, &mut weights);
                assert_eq!((c.chosen, c.engage_prob), (None, 0.0), "beta {beta}");
                // Every option far below zero: no underflow to 0 / 0.
                let c = choose(beta, -1.0, &mut rng, &mut weights);
                assert_eq!(c.chosen, Some(2), "beta {beta}");
                assert_eq!(c.engage_prob, 1.0, "beta {beta}");
            }
        }
    }

    #[test]
    fn logit_choice_follows_the_softmax_for_moderate_sharpness() {
        let mut rng = SimRng::seed_from_u64(4);
        let mut weights = Vec::new();
        let beta = 2.0;
        let sims = [0.0, 0.6, 1.0, -1.0, 0.6];
        let w: Vec<f64> = std::iter::once(0.3)
            .chain(sims)
            .map(|x: f64| (beta * x).exp())
            .collect();
        let total: f64 = w.iter().sum();
        let n = 20_000;
        let mut counts = [0usize; 6];
        for _ in 0..n {
            let c = choose(beta, 0.3, &mut rng, &mut weights);
            // Cosines are computed in f32.
            assert!((c.engage_prob - (1.0 - w[0] / total)).abs() < 1e-6);
            counts[c.chosen.map_or(0, |i| i + 1)] += 1;
        }
        for (k, &count) in counts.iter().enumerate() {
            let p = w[k] / total;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            let share = count as f64 / n as f64;
            assert!((share - p).abs() < 5.0 * se, "option {k}: {share} vs {p}");
        }
    }
}
