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

use super::batched::{BatchAgent, Parts};
use super::{blend, respond, serve_and_respond, Buffers, ChoiceModel, Persona, Platform, Streams};
use crate::batch::AgentGroup;
use crate::ids::{AccountId, CommunityId, Step, TermId};
use crate::mitigation::Mitigation;
use crate::pipeline::SurfacePlan;
use crate::platform::{PlatformView, Viewer};
use crate::rng::SimRng;
use crate::scenario::spec::{FollowBehaviourSpec, ProbeGroupSpec};
use crate::slate::{Candidate, Surface};
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
    followees: Vec<AccountId>,
    /// The account most recently followed: the last seed follow drawn, then each follow action
    /// (re-follows included). `followees` is sorted by id, so its last is only the highest id.
    last_followed: Option<AccountId>,
    seed_term: Option<TermId>,
    last_engaged: Option<AccountId>,
    streams: ProbeStreams,
    buffers: Buffers,
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
            followees,
            last_followed,
            seed_term,
            last_engaged: None,
            streams,
            buffers: Buffers::default(),
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

    /// Takes step `step` and returns what the probe saw; `estimate` is the platform's estimate
    /// of the probe ([`crate::platform::InterestEstimates`], first from its seed follows), which learns
    /// from what it does.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        estimate: &mut [f32],
        step: Step,
        spec: &ProbeGroupSpec,
        world: &World,
        view: &PlatformView<'_>,
        surfaces: &[SurfacePlan<'_>],
        mitigation: &dyn Mitigation,
        config: &StepConfig,
    ) -> ProbeStep {
        let query = self.choose_query(spec, view);
        let mut record = ProbeStep::default();
        let (mut turn, streams, buffers) = self.split(step, spec, world, config, &mut record);
        let platform = Platform {
            view,
            surfaces,
            mitigation,
        };
        serve_and_respond(
            &mut turn,
            estimate,
            &platform,
            query,
            model(spec),
            streams,
            buffers,
        );
        self.finish(step, &mut record, estimate, world, config);
        record
    }

    /// Starts step `step` of the batched loop ([`super::batched`]) for probe `index`: the probe
    /// chooses its query; `record` and `estimate` are its record and the platform's estimate of it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn begin<'a>(
        &'a mut self,
        index: u32,
        step: Step,
        spec: &'a ProbeGroupSpec,
        world: &'a World,
        view: &PlatformView<'_>,
        config: StepConfig,
        record: &'a mut ProbeStep,
        estimate: &'a mut [f32],
    ) -> ProbeSlot<'a> {
        let query = self.choose_query(spec, view);
        *record = ProbeStep::default();
        ProbeSlot {
            index,
            probe: self,
            record,
            estimate,
            query,
            step,
            spec,
            world,
            config,
        }
    }

    /// The persona of this step, the streams and the buffers, borrowed apart.
    fn split<'a>(
        &'a mut self,
        step: Step,
        spec: &'a ProbeGroupSpec,
        world: &'a World,
        config: &StepConfig,
        record: &'a mut ProbeStep,
    ) -> (Turn<'a>, Streams<'a>, &'a mut Buffers) {
        let turn = Turn {
            step,
            spec,
            world,
            report_prob: config.report_prob,
            record,
            latent: &mut self.latent,
            followees: &mut self.followees,
            last_followed: &mut self.last_followed,
            last_engaged: &mut self.last_engaged,
            min_hops: &mut self.min_hops,
            flagged_follows: &mut self.flagged_follows,
            first_flagged_follow_step: &mut self.first_flagged_follow_step,
            reports: &mut self.reports,
        };
        let streams = Streams {
            behaviour: &mut self.streams.behaviour,
            policy: &mut self.streams.policy,
            mitigation: &mut self.streams.mitigation,
        };
        (turn, streams, &mut self.buffers)
    }

    /// Ends a step: the drift window, the record's running counts and its estimate's cosine to
    /// the flagged centroid.
    fn finish(
        &mut self,
        step: Step,
        record: &mut ProbeStep,
        estimate: &[f32],
        world: &World,
        config: &StepConfig,
    ) {
        self.record(step, record, config.drift_threshold);
        record.cosine = dot(estimate, world.truth().flagged_centroid());
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

    /// Reports made since the last call, in the order made.
    pub fn take_reports(&mut self) -> std::vec::Drain<'_, AccountId> {
        self.reports.drain(..)
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

/// How a probe of persona `spec` chooses and how the platform learns from it.
fn model(spec: &ProbeGroupSpec) -> ChoiceModel {
    ChoiceModel {
        sharpness: spec.choice_sharpness,
        no_click: spec.no_click_affinity,
        estimate_rate: spec.estimate_rate as f32,
    }
}

/// A probe during one step of the batched loop ([`Probe::begin`]); [`ProbeSlot::end`] ends it.
pub(crate) struct ProbeSlot<'a> {
    index: u32,
    probe: &'a mut Probe,
    record: &'a mut ProbeStep,
    estimate: &'a mut [f32],
    query: Option<TermId>,
    step: Step,
    spec: &'a ProbeGroupSpec,
    world: &'a World,
    config: StepConfig,
}

impl ProbeSlot<'_> {
    /// Ends the probe's step (see [`Probe::step`]).
    pub(crate) fn end(self) {
        self.probe.finish(
            self.step,
            self.record,
            self.estimate,
            self.world,
            &self.config,
        );
    }
}

impl BatchAgent for ProbeSlot<'_> {
    fn id(&self) -> (AgentGroup, u32) {
        (AgentGroup::Probes, self.index)
    }

    fn parts(&mut self) -> Parts<'_> {
        let p = &mut *self.probe;
        Parts {
            viewer: Viewer {
                followees: &p.followees,
                last_followed: p.last_followed,
                estimate: self.estimate,
            },
            query: self.query,
            policy_rng: &mut p.streams.policy,
            mitigation_rng: &mut p.streams.mitigation,
            buffers: &mut p.buffers,
        }
    }

    fn respond(&mut self, platform: &Platform<'_>, plan: &SurfacePlan<'_>) {
        let (mut turn, streams, buffers) =
            self.probe
                .split(self.step, self.spec, self.world, &self.config, self.record);
        respond(
            &mut turn,
            self.estimate,
            platform,
            plan,
            model(self.spec),
            streams.behaviour,
            streams.mitigation,
            buffers,
        );
    }
}

/// A probe during one step: the persona of the shared agent loop.
struct Turn<'a> {
    step: Step,
    spec: &'a ProbeGroupSpec,
    world: &'a World,
    report_prob: f64,
    record: &'a mut ProbeStep,
    latent: &'a mut Vec<f32>,
    followees: &'a mut Vec<AccountId>,
    last_followed: &'a mut Option<AccountId>,
    last_engaged: &'a mut Option<AccountId>,
    min_hops: &'a mut u16,
    flagged_follows: &'a mut u32,
    first_flagged_follow_step: &'a mut Option<Step>,
    reports: &'a mut Vec<AccountId>,
}

impl Persona for Turn<'_> {
    fn followees(&self) -> &[AccountId] {
        self.followees
    }

    fn last_followed(&self) -> Option<AccountId> {
        *self.last_followed
    }

    fn latent(&self) -> &[f32] {
        self.latent
    }

    fn shown(&mut self, surface: Surface, items: &[Candidate], behaviour: &mut SimRng) {
        let truth = self.world.truth();
        let s = surface.index();
        self.record.impressions[s] = items.len().min(u16::MAX as usize) as u16;
        self.record.flagged[s] =
            items.iter().filter(|c| truth.is_flagged(c.account)).count() as u16;
        if self.report_prob > 0.0 {
            for c in items.iter().filter(|c| truth.is_flagged(c.account)) {
                if behaviour.random_bool(self.report_prob) {
                    self.reports.push(c.account);
                }
            }
        }
    }

    fn engaged(&mut self, account: AccountId, content: &[f32]) {
        blend(self.latent, content, self.spec.interest_drift as f32);
        *self.last_engaged = Some(account);
    }

    fn pick_follow(&mut self, items: &[Candidate], rng: &mut SimRng) -> Option<AccountId> {
        let spec = self.spec;
        if !rng.random_bool(spec.follow_prob) {
            return None;
        }
        match spec.behaviour {
            FollowBehaviourSpec::FollowTop => Some(items[0].account),
            FollowBehaviourSpec::FollowRandomOfTopK => {
                let k = (spec.top_k as usize).min(items.len());
                Some(items[rng.random_range(0..k)].account)
            }
            FollowBehaviourSpec::FollowIfSimilar => {
                let top = items[0].account;
                (f64::from(dot(self.latent, self.world.content(top))) >= spec.similarity_threshold)
                    .then_some(top)
            }
        }
    }

    fn followed(&mut self, account: AccountId) -> bool {
        // Following an account already followed is a no-op on the graph but still the most
        // recent follow action (the uniform-followee walk moves on).
        *self.last_followed = Some(account);
        let truth = self.world.truth();
        if let Err(pos) = self.followees.binary_search(&account) {
            self.followees.insert(pos, account);
            *self.min_hops = (*self.min_hops).min(truth.hops_to_flagged(account).saturating_add(1));
            if truth.is_flagged(account) {
                *self.flagged_follows += 1;
                self.first_flagged_follow_step.get_or_insert(self.step);
            }
            // A new follow tells the platform something: its estimate learns from it.
            true
        } else {
            if truth.is_flagged(account) {
                self.first_flagged_follow_step.get_or_insert(self.step);
            }
            false
        }
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
