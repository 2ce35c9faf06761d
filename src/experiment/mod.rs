//! Experiments: a scenario, the plug-ins it may name, and how to run it.
//!
//! [`Experiment`] is the one way to run a scenario, the CLI's `driftlab run` included: it
//! checks the scenario against the built-ins and the registered plug-ins, runs every
//! (replicate, arm) job in parallel with the arms of a replicate sharing their world and random
//! numbers, saves each finished job as a part (so `resume` recomputes only what is missing),
//! assembles `steps.csv` and `probes.csv` in job order, writes the manifest, the summary and
//! the plots, and runs every point of a sweep the same way.
//!
//! ```no_run
//! use driftlab::experiment::{Experiment, Outcome};
//! use driftlab::scenario::{Overrides, Scenario};
//!
//! let scenario = Scenario::load("scenarios/smoke.toml".as_ref(), &Overrides::default())?;
//! match Experiment::new(scenario).threads(2).out("results").run()? {
//!     Outcome::Finished(report) => println!("results in {}", report.dir.display()),
//!     Outcome::Interrupted(stop) => println!("{} jobs saved", stop.saved),
//!     _ => {} // a shard's run (`Experiment::shard`)
//! }
//! # Ok::<(), driftlab::Error>(())
//! ```
//!
//! Results do not depend on the thread count: jobs are reduced in job order, never in parallel.

pub mod export;
pub mod jobs;
pub mod merge;
pub mod shard;

pub use export::{Exported, WorldExport};
pub use jobs::{
    run_in_memory, run_jobs, run_jobs_on, Completion, ExperimentResult, JobSink, Surfaces,
    WorldSource, WorldStats,
};

use crate::analysis::summary::ArmStats;
use crate::error::Error;
use crate::estimate::{available_memory, human, CostEstimate, RunEstimate};
use crate::mitigation::Mitigation;
use crate::plugin::{ParamError, Registry};
use crate::policy::Policy;
use crate::report::{read_manifest, write_report, write_sweep_summary};
use crate::results::lock::DirLock;
use crate::results::output::{finalize, RunMeta, TableWriter};
use crate::results::parts::PartStore;
use crate::scenario::sweep::{grid, GridPoint};
use crate::scenario::Scenario;
use serde::de::DeserializeOwned;
pub use shard::Shard;
use shard::ShardSink;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// What an experiment reports while it runs (to [`Experiment::on_event`]), from any thread.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A sweep point starts (1-based `index` of `total`).
    Point {
        /// Position of the point, from 1.
        index: usize,
        /// Points of the sweep.
        total: usize,
        /// Its assignments, e.g. `moderation.recall=0.5`.
        label: String,
    },
    /// A sweep point was complete already (resume) and is only reported again.
    PointComplete {
        /// Its results directory.
        dir: PathBuf,
    },
    /// The jobs of a scenario start: `done` of `total` (arm, replicate) jobs are saved already.
    Jobs {
        /// Scenario (or sweep point) name.
        name: String,
        /// Jobs saved by an interrupted run.
        done: usize,
        /// All jobs.
        total: usize,
    },
    /// A saved part of an interrupted run was damaged (changed, truncated, of another run): it
    /// was removed and is computed again.
    PartDamaged {
        /// The part file.
        path: PathBuf,
    },
    /// One (arm, replicate) job finished and was saved.
    JobDone,
    /// The jobs of a scenario ended (finished or interrupted).
    JobsEnded,
}

/// How a run ended (more kinds may come: match with a wildcard arm).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Every job ran; the results and the report are written.
    Finished(RunReport),
    /// The cancel flag was raised: finished jobs are saved as parts.
    Interrupted(Interrupted),
    /// A shard of the run ([`Experiment::shard`]) computed its units: its parts wait for
    /// [`merge::merge`].
    Sharded(ShardReport),
}

/// What a shard of a run computed.
#[derive(Clone, Debug)]
pub struct ShardReport {
    /// The shard's results directory (`<out>/<scenario name>`; a sweep's root for a sweep).
    pub dir: PathBuf,
    /// The shard.
    pub shard: Shard,
    /// Work units (replicates of a scenario or sweep point, with all their arms) of this shard.
    pub units: u64,
    /// Work units of the whole run.
    pub total_units: u64,
}

/// The results of a finished run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The results directory (`<out>/<scenario name>`; a sweep's root for a sweep).
    pub dir: PathBuf,
    /// Headline figures per arm (for a sweep: of its last point).
    pub arms: Vec<ArmStats>,
    /// Wall time of the simulation in seconds (this invocation).
    pub wall_seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// A sweep's points with their arms' figures (empty for a single scenario).
    pub points: Vec<(GridPoint, Vec<ArmStats>)>,
}

/// Where an interrupted run stopped.
#[derive(Clone, Debug)]
pub struct Interrupted {
    /// Jobs saved.
    pub saved: usize,
    /// Jobs in all (of the scenario or sweep point that was running).
    pub total: usize,
    /// The parts directory.
    pub parts: PathBuf,
    /// The command that continues the run (add `--out` and `--resume`).
    pub command: String,
}

type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

/// The most worker threads a run may ask for (refused before any thread is started).
pub const MAX_THREADS: usize = 1024;

/// A scenario with the plug-ins it may name and the settings of its run (builder).
#[must_use]
pub struct Experiment {
    scenario: Scenario,
    registry: Registry,
    threads: Option<usize>,
    out: PathBuf,
    resume: bool,
    overwrite: bool,
    cancel: Arc<AtomicBool>,
    listener: Option<Listener>,
    command: Option<String>,
    memory_limit: Option<u64>,
    shard: Option<Shard>,
}

impl Experiment {
    /// An experiment on `scenario` with the built-ins alone; results under `results/`, every
    /// core, no resume.
    pub fn new(scenario: Scenario) -> Self {
        Self {
            scenario,
            registry: Registry::new(),
            threads: None,
            out: PathBuf::from("results"),
            resume: false,
            overwrite: false,
            cancel: Arc::new(AtomicBool::new(false)),
            listener: None,
            command: None,
            memory_limit: None,
            shard: None,
        }
    }

    /// Uses the plug-ins of `registry` (replacing any registered so far).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Registers a policy plug-in (see [`Registry::policy`]).
    pub fn policy<P, T, F>(mut self, kind: &str, factory: F) -> Self
    where
        P: DeserializeOwned + 'static,
        T: Policy + 'static,
        F: Fn(P) -> Result<T, ParamError> + Send + Sync + 'static,
    {
        self.registry.policy(kind, factory);
        self
    }

    /// Registers a mitigation plug-in (see [`Registry::mitigation`]).
    pub fn mitigation<P, T, F>(mut self, kind: &str, factory: F) -> Self
    where
        P: DeserializeOwned + 'static,
        T: Mitigation + 'static,
        F: Fn(P) -> Result<T, ParamError> + Send + Sync + 'static,
    {
        self.registry.mitigation(kind, factory);
        self
    }

    /// Worker threads (default: every core). Results do not depend on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The results directory: a run writes `<out>/<scenario name>/` (default `results`).
    pub fn out(mut self, out: impl Into<PathBuf>) -> Self {
        self.out = out.into();
        self
    }

    /// Continue an interrupted run: compute only the jobs not saved yet.
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Replace the results (or saved parts) an earlier run left in the results directory; without
    /// it (or `resume`) such a directory is refused.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// A flag that stops the run at the next step of every job when raised (saved jobs are
    /// kept for a resume).
    pub fn cancel_flag(mut self, cancel: Arc<AtomicBool>) -> Self {
        self.cancel = cancel;
        self
    }

    /// Calls `listener` with progress [`Event`]s (from any thread).
    pub fn on_event(mut self, listener: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.listener = Some(Arc::new(listener));
        self
    }

    /// The command recorded in the manifest as the one that reproduces the results (default:
    /// the `driftlab run` command of the scenario, its overrides, seed and replicates).
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    /// The memory, in bytes, a run may use: a scenario whose estimated peak is larger is
    /// refused before it starts (default: what the machine, or the process's cgroup, has
    /// available).
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Computes only this shard's work units (see [`shard`]): the run writes parts and
    /// nothing else, to be merged with the other shards' by [`merge::merge`] into the files of
    /// an unsharded run. Resumable like any run.
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The plug-ins.
    pub fn plugins(&self) -> &Registry {
        &self.registry
    }

    /// The worker threads a run uses.
    pub fn thread_count(&self) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Checks everything a run would check before it starts (see [`Self::plan`]) and returns
    /// the points of a sweep (empty for none).
    pub fn check(&self) -> Result<Vec<(GridPoint, Scenario)>, Error> {
        self.plan().map(|plan| plan.points)
    }

    /// What a run would do, checked before anything is allocated: the thread count, the
    /// scenario's kinds against the plug-ins, every sweep point read and checked like a
    /// scenario (values, kinds, imported communities), and the estimated peak memory of the
    /// whole run against what the machine (or its cgroup) has available. `run` starts from
    /// this plan and `driftlab validate` prints it, so the two refuse the same scenarios.
    pub fn plan(&self) -> Result<Plan, Error> {
        let threads = self.thread_count();
        if !(1..=MAX_THREADS).contains(&threads) {
            return Err(Error::Refused(format!(
                "--threads = {threads} is out of range: expected 1 ..= {MAX_THREADS}"
            )));
        }
        self.registry.check(&self.scenario)?;
        let mut points = Vec::new();
        for p in grid(&self.scenario.spec().sweep) {
            let s = self.scenario.sweep_point(&p)?;
            self.registry.check(&s)?;
            points.push((p, s));
        }
        let scenarios: Vec<&Scenario> = if points.is_empty() {
            vec![&self.scenario]
        } else {
            points.iter().map(|(_, s)| s).collect()
        };
        // Memory first, from the counting pass of an import; then an import's files in full.
        let estimates = scenarios
            .iter()
            .map(|s| estimate(s, threads))
            .collect::<Result<Vec<CostEstimate>, Error>>()?;
        let estimate = RunEstimate::sequential(&estimates)
            .ok_or_else(|| Error::Refused("nothing to run".into()))?;
        let (origin, name) = (self.scenario.origin(), &self.scenario.spec().name);
        let largest = match points.get(estimate.largest) {
            Some((p, _)) => format!(
                "{origin}: sweep point {} ({}) of scenario `{name}`",
                p.name(),
                p.label(),
            ),
            None => format!("{origin}: scenario `{name}`"),
        };
        let available = self.memory_limit.or_else(available_memory);
        let imported = self.scenario.spec().world.import.is_some();
        check_memory(&largest, &estimate.largest_estimate, imported, available)?;
        for s in &scenarios {
            WorldSource::check(s)?;
        }
        Ok(Plan {
            points,
            estimate,
            threads,
            available,
        })
    }

    fn emit(&self, event: Event) {
        if let Some(l) = &self.listener {
            l(&event);
        }
    }

    /// Runs the experiment into `<out>/<scenario name>/`: results, manifest, summary and
    /// plots; every point of a sweep, then the sweep summary.
    pub fn run(&self) -> Result<Outcome, Error> {
        let points = self.plan()?.points;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.thread_count())
            .build()
            .map_err(|e| Error::Refused(format!("cannot start the worker pool: {e}")))?;
        if points.is_empty() {
            return pool.install(|| self.run_one(&self.scenario, &self.out, 0));
        }
        let name = self.scenario.spec().name.clone();
        let base = self.out.join(&name);
        std::fs::create_dir_all(&base).map_err(at(&base))?;
        // The sweep's own files (its summary) are written by one run at a time too.
        let _lock = DirLock::acquire(&base)?;
        crate::atomic::remove_temporaries(&base).map_err(at(&base))?;
        let start = Instant::now();
        if let Some(shard) = self.shard {
            return self.run_sweep_shard(&pool, &base, &points, shard);
        }
        let mut results = Vec::with_capacity(points.len());
        for (i, (p, s)) in points.iter().enumerate() {
            self.emit(Event::Point {
                index: i + 1,
                total: points.len(),
                label: p.label(),
            });
            let dir = base.join(s.spec().name.as_str());
            let done = self.resume
                && !dir.join(".parts").exists()
                && read_manifest(&dir).is_ok_and(|m| m["scenario_hash"].as_str() == Some(s.hash()));
            let stats = if done {
                self.emit(Event::PointComplete { dir: dir.clone() });
                write_report(&dir)?
            } else {
                match pool.install(|| self.run_one(s, &base, 0))? {
                    Outcome::Finished(report) => report.arms,
                    other => return Ok(other),
                }
            };
            results.push((p.clone(), stats));
        }
        write_sweep_summary(&base, &name, &results)?;
        Ok(Outcome::Finished(RunReport {
            dir: base,
            arms: results.last().map(|(_, a)| a.clone()).unwrap_or_default(),
            wall_seconds: start.elapsed().as_secs_f64(),
            threads: self.thread_count(),
            points: results,
        }))
    }

    /// The shard `shard` of a sweep: each point's units of this shard into the point's parts,
    /// and the sweep's points (`sweep-shard.json`) for the merge.
    fn run_sweep_shard(
        &self,
        pool: &rayon::ThreadPool,
        base: &Path,
        points: &[(GridPoint, Scenario)],
        shard: Shard,
    ) -> Result<Outcome, Error> {
        let plan = merge::sweep_plan(&self.scenario.spec().name, points);
        let path = base.join(merge::SWEEP_PLAN);
        crate::atomic::write_atomic(&path, plan.as_bytes()).map_err(at(&path))?;
        let (mut first, mut units) = (0u64, 0u64);
        for (i, (p, s)) in points.iter().enumerate() {
            self.emit(Event::Point {
                index: i + 1,
                total: points.len(),
                label: p.label(),
            });
            match pool.install(|| self.run_one(s, base, first))? {
                Outcome::Sharded(report) => units += report.units,
                other => return Ok(other),
            }
            first += u64::from(s.spec().replicates);
        }
        Ok(Outcome::Sharded(ShardReport {
            dir: base.to_path_buf(),
            shard,
            units,
            total_units: first,
        }))
    }

    /// Runs one scenario (no sweep) into `<out>/<name>/` on the current pool; `first_unit` is
    /// the number of its replicate 0 among the run's work units (for a shard).
    fn run_one(&self, scenario: &Scenario, out: &Path, first_unit: u64) -> Result<Outcome, Error> {
        let spec = scenario.spec();
        let dir = out.join(&spec.name);
        let total = spec.replicates as usize * spec.arms.len();
        // An import is read before anything is created, so bad data leaves nothing behind.
        let source = WorldSource::prepare(scenario)?;
        std::fs::create_dir_all(&dir).map_err(at(&dir))?;
        // One run at a time per results directory, held until this function returns (and
        // released by the kernel on any exit).
        let _lock = DirLock::acquire(&dir)?;
        // What a killed run was writing when it died is never used: only whole files count.
        crate::atomic::remove_temporaries(&dir).map_err(at(&dir))?;
        let finished = dir.join("manifest.json").exists() && !dir.join(".parts").exists();
        let earlier = finished || dir.join(".parts").exists();
        if self.resume && finished {
            let same = read_manifest(&dir)
                .is_ok_and(|m| m["scenario_hash"].as_str() == Some(scenario.hash()));
            if !same {
                return Err(Error::Refused(format!(
                    "{} holds the finished results of a different run (another scenario, seed \
                     or version); --resume continues only the same run: write to another --out \
                     or pass --overwrite",
                    dir.display()
                )));
            }
            // Nothing to compute: say so, and hand back its figures.
            self.emit(Event::PointComplete { dir: dir.clone() });
            return Ok(Outcome::Finished(RunReport {
                arms: write_report(&dir)?,
                dir,
                wall_seconds: 0.0,
                threads: self.thread_count(),
                points: Vec::new(),
            }));
        }
        if earlier && !self.resume && !self.overwrite {
            let what = if finished {
                "the results of an earlier run"
            } else {
                "the saved parts of an interrupted run"
            };
            return Err(Error::Refused(format!(
                "{} holds {what}; pass --resume to continue it, or --overwrite to replace it",
                dir.display()
            )));
        }
        let store = PartStore::open(&dir, scenario, self.resume)?;
        for path in store.damaged() {
            self.emit(Event::PartDamaged { path: path.clone() });
        }
        let command = self
            .command
            .clone()
            .unwrap_or_else(|| scenario.reproduce_command());
        let replicates = u64::from(spec.replicates);
        let (total, done) = match self.shard {
            Some(shard) => {
                merge::write_shard_record(&dir, scenario, shard, &command)?;
                let owned = |r: u32| shard.owns(first_unit + u64::from(r));
                let done = (0..spec.replicates)
                    .filter(|&r| owned(r))
                    .map(|r| (0..spec.arms.len()).filter(|&a| store.skip(r, a)).count())
                    .sum();
                let units = shard.share(first_unit, replicates) as usize;
                (units * spec.arms.len(), done)
            }
            None => (total, store.completed()),
        };
        self.emit(Event::Jobs {
            name: spec.name.clone(),
            done,
            total,
        });
        let store = store.on_part(|| self.emit(Event::JobDone));
        let start = Instant::now();
        let completion = match self.shard {
            Some(shard) => {
                let sink = ShardSink {
                    inner: &store,
                    shard,
                    first_unit,
                };
                run_jobs_on(scenario, &source, &self.registry, &sink, &self.cancel)
            }
            None => run_jobs_on(scenario, &source, &self.registry, &store, &self.cancel),
        };
        self.emit(Event::JobsEnded);
        let completion = match completion {
            Err(Error::PluginFailed(mut failure)) => {
                failure.saved = Some(format!(
                    "{} of {} arm-replicates are saved in {}; fix the plug-in and run again \
                     with --resume (Python: resume=True) to continue",
                    store.completed(),
                    total,
                    dir.join(".parts").display()
                ));
                return Err(Error::PluginFailed(failure));
            }
            other => other?,
        };
        if completion == Completion::Cancelled {
            return Ok(Outcome::Interrupted(Interrupted {
                saved: store.completed(),
                total,
                parts: dir.join(".parts"),
                command,
            }));
        }
        if let Some(shard) = self.shard {
            // A shard writes parts and nothing else: the merge assembles them.
            return Ok(Outcome::Sharded(ShardReport {
                dir,
                shard,
                units: shard.share(first_unit, replicates),
                total_units: replicates,
            }));
        }
        let meta = RunMeta {
            threads: self.thread_count(),
            wall_seconds: start.elapsed().as_secs_f64(),
            command,
            argv: std::env::args().collect::<Vec<_>>().join(" "),
            resumed: self.resume,
        };
        let mut tables = TableWriter::create(&dir)?;
        store.assemble(|s, p| tables.append(s, p).map_err(Error::from))?;
        let world = store.world_stats().unwrap_or_default();
        finalize(&dir, scenario, tables, &world, &meta)?;
        store.remove()?;
        let arms = write_report(&dir)?;
        Ok(Outcome::Finished(RunReport {
            dir,
            arms,
            wall_seconds: meta.wall_seconds,
            threads: meta.threads,
            points: Vec::new(),
        }))
    }

    /// Runs the experiment in memory on the current rayon pool (no files, no sweep; install a
    /// pool to choose the thread count) and returns every job's result in job order.
    pub fn run_in_memory(&self) -> Result<ExperimentResult, Error> {
        self.registry.check(&self.scenario)?;
        let run = || {
            run_in_memory(&self.scenario, &self.registry, &|| {
                self.emit(Event::JobDone)
            })
        };
        match self.threads {
            None => run(),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::Refused(format!("cannot start the worker pool: {e}")))?
                .install(run),
        }
    }
}

/// The estimated cost of a run of `scenario` on `threads` threads. An imported world is sized
/// by a first pass over its files that keeps nothing per line (`world::load::count`: it checks
/// their syntax and counts accounts and edges), so nothing large is allocated to estimate it.
pub fn estimate(scenario: &Scenario, threads: usize) -> Result<CostEstimate, Error> {
    Ok(match &scenario.spec().world.import {
        None => CostEstimate::of(scenario, threads),
        Some(import) => {
            let n = crate::world::load::count(import, scenario.base_dir())?;
            CostEstimate::of_import(scenario, threads, n.accounts, n.edges)
        }
    })
}

/// Refuses, before allocating anything, a run whose largest scenario (`what`, estimated `est`,
/// `imported` or not) needs more memory than is `available`.
fn check_memory(
    what: &str,
    est: &CostEstimate,
    imported: bool,
    available: Option<u64>,
) -> Result<(), Error> {
    if let Some(available) = available {
        if est.peak_bytes > available {
            let world = if imported {
                "import a smaller graph"
            } else {
                "reduce world.accounts"
            };
            return Err(Error::Refused(format!(
                "{what} needs about {} but {} are available; {world}, --threads or \
                 replicates. Estimate: {est}",
                human(est.peak_bytes),
                human(available)
            )));
        }
    }
    Ok(())
}

/// What a run will do, checked before it starts ([`Experiment::plan`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Plan {
    /// The sweep's points, each read and checked as a scenario (empty for a single scenario).
    pub points: Vec<(GridPoint, Scenario)>,
    /// Estimated time and memory of the whole run.
    pub estimate: RunEstimate,
    /// Worker threads the run uses.
    pub threads: usize,
    /// The memory the run may use, in bytes ([`Experiment::memory_limit`], or what is
    /// available), where known.
    pub available: Option<u64>,
}

/// Runs a scenario of built-ins in memory on the current rayon pool (tests and tools).
pub fn run(scenario: &Scenario, done: &(dyn Fn() + Sync)) -> Result<ExperimentResult, Error> {
    run_in_memory(scenario, &Registry::new(), done)
}

/// An I/O error on a results directory, with its path.
fn at(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| {
        Error::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    }
}
