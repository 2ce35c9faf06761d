//! Comparing two result sets: the gate a CI pipeline calls after rerunning a scenario.
//!
//! - exact: same driftlab version, scenario hash and seed, and byte-identical `steps.csv`,
//!   `probes.csv` and `summary.json` (what determinism promises for the same build and seed;
//!   the CSVs are the reference, and the Parquet copies of the tables are not compared);
//! - statistical: for every arm, the headline shares (flagged share at the last step and over
//!   all steps, share of probes drifted) must agree by one of two criteria ([`Criteria`]), each
//!   of which can be turned off: an absolute bound (`--tolerance`, default 0.02: the estimates
//!   differ by at most that much) and a statistical rule (`--z`, default 3.29: the difference
//!   is within sampling noise, |z| below 3.29, i.e. two-sided p > 0.001, with standard errors
//!   taken from the 95% intervals). Equal estimates always agree, so with both off only equal
//!   estimates do.
//!
//! Both directories are read as untrusted input first ([`super::input`]): a missing, malformed
//! or inconsistent one is an error (bad input), never a difference.

use super::input::{parse_json, read_bounded, RunShape};
use super::summary::{summarize, ArmStats, Estimate};
use super::tables::{ResultTables, ResultsDir, TableError, STEP_METRICS};
use crate::report::ReportError;
use std::fmt::Write as _;
use std::path::Path;

/// One disagreement between two result sets.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// What was compared (file, field or metric).
    pub what: String,
    /// Value in the first set.
    pub a: String,
    /// Value in the second set.
    pub b: String,
}

/// The outcome of a comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Number of items checked.
    pub checked: usize,
    /// Disagreements (empty when the sets agree).
    pub differences: Vec<Difference>,
}

impl Comparison {
    /// Whether the two sets agree.
    pub fn agrees(&self) -> bool {
        self.differences.is_empty()
    }

    /// A readable table of the differences.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let w = self
            .differences
            .iter()
            .map(|d| d.what.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(out, "{:<w$}  {:>28}  {:>28}", "what", "A", "B");
        for d in &self.differences {
            let _ = writeln!(out, "{:<w$}  {:>28}  {:>28}", d.what, d.a, d.b);
        }
        out
    }

    fn check(&mut self, what: impl Into<String>, a: String, b: String) {
        self.checked += 1;
        if a != b {
            self.differences.push(Difference {
                what: what.into(),
                a,
                b,
            });
        }
    }
}

/// `summary.json` of a results directory, bounded by what the run's shape allows
/// ([`RunShape::summary_bytes`]) and checked to be a JSON object.
fn read_summary(dir: &Path, shape: &RunShape) -> Result<String, TableError> {
    let path = dir.join("summary.json");
    let why = format!(
        "the most a summary of {} arms x {} steps can take",
        shape.arms.len(),
        shape.steps
    );
    let text = read_bounded(&path, shape.summary_bytes(STEP_METRICS.len()), &why)?;
    if !parse_json(&text, &path)?.is_object() {
        return Err(TableError {
            path,
            line: 1,
            message: "expected a JSON object (the summary driftlab writes)".into(),
        });
    }
    Ok(text)
}

/// Byte identity of the tables, plus equal version, seed and scenario hash. Both directories
/// are read and checked first (as [`ResultTables::load`], and `summary.json`): a missing or
/// malformed one is an error (bad input), never a difference.
pub fn compare_exact(a: &Path, b: &Path) -> Result<Comparison, ReportError> {
    let x = ResultsDir::read(a)?;
    let x_summary = read_summary(a, &x.shape)?;
    let y = ResultsDir::read(b)?;
    let y_summary = read_summary(b, &y.shape)?;
    let mut cmp = Comparison::default();
    for key in ["driftlab_version", "scenario_hash", "seed"] {
        cmp.check(
            format!("manifest {key}"),
            x.manifest[key].to_string(),
            y.manifest[key].to_string(),
        );
    }
    // summary.json is derived from the tables by seeded statistics, so it must match too.
    for (file, x, y) in [
        ("steps.csv", &x.steps, &y.steps),
        ("probes.csv", &x.probes, &y.probes),
        ("summary.json", &x_summary, &y_summary),
    ] {
        cmp.checked += 1;
        if x != y {
            let (lx, ly): (Vec<&str>, Vec<&str>) = (x.lines().collect(), y.lines().collect());
            let line = lx
                .iter()
                .zip(&ly)
                .position(|(p, q)| p != q)
                .unwrap_or(lx.len().min(ly.len()));
            cmp.differences.push(Difference {
                what: format!("{file} line {}", line + 1),
                a: lx.get(line).unwrap_or(&"<end of file>").to_string(),
                b: ly.get(line).unwrap_or(&"<end of file>").to_string(),
            });
        }
    }
    Ok(cmp)
}

fn headline(s: &ArmStats) -> [(&'static str, Estimate); 3] {
    [
        ("flagged share, last step", s.final_flagged_share),
        ("flagged share, all steps", s.mean_flagged_share),
        ("probes drifted", s.drifted_share),
    ]
}

/// The criteria of the statistical comparison. A headline share of an arm agrees when its two
/// estimates are equal (or both undefined), or when an enabled criterion accepts their
/// difference; `None` turns a criterion off. The default (0.02, 3.29) is `driftlab compare`'s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Criteria {
    /// Absolute bound: the estimates differ by at most this much. `None` (or 0): off, only
    /// equal estimates pass it.
    pub tolerance: Option<f64>,
    /// Statistical rule: `|a - b| / sqrt(se_a^2 + se_b^2)` is below this, the standard errors
    /// taken from the 95% intervals. `None`: off, sampling noise excuses nothing.
    pub z: Option<f64>,
}

impl Default for Criteria {
    fn default() -> Self {
        Self {
            tolerance: Some(0.02),
            z: Some(3.29),
        }
    }
}

impl Criteria {
    /// The criteria in words, for the verdict line: e.g. `|difference| <= 0.02 or |z| < 3.29`.
    pub fn describe(&self) -> String {
        match (self.tolerance, self.z) {
            (Some(t), Some(z)) => format!("|difference| <= {t} or |z| < {z}"),
            (Some(t), None) => format!("|difference| <= {t}"),
            (None, Some(z)) => format!("|z| < {z}"),
            (None, None) => "equal estimates".into(),
        }
    }

    /// Whether two estimates agree, given the standard error of their difference.
    fn accept(&self, a: f64, b: f64, se: f64) -> bool {
        let diff = (a - b).abs();
        (a.is_nan() && b.is_nan())
            || diff == 0.0
            || self.tolerance.is_some_and(|t| diff <= t)
            || self.z.is_some_and(|z| se > 0.0 && diff / se < z)
    }
}

/// Standard error implied by a 95% interval.
fn standard_error(e: &Estimate) -> f64 {
    match (e.lower, e.upper) {
        (Some(l), Some(u)) => (u - l) / (2.0 * 1.959964),
        _ => 0.0,
    }
}

/// Headline shares per arm agreeing by `criteria`. Both directories are read and checked first
/// ([`ResultTables::load`]): a missing or malformed one is an error.
pub fn compare_statistical(
    a: &Path,
    b: &Path,
    criteria: Criteria,
) -> Result<Comparison, ReportError> {
    let (sa, sb) = (
        summarize(&ResultTables::load(a)?),
        summarize(&ResultTables::load(b)?),
    );
    let mut cmp = Comparison::default();
    cmp.check(
        "arms",
        sa.iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        sb.iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    for x in &sa {
        let Some(y) = sb.iter().find(|y| y.name == x.name) else {
            continue;
        };
        for ((metric, ea), (_, eb)) in headline(x).iter().zip(headline(y)) {
            cmp.checked += 1;
            let (va, vb) = (
                ea.estimate.unwrap_or(f64::NAN),
                eb.estimate.unwrap_or(f64::NAN),
            );
            let se = standard_error(ea).hypot(standard_error(&eb));
            if !criteria.accept(va, vb, se) {
                let z = (va - vb).abs() / se;
                cmp.differences.push(Difference {
                    what: format!("{} / {metric} (|z| {z:.2})", x.name),
                    a: format!("{:.4} (se {:.4})", va, standard_error(ea)),
                    b: format!("{:.4} (se {:.4})", vb, standard_error(&eb)),
                });
            }
        }
    }
    Ok(cmp)
}
