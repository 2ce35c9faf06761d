//! Comparing two result sets: the gate a CI pipeline calls after rerunning a scenario.
//!
//! - exact: same driftlab version, scenario hash and seed, and byte-identical `steps.csv`,
//!   `probes.csv` and `summary.json` (what determinism promises for the same build and seed);
//! - statistical: for every arm, the headline shares (flagged share at the last step and over
//!   all steps, share of probes drifted) may differ by at most `tolerance` (absolute), unless
//!   the difference is within sampling noise (|z| below 3.29, i.e. two-sided p > 0.001, with
//!   standard errors taken from the 95% intervals).
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

/// Standard error implied by a 95% interval.
fn standard_error(e: &Estimate) -> f64 {
    match (e.lower, e.upper) {
        (Some(l), Some(u)) => (u - l) / (2.0 * 1.959964),
        _ => 0.0,
    }
}

/// Headline shares per arm within `tolerance`, or within sampling noise. Both directories are
/// read and checked first ([`ResultTables::load`]): a missing or malformed one is an error.
pub fn compare_statistical(a: &Path, b: &Path, tolerance: f64) -> Result<Comparison, ReportError> {
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
            let diff = (va - vb).abs();
            let se = standard_error(ea).hypot(standard_error(&eb));
            let noise = se > 0.0 && diff / se < 3.29;
            let agree = (va.is_nan() && vb.is_nan()) || diff <= tolerance || noise;
            if !agree {
                cmp.differences.push(Difference {
                    what: format!("{} / {metric}", x.name),
                    a: format!("{:.4} (se {:.4})", va, standard_error(ea)),
                    b: format!("{:.4} (se {:.4})", vb, standard_error(&eb)),
                });
            }
        }
    }
    Ok(cmp)
}
