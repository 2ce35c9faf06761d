//! Writing results: `manifest.json`, `scenario.resolved.toml`, `steps.csv`, `probes.csv` and
//! `summary.md` under `<out>/<scenario name>/`. Every file is written to a temporary name and
//! renamed into place, so a reader never sees half a file. Nothing here depends on wall time
//! except the manifest, so the CSVs and the summary are byte-identical across reruns.

use crate::analysis::tables::{ProbeRecord, ResultTables, StepRecord};
use crate::atomic::{write_named, AtomicFile};
use crate::engine::ArmRun;
use crate::experiment::jobs::{ExperimentResult, WorldStats};
use crate::metrics;
use crate::scenario::spec::ScenarioSpec;
use crate::scenario::Scenario;
use serde_json::json;
use std::fmt::Write as _;
use std::io::{self, Write as _};
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

/// The final tables of a run (`steps.csv`, `probes.csv` and, with the `parquet` feature,
/// `steps.parquet` and `probes.parquet`), written by streaming: each part's rows are appended
/// as they are read, through a buffer, to temporary files that [`finalize`] flushes to disk and
/// renames into place (as every file of a run is written), so the whole table is never held
/// in memory. Dropped before that, it removes its temporaries and leaves the directory as it
/// was.
pub struct TableWriter {
    steps: AtomicFile,
    probes: AtomicFile,
    #[cfg(feature = "parquet")]
    parquet: super::parquet_files::ParquetTables,
}

fn named(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
}

impl TableWriter {
    /// Starts the tables of the results directory `dir`: their headers are written.
    pub fn create(dir: &Path) -> io::Result<Self> {
        let start = |name: &str, header: &str| {
            let path = dir.join(name);
            let mut file = AtomicFile::create(&path).map_err(named(&path))?;
            file.write_all(header.as_bytes()).map_err(named(&path))?;
            Ok::<_, io::Error>(file)
        };
        Ok(Self {
            steps: start("steps.csv", metrics::STEPS_HEADER)?,
            probes: start("probes.csv", PROBES_HEADER)?,
            #[cfg(feature = "parquet")]
            parquet: super::parquet_files::ParquetTables::create(dir)?,
        })
    }

    /// Appends the rows of one part: bodies of `steps.csv` and `probes.csv` (no header), in
    /// job order.
    pub fn append(&mut self, steps: &str, probes: &str) -> io::Result<()> {
        let (s, p) = (&mut self.steps, &mut self.probes);
        let path = s.path().to_path_buf();
        s.write_all(steps.as_bytes()).map_err(named(&path))?;
        let path = p.path().to_path_buf();
        p.write_all(probes.as_bytes()).map_err(named(&path))?;
        #[cfg(feature = "parquet")]
        self.parquet.append(steps, probes)?;
        Ok(())
    }

    /// Flushes every table to disk and renames it into place.
    fn commit(self) -> io::Result<()> {
        for file in [self.steps, self.probes] {
            let path = file.path().to_path_buf();
            file.commit().map_err(named(&path))?;
        }
        #[cfg(feature = "parquet")]
        self.parquet.commit()?;
        Ok(())
    }
}

/// Writes the final files of a run: the tables streamed into `tables` (its parts appended in
/// job order), then `scenario.resolved.toml` and, last, `manifest.json`. The report is built
/// separately from these files.
pub fn finalize(
    dir: &Path,
    scenario: &Scenario,
    tables: TableWriter,
    world: &WorldStats,
    meta: &RunMeta,
) -> io::Result<()> {
    let spec = scenario.spec();
    tables.commit()?;
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

/// The tables a run of `scenario` that gave `result` writes, as [`ResultTables::load`] reads them
/// back, without writing or parsing any text: the rows in the files' order (arm, replicate,
/// then step or probe) and every step metric at the six decimals `steps.csv` keeps
/// ([`csv_value`]), so the summary of these tables is the summary of the written files.
pub fn tables(scenario: &Scenario, result: &ExperimentResult) -> ResultTables {
    let spec = scenario.spec();
    let mut steps = Vec::new();
    let mut probes = Vec::new();
    for arm in 0..result.arms.len() {
        for (replicate, runs) in result.runs.iter().enumerate() {
            let run = &runs[arm];
            steps.extend(run.steps.iter().map(|row| StepRecord {
                arm,
                replicate: replicate as u32,
                step: row.step,
                values: std::array::from_fn(|m| csv_value((metrics::STEP_METRICS[m].value)(row))),
            }));
            probes.extend(run.probes.iter().map(|p| ProbeRecord {
                arm,
                replicate: replicate as u32,
                probe: p.probe,
                persona: spec.probes[p.group].name.clone(),
                start_community: p.community.0,
                first_flagged_step: p.first_flagged_step,
                first_flagged_follow_step: p.first_flagged_follow_step,
                drift_step: p.drift_step.unwrap_or(spec.steps),
                censored: p.drift_step.is_none(),
            }));
        }
    }
    ResultTables {
        arms: result.arms.clone(),
        steps,
        probes,
    }
}

/// A step metric as `steps.csv` holds it and [`ResultTables::load`] reads it back: rounded to
/// six decimals (the nearest `f64` to the written decimal), NaN for an empty cell (any value
/// that is not finite). Exact: where `x * 1e6` may sit too close to a rounding boundary for
/// floating-point rounding to be sure, the cell is formatted and parsed as the writer and the
/// reader do.
pub fn csv_value(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    let scaled = x * 1e6;
    // The product's error is below 2^-52 of it: under 1e-6 for |scaled| < 1e9, far from a
    // distance of 1e-3 to the half-way point.
    if scaled.abs() < 1e9 && ((scaled - scaled.trunc()).abs() - 0.5).abs() > 1e-3 {
        // An integer over 1e6, both exact: the division gives the nearest f64 to the decimal.
        return scaled.round() / 1e6;
    }
    format!("{x:.6}").parse().unwrap_or(f64::NAN)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `csv_value` is the writer's six decimals read back, bit for bit, boundaries included.
    #[test]
    fn csv_value_is_the_written_cell_read_back() {
        let mut values = vec![
            0.0, -0.0, 1.0, -1.0, 0.5, 1e-7, -4e-7, 5e-7, 0.0000005, 2.5e-6,
        ];
        values.extend([
            123456.7890125,
            0.1234565,
            1e12,
            -3.0e9,
            f64::MAX,
            f64::MIN_POSITIVE,
        ]);
        let mut x = 0.000_123_456_789_f64;
        for _ in 0..20_000 {
            values.push(x);
            values.push(-x);
            values.push((x * 1e6).trunc() / 1e6 + 5e-7);
            x = (x * 1.618_033_988_749_895 + 0.000_37) % 97.0;
        }
        for v in values {
            let read: f64 = format!("{v:.6}").parse().unwrap();
            assert_eq!(csv_value(v).to_bits(), read.to_bits(), "{v:e}");
        }
        assert!(csv_value(f64::NAN).is_nan() && csv_value(f64::INFINITY).is_nan());
    }

    /// The tables of an in-memory run are the tables its files hold, read back.
    #[test]
    fn tables_of_a_result_are_its_files_read_back() {
        use crate::experiment::{Experiment, Outcome};
        use crate::scenario::Overrides;
        let scenario = Scenario::load(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/smoke.toml")),
            &Overrides {
                sets: vec!["steps=8".into(), "replicates=2".into()],
                ..Overrides::default()
            },
        )
        .unwrap();
        let out = std::env::temp_dir().join(format!("driftlab-tables-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let experiment = Experiment::new(scenario.clone()).threads(2).out(&out);
        let Outcome::Finished(report) = experiment.run().unwrap() else {
            panic!("interrupted")
        };
        let read = ResultTables::load(&report.dir).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        let result = experiment.run_in_memory().unwrap();
        let built = tables(&scenario, &result);
        assert_eq!(built.arms, read.arms);
        assert_eq!(built.probes, read.probes);
        assert_eq!(built.steps.len(), read.steps.len());
        for (b, r) in built.steps.iter().zip(&read.steps) {
            assert_eq!((b.arm, b.replicate, b.step), (r.arm, r.replicate, r.step));
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            // NaN cells are NaN on both sides (bit patterns of NaN may differ).
            let nan = |v: &[f64]| v.iter().map(|x| x.is_nan()).collect::<Vec<_>>();
            assert_eq!(nan(&b.values), nan(&r.values));
            let finite = |v: &[f64]| {
                bits(
                    &v.iter()
                        .map(|x| if x.is_nan() { 0.0 } else { *x })
                        .collect::<Vec<_>>(),
                )
            };
            assert_eq!(finite(&b.values), finite(&r.values));
        }
    }
}
