//! The command-line edge: argument parsing, progress bar, signals, exit codes. The only module
//! besides `main.rs` that prints; everything else is library code.

use anyhow::Context;
use clap::{Parser, Subcommand};
use driftlab::analysis::compare::{compare_exact, compare_statistical};
use driftlab::analysis::report::write_report;
use driftlab::experiment::output::{finalize, RunMeta};
use driftlab::experiment::parts::{PartStore, PartsError};
use driftlab::experiment::{run_jobs, Completion, WorldSource};
use driftlab::scenario::{Overrides, Scenario, ScenarioError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Measure how fast a recommender pulls ordinary accounts toward a flagged cluster, and which
/// mitigation slows it down.
#[derive(Debug, Parser)]
#[command(name = "driftlab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Debug, clap::Args)]
struct ScenarioArgs {
    /// Scenario file (TOML); the embedded quickstart when omitted.
    scenario: Option<PathBuf>,
    /// Override a scenario value, e.g. --set world.accounts=50000 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Override the scenario's master seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the number of replicates.
    #[arg(long)]
    replicates: Option<u32>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write its results and report to DIR/<scenario name>/.
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Results directory.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Continue an interrupted run: compute only the (arm, replicate) jobs not yet saved.
        #[arg(long)]
        resume: bool,
    },
    /// Parse and check a scenario without running it; print it resolved, with estimates.
    Validate {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Rebuild summary.md, summary.json and the plots of a results directory from its CSVs.
    Report {
        /// A results directory (DIR/<scenario name>).
        results: PathBuf,
    },
    /// Compare two results directories; exit 0 when they agree, 1 when they differ.
    Compare {
        /// First results directory.
        a: PathBuf,
        /// Second results directory.
        b: PathBuf,
        /// Require byte-identical tables (same version, scenario and seed).
        #[arg(long)]
        exact: bool,
        /// Largest tolerated absolute difference of a headline share (statistical mode).
        #[arg(long, default_value_t = 0.02)]
        tolerance: f64,
    },
    /// List the policies, mitigations, probe behaviours and metrics a scenario can name.
    List,
}

/// Exit code for invalid input (scenario or arguments).
const EXIT_INPUT: u8 = 2;
/// Exit code of a run stopped by Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

impl ScenarioArgs {
    /// Loads and validates the scenario, imported world included (its labels file is read), so
    /// `validate` refuses what `run` would refuse.
    fn load(&self) -> Result<Scenario, driftlab::error::Error> {
        let overrides = Overrides {
            seed: self.seed,
            replicates: self.replicates,
            sets: self.sets.clone(),
        };
        let scenario = match &self.scenario {
            Some(p) => Scenario::load(p, &overrides),
            None => Scenario::quickstart(&overrides),
        }?;
        WorldSource::check(&scenario)?;
        Ok(scenario)
    }

    /// The command that reproduces a run of this scenario (no output directory, no threads).
    fn reproduce(&self, scenario: &Scenario) -> String {
        let mut cmd = String::from("driftlab run");
        if let Some(p) = &self.scenario {
            cmd.push_str(&format!(" {}", p.display()));
        }
        for s in &self.sets {
            cmd.push_str(&format!(" --set {s}"));
        }
        let spec = scenario.spec();
        cmd.push_str(&format!(
            " --seed {} --replicates {}",
            spec.seed, spec.replicates
        ));
        cmd
    }
}

/// Runs the parsed command line and maps failures to exit codes: 2 for bad input, 1 otherwise.
pub fn main(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            let input = err.chain().any(|e| {
                e.is::<ScenarioError>()
                    || e.is::<driftlab::world::WorldError>()
                    || e.downcast_ref::<driftlab::error::Error>().is_some_and(|e| {
                        matches!(
                            e,
                            driftlab::error::Error::Scenario(_) | driftlab::error::Error::World(_)
                        )
                    })
                    || e.is::<PartsError>()
                    || e.is::<InputError>()
            });
            ExitCode::from(if input { EXIT_INPUT } else { 1 })
        }
    }
}

/// A bad command-line value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct InputError(String);

fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate { scenario: args } => {
            let scenario = args.load()?;
            print!("{}", scenario.resolved_toml());
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let est = driftlab::estimate::Estimate::of(&scenario, threads);
            eprintln!(
                "ok: scenario `{}` is valid (hash {}). Estimate on {threads} threads: {}",
                scenario.spec().name,
                scenario.hash(),
                est
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            scenario: args,
            out,
            threads,
            resume,
        } => {
            let scenario = args.load()?;
            let threads = match threads {
                Some(0) => return Err(InputError("--threads must be at least 1".into()).into()),
                Some(n) => n,
                None => std::thread::available_parallelism().map_or(1, |n| n.get()),
            };
            check_memory(&scenario, threads)?;
            if scenario.spec().sweep.is_empty() {
                return Ok(match run(&scenario, &args, &out, threads, resume)? {
                    Some(_) => ExitCode::SUCCESS,
                    None => ExitCode::from(EXIT_INTERRUPTED),
                });
            }
            run_sweep(&scenario, &args, &out, threads, resume)
        }
        Command::Report { results } => {
            let stats = write_report(&results)
                .with_context(|| format!("building the report of {}", results.display()))?;
            println!(
                "report: {} ({} arms)",
                results.join("summary.md").display(),
                stats.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare {
            a,
            b,
            exact,
            tolerance,
        } => {
            if tolerance.is_nan() || tolerance < 0.0 {
                return Err(InputError("--tolerance must be a non-negative number".into()).into());
            }
            let cmp = if exact {
                compare_exact(&a, &b)?
            } else {
                compare_statistical(&a, &b, tolerance)?
            };
            let mode = if exact { "exact" } else { "statistical" };
            if cmp.agrees() {
                println!("agree ({mode}): {} checks passed", cmp.checked);
                Ok(ExitCode::SUCCESS)
            } else {
                println!(
                    "differ ({mode}): {} of {} checks failed\n{}",
                    cmp.differences.len(),
                    cmp.checked,
                    cmp.table()
                );
                Ok(ExitCode::FAILURE)
            }
        }
        Command::List => {
            let mut last = "";
            for e in driftlab::catalog::entries() {
                if e.category != last {
                    println!("\n{}s:", e.category);
                    last = e.category;
                }
                println!("  {:<34} {}", e.name, e.description);
                for (name, default, doc) in e.params {
                    println!("  {:<34}   {name} = {default}: {doc}", "");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn progress(total: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} arm-replicates, {elapsed} elapsed, eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Refuses, before allocating anything, a scenario whose estimated peak memory exceeds what the
/// machine has available.
fn check_memory(scenario: &Scenario, threads: usize) -> anyhow::Result<()> {
    let est = driftlab::estimate::Estimate::of(scenario, threads);
    if let Some(available) = driftlab::estimate::available_memory() {
        if est.peak_bytes > available {
            return Err(InputError(format!(
                "scenario `{}` needs about {:.2} GiB but {:.2} GiB are available; reduce \
                 world.accounts, --threads or replicates. Estimate: {est}",
                scenario.spec().name,
                est.peak_bytes as f64 / 1073741824.0,
                available as f64 / 1073741824.0
            ))
            .into());
        }
    }
    Ok(())
}

/// Runs every grid point of a sweep into `<out>/<name>/pNNN/`, then writes the sweep summary.
fn run_sweep(
    scenario: &Scenario,
    args: &ScenarioArgs,
    out: &Path,
    threads: usize,
    resume: bool,
) -> anyhow::Result<ExitCode> {
    let name = scenario.spec().name.clone();
    let base = out.join(&name);
    let points = driftlab::experiment::sweep::grid(&scenario.spec().sweep);
    // Load and validate every point before running any.
    let mut runs = Vec::with_capacity(points.len());
    for p in &points {
        let mut point_args = args.clone();
        point_args.sets.extend(p.sets());
        point_args.sets.push("sweep={}".into());
        point_args.sets.push(format!("name={}", p.name()));
        let s = point_args
            .load()
            .with_context(|| format!("sweep point {} ({})", p.name(), p.label()))?;
        check_memory(&s, threads)?;
        runs.push((point_args, s));
    }
    let mut results = Vec::with_capacity(points.len());
    for (p, (point_args, s)) in points.iter().zip(&runs) {
        println!(
            "== sweep point {} of {}: {}",
            p.index + 1,
            points.len(),
            p.label()
        );
        let dir = base.join(s.spec().name.as_str());
        let done = resume
            && !dir.join(".parts").exists()
            && driftlab::analysis::report::read_manifest(&dir)
                .is_ok_and(|m| m["scenario_hash"].as_str() == Some(s.hash()));
        let stats = if done {
            println!("already complete: {}", dir.display());
            write_report(&dir)?
        } else {
            match run(s, point_args, &base, threads, resume)? {
                Some(stats) => stats,
                None => return Ok(ExitCode::from(EXIT_INTERRUPTED)),
            }
        };
        results.push((p.clone(), stats));
    }
    driftlab::analysis::sweep::write_sweep_summary(&base, &name, &results)?;
    println!("sweep summary: {}", base.join("sweep.md").display());
    Ok(ExitCode::SUCCESS)
}

/// Runs one scenario into `<out>/<name>/`; `None` when interrupted (parts are kept).
fn run(
    scenario: &Scenario,
    args: &ScenarioArgs,
    out: &Path,
    threads: usize,
    resume: bool,
) -> anyhow::Result<Option<Vec<driftlab::analysis::summary::ArmStats>>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the worker pool")?;
    let spec = scenario.spec();
    let dir = out.join(&spec.name);
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // First Ctrl-C: stop at the next step and keep what is saved; second: leave at once.
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        });
    }
    let total = u64::from(spec.replicates) * spec.arms.len() as u64;
    let bar = progress(total);
    bar.set_message(spec.name.clone());
    let store = PartStore::open(&dir, scenario, resume)?;
    bar.set_position(store.completed() as u64);
    let store = store.on_part(|| bar.inc(1));
    let start = Instant::now();
    let completion = pool.install(|| run_jobs(scenario, &store, &cancel))?;
    bar.finish_and_clear();
    let reproduce = args.reproduce(scenario);
    if completion == Completion::Cancelled {
        eprintln!(
            "interrupted: {} of {total} arm-replicates are saved in {}; continue with:\n  {reproduce} --out {} --resume",
            store.completed(),
            dir.join(".parts").display(),
            out.display()
        );
        return Ok(None);
    }
    let meta = RunMeta {
        threads,
        wall_seconds: start.elapsed().as_secs_f64(),
        command: reproduce,
        argv: std::env::args().collect::<Vec<_>>().join(" "),
        resumed: resume,
    };
    finalize(&dir, scenario, &store, &meta).context("assembling results")?;
    store.remove()?;
    let stats = write_report(&dir).context("building the report")?;
    for arm in &stats {
        let median = arm
            .median_drift_step
            .estimate
            .map_or(format!(">{}", spec.steps), |m| format!("{m:.0}"));
        println!(
            "{:<36} drifted {:>5.1}%  median time-to-drift {:>5}  flagged share at last step {:>5.1}%",
            arm.name,
            100.0 * arm.drifted_share.estimate.unwrap_or(f64::NAN),
            median,
            100.0 * arm.final_flagged_share.estimate.unwrap_or(f64::NAN)
        );
    }
    println!(
        "results: {} ({:.1} s on {threads} threads)",
        dir.display(),
        meta.wall_seconds
    );
    Ok(Some(stats))
}
