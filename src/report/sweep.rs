//! The summary of a sweep: for every grid point and arm, the headline figures with their
//! intervals (`sweep.json`, `sweep.md`), and for every swept parameter a plot of the share of
//! probes drifted against that parameter (`sweep-<parameter>.png`/`.svg`), one line per arm and
//! combination of the other parameters.

use super::plot::{self, BandPoint, BandSeries, Chart};
use super::{fixed, ReportError};
use crate::analysis::summary::{ArmStats, Estimate};
use crate::atomic::write_atomic;
use crate::scenario::sweep::GridPoint;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn numeric(v: &toml::Value, fallback: usize) -> f64 {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .unwrap_or(fallback as f64)
}

fn cell(e: &Estimate) -> String {
    let p = |x: f64| fixed(100.0 * x, 1);
    match (e.estimate, e.lower, e.upper) {
        (Some(x), Some(l), Some(u)) => format!("{}% [{}, {}]", p(x), p(l), p(u)),
        (Some(x), _, _) => format!("{}%", p(x)),
        _ => "n/a".into(),
    }
}

/// Writes `sweep.json`, `sweep.md` and one plot per swept parameter into `dir`.
pub fn write_sweep_summary(
    dir: &Path,
    name: &str,
    points: &[(GridPoint, Vec<ArmStats>)],
) -> Result<(), ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let params: Vec<String> = points
        .first()
        .map(|(p, _)| p.assignments.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let json_points: Vec<_> = points
        .iter()
        .map(|(p, arms)| {
            json!({
                "point": p.name(),
                "parameters": p.assignments.iter().map(|(k, v)| (k.clone(), v.to_string())).collect::<BTreeMap<_, _>>(),
                "arms": arms.iter().map(|a| json!({
                    "name": a.name,
                    "drifted_share": a.drifted_share,
                    "final_flagged_share": a.final_flagged_share,
                    "mean_flagged_share": a.mean_flagged_share,
                    "median_drift_step": a.median_drift_step,
                    "drift_reduction": a.drift_reduction,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let path = dir.join("sweep.json");
    let text = serde_json::to_string_pretty(
        &json!({ "scenario": name, "parameters": params, "points": json_points }),
    )
    .unwrap_or_default()
        + "\n";
    write_atomic(&path, text.as_bytes()).map_err(io(&path))?;

    let mut md = format!("# driftlab sweep: {name}\n\nSwept: {}. Each point's full report is in its own directory.\n\n", params.join(", "));
    md.push_str("| point | parameters | arm | probes drifted | flagged share, all steps | median time-to-drift |\n|---|---|---|---:|---:|---:|\n");
    for (p, arms) in points {
        for a in arms {
            let median = a
                .median_drift_step
                .estimate
                .map_or("not reached".into(), |m| format!("{m:.0}"));
            let _ = writeln!(
                md,
                "| [{0}]({0}/summary.md) | {1} | {2} | {3} | {4} | {5} |",
                p.name(),
                p.label(),
                a.name,
                cell(&a.drifted_share),
                cell(&a.mean_flagged_share),
                median
            );
        }
    }
    md.push('\n');
    for (i, param) in params.iter().enumerate() {
        // One series per (arm, values of the other parameters).
        let mut series: BTreeMap<String, Vec<BandPoint>> = BTreeMap::new();
        for (p, arms) in points {
            let others: Vec<String> = p
                .assignments
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (k, v))| {
                    // The last path component keeps legend entries short and distinct.
                    let short = k.rsplit('.').next().unwrap_or(k);
                    format!("{short}={v}")
                })
                .collect();
            let x = numeric(&p.assignments[i].1, p.index);
            for a in arms {
                let key = if others.is_empty() {
                    a.name.clone()
                } else {
                    format!("{} ({})", a.name, others.join(", "))
                };
                series.entry(key).or_default().push(BandPoint {
                    x,
                    y: a.drifted_share.estimate.unwrap_or(f64::NAN),
                    lower: a.drifted_share.lower.unwrap_or(f64::NAN),
                    upper: a.drifted_share.upper.unwrap_or(f64::NAN),
                });
            }
        }
        let series: Vec<BandSeries> = series
            .into_iter()
            .map(|(name, mut points)| {
                points.sort_by(|a, b| a.x.total_cmp(&b.x));
                BandSeries { name, points }
            })
            .collect();
        let stem = format!("sweep-{}", param.replace(['.', '[', ']'], "_"));
        plot::line_bands(
            &dir.join(&stem),
            &Chart {
                title: &format!("Probes drifted against {param}"),
                x_label: param,
                y_label: "share of probes drifted (95% CI)",
                y_range: Some((0.0, 1.0)),
            },
            &series,
        )?;
        let _ = writeln!(md, "![{stem}]({stem}.png)\n\nShare of probes drifted (95% Wilson interval with the design effect between replicates) against `{param}`, one line per arm and combination of the other swept parameters.\n");
    }
    let path = dir.join("sweep.md");
    write_atomic(&path, md.as_bytes()).map_err(io(&path))
}
