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

fn parse_steps(text: &str, shape: &RunShape, path: &Path) -> Result<Vec<StepRecord>, TableError> {
    let expected = format!("{} rows ({})", shape.step_rows(), dims(shape, "steps"));
    let lines = data_lines(text, metrics::STEPS_HEADER, path, &expected)?;
    let n = 3 + STEP_METRICS.len();
    let of_replicates = format!("the manifest has {} replicates", shape.replicates);
    let of_steps = format!("the manifest has {} steps", shape.steps);
    let mut rows = Vec::with_capacity(lines.len());
    let mut keys = Vec::with_capacity(lines.len());
    for (line, text) in lines {
        let row = (|| -> Result<StepRecord, String> {
            let f = fields(text, n)?;
            let arm = arm_index(shape, f[0])?;
            let replicate = whole(
                f[1],
                "replicate",
                0,
                u64::from(shape.replicates) - 1,
                &of_replicates,
            )?;
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
            Ok(StepRecord {
                arm,
                replicate,
                step,
                values,
            })
        })()
        .map_err(|message| TableError {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        keys.push(((row.arm, row.replicate, row.step - 1), line));
        rows.push(row);
    }
    check_complete(
        keys,
        (shape.arms.len(), shape.replicates, shape.steps),
        path,
        &|(a, r, s)| format!("arm `{}`, replicate {r}, step {}", shape.arms[a], s + 1),
        &expected,
    )?;
    Ok(rows)
}

fn parse_probes(text: &str, shape: &RunShape, path: &Path) -> Result<Vec<ProbeRecord>, TableError> {
    let expected = format!("{} rows ({})", shape.probe_rows(), dims(shape, "probes"));
    let lines = data_lines(text, metrics::PROBES_HEADER, path, &expected)?;
    let horizon = u64::from(shape.steps);
    let of_replicates = format!("the manifest has {} replicates", shape.replicates);
    let of_probes = format!("the manifest has {} probes per replicate", shape.probes());
    let of_steps = format!("the manifest has {} steps", shape.steps);
    let mut rows = Vec::with_capacity(lines.len());
    let mut keys = Vec::with_capacity(lines.len());
    for (line, text) in lines {
        let row = (|| -> Result<ProbeRecord, String> {
            let f = fields(text, PROBE_FIELDS)?;
            let arm = arm_index(shape, f[0])?;
            let replicate = whole(
                f[1],
                "replicate",
                0,
                u64::from(shape.replicates) - 1,
                &of_replicates,
            )?;
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
            Ok(ProbeRecord {
                arm,
                replicate,
                probe,
                persona: persona.to_string(),
                start_community,
                first_flagged_step: step(FIRST_FLAGGED)?,
                first_flagged_follow_step: step(FIRST_FLAGGED_FOLLOW)?,
                drift_step,
                censored,
            })
        })()
        .map_err(|message| TableError {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        keys.push(((row.arm, row.replicate, row.probe), line));
        rows.push(row);
    }
    check_complete(
        keys,
        (shape.arms.len(), shape.replicates, shape.probes()),
        path,
        &|(a, r, p)| format!("arm `{}`, replicate {r}, probe {p}", shape.arms[a]),
        &expected,
    )?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    /// The committed reference results are read and pass every check, well inside the bounds.
    #[test]
    fn real_results_pass_with_room() {
        use crate::analysis::input::MAX_MANIFEST_BYTES;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/smoke");
        let r = ResultsDir::read(&dir).unwrap();
        let s = &r.shape;
        assert_eq!(
            (s.arms.len(), s.replicates, s.steps, s.probes()),
            (2, 3, 30, 30)
        );
        assert_eq!(r.tables.steps.len() as u128, s.step_rows());
        assert_eq!(r.tables.probes.len() as u128, s.probe_rows());
        let size = |f: &str| std::fs::metadata(dir.join(f)).unwrap().len();
        let h = crate::metrics::STEPS_HEADER;
        assert!(size("steps.csv") * 10 < s.steps_bytes(h, STEP_METRICS.len()));
        let h = crate::metrics::PROBES_HEADER;
        let fields = crate::metrics::PROBE_IDENTITY.len() + crate::metrics::PROBE_METRICS.len();
        assert!(size("probes.csv") * 4 < s.probes_bytes(h, fields));
        assert!(size("summary.json") * 4 < s.summary_bytes(STEP_METRICS.len()));
        assert!(size("manifest.json") * 1000 < MAX_MANIFEST_BYTES);
    }

    use super::*;

    /// Two arms, two replicates, three steps, three probes (two `adjacent`, one `benign`).
    fn shape() -> RunShape {
        RunShape {
            arms: vec!["a".into(), "b".into()],
            replicates: 2,
            steps: 3,
            probe_groups: vec![("adjacent".into(), 2), ("benign".into(), 1)],
        }
    }

    /// Complete, valid tables of [`shape`]: flagged share `0.5`, every other metric empty.
    fn tables() -> (String, String) {
        let rest = ",".repeat(STEP_METRICS.len() - 2);
        let mut steps = String::from(metrics::STEPS_HEADER);
        let mut probes = String::from(metrics::PROBES_HEADER);
        for arm in ["a", "b"] {
            for r in 0..2 {
                for s in 1..=3 {
                    steps += &format!("{arm},{r},{s},1,0.5{rest}\n");
                }
                probes += &format!("{arm},{r},0,adjacent,3,2,,2,0\n");
                probes += &format!("{arm},{r},1,adjacent,3,,,3,1\n");
                probes += &format!("{arm},{r},2,benign,1,1,0,3,0\n");
            }
        }
        (steps, probes)
    }

    fn parse(steps: &str, probes: &str) -> Result<ResultTables, TableError> {
        ResultTables::parse(steps, probes, &shape(), Path::new("d"))
    }

    #[test]
    fn parses_complete_tables() {
        let (steps, probes) = tables();
        let t = parse(&steps, &probes).unwrap();
        assert_eq!(t.arms, vec!["a", "b"]);
        assert_eq!((t.replicates(), t.horizon()), (2, 3));
        assert_eq!(t.metric(1, 1), vec![vec![0.5; 3]; 2]);
        assert!(t.steps[0].values[2].is_nan());
        assert!(t.probes[1].censored && t.probes[0].first_flagged_step == Some(2));
        assert_eq!(t.probes[2].persona, "benign");
    }

    /// Replaces line `line` (1-based) of `text` with `with`.
    fn edit(text: &str, line: usize, with: &str) -> String {
        let mut lines: Vec<&str> = text.split('\n').collect();
        lines[line - 1] = with;
        lines.join("\n")
    }

    /// Every way a table can be wrong is refused with its file, line and reason.
    #[test]
    fn hostile_tables_are_refused_with_file_and_line() {
        let (steps, probes) = tables();
        let valid_steps = steps.clone();
        let cells = |row: &str| row.split(',').map(String::from).collect::<Vec<_>>();
        let step_row = |f: &dyn Fn(&mut Vec<String>)| {
            let mut c = cells(steps.lines().nth(2).unwrap());
            f(&mut c);
            edit(&steps, 3, &c.join(","))
        };
        let probe_row = |f: &dyn Fn(&mut Vec<String>)| {
            let mut c = cells(probes.lines().nth(2).unwrap());
            f(&mut c);
            edit(&probes, 3, &c.join(","))
        };
        let dup = steps.clone() + steps.lines().nth(4).unwrap() + "\n";
        let mut lines: Vec<&str> = steps.split('\n').collect();
        lines.swap(2, 3);
        let reordered = lines.join("\n");
        let n = 3 + STEP_METRICS.len();
        let fewer = format!("expected {n} fields, found {}", n - 1);
        let more = format!("expected {n} fields, found {}", n + 1);
        let cases: Vec<(&str, String, String, usize, &str)> = vec![
            ("empty", String::new(), probes.clone(), 0, "it is empty"),
            ("header only", metrics::STEPS_HEADER.into(), probes.clone(), 0, "no rows after the header: expected 12 rows (2 arms x 2 replicates x 3 steps)"),
            ("no header", steps.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n", probes.clone(), 1, "not the header"),
            ("truncated", steps[..steps.len() - 3].into(), probes.clone(), 13, "no line break: the file was cut short"),
            ("traversal", step_row(&|c| c[0] = "/../../x".into()), probes.clone(), 3, "arm \"/../../x\" is not a valid name"),
            ("slash", step_row(&|c| c[0] = "a/b".into()), probes.clone(), 3, "not a valid name"),
            ("dots", step_row(&|c| c[0] = "..".into()), probes.clone(), 3, "not a valid name"),
            ("nul", step_row(&|c| c[0] = "a\0".into()), probes.clone(), 3, "\"a\\0\" is not a valid name"),
            ("unknown arm", step_row(&|c| c[0] = "c".into()), probes.clone(), 3, "arm `c` is not one of the manifest's 2 arms"),
            ("huge step", step_row(&|c| c[2] = "4000000000".into()), probes.clone(), 3, "step 4000000000 is out of range: the manifest has 3 steps (1 ..= 3)"),
            ("step 0", step_row(&|c| c[2] = "0".into()), probes.clone(), 3, "step 0 is out of range"),
            ("huge replicate", step_row(&|c| c[1] = "4294967295".into()), probes.clone(), 3, "replicate 4294967295 is out of range: the manifest has 2 replicates (0 ..= 1)"),
            ("past u32", step_row(&|c| c[1] = "99999999999999999999999".into()), probes.clone(), 3, "is out of range"),
            ("negative", step_row(&|c| c[1] = "-1".into()), probes.clone(), 3, "replicate \"-1\" is not a whole number"),
            ("NaN", step_row(&|c| c[4] = "NaN".into()), probes.clone(), 3, "`flagged_share` = \"NaN\" is not a finite number"),
            ("inf", step_row(&|c| c[3] = "inf".into()), probes.clone(), 3, "`impressions` = \"inf\" is not a finite number"),
            ("overflow", step_row(&|c| c[3] = "1e999".into()), probes.clone(), 3, "not a finite number"),
            ("word", step_row(&|c| c[3] = "x".into()), probes.clone(), 3, "`impressions` = \"x\" is not a number"),
            ("columns", step_row(&|c| { c.pop(); }), probes.clone(), 3, &fewer),
            ("extra column", step_row(&|c| c.push("1".into())), probes.clone(), 3, &more),
            ("crlf", edit(&steps, 3, &(steps.lines().nth(2).unwrap().to_string() + "1\r")), probes.clone(), 3, "not a number"),
            ("duplicate", dup, probes.clone(), 14, "arm `a`, replicate 1, step 1 again (first on line 5): a row is repeated"),
            ("missing", edit(&steps, 6, "").replace("\n\n", "\n"), probes.clone(), 0, "no row for arm `a`, replicate 1, step 2: expected 12 rows (2 arms x 2 replicates x 3 steps), found 11 rows"),
            ("missing last", steps[..steps.len() - 1].rsplit_once('\n').unwrap().0.to_string() + "\n", probes.clone(), 0, "no row for arm `b`, replicate 1, step 3"),
            ("reordered", reordered, probes.clone(), 0, "accepted"),
            ("probe arm", steps.clone(), probe_row(&|c| c[0] = "../b".into()), 3, "probes.csv:3: arm \"../b\" is not a valid name"),
            ("huge probe", steps.clone(), probe_row(&|c| c[2] = "4294967295".into()), 3, "probe 4294967295 is out of range: the manifest has 3 probes per replicate (0 ..= 2)"),
            ("persona", steps.clone(), probe_row(&|c| c[3] = "benign".into()), 3, "persona \"benign\" is not the group of probe 1: the manifest's is `adjacent`"),
            ("drift past horizon", steps.clone(), probe_row(&|c| c[7] = "4000000000".into()), 3, "`drift_step` 4000000000 is out of range: the manifest has 3 steps (0 ..= 3)"),
            ("no drift step", steps.clone(), probe_row(&|c| c[7] = String::new()), 3, "`drift_step` is empty"),
            ("censored", steps.clone(), probe_row(&|c| c[8] = "2".into()), 3, "`censored` = \"2\" is not 0 or 1"),
            ("censored early", steps.clone(), probe_row(&|c| c[7] = "2".into()), 3, "a censored probe's `drift_step` is the horizon (3), not 2"),
            ("community", steps.clone(), probe_row(&|c| c[4] = "1.5".into()), 3, "`start_community` \"1.5\" is not a whole number"),
            ("probe missing", steps.clone(), edit(&probes, 3, "").replace("\n\n", "\n"), 0, "no row for arm `a`, replicate 0, probe 1"),
        ];
        for (what, steps, probes, line, needle) in cases {
            let file = if steps == valid_steps {
                "probes.csv"
            } else {
                "steps.csv"
            };
            let e = match parse(&steps, &probes) {
                Err(e) => e,
                Ok(_) if needle == "accepted" => continue,
                Ok(_) => panic!("{what}: accepted"),
            };
            assert_eq!(e.line, line, "{what}: {e}");
            assert!(e.to_string().contains(needle), "{what}: {e}");
            assert!(!e.to_string().contains('\n'), "{what}: {e}");
            let shown = if line == 0 {
                format!("{file}: ")
            } else {
                format!("{file}:{line}: ")
            };
            assert!(
                e.to_string()
                    .starts_with(&format!("{}", Path::new("d").join(&shown).display())),
                "{what}: {e}"
            );
        }
    }

    /// The reader knows every column the writer writes, and reads each where the writer put
    /// it; and the reader reads no column the writer does not write.
    #[test]
    fn reads_every_column_the_writer_writes() {
        use crate::agents::panel::PanelStep;
        use crate::engine::{ArmRun, ProbeRow, StepRow};
        use crate::ids::CommunityId;
        use crate::results::output::{probes_rows, steps_header, steps_rows, PROBES_HEADER};
        use crate::scenario::{Overrides, Scenario};

        let scenario = Scenario::quickstart(&Overrides::default()).unwrap();
        let spec = scenario.spec();
        let full = StepRow {
            step: 1,
            ..metrics::tests::distinct_row()
        };
        let empty = |step| StepRow {
            step,
            impressions: f64::NAN,
            flagged_share: f64::NAN,
            surface_share: [f64::NAN; 4],
            surface_flagged: [f64::NAN; 4],
            flagged_follows: f64::NAN,
            hops_to_flagged: f64::NAN,
            unreachable: f64::NAN,
            profile_cosine: f64::NAN,
            drifted: f64::NAN,
            panel: PanelStep::EMPTY,
            benign_labelled: f64::NAN,
            flagged_labelled: f64::NAN,
            population_flagged_share: f64::NAN,
            cluster: crate::adversary::ClusterStep::EMPTY,
        };
        let probe = |probe, first, follow, drift| ProbeRow {
            group: 0,
            probe,
            community: CommunityId(1),
            first_flagged_step: first,
            first_flagged_follow_step: follow,
            drift_step: drift,
        };
        let run = ArmRun {
            steps: std::iter::once(full.clone())
                .chain((2..=spec.steps).map(empty))
                .collect(),
            probes: vec![
                probe(0, Some(3), Some(0), Some(6)),
                probe(1, None, None, None),
            ],
            adversary: Default::default(),
        };
        let shape = RunShape {
            arms: vec!["a".into()],
            replicates: 3,
            steps: spec.steps,
            probe_groups: vec![(spec.probes[0].name.clone(), 2)],
        };
        let (mut steps, mut probes) = (steps_header(), String::from(PROBES_HEADER));
        for r in 0..3 {
            steps += &steps_rows("a", r, &run);
            probes += &probes_rows(spec, "a", r, &run);
        }
        let t = ResultTables::parse(&steps, &probes, &shape, Path::new("x")).unwrap();

        // Steps: the header is the reader's columns, every value comes back in its column.
        let header: Vec<&str> = steps.lines().next().unwrap().split(',').collect();
        assert_eq!(header[3..], STEP_METRICS);
        let last = 2 * spec.steps as usize;
        assert_eq!((t.steps[last].replicate, t.steps[last].step), (2, 1));
        for (i, m) in metrics::STEP_METRICS.iter().enumerate() {
            assert_eq!(t.steps[last].values[i], (m.value)(&full), "{}", m.column);
            assert!(t.steps[last + 1].values[i].is_nan(), "{}", m.column);
        }

        // Probes: every outcome column is read, and each lands in its field.
        let mut read = PROBE_FIELDS_READ.to_vec();
        read.sort_unstable();
        assert_eq!(
            read,
            (metrics::PROBE_IDENTITY.len()..PROBE_FIELDS).collect::<Vec<_>>()
        );
        let p = &t.probes[4..];
        assert_eq!((p[0].replicate, p[0].probe, p[1].probe), (2, 0, 1));
        assert_eq!(
            (p[0].first_flagged_step, p[0].first_flagged_follow_step),
            (Some(3), Some(0))
        );
        assert_eq!((p[0].drift_step, p[0].censored), (6, false));
        assert_eq!(
            (p[1].first_flagged_step, p[1].first_flagged_follow_step),
            (None, None)
        );
        assert_eq!((p[1].drift_step, p[1].censored), (spec.steps, true));
        assert_eq!(p[1].persona, spec.probes[0].name);
        let identity = metrics::PROBE_IDENTITY;
        assert_eq!(
            (identity[PERSONA], identity[START_COMMUNITY]),
            ("persona", "start_community")
        );
    }
}
