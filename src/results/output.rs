//! Writing results: `manifest.json`, `scenario.resolved.toml`, `steps.csv`, `probes.csv` and
//! `summary.md` under `<out>/<scenario name>/`. Every file is written to a temporary name and
//! renamed into place, so a reader never sees half a file. Nothing here depends on wall time
//! except the manifest, so the CSVs and the summary are byte-identical across reruns.

use crate::atomic::write_named;
use crate::engine::ArmRun;
use crate::experiment::jobs::{ExperimentResult, WorldStats};
use crate::metrics;
use crate::scenario::spec::ScenarioSpec;
use crate::scenario::Scenario;
use serde_json::json;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// Facts about the run that are not part of the results.
#[derive(Clone, Debug)]
pub struct RunMeta {
    /// Worker threads used.
    pub threads: usize,
    /// Wall time of the simulation in seconds (this invocation only, when resumed).
    pub wall_seconds: f64,
    /// The command that reproduces the results (scenario, overrides, seed, replicates).
    pub command: String,
    /// The command line actually typed.
    pub argv: String,
    /// Whether this invocation resumed an interrupted run.
    pub resumed: bool,
}

/// Writes the final files of a run from the bodies of `steps.csv` and `probes.csv` (its parts
/// assembled in job order), `scenario.resolved.toml` and `manifest.json`. The report is built separately
/// from these files.
pub fn finalize(
    dir: &Path,
    scenario: &Scenario,
    (steps, probes): (&str, &str),
    world: &WorldStats,
    meta: &RunMeta,
) -> io::Result<()> {
    let spec = scenario.spec();
    write_named(&dir.join("steps.csv"), (steps_header() + steps).as_bytes())?;
    write_named(
        &dir.join("probes.csv"),
        (String::from(PROBES_HEADER) + probes).as_bytes(),
    )?;
    write_named(
        &dir.join("scenario.resolved.toml"),
        scenario.resolved_toml().as_bytes(),
    )?;
    let resolved: serde_json::Value = serde_json::to_value(spec).map_err(io::Error::other)?;
    let manifest = json!({
        "driftlab_version": env!("CARGO_PKG_VERSION"),
        "scenario": spec.name,
        "scenario_origin": scenario.origin(),
        "scenario_hash": scenario.hash(),
        "seed": spec.seed,
        "replicates": spec.replicates,
        "steps": spec.steps,
        "threads": meta.threads,
        "wall_seconds": meta.wall_seconds,
        "resumed": meta.resumed,
        "command": meta.command,
        "argv": meta.argv,
        "rng": "ChaCha8 (rand_chacha), seed tree per (replicate, subsystem, agent)",
        "arms": spec.arms.iter().map(|a| json!({
            "name": a.name,
            "mitigations": a.mitigations.iter().map(|m| m.kind()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "world": world,
        "resolved_scenario": resolved,
    });
    let manifest = serde_json::to_string_pretty(&manifest).map_err(io::Error::other)?;
    write_named(
        &dir.join("manifest.json"),
        format!("{manifest}\n").as_bytes(),
    )
}

/// Appends a float cell: six decimals, empty for NaN (written in place, no allocation).
fn push_num(out: &mut String, x: f64) {
    if x.is_finite() {
        let _ = write!(out, "{x:.6}");
    }
}

/// Header of `steps.csv` ([`metrics::STEPS_HEADER`]).
pub fn steps_header() -> String {
    String::from(metrics::STEPS_HEADER)
}

/// Header of `probes.csv` ([`metrics::PROBES_HEADER`]).
pub const PROBES_HEADER: &str = metrics::PROBES_HEADER;

/// The `steps.csv` rows of one (arm, replicate): the columns of [`metrics::STEP_METRICS`].
pub(crate) fn steps_rows(arm: &str, replicate: u32, run: &ArmRun) -> String {
    // About ten bytes a cell: one allocation for the whole block in the common case.
    let row_len = arm.len() + 16 + 10 * metrics::STEP_METRICS.len();
    let mut out = String::with_capacity(run.steps.len() * row_len);
    for row in &run.steps {
        let _ = write!(out, "{arm},{replicate},{}", row.step);
        for m in metrics::STEP_METRICS {
            out.push(',');
            push_num(&mut out, (m.value)(row));
        }
        out.push('\n');
    }
    out
}

/// The `probes.csv` rows of one (arm, replicate): the identity columns, then the columns of
/// [`metrics::PROBE_METRICS`].
pub(crate) fn probes_rows(spec: &ScenarioSpec, arm: &str, replicate: u32, run: &ArmRun) -> String {
    let mut out = String::new();
    for p in &run.probes {
        let _ = write!(
            out,
            "{arm},{replicate},{},{},{}",
            p.probe, spec.probes[p.group].name, p.community.0
        );
        for m in metrics::PROBE_METRICS {
            out.push(',');
            if let Some(v) = (m.value)(p, spec.steps) {
                let _ = write!(out, "{v}");
            }
        }
        out.push('\n');
    }
    out
}

/// `steps.csv` of an in-memory result: rows ordered by arm, then replicate, then step.
pub fn steps_csv(result: &ExperimentResult) -> String {
    let mut out = steps_header();
    for (a, arm) in result.arms.iter().enumerate() {
        for (r, runs) in result.runs.iter().enumerate() {
            out.push_str(&steps_rows(arm, r as u32, &runs[a]));
        }
    }
    out
}

/// `probes.csv` of an in-memory result: rows ordered by arm, then replicate, then probe.
pub fn probes_csv(scenario: &Scenario, result: &ExperimentResult) -> String {
    let mut out = String::from(PROBES_HEADER);
    for (a, arm) in result.arms.iter().enumerate() {
        for (r, runs) in result.runs.iter().enumerate() {
            out.push_str(&probes_rows(scenario.spec(), arm, r as u32, &runs[a]));
        }
    }
    out
}
