//! Merging shards (`driftlab merge --out DIR SHARD_DIR...`): the parts the shards of a run
//! computed ([`super::shard`]) are checked and assembled into the files an unsharded run
//! writes, byte for byte: `steps.csv`, `probes.csv`, the report and, for a sweep, every point
//! and the sweep summary.
//!
//! Each shard records, beside its parts, the run it belongs to: `.parts/identity.json` (version,
//! scenario hash, seed, build fingerprint), `.parts/scenario.resolved.toml` and `.parts/shard.json`
//! (the shard and the command of the run); a sweep's shard also `sweep-shard.json` (its points).
//! The merge refuses, with every problem listed, shards of different runs or builds (and a
//! merge by another build than the shards'), and parts that are missing, present in two shards,
//! damaged, or outside the run.

use super::{at, Outcome, RunReport, Shard};
use crate::analysis::input::{parse_json, read_bounded, MAX_MANIFEST_BYTES};
use crate::error::Error;
use crate::report::{point_json, read_sweep_points, write_report, write_sweep_summary};
use crate::results::identity::RunIdentity;
use crate::results::lock::DirLock;
use crate::results::output::{finalize, RunMeta, TableWriter};
use crate::results::parts::{is_whole, parse_part_name, PartStore};
use crate::scenario::sweep::GridPoint;
use crate::scenario::{Overrides, Scenario};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The file of a sweep's shard that lists the sweep's points (as `sweep.json` does).
pub const SWEEP_PLAN: &str = "sweep-shard.json";
/// What a shard records about itself in its parts directory.
const SHARD_RECORD: &str = "shard.json";
const RESOLVED: &str = "scenario.resolved.toml";
/// Problems listed before the rest are counted.
const MAX_LISTED: usize = 30;

/// The points of a sweep as [`SWEEP_PLAN`] holds them.
pub(crate) fn sweep_plan(name: &str, points: &[(GridPoint, Scenario)]) -> String {
    let params: Vec<&str> = points
        .first()
        .map(|(p, _)| p.assignments.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let json = json!({
        "scenario": name,
        "parameters": params,
        "points": points.iter().map(|(p, _)| point_json(p)).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
}

/// Records in `dir/.parts` what the merge needs of a shard's run: the resolved scenario and the
/// shard with the run's command.
pub(crate) fn write_shard_record(
    dir: &Path,
    scenario: &Scenario,
    shard: Shard,
    command: &str,
) -> Result<(), Error> {
    let parts = dir.join(".parts");
    let path = parts.join(RESOLVED);
    crate::atomic::write_atomic(&path, scenario.resolved_toml().as_bytes()).map_err(at(&path))?;
    // An imported world's files are named relative to the scenario's directory: the merge
    // reads the resolved scenario against that directory, not against the parts'.
    let base = scenario.base_dir();
    let base = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    let record = json!({
        "shard": shard.to_string(),
        "command": command,
        "base_dir": base.to_string_lossy(),
    });
    let path = parts.join(SHARD_RECORD);
    let text = serde_json::to_string_pretty(&record).unwrap_or_default() + "\n";
    crate::atomic::write_atomic(&path, text.as_bytes()).map_err(at(&path))
}

/// Problems found in the shards, listed together.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, p: String) {
        self.0.push(p);
    }

    /// `Err` listing the problems found so far (and forgetting them), if any.
    fn check(&mut self, what: &str) -> Result<(), Error> {
        let found = std::mem::take(&mut self.0);
        if found.is_empty() {
            return Ok(());
        }
        let n = found.len();
        let mut text = format!("cannot merge {what}: {n} problem(s)");
        for p in found.iter().take(MAX_LISTED) {
            text.push_str("\n  ");
            text.push_str(p);
        }
        if n > MAX_LISTED {
            text.push_str(&format!("\n  ... and {} more", n - MAX_LISTED));
        }
        Err(Error::Refused(text))
    }
}

/// The run directory (`<shard out>/<scenario name>`) of each shard: the one directory under it
/// that holds parts or a sweep's points. All shards must name the same run.
fn run_dirs(shards: &[PathBuf]) -> Result<(String, Vec<PathBuf>), Error> {
    if shards.is_empty() {
        return Err(Error::Refused(
            "merge: give the shards' --out directories".into(),
        ));
    }
    let mut problems = Problems::default();
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for shard in shards {
        let entries = match std::fs::read_dir(shard) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{}: cannot read it: {e}", shard.display()));
                continue;
            }
        };
        let mut runs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(".parts").is_dir() || p.join(SWEEP_PLAN).is_file())
            .collect();
        runs.sort();
        match runs.as_slice() {
            [one] => {
                let name = one.file_name().map(|n| n.to_string_lossy().into_owned());
                found.push((name.unwrap_or_default(), one.clone()));
            }
            [] => problems.push(format!(
                "{}: no shard's results in it (a directory with .parts/ or {SWEEP_PLAN}): give the --out of a `driftlab run --shard K/N`",
                shard.display()
            )),
            many => problems.push(format!(
                "{}: the results of {} runs; give one run's shards",
                shard.display(),
                many.len()
            )),
        }
    }
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    if let Some(first) = names.first() {
        if names.iter().any(|n| n != first) {
            problems.push(format!(
                "the shards are of different scenarios: {}",
                names.join(", ")
            ));
        }
    }
    let mut seen = BTreeMap::new();
    for (_, dir) in &found {
        let key = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if seen.insert(key, ()).is_some() {
            problems.push(format!("{} is given twice", dir.display()));
        }
    }
    problems.check("the shards")?;
    let name = names.first().map(|n| n.to_string()).unwrap_or_default();
    Ok((name, found.into_iter().map(|(_, d)| d).collect()))
}

/// Reads a small JSON file of a shard (bounded).
fn read_json(path: &Path) -> Result<serde_json::Value, Error> {
    let text = read_bounded(path, MAX_MANIFEST_BYTES, "the limit for a shard's record")
        .map_err(|e| Error::Refused(e.to_string()))?;
    parse_json(&text, path).map_err(|e| Error::Refused(e.to_string()))
}

/// One scenario's (or sweep point's) shards, checked: every part of the run in exactly one
/// shard, all of one run and of this build.
struct Checked {
    scenario: Scenario,
    command: String,
    parts: BTreeMap<(u32, usize), Vec<PathBuf>>,
    world: PathBuf,
}

/// Checks the shards of one scenario (or sweep point): `inputs` are each shard's directory of
/// it, `dest` where it will be merged (named in the errors).
fn check_one(inputs: &[PathBuf], dest: &Path) -> Result<Checked, Error> {
    let mut problems = Problems::default();
    let mut identities = Vec::new();
    for dir in inputs {
        let path = dir.join(".parts/identity.json");
        match read_json(&path).and_then(|v| {
            serde_json::from_value::<RunIdentity>(v)
                .map_err(|e| Error::Refused(format!("{}: {e}", path.display())))
        }) {
            Ok(id) => identities.push(id),
            Err(e) => problems.push(e.to_string()),
        }
    }
    problems.check(&dest.display().to_string())?;
    let first = &identities[0];
    for (dir, id) in inputs.iter().zip(&identities).skip(1) {
        if id != first {
            problems.push(format!(
                "{} is of another run or build ({}) than {} ({})",
                dir.display(),
                id.word(),
                inputs[0].display(),
                first.word()
            ));
        }
    }
    problems.check(&dest.display().to_string())?;
    let record = read_json(&inputs[0].join(".parts").join(SHARD_RECORD))?;
    let command = record["command"].as_str().unwrap_or_default().to_string();
    let resolved = inputs[0].join(".parts").join(RESOLVED);
    let text = read_bounded(&resolved, MAX_MANIFEST_BYTES, "the limit for a scenario")
        .map_err(|e| Error::Refused(e.to_string()))?;
    let base = record["base_dir"]
        .as_str()
        .map(PathBuf::from)
        .unwrap_or_else(|| resolved.parent().map(Path::to_path_buf).unwrap_or_default());
    let origin = resolved.display().to_string();
    let scenario = Scenario::from_toml_str(&text, &origin, &base, &Overrides::default())?;
    let ours = RunIdentity::of(&scenario);
    if &ours != first {
        return Err(Error::Refused(format!(
            "the shards in {} were computed as {} but this driftlab merges as {}: merge with the \
             build that computed them",
            inputs[0].display(),
            first.word(),
            ours.word()
        )));
    }

    // Every part of the run must be in exactly one shard, whole.
    let spec = scenario.spec();
    let mut owners: BTreeMap<(u32, usize), Vec<PathBuf>> = BTreeMap::new();
    let mut world = None;
    for dir in inputs {
        let parts = dir.join(".parts");
        let mut names: Vec<String> = match std::fs::read_dir(&parts) {
            Ok(e) => e
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(e) => {
                problems.push(format!("{}: cannot read it: {e}", parts.display()));
                continue;
            }
        };
        names.sort();
        for name in names {
            let path = parts.join(&name);
            match parse_part_name(&name) {
                Some((r, a)) if r < spec.replicates && a < spec.arms.len() => {
                    owners.entry((r, a)).or_default().push(path);
                }
                Some(_) => problems.push(format!(
                    "{}: a part outside the run ({} replicates x {} arms)",
                    path.display(),
                    spec.replicates,
                    spec.arms.len()
                )),
                None if name == "world.json" => world = Some(path),
                None if ["identity.json", RESOLVED, SHARD_RECORD].contains(&name.as_str())
                    || crate::atomic::is_temporary(&name) => {}
                None => problems.push(format!("{}: not a file of a shard", path.display())),
            }
        }
    }
    for r in 0..spec.replicates {
        for a in 0..spec.arms.len() {
            match owners.get(&(r, a)).map(Vec::as_slice) {
                None | Some([]) => problems.push(format!(
                    "replicate {r}, arm `{}`: missing from every shard (run its shard again with --resume)",
                    spec.arms[a].name
                )),
                Some([one]) if !is_whole(one, &ours.word()) => problems.push(format!(
                    "{}: damaged (checksum) or not of this run",
                    one.display()
                )),
                Some([_]) => {}
                Some(many) => problems.push(format!(
                    "replicate {r}, arm `{}`: in {} shards ({})",
                    spec.arms[a].name,
                    many.len(),
                    many.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                )),
            }
        }
    }
    let Some(world) = world else {
        problems.push("no shard recorded replicate 0's world (world.json)".into());
        return Err(problems.check(&dest.display().to_string()).unwrap_err());
    };
    problems.check(&dest.display().to_string())?;
    Ok(Checked {
        scenario,
        command,
        parts: owners,
        world,
    })
}

/// Writes the checked shards of one scenario (or sweep point) into `dest` as an unsharded run
/// does; returns the report's figures.
fn write_one(
    checked: &Checked,
    dest: &Path,
    overwrite: bool,
) -> Result<Vec<crate::analysis::summary::ArmStats>, Error> {
    let start = Instant::now();
    let scenario = &checked.scenario;
    std::fs::create_dir_all(dest).map_err(at(dest))?;
    let _lock = DirLock::acquire(dest)?;
    crate::atomic::remove_temporaries(dest).map_err(at(dest))?;
    if dest.join("manifest.json").exists() && !overwrite {
        return Err(Error::Refused(format!(
            "{} holds the results of an earlier run; pass --overwrite to replace them",
            dest.display()
        )));
    }
    let store = PartStore::open(dest, scenario, false)?;
    for ((r, a), paths) in &checked.parts {
        store.adopt(*r, *a, &paths[0])?;
    }
    store.adopt_world(&checked.world)?;
    let meta = RunMeta {
        threads: 1,
        wall_seconds: start.elapsed().as_secs_f64(),
        command: checked.command.clone(),
        argv: std::env::args().collect::<Vec<_>>().join(" "),
        resumed: false,
    };
    let mut tables = TableWriter::create(dest).map_err(at(dest))?;
    store.assemble(|s, p| tables.append(s, p).map_err(at(dest)))?;
    let stats = store.world_stats().unwrap_or_default();
    finalize(dest, scenario, tables, &stats, &meta).map_err(at(dest))?;
    store.remove()?;
    Ok(write_report(dest)?)
}

/// Merges the shards whose `--out` directories are `shards` into `<out>/<scenario name>/`:
/// the files of the unsharded run (for a sweep, every point and the sweep summary).
pub fn merge(out: &Path, shards: &[PathBuf], overwrite: bool) -> Result<Outcome, Error> {
    let start = Instant::now();
    let (name, runs) = run_dirs(shards)?;
    let base = out.join(&name);
    // Merging into a shard's own directory would replace its parts before they are read.
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    if let Some(run) = runs.iter().find(|r| canonical(r) == canonical(&base)) {
        return Err(Error::Refused(format!(
            "cannot merge into {}: it is a shard's own directory; give another --out",
            run.display()
        )));
    }
    let sweep = runs.iter().any(|d| d.join(SWEEP_PLAN).is_file());
    if !sweep {
        let checked = check_one(&runs, &base)?;
        let arms = write_one(&checked, &base, overwrite)?;
        return Ok(Outcome::Finished(RunReport {
            dir: base,
            arms,
            wall_seconds: start.elapsed().as_secs_f64(),
            threads: 1,
            points: Vec::new(),
        }));
    }
    let plan_text = |d: &Path| std::fs::read(d.join(SWEEP_PLAN)).ok();
    let first = plan_text(&runs[0]);
    if first.is_none() || runs.iter().any(|d| plan_text(d) != first) {
        return Err(Error::Refused(format!(
            "cannot merge the shards: they do not all hold the same sweep ({SWEEP_PLAN} missing or different in {})",
            runs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    }
    let (_, points) =
        read_sweep_points(&runs[0].join(SWEEP_PLAN)).map_err(|e| Error::Report(e.into()))?;
    // Every point is checked before anything is written, and every point's problems listed.
    let mut checked = Vec::with_capacity(points.len());
    let mut refused = Vec::new();
    for p in &points {
        let inputs: Vec<PathBuf> = runs.iter().map(|d| d.join(p.name())).collect();
        match check_one(&inputs, &base.join(p.name())) {
            Ok(c) => checked.push(c),
            Err(Error::Refused(text)) => refused.push(text),
            Err(e) => return Err(e),
        }
    }
    if !refused.is_empty() {
        return Err(Error::Refused(refused.join("\n")));
    }
    std::fs::create_dir_all(&base).map_err(at(&base))?;
    let mut results = Vec::with_capacity(points.len());
    for (p, checked) in points.into_iter().zip(&checked) {
        let arms = write_one(checked, &base.join(p.name()), overwrite)?;
        results.push((p, arms));
    }
    let _lock = DirLock::acquire(&base)?;
    write_sweep_summary(&base, &name, &results)?;
    Ok(Outcome::Finished(RunReport {
        dir: base,
        arms: results.last().map(|(_, a)| a.clone()).unwrap_or_default(),
        wall_seconds: start.elapsed().as_secs_f64(),
        threads: 1,
        points: results,
    }))
}
