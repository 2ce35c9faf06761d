//! Writing results: `manifest.json`, `scenario.resolved.toml`, `steps.csv`, `probes.csv` and
//! `summary.md` under `<out>/<scenario name>/`. Every file is written to a temporary name and
//! renamed into place, so a reader never sees half a file. Nothing here depends on wall time
//! except the manifest, so the CSVs and the summary are byte-identical across reruns.

use super::jobs::{ExperimentResult, WorldStats};
use crate::atomic::write_atomic;
use crate::engine::ArmRun;
use crate::policy::Surface;
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
    write_atomic(&dir.join("steps.csv"), (steps_header() + steps).as_bytes())?;
    write_atomic(
        &dir.join("probes.csv"),
        (String::from(PROBES_HEADER) + probes).as_bytes(),
    )?;
    write_atomic(
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
    write_atomic(
        &dir.join("manifest.json"),
        format!("{manifest}\n").as_bytes(),
    )
}

/// A float for CSV: six decimals, empty for NaN.
fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        String::new()
    }
}

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// Header of `steps.csv`.
pub fn steps_header() -> String {
    let mut out = String::from("arm,replicate,step,impressions,flagged_share");
    for s in Surface::ALL {
        let _ = write!(out, ",flagged_share_{}", s.name());
    }
    for s in Surface::ALL {
        let _ = write!(out, ",flagged_impressions_{}", s.name());
    }
    out.push_str(",flagged_follows,hops_to_flagged,unreachable,profile_cosine,drifted");
    out.push_str(",panel_relevance,panel_engagement,panel_flagged_share,panel_reach");
    out.push_str(",benign_labelled,flagged_labelled,population_flagged_share\n");
    out
}

/// Header of `probes.csv`.
pub const PROBES_HEADER: &str = "arm,replicate,probe,persona,start_community,first_flagged_step,first_flagged_follow_step,drift_step,censored\n";

/// The `steps.csv` rows of one (arm, replicate).
pub(crate) fn steps_rows(arm: &str, replicate: u32, run: &ArmRun) -> String {
    let mut out = String::new();
    for row in &run.steps {
        let _ = write!(
            out,
            "{arm},{replicate},{},{},{}",
            row.step,
            num(row.impressions),
            num(row.flagged_share)
        );
        for x in row.surface_share.iter().chain(&row.surface_flagged) {
            let _ = write!(out, ",{}", num(*x));
        }
        let _ = writeln!(
            out,
            ",{},{},{},{},{},{},{},{},{},{},{},{}",
            num(row.flagged_follows),
            num(row.hops_to_flagged),
            num(row.unreachable),
            num(row.profile_cosine),
            num(row.drifted),
            num(row.panel.relevance),
            num(row.panel.engagement),
            num(row.panel.flagged_share),
            num(row.panel.reach),
            num(row.benign_labelled),
            num(row.flagged_labelled),
            num(row.population_flagged_share)
        );
    }
    out
}

/// The `probes.csv` rows of one (arm, replicate). `drift_step` is the horizon when `censored`
/// is 1 (survival-analysis convention: time and event flag).
pub(crate) fn probes_rows(spec: &ScenarioSpec, arm: &str, replicate: u32, run: &ArmRun) -> String {
    let mut out = String::new();
    for p in &run.probes {
        let _ = writeln!(
            out,
            "{arm},{replicate},{},{},{},{},{},{},{}",
            p.probe,
            spec.probes[p.group].name,
            p.community.0,
            opt(p.first_flagged_step),
            opt(p.first_flagged_follow_step),
            p.drift_step.unwrap_or(spec.steps),
            u8::from(p.drift_step.is_none())
        );
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
