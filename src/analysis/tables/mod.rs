//! Results read back from `steps.csv` and `probes.csv`. Reports are always built from these
//! files, never from memory, so `run`, `run --resume` and `report` produce the same summary.

pub use super::input::TableError;
use super::input::{check_results_dir, read_bounded, read_manifest_text, shown, RunShape};
use crate::metrics;
use crate::scenario::{is_valid_name, NAME_RULE};
use serde_json::Value;
use std::path::Path;

/// Per-step metric columns of `steps.csv`, after `arm,replicate,step`: the column names of
/// [`metrics::STEP_METRICS`], whose order the `values` of a [`StepRecord`] follow.
pub const STEP_METRICS: [&str; metrics::STEP_METRICS.len()] = metrics::step_columns();

/// One row of `steps.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    /// Arm index (in the manifest's order).
    pub arm: usize,
    /// Replicate.
    pub replicate: u32,
    /// Step.
    pub step: u32,
    /// Metric values in [`STEP_METRICS`] order (NaN where empty).
    pub values: [f64; STEP_METRICS.len()],
}

/// One row of `probes.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRecord {
    /// Arm index.
    pub arm: usize,
    /// Replicate.
    pub replicate: u32,
    /// Probe index.
    pub probe: u32,
    /// Persona name.
    pub persona: String,
    /// The community the probe started in.
    pub start_community: u32,
    /// First step with a flagged impression.
    pub first_flagged_step: Option<u32>,
    /// First step following a flagged account.
    pub first_flagged_follow_step: Option<u32>,
    /// Time-to-drift, or the horizon when censored.
    pub drift_step: u32,
    /// Whether the probe never drifted.
    pub censored: bool,
}

/// Both result tables of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultTables {
    /// Arm names, in the manifest's order.
    pub arms: Vec<String>,
    /// `steps.csv` rows.
    pub steps: Vec<StepRecord>,
    /// `probes.csv` rows.
    pub probes: Vec<ProbeRecord>,
}

/// Fields of a `probes.csv` line, and where the outcomes are among them (after the identity
/// columns `arm,replicate,probe,persona,start_community`), looked up in the schema.
const PROBE_FIELDS: usize = metrics::PROBE_IDENTITY.len() + metrics::PROBE_METRICS.len();
const PERSONA: usize = 3;
const START_COMMUNITY: usize = 4;
const FIRST_FLAGGED: usize = probe_field("first_flagged_step");
const FIRST_FLAGGED_FOLLOW: usize = probe_field("first_flagged_follow_step");
const DRIFT_STEP: usize = probe_field("drift_step");
const CENSORED: usize = probe_field("censored");
/// Every outcome field the reader reads (a test checks it is every column the writer writes).
#[cfg(test)]
const PROBE_FIELDS_READ: [usize; 4] = [FIRST_FLAGGED, FIRST_FLAGGED_FOLLOW, DRIFT_STEP, CENSORED];

const fn probe_field(name: &str) -> usize {
    metrics::PROBE_IDENTITY.len() + metrics::probe_column(name)
}

/// A results directory read as input and checked: its manifest, the run's shape, the tables as
/// written (for byte comparison) and as parsed.
pub(crate) struct ResultsDir {
    /// `manifest.json`.
    pub manifest: Value,
    /// `steps.csv` as written.
    pub steps: String,
    /// `probes.csv` as written.
    pub probes: String,
    /// Both tables, parsed.
    pub tables: ResultTables,
    /// The shape the manifest states.
    pub shape: RunShape,
}

impl ResultsDir {
    /// Reads `manifest.json`, then `steps.csv` and `probes.csv` within the bounds the manifest
    /// implies, and checks every row against it (see [`super::input`]).
    pub(crate) fn read(dir: &Path) -> Result<Self, TableError> {
        check_results_dir(dir)?;
        let (manifest, text) = read_manifest_text(dir)?;
        let shape = RunShape::from_manifest(&manifest, &text, &dir.join("manifest.json"))?;
        let why = |rows: u128, what: &str| {
            format!(
                "the most the manifest's {rows} rows ({}) can take",
                dims(&shape, what)
            )
        };
        let steps = read_bounded(
            &dir.join("steps.csv"),
            shape.steps_bytes(metrics::STEPS_HEADER, STEP_METRICS.len()),
            &why(shape.step_rows(), "steps"),
        )?;
        let probes = read_bounded(
            &dir.join("probes.csv"),
            shape.probes_bytes(metrics::PROBES_HEADER, PROBE_FIELDS),
            &why(shape.probe_rows(), "probes"),
        )?;
        let tables = ResultTables::parse(&steps, &probes, &shape, dir)?;
        Ok(Self {
            manifest,
            steps,
            probes,
            tables,
            shape,
        })
    }
}

/// "2 arms x 3 replicates x 30 steps".
fn dims(shape: &RunShape, what: &str) -> String {
    let third = if what == "steps" {
        shape.steps
    } else {
        shape.probes()
    };
    format!(
        "{} arms x {} replicates x {third} {what}",
        shape.arms.len(),
        shape.replicates
    )
}

/// The data lines of a table, numbered from 2, after checking that the file is not empty, ends
/// with a line break (a truncated last line does not) and starts with the header driftlab
/// writes.
fn data_lines<'a>(
    text: &'a str,
    header: &str,
    path: &Path,
    expected: &str,
) -> Result<Vec<(usize, &'a str)>, TableError> {
    let err = |line: usize, message: String| TableError {
        path: path.to_path_buf(),
        line,
        message,
    };
    if text.is_empty() {
        return Err(err(
            0,
            format!("it is empty: expected a header line and {expected}"),
        ));
    }
    let Some(body) = text.strip_suffix('\n') else {
        return Err(err(
            text.matches('\n').count() + 1,
            "the last line has no line break: the file was cut short (or appended to)".into(),
        ));
    };
    let mut lines = body.split('\n');
    let header = header.trim_end_matches('\n');
    if lines.next() != Some(header) {
        let columns: Vec<&str> = header.split(',').collect();
        return Err(err(
            1,
            format!(
                "not the header driftlab writes: expected `{},...,{}` ({} columns)",
                columns[..3].join(","),
                columns[columns.len() - 1],
                columns.len()
            ),
        ));
    }
    let rows: Vec<(usize, &str)> = lines.enumerate().map(|(i, l)| (i + 2, l)).collect();
    if rows.is_empty() {
        return Err(err(
            0,
            format!("no rows after the header: expected {expected}"),
        ));
    }
    Ok(rows)
}

/// The `n` comma-separated fields of a line, or an error giving the count found.
fn fields(line: &str, n: usize) -> Result<Vec<&str>, String> {
    let f: Vec<&str> = line.splitn(n + 1, ',').collect();
    if f.len() == n {
        Ok(f)
    } else {
        Err(format!(
            "expected {n} fields, found {}",
            line.matches(',').count() + 1
        ))
    }
}

/// Index in `shape.arms` of an arm named in a table.
fn arm_index(shape: &RunShape, name: &str) -> Result<usize, String> {
    if !is_valid_name(name) {
        return Err(format!(
            "arm {} is not a valid name: {NAME_RULE}",
            shown(name)
        ));
    }
    shape.arms.iter().position(|a| a == name).ok_or_else(|| {
        format!(
            "arm `{name}` is not one of the manifest's {} arms",
            shape.arms.len()
        )
    })
}

/// A whole number in `lo ..= hi` (`what` names it; `of` says where the bound comes from).
fn whole(s: &str, what: &str, lo: u32, hi: u64, of: &str) -> Result<u32, String> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(format!("{what} {} is not a whole number", shown(s)));
    }
    match s.parse::<u32>() {
        Ok(v) if v >= lo && u64::from(v) <= hi => Ok(v),
        // Only ASCII digits here: cutting at 40 bytes is a character boundary.
        _ => Err(format!(
            "{what} {}{} is out of range: {of} ({lo} ..= {hi})",
            &s[..s.len().min(40)],
            if s.len() > 40 { "..." } else { "" }
        )),
    }
}

/// Checks that the rows' keys (arm, replicate, index), each with its line, are every key of
/// `dims` exactly once: a repeated row is blamed at its second line, a missing one is named.
fn check_complete(
    mut keys: Vec<((usize, u32, u32), usize)>,
    (arms, replicates, per): (usize, u32, u32),
    path: &Path,
    name: &dyn Fn((usize, u32, u32)) -> String,
    expected: &str,
) -> Result<(), TableError> {
    keys.sort_unstable();
    let repeated = keys
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .min_by_key(|w| w[1].1);
    if let Some(w) = repeated {
        return Err(TableError {
            path: path.to_path_buf(),
            line: w[1].1,
            message: format!(
                "{} again (first on line {}): a row is repeated",
                name(w[0].0),
                w[0].1
            ),
        });
    }
    let (r, n) = (u128::from(replicates), u128::from(per));
    let key_at = |i: u128| ((i / (r * n)) as usize, ((i / n) % r) as u32, (i % n) as u32);
    let total = arms as u128 * r * n;
    let missing = keys
        .iter()
        .enumerate()
        .find(|(i, (k, _))| *k != key_at(*i as u128))
        .map(|(i, _)| i as u128)
        .or_else(|| ((keys.len() as u128) < total).then_some(keys.len() as u128));
    match missing {
        Some(i) => Err(TableError {
            path: path.to_path_buf(),
            line: 0,
            message: format!(
                "no row for {}: expected {expected}, found {} rows",
                name(key_at(i)),
                keys.len()
            ),
        }),
        None => Ok(()),
    }
}

impl ResultTables {
    /// Reads `steps.csv` and `probes.csv` of a results directory, bounded and checked against
    /// its `manifest.json` (see [`super::input`]).
    pub fn load(dir: &Path) -> Result<Self, TableError> {
        Ok(ResultsDir::read(dir)?.tables)
    }

    /// Parses the two CSV texts and checks them against the run's shape (`dir` only names the
    /// files in errors): the header driftlab writes; every row with the right number of fields,
    /// an arm of the manifest, a replicate, step or probe in the manifest's range, the probe's
    /// persona, finite numbers (an empty cell is a missing value); every (arm, replicate, step)
    /// and (arm, replicate, probe) exactly once; a line break after the last row.
    pub fn parse(
        steps: &str,
        probes: &str,
        shape: &RunShape,
        dir: &Path,
    ) -> Result<Self, TableError> {
        Ok(Self {
            arms: shape.arms.clone(),
            steps: parse_steps(steps, shape, &dir.join("steps.csv"))?,
            probes: parse_probes(probes, shape, &dir.join("probes.csv"))?,
        })
    }

    /// Number of replicates (largest replicate index + 1).
    pub fn replicates(&self) -> usize {
        self.steps
            .iter()
            .map(|r| r.replicate as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// Number of steps (largest step).
    pub fn horizon(&self) -> u32 {
        self.steps.iter().map(|r| r.step).max().unwrap_or(0)
    }

    /// `values[replicate][step - 1]` of one metric for one arm (NaN where missing).
    pub fn metric(&self, arm: usize, metric: usize) -> Vec<Vec<f64>> {
        let mut out = vec![vec![f64::NAN; self.horizon() as usize]; self.replicates()];
        for r in self.steps.iter().filter(|r| r.arm == arm && r.step >= 1) {
            out[r.replicate as usize][r.step as usize - 1] = r.values[metric];
        }
        out
    }
}

/// The records of a table's data lines (`lines`, each with its number): every line split into
/// `n` fields, the first two read as the row's arm and replicate, the rest by `record` into the
/// record and its index within the replicate (step - 1, or probe); an error is reported at its
/// line. Then every (arm, replicate, index) of `per` indices a replicate must be there exactly
/// once ([`check_complete`]; `name` names a key).
fn records<T>(
    lines: Vec<(usize, &str)>,
    n: usize,
    shape: &RunShape,
    path: &Path,
    (per, expected): (u32, &str),
    name: &dyn Fn((usize, u32, u32)) -> String,
    record: impl Fn(&[&str], usize, u32) -> Result<(T, u32), String>,
) -> Result<Vec<T>, TableError> {
    let of_replicates = format!("the manifest has {} replicates", shape.replicates);
    let mut rows = Vec::with_capacity(lines.len());
    let mut keys = Vec::with_capacity(lines.len());
    for (line, text) in lines {
        let (row, key) = (|| -> Result<(T, (usize, u32, u32)), String> {
            let f = fields(text, n)?;
            let arm = arm_index(shape, f[0])?;
            let replicate = whole(
                f[1],
                "replicate",
                0,
                u64::from(shape.replicates) - 1,
                &of_replicates,
            )?;
            let (row, index) = record(&f, arm, replicate)?;
            Ok((row, (arm, replicate, index)))
        })()
        .map_err(|message| TableError {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        keys.push((key, line));
        rows.push(row);
    }
    check_complete(
        keys,
        (shape.arms.len(), shape.replicates, per),
        path,
        name,
        expected,
    )?;
    Ok(rows)
}

fn parse_steps(text: &str, shape: &RunShape, path: &Path) -> Result<Vec<StepRecord>, TableError> {
    let expected = format!("{} rows ({})", shape.step_rows(), dims(shape, "steps"));
    let lines = data_lines(text, metrics::STEPS_HEADER, path, &expected)?;
    let of_steps = format!("the manifest has {} steps", shape.steps);
    records(
        lines,
        3 + STEP_METRICS.len(),
        shape,
        path,
        (shape.steps, &expected),
        &|(a, r, s)| format!("arm `{}`, replicate {r}, step {}", shape.arms[a], s + 1),
        |f, arm, replicate| {
            let step = whole(f[2], "step", 1, u64::from(shape.steps), &of_steps)?;
            let mut values = [f64::NAN; STEP_METRICS.len()];
            for ((v, s), column) in values.iter_mut().zip(&f[3..]).zip(STEP_METRICS) {
                if s.is_empty() {
                    continue;
                }
                let x: f64 = s
                    .parse()
                    .map_err(|_| format!("`{column}` = {} is not a number", shown(s)))?;
                if !x.is_finite() {
                    return Err(format!(
                        "`{column}` = {} is not a finite number (a missing value is an empty \
                         cell)",
                        shown(s)
                    ));
                }
                *v = x;
            }
            let row = StepRecord {
                arm,
                replicate,
                step,
                values,
            };
            Ok((row, step - 1))
        },
    )
}

fn parse_probes(text: &str, shape: &RunShape, path: &Path) -> Result<Vec<ProbeRecord>, TableError> {
    let expected = format!("{} rows ({})", shape.probe_rows(), dims(shape, "probes"));
    let lines = data_lines(text, metrics::PROBES_HEADER, path, &expected)?;
    let horizon = u64::from(shape.steps);
    let of_probes = format!("the manifest has {} probes per replicate", shape.probes());
    let of_steps = format!("the manifest has {} steps", shape.steps);
    records(
        lines,
        PROBE_FIELDS,
        shape,
        path,
        (shape.probes(), &expected),
        &|(a, r, p)| format!("arm `{}`, replicate {r}, probe {p}", shape.arms[a]),
        |f, arm, replicate| {
            let probe = whole(f[2], "probe", 0, u64::from(shape.probes()) - 1, &of_probes)?;
            let persona = shape.persona(probe).unwrap_or_default();
            if f[PERSONA] != persona {
                return Err(format!(
                    "persona {} is not the group of probe {probe}: the manifest's is `{persona}`",
                    shown(f[PERSONA])
                ));
            }
            let column =
                |i: usize| metrics::PROBE_METRICS[i - metrics::PROBE_IDENTITY.len()].column;
            let any = "it does not fit 32 bits";
            let start_community = whole(
                f[START_COMMUNITY],
                "`start_community`",
                0,
                u64::from(u32::MAX),
                any,
            )?;
            for (i, s) in f.iter().enumerate().skip(metrics::PROBE_IDENTITY.len()) {
                if !s.is_empty() {
                    whole(s, &format!("`{}`", column(i)), 0, u64::from(u32::MAX), any)?;
                }
            }
            let step = |i: usize| -> Result<Option<u32>, String> {
                match f[i] {
                    "" => Ok(None),
                    s => whole(s, &format!("`{}`", column(i)), 0, horizon, &of_steps).map(Some),
                }
            };
            let drift_step = step(DRIFT_STEP)?
                .ok_or_else(|| "`drift_step` is empty: every probe has one".to_string())?;
            let censored = match f[CENSORED] {
                "0" => false,
                "1" => true,
                s => return Err(format!("`censored` = {} is not 0 or 1", shown(s))),
            };
            if censored && drift_step != shape.steps {
                return Err(format!(
                    "a censored probe's `drift_step` is the horizon ({}), not {drift_step}",
                    shape.steps
                ));
            }
            let row = ProbeRecord {
                arm,
                replicate,
                probe,
                persona: persona.to_string(),
                start_community,
                first_flagged_step: step(FIRST_FLAGGED)?,
                first_flagged_follow_step: step(FIRST_FLAGGED_FOLLOW)?,
                drift_step,
                censored,
            };
            Ok((row, probe))
        },
    )
}

#[cfg(test)]
mod tests;
