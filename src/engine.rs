//! One arm of one replicate: build the probes, run the step loop, reduce what they saw.
//!
//! The step loop runs the probes in parallel (each owns its random streams and buffers, and
//! probes do not interact), then reduces their records serially in probe order, so the output
//! is byte-identical for any thread count.

use crate::adversary::{Adversary, AdversaryStats, ClusterStep};
use crate::agents::batched::{serve_batched, BatchAgent, BatchScope, BatchState, Parts};
use crate::agents::panel::{MemberSlot, Panel, PanelStep};
use crate::agents::population::Population;
use crate::agents::probe::{Probe, ProbeSlot, ProbeStep, ProbeStreams, StepConfig};
use crate::agents::Platform;
use crate::batch::{AgentGroup, PluginFailure};
use crate::ids::{AccountId, CommunityId, Step};
use crate::live_graph::LiveGraph;
use crate::mitigation::{Mitigation, MitigationStack};
use crate::pipeline::SurfacePlan;
use crate::platform::{InterestEstimates, Labels, PlatformView};
use crate::rng::{SeedTree, StreamId};
use crate::scenario::spec::StartSpec;
use crate::scenario::Scenario;
use crate::world::{CommunityKind, World, UNREACHABLE};
use rayon::prelude::*;
use serde::Serialize;

/// Metrics of one step, averaged over the probes of one arm in one replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepRow {
    /// The step (from 1).
    pub step: Step,
    /// Mean impressions per probe.
    pub impressions: f64,
    /// Mean over probes with impressions of their flagged share of impressions.
    pub flagged_share: f64,
    /// The same per surface (search, suggested accounts, feed, explore); NaN when no probe had
    /// an impression on that surface.
    pub surface_share: [f64; 4],
    /// Mean flagged impressions per probe on each surface (same order).
    pub surface_flagged: [f64; 4],
    /// Mean number of flagged accounts followed so far.
    pub flagged_follows: f64,
    /// Mean follow hops to the nearest flagged account, over probes with a path.
    pub hops_to_flagged: f64,
    /// Share of probes with no follow path to the flagged cluster.
    pub unreachable: f64,
    /// Mean cosine of the platform's estimated profile to the flagged centroid.
    pub profile_cosine: f64,
    /// Share of probes that have drifted by this step.
    pub drifted: f64,
    /// Collateral metrics on the panel of ordinary accounts (NaN without a panel).
    pub panel: PanelStep,
    /// Share of benign (non-flagged) accounts carrying a moderation label now: the accounts
    /// every label-based mitigation wrongly suppresses.
    pub benign_labelled: f64,
    /// Share of flagged accounts carrying a label now (the realised recall).
    pub flagged_labelled: f64,
    /// Flagged share of the living population's impressions (NaN for a static population).
    pub population_flagged_share: f64,
    /// The flagged cluster as served in this step: active, banned, returns, recruits, variant
    /// spellings in use, bridges.
    pub cluster: ClusterStep,
}

/// The outcome of one probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProbeRow {
    /// Persona group index.
    pub group: usize,
    /// Probe index within the replicate.
    pub probe: u32,
    /// Start community.
    pub community: CommunityId,
    /// First step with a flagged impression.
    pub first_flagged_step: Option<Step>,
    /// First step at which it followed a flagged account (0: a seed follow).
    pub first_flagged_follow_step: Option<Step>,
    /// Time-to-drift: first step at which the pooled flagged share over the window reached the
    /// threshold; `None` when censored at the horizon.
    pub drift_step: Option<Step>,
}

/// Everything one arm produced in one replicate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArmRun {
    /// One row per step.
    pub steps: Vec<StepRow>,
    /// One row per probe.
    pub probes: Vec<ProbeRow>,
    /// What the adversary did.
    pub adversary: AdversaryStats,
}

/// Runs arm `arm` (whose mitigation stack is `mitigation`) on one replicate's world. Arms of a
/// replicate share the world, the labels and every random stream (common random numbers).
/// Returns `Ok(None)` when `cancel()` turned true (checked every step, so an interrupt stops
/// promptly), and the failure of a batched plug-in ([`crate::batch`]) as an error.
///
/// With a batched policy or mitigation, probes and the panel are served surface by surface
/// ([`crate::agents`]'s batched loop), one plug-in call per step, surface and group.
#[allow(clippy::too_many_arguments)]
pub fn run_arm(
    scenario: &Scenario,
    world: &World,
    labels: &Labels,
    surfaces: &[SurfacePlan<'_>],
    mitigation: &MitigationStack,
    replicate: u32,
    arm: usize,
    cancel: &(dyn Fn() -> bool + Sync),
) -> Result<Option<ArmRun>, PluginFailure> {
    let spec = scenario.spec();
    let tree = SeedTree::new(spec.seed);
    // Labels evolve within an arm (detections come due, users report), so each arm owns a copy.
    let mut labels = labels.clone();
    let truth = world.truth();
    let benign = truth.communities_of(CommunityKind::Benign);
    let adjacent = truth.communities_of(CommunityKind::Adjacent);
    let (behaviour, policy, mitigations) = (
        tree.agents(replicate, StreamId::Probe),
        tree.agents(replicate, StreamId::Policy),
        tree.agents(replicate, StreamId::Mitigation),
    );
    let window = spec.metrics.drift_window as usize;
    let mut probes = Vec::new();
    for (g, group) in spec.probes.iter().enumerate() {
        let starts = match group.start {
            StartSpec::Benign => &benign,
            StartSpec::Adjacent => &adjacent,
        };
        for _ in 0..group.count {
            let p = probes.len() as u64;
            let streams = ProbeStreams {
                behaviour: behaviour.agent(p),
                policy: policy.agent(p),
                mitigation: mitigations.agent(p),
            };
            let noise = spec.world.interest_noise as f32;
            probes.push(Probe::new(world, group, g, starts, noise, window, streams));
        }
    }
    // The platform's estimate of each probe, first from its seed follows.
    let mut estimates = InterestEstimates::initial(world, probes.len(), |i| probes[i].followees());
    let config = StepConfig {
        drift_threshold: spec.metrics.drift_threshold,
        report_prob: scenario.derived().report_prob,
    };
    let mut adversary = Adversary::new(
        world,
        &spec.adversary,
        &spec.moderation,
        spec.steps,
        mitigation.capabilities(),
        tree.agents(replicate, StreamId::Adversary),
    );
    // Follows made during the run (population, bridges), visible after each index rebuild.
    let mut live = LiveGraph::new().with_walks(
        world,
        scenario.derived().co_follow_segments as usize,
        tree.agents(replicate, StreamId::Walks),
    );
    let mut population = scenario
        .derived()
        .population
        .then(|| Population::new(world, tree.agents(replicate, StreamId::Population)));
    let refresh = scenario.derived().index_refresh;
    let mut panel = Panel::new(world, &spec.panel, &tree.agents(replicate, StreamId::Panel));
    let flagged_total = truth.flagged_accounts();
    let benign_total = world.accounts() - flagged_total;
    let mut records = vec![ProbeStep::default(); probes.len()];
    let batched =
        surfaces.iter().any(|p| p.policy.as_batched().is_some()) || mitigation.is_batched();
    let plugin_seeds = tree.agents(replicate, StreamId::Plugin);
    let mut batches = BatchState::default();
    let mut steps = Vec::with_capacity(spec.steps as usize);
    for step in 1..=spec.steps {
        if cancel() {
            return Ok(None);
        }
        labels.advance(step);
        adversary.step(step, world, &mut labels, &mut live);
        let cluster = adversary.cluster(&labels);
        if mitigation.capabilities().reads_label_hops {
            labels.refresh_hops(world);
        }
        let view = PlatformView::new(world, &labels)
            .with_live_graph(&live)
            .with_overlay(adversary.overlay());
        if let Some(population) = population.as_mut() {
            population.step(step, &spec.population, world, &view, surfaces, mitigation);
        }
        // The panel is served on every `panel.every`-th step, counted back from the last.
        let panel_due = (spec.steps - step).is_multiple_of(spec.panel.every.max(1));
        let panel_step = if batched {
            let platform = Platform {
                view: &view,
                surfaces,
                mitigation,
            };
            let scope = BatchScope {
                replicate,
                arm,
                arm_name: &spec.arms[arm].name,
                step,
                seeds: &plugin_seeds,
            };
            // Probes, then the panel when it is due: one batch per surface for all of them.
            let mut slots: Vec<Slot<'_>> = probes
                .iter_mut()
                .zip(records.iter_mut())
                .zip(estimates.rows_mut())
                .enumerate()
                .map(|(i, ((probe, record), estimate))| {
                    let persona = &spec.probes[probe.group()];
                    let index = i as u32;
                    Slot::Probe(
                        probe.begin(index, step, persona, world, &view, config, record, estimate),
                    )
                })
                .collect();
            if panel_due {
                slots.extend(
                    panel
                        .batch_slots(&spec.panel, world)
                        .into_iter()
                        .map(Slot::Member),
                );
            }
            serve_batched(&mut slots, &platform, mitigation, &scope, &mut batches)?;
            for slot in slots {
                if let Slot::Probe(probe) = slot {
                    probe.end();
                }
            }
            if panel_due {
                panel.reduce()
            } else {
                PanelStep::EMPTY
            }
        } else {
            probes
                .par_iter_mut()
                .zip(records.par_iter_mut())
                .zip(estimates.par_rows_mut())
                .for_each(|((probe, record), estimate)| {
                    let persona = &spec.probes[probe.group()];
                    *record = probe.step(
                        estimate, step, persona, world, &view, surfaces, mitigation, &config,
                    );
                });
            // The panel is served under the same labels as the probes in this step.
            if panel_due {
                panel.step(&spec.panel, world, &view, surfaces, mitigation)
            } else {
                PanelStep::EMPTY
            }
        };
        // User reports feed the labels, applied serially in probe order.
        for probe in &mut probes {
            for a in probe.take_reports() {
                labels.report(a, step, spec.moderation.report_delay);
            }
        }
        let mut row = reduce(step, &records, &probes);
        row.panel = panel_step;
        row.cluster = cluster;
        if let Some(population) = population.as_ref() {
            row.population_flagged_share = population.commit(world, &mut live).flagged_share();
        }
        if step % refresh == 0 {
            live.rebuild(world);
        }
        let labelled_flagged = labels.labelled_flagged(truth);
        row.flagged_labelled = share(labelled_flagged, flagged_total);
        row.benign_labelled = share(labels.labelled_accounts() - labelled_flagged, benign_total);
        steps.push(row);
    }
    let probes = probes
        .iter()
        .enumerate()
        .map(|(i, p)| ProbeRow {
            group: p.group(),
            probe: i as u32,
            community: p.community(),
            first_flagged_step: p.first_flagged_step,
            first_flagged_follow_step: p.first_flagged_follow_step,
            drift_step: p.drift_step,
        })
        .collect();
    Ok(Some(ArmRun {
        steps,
        probes,
        adversary: adversary.stats(),
    }))
}

/// An agent of either group, so that probes and panel share one batch.
pub(crate) enum Slot<'a> {
    /// A probe.
    Probe(ProbeSlot<'a>),
    /// A member of the panel.
    Member(MemberSlot<'a>),
}

impl BatchAgent for Slot<'_> {
    fn id(&self) -> (AgentGroup, u32) {
        match self {
            Self::Probe(s) => s.id(),
            Self::Member(s) => s.id(),
        }
    }

    fn parts(&mut self) -> Parts<'_> {
        match self {
            Self::Probe(s) => s.parts(),
            Self::Member(s) => s.parts(),
        }
    }

    fn respond(&mut self, platform: &Platform<'_>, plan: &SurfacePlan<'_>) {
        match self {
            Self::Probe(s) => s.respond(platform, plan),
            Self::Member(s) => s.respond(platform, plan),
        }
    }
}

/// Serial reduction of one step's probe records, in probe order.
fn reduce(step: Step, records: &[ProbeStep], probes: &[Probe]) -> StepRow {
    let n = records.len().max(1) as f64;
    let share = |f: u32, t: u32| f64::from(f) / f64::from(t);
    let mut impressions = 0.0;
    let (mut overall, mut overall_n) = (0.0, 0usize);
    let mut surface = [(0.0, 0usize); 4];
    let mut surface_flagged = [0.0; 4];
    let (mut follows, mut hops, mut reachable, mut cosine) = (0.0, 0.0, 0usize, 0.0);
    for r in records {
        let f: u32 = r.flagged.iter().map(|&x| u32::from(x)).sum();
        let t: u32 = r.impressions.iter().map(|&x| u32::from(x)).sum();
        impressions += f64::from(t);
        if t > 0 {
            overall += share(f, t);
            overall_n += 1;
        }
        for (((sum, count), total), (&shown, &flagged)) in surface
            .iter_mut()
            .zip(surface_flagged.iter_mut())
            .zip(r.impressions.iter().zip(&r.flagged))
        {
            *total += f64::from(flagged);
            if shown > 0 {
                *sum += share(flagged.into(), shown.into());
                *count += 1;
            }
        }
        follows += f64::from(r.flagged_follows);
        if r.hops != UNREACHABLE {
            hops += f64::from(r.hops);
            reachable += 1;
        }
        cosine += f64::from(r.cosine);
    }
    let mean = |sum: f64, count: usize| {
        if count > 0 {
            sum / count as f64
        } else {
            f64::NAN
        }
    };
    let drifted = probes
        .iter()
        .filter(|p| p.drift_step.is_some_and(|d| d <= step))
        .count();
    StepRow {
        step,
        impressions: impressions / n,
        flagged_share: mean(overall, overall_n),
        surface_share: surface.map(|(s, c)| mean(s, c)),
        surface_flagged: surface_flagged.map(|x| x / n),
        flagged_follows: follows / n,
        hops_to_flagged: mean(hops, reachable),
        unreachable: (records.len() - reachable) as f64 / n,
        profile_cosine: cosine / n,
        drifted: drifted as f64 / n,
        panel: PanelStep::EMPTY,
        benign_labelled: f64::NAN,
        flagged_labelled: f64::NAN,
        population_flagged_share: f64::NAN,
        cluster: ClusterStep::EMPTY,
    }
}

/// `part / whole`, NaN when `whole` is 0.
fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        f64::NAN
    } else {
        part as f64 / whole as f64
    }
}

/// Convenience for tests and tools: accounts of a community kind in one world.
pub fn accounts_of(world: &World, kind: CommunityKind) -> Vec<AccountId> {
    world
        .truth()
        .communities_of(kind)
        .into_iter()
        .flat_map(|c| world.members(c).iter().copied())
        .collect()
}
