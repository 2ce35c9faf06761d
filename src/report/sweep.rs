//! The summary of a sweep: for every grid point and arm, the headline figures with their
//! intervals (`sweep.json`, `sweep.md`), and for every swept parameter a plot of the share of
//! probes drifted against that parameter (`sweep-<parameter>.png`/`.svg`), one line per arm and
//! combination of the other parameters.

use super::plot::{self, BandPoint, BandSeries, Chart, Unit};
use super::write_report;
use super::{fixed, ReportError};
use crate::analysis::input::{parse_json, read_bounded, MAX_MANIFEST_BYTES};
use crate::analysis::summary::{ArmStats, Estimate};
use crate::analysis::tables::TableError;
use crate::atomic::write_atomic;
use crate::scenario::sweep::GridPoint;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn numeric(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// The lines of the chart of a sweep against its parameter `param` (an index into every
/// point's assignments): one per arm and combination of the other parameters, named in full
/// (`arm (other.parameter=value, ...)`), with the arm's index in the scenario (its colour and
/// marker) and, as variant (its dash pattern), the combination's order of appearance in the
/// grid; in order of arm then combination. `drifted` holds, per grid point, each arm's share
/// of probes drifted. Also returns the categories of the x axis: empty when every value of the
/// parameter is a number (a continuous axis), else the values in grid order (x is then the
/// index of the value).
fn sweep_series(
    points: &[(GridPoint, Vec<(String, Estimate)>)],
    param: usize,
) -> (Vec<BandSeries>, Vec<String>) {
    let values = || points.iter().filter_map(|(p, _)| p.assignments.get(param));
    let continuous = values().all(|(_, v)| numeric(v).is_some());
    let mut categories: Vec<String> = Vec::new();
    if !continuous {
        for (_, v) in values() {
            if !categories.contains(&v.to_string()) {
                categories.push(v.to_string());
            }
        }
    }
    let mut combinations: Vec<String> = Vec::new();
    let mut series: BTreeMap<(usize, usize), BandSeries> = BTreeMap::new();
    for (p, arms) in points {
        let Some((_, value)) = p.assignments.get(param) else {
            continue;
        };
        let x = match numeric(value) {
            Some(x) if continuous => x,
            _ => categories
                .iter()
                .position(|c| *c == value.to_string())
                .unwrap_or(0) as f64,
        };
        let others: Vec<String> = p
            .assignments
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != param)
            .map(|(_, (k, v))| format!("{k}={v}"))
            .collect();
        let combination = others.join(", ");
        let variant = match combinations.iter().position(|c| *c == combination) {
            Some(v) => v,
            None => {
                combinations.push(combination.clone());
                combinations.len() - 1
            }
        };
        for (arm, (name, share)) in arms.iter().enumerate() {
            let name = if others.is_empty() {
                name.clone()
            } else {
                format!("{name} ({combination})")
            };
            series
                .entry((arm, variant))
                .or_insert_with(|| BandSeries {
                    name,
                    points: Vec::new(),
                    arm,
                    variant,
                })
                .points
                .push(BandPoint {
                    x,
                    y: share.estimate.unwrap_or(f64::NAN),
                    lower: share.lower.unwrap_or(f64::NAN),
                    upper: share.upper.unwrap_or(f64::NAN),
                });
        }
    }
    let series = series
        .into_values()
        .map(|mut s| {
            s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
            s
        })
        .collect();
    (series, categories)
}

fn cell(e: &Estimate) -> String {
    let p = |x: f64| fixed(100.0 * x, 1);
    match (e.estimate, e.lower, e.upper) {
        (Some(x), Some(l), Some(u)) => format!("{}% [{}, {}]", p(x), p(l), p(u)),
        (Some(x), _, _) => format!("{}%", p(x)),
        _ => "n/a".into(),
    }
}

/// A grid point as `sweep.json` (and a sweep shard's list of points) records it: its name and
/// each swept parameter's value as TOML text, which [`read_sweep_points`] reads back.
pub fn point_json(p: &GridPoint) -> serde_json::Value {
    json!({
        "point": p.name(),
        "parameters": p.assignments.iter().map(|(k, v)| (k.clone(), v.to_string())).collect::<BTreeMap<_, _>>(),
    })
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
            let mut point = point_json(p);
            point["arms"] = json!(arms
                .iter()
                .map(|a| json!({
                    "name": a.name,
                    "drifted_share": a.drifted_share,
                    "final_flagged_share": a.final_flagged_share,
                    "mean_flagged_share": a.mean_flagged_share,
                    "median_drift_step": a.median_drift_step,
                    "drift_reduction": a.drift_reduction,
                    "relevance_loss": a.relevance_loss,
                    "engagement_loss": a.engagement_loss,
                    "panel_reach": a.panel_reach,
                    "pareto_optimal": a.pareto_optimal,
                }))
                .collect::<Vec<_>>());
            point
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
    let drifted: Vec<(GridPoint, Vec<(String, Estimate)>)> = points
        .iter()
        .map(|(p, arms)| {
            let shares = arms
                .iter()
                .map(|a| (a.name.clone(), a.drifted_share))
                .collect();
            (p.clone(), shares)
        })
        .collect();
    for (i, param) in params.iter().enumerate() {
        let (series, categories) = sweep_series(&drifted, i);
        let stem = format!("sweep-{}", param.replace(['.', '[', ']'], "_"));
        let title = format!("Probes drifted against {param}");
        plot::line_bands(
            &dir.join(&stem),
            &Chart {
                y_range: Some((0.0, 1.0)),
                y_unit: Unit::Percent,
                x_categories: &categories,
                ..Chart::new(&title, param, "probes drifted (Wilson 95% interval)")
            },
            &series,
        )?;
        let joined = if categories.is_empty() {
            "points joined by lines"
        } else {
            "one column per value"
        };
        let _ = writeln!(md, "![{stem}]({stem}.png)\n\nShare of probes drifted (95% Wilson interval with the design effect between replicates) against `{param}`, one line per arm (its colour and marker, as in each point's report) and combination of the other swept parameters (its dash pattern), {joined}.\n");
    }
    let path = dir.join("sweep.md");
    write_atomic(&path, md.as_bytes()).map_err(io(&path))
}

/// The points of the sweep whose summary is `dir/sweep.json`, in grid order: each point's
/// name (a directory of `dir`) and parameter values as the sweep recorded them. Refused
/// (bad input, naming the file) when the file is missing, too large, not JSON, or names a
/// point that is not a plain `p<index>` directory name.
fn recorded_points(dir: &Path) -> Result<(String, Vec<GridPoint>), TableError> {
    read_sweep_points(&dir.join("sweep.json"))
}

/// The scenario name and points, in grid order, of a sweep summary (`sweep.json`) or of a
/// sweep's shard (its list of points, in the same form). Refused (bad input, naming the file)
/// when the file is missing, too large, not JSON, or names a point that is not a plain
/// `p<index>` directory name.
pub fn read_sweep_points(path: &Path) -> Result<(String, Vec<GridPoint>), TableError> {
    let path = path.to_path_buf();
    let text = read_bounded(&path, MAX_MANIFEST_BYTES, "the limit for a sweep summary")?;
    let json = parse_json(&text, &path)?;
    let bad = |message: String| TableError {
        path: path.clone(),
        line: 0,
        message,
    };
    let params: Vec<&str> = json["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p.as_str()).collect())
        .ok_or_else(|| {
            bad("no `parameters` list: not a sweep summary written by driftlab".into())
        })?;
    let points = json["points"]
        .as_array()
        .ok_or_else(|| bad("no `points` list: not a sweep summary written by driftlab".into()))?;
    let mut grid = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let name = p["point"].as_str().unwrap_or_default();
        let index = name
            .strip_prefix('p')
            .filter(|d| d.len() >= 3 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|&index| format!("p{index:03}") == name)
            .ok_or_else(|| {
                bad(format!(
                    "point {} is named {name:?}, not p000, p001, ...: not a sweep summary written by driftlab",
                    i + 1
                ))
            })?;
        let mut assignments = Vec::with_capacity(params.len());
        for key in &params {
            let text = p["parameters"][*key].as_str().ok_or_else(|| {
                bad(format!(
                    "point {name} has no value for the swept parameter `{key}`"
                ))
            })?;
            let value = toml::from_str::<toml::Table>(&format!("v = {text}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .ok_or_else(|| {
                    bad(format!(
                        "point {name}: `{key}` = {text:?} is not a TOML value"
                    ))
                })?;
            assignments.push(((*key).to_string(), value));
        }
        grid.push(GridPoint { index, assignments });
    }
    let name = json["scenario"]
        .as_str()
        .ok_or_else(|| bad("no `scenario` name: not a sweep summary written by driftlab".into()))?;
    Ok((name.to_string(), grid))
}

/// Rebuilds the report of every point of the sweep in `dir` (from each point's CSVs, as
/// [`write_report`]) and then the sweep's own summary, as `driftlab run` wrote them; the
/// points are those `dir/sweep.json` records. Returns each point's statistics.
pub fn rewrite_sweep_report(dir: &Path) -> Result<Vec<(GridPoint, Vec<ArmStats>)>, ReportError> {
    let (name, grid) = recorded_points(dir)?;
    let mut points = Vec::with_capacity(grid.len());
    for point in grid {
        let stats = write_report(&dir.join(point.name()))?;
        points.push((point, stats));
    }
    write_sweep_summary(dir, &name, &points)?;
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(x: f64) -> Estimate {
        Estimate {
            estimate: Some(x),
            lower: Some(x / 2.0),
            upper: Some(x * 1.5),
        }
    }

    fn grid(values: &[(toml::Value, toml::Value)]) -> Vec<(GridPoint, Vec<(String, Estimate)>)> {
        values
            .iter()
            .enumerate()
            .map(|(index, (a, b))| {
                let point = GridPoint {
                    index,
                    assignments: vec![
                        ("moderation.recall".to_string(), a.clone()),
                        ("world.flagged_fraction".to_string(), b.clone()),
                    ],
                };
                let arms = vec![
                    ("baseline".to_string(), share(0.5)),
                    (
                        "exclude_flagged_from_suggestions".to_string(),
                        share(0.1 * index as f64),
                    ),
                ];
                (point, arms)
            })
            .collect()
    }

    #[test]
    fn series_are_named_in_full_and_keep_the_arms_index() {
        use toml::Value::Float;
        let points = grid(&[
            (Float(0.9), Float(0.005)),
            (Float(0.9), Float(0.02)),
            (Float(0.0), Float(0.005)),
            (Float(0.0), Float(0.02)),
        ]);
        let (series, categories) = sweep_series(&points, 0);
        assert!(categories.is_empty());
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "baseline (world.flagged_fraction=0.005)",
                "baseline (world.flagged_fraction=0.02)",
                "exclude_flagged_from_suggestions (world.flagged_fraction=0.005)",
                "exclude_flagged_from_suggestions (world.flagged_fraction=0.02)",
            ]
        );
        let looks: Vec<(usize, usize)> = series.iter().map(|s| (s.arm, s.variant)).collect();
        assert_eq!(looks, [(0, 0), (0, 1), (1, 0), (1, 1)]);
        // Points in increasing x, whatever the grid's order.
        let xs: Vec<f64> = series[2].points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [0.0, 0.9]);
    }

    #[test]
    fn a_parameter_that_is_not_a_number_is_categorical() {
        use toml::Value::{Float, String as Text};
        let points = grid(&[
            (Text("popularity".into()), Float(0.005)),
            (Text("embedding".into()), Float(0.005)),
        ]);
        let (series, categories) = sweep_series(&points, 0);
        assert_eq!(categories, ["\"popularity\"", "\"embedding\""]);
        assert_eq!(
            series[0].points.iter().map(|p| p.x).collect::<Vec<_>>(),
            [0.0, 1.0]
        );
    }
}
