//! The command-line edge: argument parsing, progress bar, signals, exit codes. The only module
//! besides `main.rs` that prints; everything else is library code.

use clap::{Parser, Subcommand};
use driftlab::analysis::compare::{compare_exact, compare_statistical, Criteria};
use driftlab::experiment::{merge, Event, Experiment, Outcome, Shard, WorldExport};
use driftlab::plugin::Registry;
use driftlab::report::{rewrite_sweep_report, write_report, ReportError};
use driftlab::scenario::{Overrides, Scenario, ScenarioError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
        /// Continue an interrupted run: compute only the (arm, replicate) jobs not yet saved (a
        /// finished run is left as it is).
        #[arg(long, conflicts_with = "overwrite")]
        resume: bool,
        /// Replace the results or saved parts an earlier run left in the results directory
        /// (refused without it or --resume).
        #[arg(long)]
        overwrite: bool,
        /// Compute only shard K of N (from 1) of the work units (replicates, with all their
        /// arms, of every sweep point), into parts for `driftlab merge`; e.g. --shard
        /// "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" (an array 1-N). Never read from the
        /// environment implicitly.
        #[arg(long, value_name = "K/N")]
        shard: Option<Shard>,
    },
    /// Merge the parts of a sharded run (the --out directories of every `run --shard K/N`)
    /// into the results an unsharded run writes, byte for byte; exit 2, with every problem
    /// listed, for shards of different runs or builds, or parts missing, duplicated, damaged or
    /// outside the run.
    Merge {
        /// The shards' --out directories.
        #[arg(required = true, value_name = "SHARD_DIR")]
        shards: Vec<PathBuf>,
        /// Results directory: the merged run goes to DIR/<scenario name>/.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Replace the results of an earlier run in the results directory.
        #[arg(long)]
        overwrite: bool,
    },
    /// Parse and check a scenario without running it; print it resolved, with estimates.
    Validate {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Estimate for this many worker threads, as `run --threads` (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Print only the estimated peak memory of the run, in MiB rounded up (for a batch
        /// system's memory request, e.g. `sbatch --mem`), instead of the resolved scenario.
        #[arg(long)]
        memory_mib: bool,
    },
    /// Rebuild summary.md, summary.json and the plots of a results directory from its CSVs;
    /// given a sweep's directory, every point's report and the sweep summary.
    Report {
        /// A results directory (DIR/<scenario name>), or a sweep's (its points p000, ... below).
        results: PathBuf,
    },
    /// Compare two results directories; exit 0 when they agree, 1 when they differ, 2 on bad
    /// input.
    #[command(
        after_help = "Exit status: 0 the results agree; 1 they differ; 2 bad input (a \
                            directory missing or a file given instead, a results file missing, \
                            malformed or not matching its manifest)."
    )]
    Compare {
        /// First results directory.
        a: PathBuf,
        /// Second results directory.
        b: PathBuf,
        /// Require byte-identical CSV tables and summary.json (same version, scenario and
        /// seed; the Parquet copies are not compared); what the CI gate
        /// (`.ci/run`) uses. Without it the comparison is statistical: a headline share agrees
        /// when its estimates are equal or when --tolerance or --z accepts the difference.
        #[arg(long, conflicts_with_all = ["tolerance", "z"])]
        exact: bool,
        /// Absolute criterion: a headline share agrees when the estimates differ by at most
        /// this much. `off` (the same as 0) turns it off.
        #[arg(long, default_value = "0.02", value_parser = tolerance_criterion)]
        tolerance: Criterion,
        /// Statistical criterion: a headline share agrees when the difference is below this
        /// many standard errors (taken from the 95% intervals; 3.29 is two-sided p = 0.001).
        /// `off` turns it off, so that sampling noise excuses nothing.
        #[arg(long, default_value = "3.29", value_parser = z_criterion)]
        z: Criterion,
    },
    /// List the policies, mitigations, probe behaviours and metrics a scenario can name.
    List,
    /// Write the world `run` generates for one replicate into a new directory DIR: edges.txt
    /// and labels.txt (the files `[world.import]` reads), accounts.csv (each account's
    /// community, its kind, flag and degrees) and world.toml (the `[world.import]` table that
    /// imports the same world).
    ExportWorld {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// The replicate whose world to write, from 0.
        #[arg(long, value_name = "R")]
        replicate: u32,
        /// A new directory (or an empty one) for the files; written whole or not at all.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// For a scenario with a [sweep]: the point whose world to write (p000, p001, ...).
        #[arg(long, value_name = "NAME")]
        point: Option<String>,
    },
}

/// One criterion of `compare`: a threshold, or `off` (`None`).
#[derive(Clone, Copy, Debug)]
struct Criterion(Option<f64>);

/// `--tolerance`: `off`, or a finite number >= 0 (0 is the same as `off`).
fn tolerance_criterion(s: &str) -> Result<Criterion, String> {
    match s {
        "off" => Ok(Criterion(None)),
        _ => match s.parse::<f64>() {
            Ok(t) if t.is_finite() && t >= 0.0 => Ok(Criterion((t > 0.0).then_some(t))),
            _ => Err("expected a non-negative number or `off`".into()),
        },
    }
}

/// `--z`: `off`, or a finite number > 0.
fn z_criterion(s: &str) -> Result<Criterion, String> {
    match s {
        "off" => Ok(Criterion(None)),
        _ => match s.parse::<f64>() {
            Ok(z) if z.is_finite() && z > 0.0 => Ok(Criterion(Some(z))),
            _ => Err("expected a positive number or `off`".into()),
        },
    }
}

/// Exit code for invalid input (scenario or arguments).
const EXIT_INPUT: u8 = 2;
/// Exit code of a run stopped by Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

impl ScenarioArgs {
    fn load(&self) -> Result<Scenario, ScenarioError> {
        let overrides = Overrides {
            seed: self.seed,
            replicates: self.replicates,
            sets: self.sets.clone(),
        };
        match &self.scenario {
            Some(p) => Scenario::load(p, &overrides),
            None => Scenario::quickstart(&overrides),
        }
    }
}

/// Runs the parsed command line and maps failures to exit codes: 2 for bad input, 1 otherwise.
pub fn main(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            let input = err.chain().any(|e| {
                e.is::<ScenarioError>()
                    || e.is::<driftlab::world::WorldError>()
                    || e.is::<InputError>()
                    || e.downcast_ref::<driftlab::Error>()
                        .is_some_and(|e| e.is_input())
                    || e.downcast_ref::<ReportError>()
                        .is_some_and(ReportError::is_input)
            });
            ExitCode::from(if input { EXIT_INPUT } else { 1 })
        }
    }
}

/// The longest error line printed: a hostile input (a 100k-character key) is echoed only in
/// part.
const MAX_ERROR_CHARS: usize = 600;

/// An error and its causes as one line: a cause whose text is already part of the line is
/// skipped (no "Is a directory: Is a directory"), the OS's "(os error N)" suffix is dropped,
/// line breaks become "; ", and the line is cut at [`MAX_ERROR_CHARS`].
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = strip_os_error(&text);
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    let line = line
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    match line.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{} [...]", &line[..cut]),
        None => line,
    }
}

/// `text` without the OS's " (os error N)" notes.
fn strip_os_error(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" (os error ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + " (os error ".len()..];
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && tail[digits..].starts_with(')') {
            rest = &tail[digits + 1..];
        } else {
            out.push_str(" (os error ");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// A bad command-line value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct InputError(String);

/// The environment variable that sets the memory a run may use, in bytes, instead of what is
/// detected (the machine's available memory, or the room under the process's cgroup limit).
const MEMORY_LIMIT_VAR: &str = "DRIFTLAB_MEMORY_LIMIT";

/// The memory limit given in the environment, if any.
fn memory_limit() -> Result<Option<u64>, InputError> {
    match std::env::var(MEMORY_LIMIT_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Ok(v) if v.trim().parse::<u64>().is_ok_and(|n| n > 0) => Ok(v.trim().parse().ok()),
        Ok(_) | Err(std::env::VarError::NotUnicode(_)) => Err(InputError(format!(
            "{MEMORY_LIMIT_VAR} must be a positive number of bytes, e.g. 8000000000"
        ))),
    }
}

fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate {
            scenario: args,
            threads,
            memory_mib,
        } => {
            let scenario = args.load()?;
            // The plan `run` starts from: the same checks, and the estimate of the whole run.
            let mut experiment = Experiment::new(scenario.clone()).registry(Registry::new());
            if let Some(threads) = threads {
                experiment = experiment.threads(threads);
            }
            if let Some(bytes) = memory_limit()? {
                experiment = experiment.memory_limit(bytes);
            }
            let plan = experiment.plan()?;
            if memory_mib {
                println!("{}", plan.estimate.peak_bytes().div_ceil(1 << 20));
                return Ok(ExitCode::SUCCESS);
            }
            print!("{}", scenario.resolved_toml());
            let available = plan.available.map_or(String::new(), |b| {
                format!(" ({:.2} GiB available)", b as f64 / 1073741824.0)
            });
            eprintln!(
                "ok: scenario `{}` is valid (hash {}). Estimate on {} threads: {}{available}",
                scenario.spec().name,
                scenario.hash(),
                plan.threads,
                plan.estimate
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            scenario: args,
            out,
            threads,
            resume,
            overwrite,
            shard,
        } => {
            let scenario = args.load()?;
            run(scenario, &out, threads, (resume, overwrite), shard)
        }
        Command::Merge {
            shards,
            out,
            overwrite,
        } => match merge::merge(&out, &shards, overwrite) {
            Ok(Outcome::Finished(report)) => {
                let summary = if report.points.is_empty() {
                    "summary.md"
                } else {
                    "sweep.md"
                };
                println!(
                    "merged {} shard(s): {}",
                    shards.len(),
                    report.dir.join(summary).display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Ok(_) => Ok(ExitCode::FAILURE),
            // The list of problems in full, one a line (not cut like other errors).
            Err(e @ driftlab::Error::Refused(_)) => {
                eprintln!("error: {e}");
                Ok(ExitCode::from(2))
            }
            Err(e) => Err(e.into()),
        },
        Command::Report { results } => {
            // Every error names its file (and line), which holds the directory's path. A
            // sweep's directory (its points below it, no results of its own) is rebuilt whole.
            if results.join("sweep.json").is_file() && !results.join("manifest.json").exists() {
                let points = rewrite_sweep_report(&results)?;
                println!(
                    "sweep report: {} ({} points)",
                    results.join("sweep.md").display(),
                    points.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let stats = write_report(&results)?;
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
            z,
        } => {
            let criteria = Criteria {
                tolerance: tolerance.0,
                z: z.0,
            };
            let cmp = if exact {
                compare_exact(&a, &b)?
            } else {
                compare_statistical(&a, &b, criteria)?
            };
            let mode = if exact {
                "exact".to_string()
            } else {
                format!("statistical: {}", criteria.describe())
            };
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
        Command::ExportWorld {
            scenario: args,
            replicate,
            out,
            point,
        } => export_world(&args.load()?, point.as_deref(), replicate, &out),
        Command::List => {
            let mut last = String::new();
            for e in Registry::new().entries() {
                if e.category != last {
                    println!("\n{}:", plural(&e.category));
                    last.clone_from(&e.category);
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

/// `export-world`: the library's export, stopped by Ctrl-C (nothing is left at `out`).
fn export_world(
    scenario: &Scenario,
    point: Option<&str>,
    replicate: u32,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        });
    }
    let mut export = WorldExport::new(scenario, replicate).cancel_flag(Arc::clone(&cancel));
    if let Some(p) = point {
        export = export.point(p);
    }
    if let Some(bytes) = memory_limit()? {
        export = export.memory_limit(bytes);
    }
    match export.write(out) {
        Ok(done) => {
            let w = &done.written;
            println!(
                "world of replicate {replicate}: {} accounts, {} follows, {} communities in {}; \
                 import it with the [world.import] table of {}",
                w.accounts,
                w.edges,
                w.communities,
                done.dir.display(),
                done.dir.join("world.toml").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(_) if cancel.load(Ordering::SeqCst) => {
            eprintln!("interrupted: nothing was written to {}", out.display());
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Err(e) => Err(e.into()),
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

/// `policy` -> `policies`, `mitigation` -> `mitigations`.
fn plural(category: &str) -> String {
    match category.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{category}s"),
    }
}

/// Runs a scenario (every point of a sweep) through the library's [`Experiment`], with a
/// progress bar, Ctrl-C handling and the closing lines.
fn run(
    scenario: Scenario,
    out: &Path,
    threads: Option<usize>,
    (resume, overwrite): (bool, bool),
    shard: Option<Shard>,
) -> anyhow::Result<ExitCode> {
    let steps = scenario.spec().steps;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // First Ctrl-C: stop at the next step and keep what is saved; second: leave at once.
        // Installed once per process, so it holds for every point of a sweep.
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        });
    }
    let bar: Arc<Mutex<Option<ProgressBar>>> = Arc::new(Mutex::new(None));
    let listener = {
        let bar = Arc::clone(&bar);
        move |event: &Event| {
            let mut bar = bar.lock().unwrap_or_else(|e| e.into_inner());
            match event {
                Event::Point {
                    index,
                    total,
                    label,
                } => println!("== sweep point {index} of {total}: {label}"),
                Event::PointComplete { dir } => {
                    println!("already complete: {}", dir.display())
                }
                Event::PartDamaged { path } => eprintln!(
                    "warning: {} was damaged (changed, truncated or of another run); it is \
                     computed again",
                    path.display()
                ),
                Event::Jobs { name, done, total } => {
                    let b = progress(*total as u64);
                    b.set_message(name.clone());
                    b.set_position(*done as u64);
                    *bar = Some(b);
                }
                Event::JobDone => {
                    if let Some(b) = bar.as_ref() {
                        b.inc(1);
                    }
                }
                Event::JobsEnded => {
                    if let Some(b) = bar.take() {
                        b.finish_and_clear();
                    }
                }
                _ => {}
            }
        }
    };
    let mut experiment = Experiment::new(scenario)
        .out(out)
        .resume(resume)
        .overwrite(overwrite)
        .cancel_flag(cancel)
        .on_event(listener);
    if let Some(n) = threads {
        experiment = experiment.threads(n);
    }
    if let Some(shard) = shard {
        experiment = experiment.shard(shard);
    }
    if let Some(bytes) = memory_limit()? {
        experiment = experiment.memory_limit(bytes);
    }
    match experiment.run()? {
        Outcome::Interrupted(stop) => {
            eprintln!(
                "interrupted: {} of {} arm-replicates are saved in {}; continue with:\n  {} --out {} --resume",
                stop.saved,
                stop.total,
                stop.parts.display(),
                stop.command,
                out.display()
            );
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Outcome::Sharded(report) => {
            println!(
                "shard {}: {} of {} work units computed into {}; when every shard is done: \
                 driftlab merge --out DIR SHARD_DIR...",
                report.shard,
                report.units,
                report.total_units,
                report.dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Finished(report) if !report.points.is_empty() => {
            println!("sweep summary: {}", report.dir.join("sweep.md").display());
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Finished(report) => {
            for arm in &report.arms {
                let median = arm
                    .median_drift_step
                    .estimate
                    .map_or(format!(">{steps}"), |m| format!("{m:.0}"));
                println!(
                    "{:<36} drifted {:>5.1}%  median time-to-drift {:>5}  flagged share at last step {:>5.1}%",
                    arm.name,
                    100.0 * arm.drifted_share.estimate.unwrap_or(f64::NAN),
                    median,
                    100.0 * arm.final_flagged_share.estimate.unwrap_or(f64::NAN)
                );
            }
            println!(
                "results: {} ({:.1} s on {} threads)",
                report.dir.display(),
                report.wall_seconds,
                report.threads
            );
            Ok(ExitCode::SUCCESS)
        }
        other => anyhow::bail!("the run ended in an unexpected way: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_as_one_line_without_repeats() {
        let io = std::io::Error::from_raw_os_error(21);
        let err = anyhow::Error::new(io)
            .context("cannot read scenario /tmp: Is a directory (os error 21)");
        assert_eq!(one_line(&err), "cannot read scenario /tmp: Is a directory");
        let err = anyhow::anyhow!("inner\nsecond line").context("outer");
        assert_eq!(one_line(&err), "outer: inner; second line");
        let err = anyhow::anyhow!("k".repeat(100_000));
        assert!(one_line(&err).len() < MAX_ERROR_CHARS + 10);
        assert_eq!(
            strip_os_error("a (os error x) b (os error 2)"),
            "a (os error x) b"
        );
    }
}
