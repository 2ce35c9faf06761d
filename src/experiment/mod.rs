//! The experiment runner: every (replicate, arm) of a scenario, in parallel, reduced in job
//! order.
//!
//! A replicate builds its world and moderation labels once; its arms then run on that same
//! world with the same random streams (common random numbers), so arm differences are paired.
//! Replicates run in parallel with rayon and are collected in order; no floating-point value
//! is ever reduced in parallel, so results are byte-identical for any thread count.

pub mod output;
pub mod summary;

use crate::engine::{run_arm, ArmRun};
use crate::mitigation::MitigationStack;
use crate::platform::Labels;
use crate::policy::{Policy, Surface};
use crate::probe::SurfacePlan;
use crate::rng::{SeedTree, StreamId};
use crate::scenario::spec::SurfaceSpec;
use crate::scenario::Scenario;
use crate::world::{self, World, WorldError};
use rayon::prelude::*;
use serde::Serialize;

/// Where each replicate's world comes from: generated from the seed, or a graph loaded from
/// files once and shared by all replicates (vectors and tags are still drawn per replicate).
pub enum WorldSource {
    /// Generated from the scenario.
    Generate,
    /// Loaded from an edge list and community labels.
    Imported(Box<world::load::Imported>),
}

impl WorldSource {
    /// Prepares the source (reads import files, if any).
    pub fn prepare(scenario: &Scenario) -> Result<Self, WorldError> {
        match &scenario.spec().world.import {
            None => Ok(Self::Generate),
            Some(import) => Ok(Self::Imported(Box::new(world::load::read(
                import,
                scenario.base_dir(),
            )?))),
        }
    }

    /// The world of one replicate.
    pub fn world(&self, scenario: &Scenario, replicate: u32) -> World {
        let spec = scenario.spec();
        let tree = SeedTree::new(spec.seed);
        match self {
            Self::Generate => {
                let accounts = spec.world.accounts.unwrap_or(0);
                let flagged = scenario.flagged_size(accounts) as usize;
                world::generate(&spec.world, flagged, &tree, replicate)
            }
            Self::Imported(imported) => imported.world(&spec.world, &tree, replicate),
        }
    }
}

/// Size figures of the first replicate's world, for the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// Builds the policy of every enabled surface of the scenario.
    pub fn build(scenario: &Scenario) -> Self {
        let s = &scenario.spec().surfaces;
        let all: [(Surface, &SurfaceSpec); 4] = [
            (Surface::Search, &s.search),
            (Surface::SuggestedAccounts, &s.suggested_accounts),
            (Surface::Feed, &s.feed),
            (Surface::Explore, &s.explore),
        ];
        let built = all
            .into_iter()
            .filter(|(_, spec)| spec.enabled)
            .map(|(surface, spec)| {
                (
                    surface,
                    spec.policy.build(),
                    spec.pool as usize,
                    spec.slate as usize,
                )
            })
            .collect();
        Self { built }
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

/// Runs one replicate: its world, its labels, then every arm in order.
pub fn run_replicate(
    scenario: &Scenario,
    source: &WorldSource,
    surfaces: &Surfaces,
    stacks: &[MitigationStack],
    replicate: u32,
    done: &(dyn Fn() + Sync),
) -> (Vec<ArmRun>, WorldStats) {
    let spec = scenario.spec();
    let world = source.world(scenario, replicate);
    let mut rng = SeedTree::new(spec.seed).stream(replicate, StreamId::Moderation);
    let labels = Labels::classify(&world, &spec.moderation, &mut rng);
    let plans = surfaces.plans();
    let runs = stacks
        .par_iter()
        .map(|stack| {
            let run = run_arm(scenario, &world, &labels, &plans, stack, replicate);
            done();
            run
        })
        .collect();
    (runs, WorldStats::of(&world))
}

/// Runs the whole experiment. `done` is called once per finished (replicate, arm), from any
/// thread, for progress reporting. Runs on the current rayon pool: install a pool to choose the
/// thread count.
pub fn run(scenario: &Scenario, done: &(dyn Fn() + Sync)) -> Result<ExperimentResult, WorldError> {
    let source = WorldSource::prepare(scenario)?;
    let surfaces = Surfaces::build(scenario);
    let spec = scenario.spec();
    let stacks: Vec<MitigationStack> = spec
        .arms
        .iter()
        .map(|a| MitigationStack::from_specs(&a.mitigations))
        .collect();
    let mut results: Vec<(Vec<ArmRun>, WorldStats)> = (0..spec.replicates)
        .into_par_iter()
        .map(|r| run_replicate(scenario, &source, &surfaces, &stacks, r, done))
        .collect();
    let world = results
        .first()
        .map(|(_, w)| w.clone())
        .unwrap_or(WorldStats {
            accounts: 0,
            edges: 0,
            flagged_accounts: 0,
            communities: 0,
            terms: 0,
            heap_bytes: 0,
        });
    Ok(ExperimentResult {
        arms: spec.arms.iter().map(|a| a.name.clone()).collect(),
        runs: results.drain(..).map(|(r, _)| r).collect(),
        world,
    })
}
