//! Results read back from `steps.csv` and `probes.csv`. Reports are always built from these
//! files, never from memory, so `run`, `run --resume` and `report` produce the same summary.

use crate::metrics;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Per-step metric columns of `steps.csv`, after `arm,replicate,step`: the column names of
/// [`metrics::STEP_METRICS`], whose order the `values` of a [`StepRecord`] follow.
pub const STEP_METRICS: [&str; metrics::STEP_METRICS.len()] = metrics::step_columns();

/// One row of `steps.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    /// Arm index (order of first appearance).
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
    /// Arm names in order of first appearance.
    pub arms: Vec<String>,
    /// `steps.csv` rows.
    pub steps: Vec<StepRecord>,
    /// `probes.csv` rows.
    pub probes: Vec<ProbeRecord>,
}

/// A malformed or unreadable results file.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct TableError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 for the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Fields of a `probes.csv` line, and where the outcomes are among them (after the identity
/// columns `arm,replicate,probe,persona,start_community`), looked up in the schema.
const PROBE_FIELDS: usize = metrics::PROBE_IDENTITY.len() + metrics::PROBE_METRICS.len();
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

fn parse_opt(s: &str) -> Result<Option<u32>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse()
            .map(Some)
            .map_err(|_| format!("`{s}` is not a step"))
    }
}

impl ResultTables {
    /// Reads `steps.csv` and `probes.csv` from a results directory.
    pub fn load(dir: &Path) -> Result<Self, TableError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| TableError {
                path,
                line: 0,
                message: e.to_string(),
            })
        };
        Self::parse(&read("steps.csv")?, &read("probes.csv")?, dir)
    }

    /// Parses the two CSV texts (`dir` only names them in errors).
    pub fn parse(steps: &str, probes: &str, dir: &Path) -> Result<Self, TableError> {
        let mut arm_index: BTreeMap<String, usize> = BTreeMap::new();
        let mut arms = Vec::new();
        let mut intern = |name: &str| {
            *arm_index.entry(name.to_string()).or_insert_with(|| {
                arms.push(name.to_string());
                arms.len() - 1
            })
        };
        let steps_path = dir.join("steps.csv");
        let mut step_rows = Vec::new();
        for (i, line) in steps.lines().enumerate().skip(1) {
            let err = |message: String| TableError {
                path: steps_path.clone(),
                line: i + 1,
                message,
            };
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 3 + STEP_METRICS.len() {
                return Err(err(format!(
                    "expected {} fields, found {}",
                    3 + STEP_METRICS.len(),
                    f.len()
                )));
            }
            let mut values = [f64::NAN; STEP_METRICS.len()];
            for (v, s) in values.iter_mut().zip(&f[3..]) {
                if !s.is_empty() {
                    *v = s
                        .parse()
                        .map_err(|_| err(format!("`{s}` is not a number")))?;
                }
            }
            step_rows.push(StepRecord {
                arm: intern(f[0]),
                replicate: f[1]
                    .parse()
                    .map_err(|_| err(format!("bad replicate `{}`", f[1])))?,
                step: f[2]
                    .parse()
                    .map_err(|_| err(format!("bad step `{}`", f[2])))?,
                values,
            });
        }
        let probes_path = dir.join("probes.csv");
        let mut probe_rows = Vec::new();
        for (i, line) in probes.lines().enumerate().skip(1) {
            let err = |message: String| TableError {
                path: probes_path.clone(),
                line: i + 1,
                message,
            };
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != PROBE_FIELDS {
                return Err(err(format!(
                    "expected {PROBE_FIELDS} fields, found {}",
                    f.len()
                )));
            }
            let int = |s: &str| {
                s.parse::<u32>()
                    .map_err(|_| err(format!("`{s}` is not an integer")))
            };
            probe_rows.push(ProbeRecord {
                arm: intern(f[0]),
                replicate: int(f[1])?,
                probe: int(f[2])?,
                persona: f[3].to_string(),
                first_flagged_step: parse_opt(f[FIRST_FLAGGED]).map_err(&err)?,
                first_flagged_follow_step: parse_opt(f[FIRST_FLAGGED_FOLLOW]).map_err(&err)?,
                drift_step: int(f[DRIFT_STEP])?,
                censored: f[CENSORED] == "1",
            });
        }
        Ok(Self {
            arms,
            steps: step_rows,
            probes: probe_rows,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_line_numbers() {
        // impressions, flagged_share, then every other metric empty.
        let rest = ",".repeat(STEP_METRICS.len() - 2);
        let steps = format!("h\na,0,1,1,0.5{rest}\nb,0,1,1,0.25{rest}\n");
        let probes = "h\na,0,0,p,3,2,,5,0\nb,0,0,p,3,,,10,1\n";
        let t = ResultTables::parse(&steps, probes, Path::new("x")).unwrap();
        assert_eq!(t.arms, vec!["a", "b"]);
        assert_eq!(t.metric(1, 1), vec![vec![0.25]]);
        assert!(t.steps[0].values[2].is_nan());
        assert!(t.probes[1].censored && t.probes[0].first_flagged_step == Some(2));
        let bad = ResultTables::parse("h\na,0,1,x\n", "h\n", Path::new("x")).unwrap_err();
        assert_eq!(bad.line, 2);
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

        let full = metrics::tests::distinct_row();
        let empty = StepRow {
            step: 8,
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
            steps: vec![full.clone(), empty],
            probes: vec![
                probe(0, Some(3), Some(0), Some(6)),
                probe(1, None, None, None),
            ],
            adversary: Default::default(),
        };
        let scenario = Scenario::quickstart(&Overrides::default()).unwrap();
        let spec = scenario.spec();
        let steps = steps_header() + &steps_rows("a", 2, &run);
        let probes = String::from(PROBES_HEADER) + &probes_rows(spec, "a", 2, &run);
        let t = ResultTables::parse(&steps, &probes, Path::new("x")).unwrap();

        // Steps: the header is the reader's columns, every value comes back in its column.
        let header: Vec<&str> = steps.lines().next().unwrap().split(',').collect();
        assert_eq!(header[3..], STEP_METRICS);
        assert_eq!((t.steps[0].replicate, t.steps[0].step), (2, 7));
        for (i, m) in metrics::STEP_METRICS.iter().enumerate() {
            assert_eq!(t.steps[0].values[i], (m.value)(&full), "{}", m.column);
            assert!(t.steps[1].values[i].is_nan(), "{}", m.column);
        }

        // Probes: every outcome column is read, and each lands in its field.
        let mut read = PROBE_FIELDS_READ.to_vec();
        read.sort_unstable();
        assert_eq!(
            read,
            (metrics::PROBE_IDENTITY.len()..PROBE_FIELDS).collect::<Vec<_>>()
        );
        let p = &t.probes;
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
    }
}
