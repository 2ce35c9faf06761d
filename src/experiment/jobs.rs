//! The jobs of an experiment: every (replicate, arm) of a scenario, in parallel, handed to a
//! sink as they finish.
//!
//! A replicate builds its world and moderation labels once; its arms then run on that same
//! world with the same random streams (common random numbers), so arm differences are paired.
//! Replicates run in parallel with rayon and are collected in order; no floating-point value
//! is ever reduced in parallel, so results are byte-identical for any thread count.

use crate::engine::{run_arm, ArmRun};
use crate::error::Error;
use crate::mitigation::MitigationStack;
use crate::pipeline::SurfacePlan;
use crate::platform::Labels;
use crate::plugin::Registry;
use crate::policy::{Policy, Surface};
use crate::rng::{SeedTree, StreamId};
use crate::scenario::{Scenario, ScenarioError};
use crate::world::{self, CommunityKind, World};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Where each replicate's world comes from: generated from the seed, or a graph loaded from
/// files once and shared by all replicates (vectors and tags are still drawn per replicate).
pub enum WorldSource {
    /// Generated from the scenario.
    Generate,
    /// Loaded from an edge list and community labels.
    Imported(Box<world::load::Imported>),
}

impl WorldSource {
    /// Prepares the source: reads the import files, if any, and checks that the imported
    /// communities fit the probe groups (see [`WorldSource::check`]).
    pub fn prepare(scenario: &Scenario) -> Result<Self, Error> {
        match &scenario.spec().world.import {
            None => Ok(Self::Generate),
            Some(import) => {
                let imported = world::load::read(import, scenario.base_dir())
                    .map_err(|e| import_error(scenario, e))?;
                fits(scenario, imported.kinds())?;
                Ok(Self::Imported(Box::new(imported)))
            }
        }
    }

    /// The checks of [`WorldSource::prepare`] without building the graph: both files of an
    /// imported world are read and checked completely (see [`world::load::check`]), and every
    /// probe group's `start` kind has a community, with its `community` index in range.
    /// Nothing to do for a generated world (loading the scenario checked it).
    /// [`crate::experiment::Experiment::check`] runs it, for `validate` and before `run` creates
    /// anything, after the memory estimate (whose first pass over the files bounds what this
    /// keeps).
    pub fn check(scenario: &Scenario) -> Result<(), Error> {
        if let Some(import) = &scenario.spec().world.import {
            let kinds = world::load::check(import, scenario.base_dir())
                .map_err(|e| import_error(scenario, e))?;
            fits(scenario, &kinds)?;
        }
        Ok(())
    }

    /// The world of one replicate.
    pub fn world(&self, scenario: &Scenario, replicate: u32) -> World {
        let spec = scenario.spec();
        let tree = SeedTree::new(spec.seed);
        match self {
            Self::Generate => {
                let flagged = scenario.derived().flagged_accounts.unwrap_or(1) as usize;
                world::generate(&spec.world, flagged, &tree, replicate)
            }
            Self::Imported(imported) => imported.world(&spec.world, &tree, replicate),
        }
    }
}

/// An import's error as the run reports it: a scenario value its files contradict (a flagged
/// community no account has) at the value's line of the scenario, anything else as it is (it
/// names its file and line).
pub(crate) fn import_error(scenario: &Scenario, e: world::WorldError) -> Error {
    match e {
        world::WorldError::Value { key, message } => {
            Error::Scenario(scenario.problem_at(&key, message))
        }
        e => Error::World(e),
    }
}

/// Whether a world with communities of `kinds` has the start communities the probes need.
fn fits(scenario: &Scenario, kinds: &[CommunityKind]) -> Result<(), ScenarioError> {
    let count = |kind| kinds.iter().filter(|&&k| k == kind).count();
    scenario.check_start_communities(count(CommunityKind::Benign), count(CommunityKind::Adjacent))
}

/// Size figures of the first replicate's world, for the manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldStats {
    /// Ordinary accounts.
    pub accounts: usize,
    /// Follow edges.
    pub edges: usize,
    /// Accounts of the flagged cluster.
    pub flagged_accounts: usize,
    /// Communities.
    pub communities: usize,
    /// Terms.
    pub terms: usize,
    /// Heap bytes of the world.
    pub heap_bytes: usize,
}

impl WorldStats {
    fn of(world: &World) -> Self {
        Self {
            accounts: world.accounts(),
            edges: world.graph().edges(),
            flagged_accounts: world.truth().flagged_accounts(),
            communities: world.communities(),
            terms: world.terms(),
            heap_bytes: world.heap_bytes(),
        }
    }
}

/// All results of an experiment, in job order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentResult {
    /// Arm names in scenario order.
    pub arms: Vec<String>,
    /// `runs[replicate][arm]`.
    pub runs: Vec<Vec<ArmRun>>,
    /// Figures of replicate 0's world.
    pub world: WorldStats,
}

impl ExperimentResult {
    /// The run of one arm in one replicate.
    pub fn run(&self, replicate: usize, arm: usize) -> &ArmRun {
        &self.runs[replicate][arm]
    }
}

/// The built policies of the enabled surfaces.
pub struct Surfaces {
    built: Vec<(Surface, Box<dyn Policy>, usize, usize)>,
}

impl Surfaces {
    /// Builds the (built-in) policy of every enabled surface of the scenario.
    pub fn build(scenario: &Scenario) -> Result<Self, Error> {
        Self::build_with(scenario, &Registry::new())
    }

    /// Builds the policy of every enabled surface, plug-ins from `registry`.
    pub fn build_with(scenario: &Scenario, registry: &Registry) -> Result<Self, Error> {
        let mut built = Vec::new();
        for (surface, (name, spec)) in Surface::ALL.into_iter().zip(scenario.spec().surfaces.all())
        {
            if spec.enabled {
                let policy = registry
                    .build_policy(&spec.policy)
                    .map_err(|e| Error::Plugin(format!("surfaces.{name}.policy: {e}")))?;
                built.push((surface, policy, spec.pool as usize, spec.slate as usize));
            }
        }
        Ok(Self { built })
    }

    /// Serving plans, borrowed for a run.
    pub fn plans(&self) -> Vec<SurfacePlan<'_>> {
        self.built
            .iter()
            .map(|(surface, policy, pool, slate)| SurfacePlan {
                surface: *surface,
                policy: policy.as_ref(),
                pool: *pool,
                slate: *slate,
            })
            .collect()
    }
}

/// Receives the jobs of a run as they finish (from any thread).
pub trait JobSink: Sync {
    /// Whether the job (replicate, arm) is already done and must not be recomputed.
    fn skip(&self, _replicate: u32, _arm: usize) -> bool {
        false
    }

    /// Called once per replicate whose world was built.
    fn world(&self, _replicate: u32, _stats: &WorldStats) -> std::io::Result<()> {
        Ok(())
    }

    /// Called once per finished (replicate, arm).
    fn finished(&self, replicate: u32, arm: usize, run: ArmRun) -> std::io::Result<()>;
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Every job that was not skipped finished.
    Finished,
    /// The cancel flag was raised; finished jobs were delivered, the rest were dropped.
    Cancelled,
}

/// Everything built once per experiment and shared by its jobs.
struct Shared<'a> {
    scenario: &'a Scenario,
    source: &'a WorldSource,
    surfaces: Surfaces,
    stacks: Vec<MitigationStack>,
    cancel: &'a AtomicBool,
    /// Raised when a plug-in failed: every job stops at its next step.
    failed: AtomicBool,
}

impl Shared<'_> {
    /// Whether the jobs must stop: the run was cancelled or a plug-in failed.
    fn stopped(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.failed.load(Ordering::Relaxed)
    }
}

/// Runs one replicate: its world and labels (only if some arm still needs them), then the
/// arms that are not skipped, in parallel.
fn run_replicate(shared: &Shared<'_>, sink: &dyn JobSink, replicate: u32) -> Result<(), Error> {
    let arms: Vec<usize> = (0..shared.stacks.len())
        .filter(|&a| !sink.skip(replicate, a))
        .collect();
    if arms.is_empty() || shared.stopped() {
        return Ok(());
    }
    let scenario = shared.scenario;
    let spec = scenario.spec();
    let world = shared.source.world(scenario, replicate);
    sink.world(replicate, &WorldStats::of(&world))?;
    let mut rng = SeedTree::new(spec.seed).stream(replicate, StreamId::Moderation);
    let labels = Labels::classify(&world, &spec.moderation, spec.steps, &mut rng);
    let plans = shared.surfaces.plans();
    arms.par_iter().try_for_each(|&a| {
        let stack = &shared.stacks[a];
        match run_arm(
            scenario,
            &world,
            &labels,
            &plans,
            stack,
            replicate,
            a,
            &|| shared.stopped(),
        ) {
            Ok(Some(run)) => sink.finished(replicate, a, run).map_err(Error::from),
            Ok(None) => Ok(()),
            Err(failure) => {
                // Stop the other jobs at their next step; finished ones are already saved.
                shared.failed.store(true, Ordering::SeqCst);
                Err(Error::PluginFailed(Box::new(failure)))
            }
        }
    })
}

/// Runs every (replicate, arm) job the sink does not skip, replicates in parallel, and hands
/// each finished job to the sink. Runs on the current rayon pool: install a pool to choose the
/// thread count. Raising `cancel` stops every job at its next step.
pub fn run_jobs(
    scenario: &Scenario,
    registry: &Registry,
    sink: &dyn JobSink,
    cancel: &AtomicBool,
) -> Result<Completion, Error> {
    let source = WorldSource::prepare(scenario)?;
    run_jobs_on(scenario, &source, registry, sink, cancel)
}

/// [`run_jobs`] on a world source prepared already (an import read before the run creates its
/// results directory).
pub fn run_jobs_on(
    scenario: &Scenario,
    source: &WorldSource,
    registry: &Registry,
    sink: &dyn JobSink,
    cancel: &AtomicBool,
) -> Result<Completion, Error> {
    let spec = scenario.spec();
    let mut stacks = Vec::with_capacity(spec.arms.len());
    for (i, arm) in spec.arms.iter().enumerate() {
        stacks.push(
            registry
                .build_stack(&arm.mitigations)
                .map_err(|e| Error::Plugin(format!("arms[{i}] (`{}`): {e}", arm.name)))?,
        );
    }
    let surfaces = Surfaces::build_with(scenario, registry)?;
    let batched = surfaces
        .built
        .iter()
        .any(|(_, p, ..)| p.as_batched().is_some())
        || stacks.iter().any(MitigationStack::is_batched);
    if batched && scenario.derived().population {
        return Err(Error::Plugin(
            "batched (Python) policies and mitigations serve the probes and the panel, not a \
             living population: set `population.active_share = 0` or use native plug-ins"
                .into(),
        ));
    }
    let shared = Shared {
        scenario,
        source,
        surfaces,
        stacks,
        cancel,
        failed: AtomicBool::new(false),
    };
    (0..spec.replicates)
        .into_par_iter()
        .try_for_each(|r| run_replicate(&shared, sink, r))?;
    Ok(if cancel.load(Ordering::Relaxed) {
        Completion::Cancelled
    } else {
        Completion::Finished
    })
}

/// Collects every job in memory, indexed by (replicate, arm) so arrival order cannot matter.
struct MemorySink<'a> {
    arms: usize,
    runs: Mutex<Vec<Option<ArmRun>>>,
    world: Mutex<Option<WorldStats>>,
    done: &'a (dyn Fn() + Sync),
}

impl JobSink for MemorySink<'_> {
    fn world(&self, replicate: u32, stats: &WorldStats) -> std::io::Result<()> {
        if replicate == 0 {
            *self.world.lock().unwrap_or_else(|e| e.into_inner()) = Some(stats.clone());
        }
        Ok(())
    }

    fn finished(&self, replicate: u32, arm: usize, run: ArmRun) -> std::io::Result<()> {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs[replicate as usize * self.arms + arm] = Some(run);
        drop(runs);
        (self.done)();
        Ok(())
    }
}

/// Runs the whole experiment in memory on the current rayon pool, plug-ins from `registry`.
/// `done` is called once per finished (replicate, arm), from any thread, for progress reporting.
pub fn run_in_memory(
    scenario: &Scenario,
    registry: &Registry,
    done: &(dyn Fn() + Sync),
) -> Result<ExperimentResult, Error> {
    let spec = scenario.spec();
    let arms = spec.arms.len();
    let sink = MemorySink {
        arms,
        runs: Mutex::new(vec![None; spec.replicates as usize * arms]),
        world: Mutex::new(None),
        done,
    };
    run_jobs(scenario, registry, &sink, &AtomicBool::new(false))?;
    let runs = sink.runs.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut grouped = Vec::with_capacity(spec.replicates as usize);
    let mut iter = runs.into_iter();
    for _ in 0..spec.replicates {
        let replicate: Option<Vec<ArmRun>> = iter.by_ref().take(arms).collect();
        grouped.push(
            replicate.ok_or_else(|| {
                Error::Io(std::io::Error::other("a job did not deliver its result"))
            })?,
        );
    }
    let world = sink.world.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(ExperimentResult {
        arms: spec.arms.iter().map(|a| a.name.clone()).collect(),
        runs: grouped,
        world: world.unwrap_or_default(),
    })
}
