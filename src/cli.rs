//! The command-line edge: argument parsing, progress bar, exit codes. The only module besides
//! `main.rs` that prints; everything else is library code.

use anyhow::Context;
use clap::{Parser, Subcommand};
use driftlab::experiment::output::{write_results, RunMeta};
use driftlab::experiment::{self, summary::summarize};
use driftlab::scenario::{Overrides, Scenario, ScenarioError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Measure how fast a recommender pulls ordinary accounts toward a flagged cluster, and which
/// mitigation slows it down.
#[derive(Debug, Parser)]
#[command(name = "driftlab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario (the embedded quickstart when no file is given) and write its results.
    Run {
        /// Scenario file (TOML).
        scenario: Option<PathBuf>,
        /// Results directory; results go to DIR/<scenario name>/.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Override the scenario's master seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the number of replicates.
        #[arg(long)]
        replicates: Option<u32>,
    },
    /// Parse and check a scenario without running it; print the resolved scenario.
    Validate {
        /// Scenario file (TOML); the embedded quickstart when omitted.
        scenario: Option<PathBuf>,
    },
}

/// Exit code for invalid input (scenario or arguments).
const EXIT_INPUT: u8 = 2;

fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    match path {
        Some(p) => Scenario::load(p, overrides),
        None => Scenario::quickstart(overrides),
    }
}

/// Runs the parsed command line and maps failures to exit codes: 2 for bad input, 1 otherwise.
pub fn main(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            let input = err
                .chain()
                .any(|e| e.is::<ScenarioError>() || e.is::<driftlab::world::WorldError>());
            ExitCode::from(if input { EXIT_INPUT } else { 1 })
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Validate { scenario } => {
            let scenario = load(scenario.as_deref(), &Overrides::default())?;
            print!("{}", scenario.resolved_toml());
            eprintln!(
                "ok: scenario `{}` is valid (hash {})",
                scenario.spec().name,
                scenario.hash()
            );
            Ok(())
        }
        Command::Run {
            scenario,
            out,
            threads,
            seed,
            replicates,
        } => {
            let overrides = Overrides {
                seed,
                replicates,
                sets: Vec::new(),
            };
            let scenario = load(scenario.as_deref(), &overrides)?;
            run(&scenario, &out, threads)
        }
    }
}

fn run(scenario: &Scenario, out: &Path, threads: Option<usize>) -> anyhow::Result<()> {
    let threads = match threads {
        Some(0) => anyhow::bail!("--threads must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the worker pool")?;
    let spec = scenario.spec();
    let jobs = u64::from(spec.replicates) * spec.arms.len() as u64;
    let bar = ProgressBar::with_draw_target(
        Some(jobs),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} arm-replicates, {elapsed} elapsed, eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(spec.name.clone());
    let start = Instant::now();
    let result = pool.install(|| experiment::run(scenario, &|| bar.inc(1)))?;
    bar.finish_and_clear();
    let meta = RunMeta {
        threads,
        wall_seconds: start.elapsed().as_secs_f64(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        argv: String::new(),
        resumed: false,
    };
    let dir = write_results(out, scenario, &result, &meta)
        .with_context(|| format!("writing results to {}", out.display()))?;
    for arm in summarize(&result) {
        let median = arm
            .median_drift_step
            .map_or(format!(">{}", spec.steps), |m| m.to_string());
        println!(
            "{:<36} drifted {:>5.1}%  median time-to-drift {:>5}  flagged share at last step {:>5.1}%",
            arm.name,
            100.0 * arm.drifted_share,
            median,
            100.0 * arm.final_flagged_share
        );
    }
    println!(
        "results: {} ({:.1} s on {threads} threads)",
        dir.display(),
        meta.wall_seconds
    );
    Ok(())
}
