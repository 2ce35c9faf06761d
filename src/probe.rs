//! Probes: scripted sock-puppet accounts whose drift is measured step by step.
//!
//! A probe is a fresh account with a persona ([`ProbeGroupSpec`]). At step 0 it takes its seed
//! actions: it picks a start community of the persona's kind, draws latent interests around that
//! community's content, follows `seed_follows` of its members and remembers one of its terms.
//! Then, every step, it
//! 1. maybe searches (the seed term, or a tag of the account it last engaged with);
//! 2. views each enabled surface in order (search, suggested accounts, feed, explore) and, on
//!    each, engages with at most one item through a multinomial logit on the cosine between its
//!    latent interests and the item's content (with a no-engagement option);
//! 3. after viewing suggestions, maybe follows one by its behaviour;
//! 4. drifts: latent interests move toward engaged content at `interest_drift`, and the
//!    platform's estimate of it moves toward engaged and followed content at `estimate_rate`.
//!
//! Probes live outside the world's graph, so they never influence each other or the ordinary
//! accounts; each has its own random streams (behaviour, policy, mitigation), which makes the
//! loop parallel across probes and identical for any thread count.

use crate::ids::{AccountId, CommunityId, Step, TermId};
use crate::mitigation::{Mitigation, MitigationCtx, Slate};
use crate::platform::{PlatformView, Viewer};
use crate::policy::{serve, Policy, Request, Scratch, Surface};
use crate::rng::SimRng;
use crate::scenario::spec::{FollowBehaviourSpec, ProbeGroupSpec};
use crate::world::{dot, normalize, World, UNREACHABLE};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

/// What one probe saw and did in one step (ground-truth measurements).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProbeStep {
    /// Impressions per surface (in [`Surface::ALL`] order).
    pub impressions: [u16; 4],
    /// Impressions of flagged accounts per surface.
    pub flagged: [u16; 4],
    /// Flagged accounts followed so far.
    pub flagged_follows: u32,
    /// Follow hops from the probe to the nearest flagged account ([`UNREACHABLE`] if none).
    pub hops: u16,
    /// Cosine of the platform's estimate of the probe to the flagged centroid.
    pub cosine: f32,
}

/// A served surface, as the engine configures it.
pub struct SurfacePlan<'a> {
    /// The surface.
    pub surface: Surface,
    /// Its policy.
    pub policy: &'a dyn Policy,
    /// Pool size.
    pub pool: usize,
    /// Slate size.
    pub slate: usize,
}

/// The random streams and buffers of the viewer a request is served for.
pub struct Serving<'s> {
    /// Draws made by the policy.
    pub policy_rng: &'s mut SimRng,
    /// Draws made by the mitigations.
    pub mitigation_rng: &'s mut SimRng,
    /// Policy scratch buffers.
    pub scratch: &'s mut Scratch,
    /// Where the served slate is left.
    pub slate: &'s mut Slate,
}

impl SurfacePlan<'_> {
    /// Serves this surface to `viewer` (probe, panel or population account), leaving the slate
    /// in `serving.slate`. A search without a query serves nothing and returns false.
    pub fn serve(
        &self,
        view: &PlatformView<'_>,
        mitigation: &dyn Mitigation,
        viewer: Viewer<'_>,
        query: Option<TermId>,
        serving: Serving<'_>,
    ) -> bool {
        if self.surface == Surface::Search && query.is_none() {
            return false;
        }
        let request = Request {
            surface: self.surface,
            viewer,
            query,
            pool: self.pool,
            slate: self.slate,
        };
        serve(
            self.policy,
            mitigation,
            view,
            &request,
            serving.policy_rng,
            serving.mitigation_rng,
            serving.scratch,
            serving.slate,
        );
        true
    }
}

/// Per-run settings a probe step needs.
#[derive(Clone, Copy, Debug)]
pub struct StepConfig {
    /// Pooled flagged share that counts as drifted.
    pub drift_threshold: f64,
    /// Probability that an impression of a flagged account is reported (0: no reports, and no
    /// random draws for them).
    pub report_prob: f64,
}

/// The random streams of one probe.
pub struct ProbeStreams {
    /// Persona and behaviour draws.
    pub behaviour: SimRng,
    /// Draws made by policies serving this probe.
    pub policy: SimRng,
    /// Draws made by mitigations serving this probe.
    pub mitigation: SimRng,
}

/// One sock-puppet account and its running measurements.
pub struct Probe {
    group: usize,
    community: CommunityId,
    latent: Vec<f32>,
    estimate: Vec<f32>,
    followees: Vec<AccountId>,
    last_followed: Option<AccountId>,
    seed_term: Option<TermId>,
    last_engaged: Option<AccountId>,
    streams: ProbeStreams,
    scratch: Scratch,
    slate: Slate,
    weights: Vec<f64>,
    min_hops: u16,
    flagged_follows: u32,
    window: Vec<(u32, u32)>,
    reports: Vec<AccountId>,
    /// First step with a flagged impression.
    pub first_flagged_step: Option<Step>,
    /// First step at which the probe followed a flagged account.
    pub first_flagged_follow_step: Option<Step>,
    /// First step at which the pooled flagged share over the window reached the threshold.
    pub drift_step: Option<Step>,
}

impl Probe {
    /// Creates a probe of persona `spec` (group `group`) and takes its seed actions.
    pub fn new(
        world: &World,
        spec: &ProbeGroupSpec,
        group: usize,
        start_communities: &[CommunityId],
        interest_noise: f32,
        window: usize,
        mut streams: ProbeStreams,
    ) -> Self {
        let rng = &mut streams.behaviour;
        let community = start_community(start_communities, spec.community, rng);
        let dims = world.dims();
        let centre = world.cluster_mean(community);
        let scale = interest_noise / (dims as f32).sqrt();
        let mut latent: Vec<f32> = centre
            .iter()
            .map(|c| {
                c + scale * <StandardNormal as Distribution<f32>>::sample(&StandardNormal, rng)
            })
            .collect();
        normalize(&mut latent);
        let members = world.members(community);
        let mut followees = Vec::with_capacity(spec.seed_follows as usize + 16);
        let mut last_followed = None;
        let want = (spec.seed_follows as usize).min(members.len());
        while followees.len() < want {
            let a = members[rng.random_range(0..members.len())];
            if let Err(pos) = followees.binary_search(&a) {
                followees.insert(pos, a);
                last_followed = Some(a);
            }
        }
        let mut estimate = vec![0f32; dims];
        for &a in &followees {
            estimate
                .iter_mut()
                .zip(world.content(a))
                .for_each(|(e, x)| *e += x);
        }
        normalize(&mut estimate);
        let terms = world.community_terms(community);
        let seed_term = (!terms.is_empty()).then(|| TermId(rng.random_range(terms)));
        let truth = world.truth();
        let min_hops = followees
            .iter()
            .map(|&a| truth.hops_to_flagged(a).saturating_add(1))
            .min()
            .unwrap_or(UNREACHABLE);
        let flagged_follows = followees.iter().filter(|&&a| truth.is_flagged(a)).count() as u32;
        Self {
            group,
            community,
            latent,
            estimate,
            followees,
            last_followed,
            seed_term,
            last_engaged: None,
            streams,
            scratch: Scratch::default(),
            slate: Slate::new(),
            weights: Vec::new(),
            min_hops,
            flagged_follows,
            window: vec![(0, 0); window.max(1)],
            reports: Vec::new(),
            first_flagged_step: None,
            first_flagged_follow_step: (flagged_follows > 0).then_some(0),
            drift_step: None,
        }
    }

    /// Index of the probe's persona group.
    pub fn group(&self) -> usize {
        self.group
    }

    /// The community the probe started in.
    pub fn community(&self) -> CommunityId {
        self.community
    }

    /// Accounts the probe follows, sorted.
    pub fn followees(&self) -> &[AccountId] {
        &self.followees
    }

    /// Takes step `step` and returns what the probe saw.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        step: Step,
        spec: &ProbeGroupSpec,
        world: &World,
        view: &PlatformView<'_>,
        surfaces: &[SurfacePlan<'_>],
        mitigation: &dyn Mitigation,
        config: &StepConfig,
    ) -> ProbeStep {
        let truth = world.truth();
        let query = self.choose_query(spec, view);
        let mut record = ProbeStep::default();
        for plan in surfaces {
            let viewer = Viewer {
                followees: &self.followees,
                last_followed: self.last_followed,
                estimate: &self.estimate,
            };
            let serving = Serving {
                policy_rng: &mut self.streams.policy,
                mitigation_rng: &mut self.streams.mitigation,
                scratch: &mut self.scratch,
                slate: &mut self.slate,
            };
            if !plan.serve(view, mitigation, viewer, query, serving) {
                continue;
            }
            let s = plan.surface.index();
            let shown = self.slate.items();
            record.impressions[s] = shown.len().min(u16::MAX as usize) as u16;
            record.flagged[s] = shown.iter().filter(|c| truth.is_flagged(c.account)).count() as u16;
            if config.report_prob > 0.0 {
                for c in shown.iter().filter(|c| truth.is_flagged(c.account)) {
                    if self.streams.behaviour.random_bool(config.report_prob) {
                        self.reports.push(c.account);
                    }
                }
            }
            self.engage(spec, view);
            if plan.surface == Surface::SuggestedAccounts {
                let ctx = MitigationCtx {
                    view,
                    surface: plan.surface,
                    query: None,
                    slate_size: plan.slate,
                };
                self.maybe_follow(step, spec, world, mitigation, &ctx);
            }
        }
        self.record(step, &mut record, config.drift_threshold);
        record.cosine = dot(&self.estimate, truth.flagged_centroid());
        record
    }

    fn choose_query(&mut self, spec: &ProbeGroupSpec, view: &PlatformView<'_>) -> Option<TermId> {
        let rng = &mut self.streams.behaviour;
        if !rng.random_bool(spec.search_prob) {
            return None;
        }
        if let Some(last) = self.last_engaged {
            let tags = view.tags(last);
            if !tags.is_empty() && rng.random_bool(spec.query_from_content) {
                return Some(tags[rng.random_range(0..tags.len())]);
            }
        }
        self.seed_term
    }

    /// Multinomial logit over the slate plus a no-engagement option.
    fn engage(&mut self, spec: &ProbeGroupSpec, view: &PlatformView<'_>) {
        let items = self.slate.items();
        if items.is_empty() {
            return;
        }
        let choice = logit_choice(
            &self.latent,
            items.iter().map(|c| view.content(c.account)),
            spec.choice_sharpness,
            spec.no_click_affinity,
            &mut self.streams.behaviour,
            &mut self.weights,
        );
        let Some(i) = choice.chosen else {
            return;
        };
        let account = items[i].account;
        let content = view.content(account);
        blend(&mut self.latent, content, spec.interest_drift as f32);
        blend(&mut self.estimate, content, spec.estimate_rate as f32);
        self.last_engaged = Some(account);
    }

    /// Reports made since the last call, in the order made.
    pub fn take_reports(&mut self) -> std::vec::Drain<'_, AccountId> {
        self.reports.drain(..)
    }

    fn maybe_follow(
        &mut self,
        step: Step,
        spec: &ProbeGroupSpec,
        world: &World,
        mitigation: &dyn Mitigation,
        ctx: &MitigationCtx<'_>,
    ) {
        let rng = &mut self.streams.behaviour;
        let items = self.slate.items();
        if items.is_empty() || !rng.random_bool(spec.follow_prob) {
            return;
        }
        let pick = match spec.behaviour {
            FollowBehaviourSpec::FollowTop => Some(items[0].account),
            FollowBehaviourSpec::FollowRandomOfTopK => {
                let k = (spec.top_k as usize).min(items.len());
                Some(items[rng.random_range(0..k)].account)
            }
            FollowBehaviourSpec::FollowIfSimilar => {
                let top = items[0].account;
                (f64::from(dot(&self.latent, world.content(top))) >= spec.similarity_threshold)
                    .then_some(top)
            }
        };
        let Some(account) = pick else {
            return;
        };
        // Friction and bans may stop the follow (a draw only when they apply).
        let p = mitigation.follow_probability(ctx, account);
        if p < 1.0 && !self.streams.mitigation.random_bool(p.max(0.0)) {
            return;
        }
        // Following an account already followed is a no-op on the graph but still the most
        // recent follow action (the uniform-followee walk moves on).
        self.last_followed = Some(account);
        if let Err(pos) = self.followees.binary_search(&account) {
            self.followees.insert(pos, account);
            let truth = world.truth();
            self.min_hops = self
                .min_hops
                .min(truth.hops_to_flagged(account).saturating_add(1));
            if truth.is_flagged(account) {
                self.flagged_follows += 1;
                self.first_flagged_follow_step.get_or_insert(step);
            }
            blend(
                &mut self.estimate,
                world.content(account),
                spec.estimate_rate as f32,
            );
        } else if world.truth().is_flagged(account) {
            self.first_flagged_follow_step.get_or_insert(step);
        }
    }

    fn record(&mut self, step: Step, record: &mut ProbeStep, threshold: f64) {
        let flagged: u32 = record.flagged.iter().map(|&x| u32::from(x)).sum();
        let total: u32 = record.impressions.iter().map(|&x| u32::from(x)).sum();
        if flagged > 0 {
            self.first_flagged_step.get_or_insert(step);
        }
        let w = self.window.len();
        self.window[step as usize % w] = (flagged, total);
        if self.drift_step.is_none() && step as usize >= w {
            let (f, t) = self
                .window
                .iter()
                .fold((0, 0), |(f, t), &(a, b)| (f + a, t + b));
            if t > 0 && f64::from(f) >= threshold * f64::from(t) {
                self.drift_step = Some(step);
            }
        }
        record.flagged_follows = self.flagged_follows;
        record.hops = self.min_hops;
    }
}

/// The community a probe starts in: `start_communities[index]`, or a uniformly random one when
/// no index is given. Validation guarantees a non-empty list and an index in range; should
/// either fail anyway, the index wraps around and an empty list falls back to community 0
/// (every world has one), rather than panicking.
fn start_community(
    start_communities: &[CommunityId],
    index: Option<u32>,
    rng: &mut SimRng,
) -> CommunityId {
    let n = start_communities.len();
    if n == 0 {
        return CommunityId(0);
    }
    match index {
        Some(k) => start_communities[k as usize % n],
        None => start_communities[rng.random_range(0..n)],
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
/// weights `exp(beta * cos(latent, content))` and `exp(beta * no_click)`; one uniform draw.
pub(crate) fn logit_choice<'c>(
    latent: &[f32],
    contents: impl Iterator<Item = &'c [f32]>,
    beta: f64,
    no_click: f64,
    rng: &mut SimRng,
    weights: &mut Vec<f64>,
) -> Choice {
    weights.clear();
    weights.push((beta * no_click).exp());
    weights.extend(contents.map(|c| (beta * f64::from(dot(latent, c))).exp()));
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

/// Moves a unit vector a share `rate` of the way toward `target` and renormalises.
pub(crate) fn blend(v: &mut [f32], target: &[f32], rate: f32) {
    v.iter_mut()
        .zip(target)
        .for_each(|(x, t)| *x += rate * (t - *x));
    normalize(v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn start_community_never_panics() {
        let mut rng = SimRng::seed_from_u64(1);
        let starts = [CommunityId(4), CommunityId(7)];
        assert_eq!(start_community(&starts, Some(1), &mut rng), CommunityId(7));
        assert!(starts.contains(&start_community(&starts, None, &mut rng)));
        // Validation refuses these; the probe still starts somewhere.
        assert_eq!(start_community(&starts, Some(3), &mut rng), CommunityId(7));
        assert_eq!(start_community(&[], None, &mut rng), CommunityId(0));
        assert_eq!(start_community(&[], Some(2), &mut rng), CommunityId(0));
    }
}
