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
use crate::pipeline::{serve, Request};
use crate::platform::{PlatformView, Viewer};
use crate::policy::{Policy, Scratch, Surface};
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
    /// The account most recently followed: the last seed follow drawn, then each follow action
    /// (re-follows included). `followees` is sorted by id, so its last is only the highest id.
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
