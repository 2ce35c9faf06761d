//! Builds `summary.json`, `summary.md` and the plots of a results directory from its CSVs and
//! manifest, so a report can be rebuilt at any time without rerunning (`driftlab report`).

use super::plot::{self, BandPoint, BandSeries, Bar, Chart, Interval, ScatterPoint, Unit};
use super::{fixed, ReportError};
use crate::analysis::input::shown;
use crate::analysis::summary::{summarize, ArmStats, Estimate, INTERVALS, LEVEL};
use crate::analysis::tables::{ResultsDir, TableError, STEP_METRICS};
use crate::atomic::write_atomic;
use crate::metrics;
use crate::policy::Surface;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

/// The charts of a report: `<stem>.png` and `<stem>.svg` each.
const CHARTS: [&str; 3] = ["drift", "survival", "reduction"];

/// The stem of an arm's exposure chart (its name is checked: no separator, no `..`).
fn exposure_stem(arm: &str) -> String {
    format!("exposure-{arm}")
}

/// `dir/name`, refused unless `name` is one plain file name (no separator, not `.` or `..`):
/// nothing a report writes can leave its results directory, whatever the names it is given.
fn output(dir: &Path, name: &str) -> Result<PathBuf, TableError> {
    let mut parts = Path::new(name).components();
    let plain = matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    ) && !name.contains(['/', '\\', '\0']);
    if !plain {
        return Err(TableError {
            path: dir.to_path_buf(),
            line: 0,
            message: format!(
                "refusing to write {}: not a file name inside the results directory",
                shown(name)
            ),
        });
    }
    Ok(dir.join(name))
}

/// Checks, before anything is written, every file a report of `arms` writes into `dir`: a plain
/// name inside `dir`, and not something other than a regular file already (a directory, a
/// symbolic link, a pipe), which a report does not replace.
fn check_outputs(dir: &Path, arms: &[String]) -> Result<(), TableError> {
    let stems = CHARTS
        .iter()
        .map(|s| s.to_string())
        .chain(arms.iter().map(|a| exposure_stem(a)));
    let charts = stems.flat_map(|s| [format!("{s}.png"), format!("{s}.svg")]);
    for name in ["summary.json".to_string(), "summary.md".to_string()]
        .into_iter()
        .chain(charts)
    {
        let path = output(dir, &name)?;
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.file_type().is_file() {
                return Err(TableError {
                    path,
                    line: 0,
                    message: "it is not a regular file (a directory, link, pipe or device); a \
                              report replaces only regular files"
                        .into(),
                });
            }
        }
    }
    Ok(())
}

fn pct(e: &Estimate) -> String {
    let p = |x: f64| fixed(100.0 * x, 1);
    match (e.estimate, e.lower, e.upper) {
        (Some(x), Some(l), Some(u)) => format!("{}% [{}, {}]", p(x), p(l), p(u)),
        (Some(x), _, _) => format!("{}%", p(x)),
        _ => "n/a".into(),
    }
}

/// A percentage with two decimals (small relative losses), "-0.00" shown as "0.00".
fn pct2(e: &Estimate) -> String {
    let p = |x: f64| fixed(100.0 * x, 2);
    match (e.estimate, e.lower, e.upper) {
        (Some(x), Some(l), Some(u)) => format!("{}% [{}, {}]", p(x), p(l), p(u)),
        (Some(x), _, _) => format!("{}%", p(x)),
        _ => "n/a".into(),
    }
}

fn steps(e: &Estimate, horizon: u32) -> String {
    let b = |x: Option<f64>| x.map_or(format!("> {horizon}"), |v| format!("{v:.0}"));
    match e.estimate {
        Some(_) => format!("{} [{}, {}]", b(e.estimate), b(e.lower), b(e.upper)),
        None => format!("> {horizon}"),
    }
}

fn num(e: &Estimate) -> String {
    let n = |x: f64| fixed(x, 2);
    match (e.estimate, e.lower, e.upper) {
        (Some(x), Some(l), Some(u)) => format!("{} [{}, {}]", n(x), n(l), n(u)),
        (Some(x), _, _) => n(x),
        _ => "n/a".into(),
    }
}

/// A count averaged over replicates, one decimal.
fn count(e: &Estimate) -> String {
    match (e.estimate, e.lower, e.upper) {
        (Some(x), Some(l), Some(u)) => format!("{x:.1} [{l:.1}, {u:.1}]"),
        (Some(x), _, _) => format!("{x:.1}"),
        _ => "n/a".into(),
    }
}

fn nan(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NAN)
}

fn curve(stats: &ArmStats, metric: &str) -> Vec<BandPoint> {
    stats
        .curves
        .iter()
        .find(|(m, _)| m == metric)
        .map(|(_, pts)| {
            pts.iter()
                .map(|p| BandPoint {
                    x: f64::from(p.step),
                    y: nan(p.value.estimate),
                    lower: nan(p.value.lower),
                    upper: nan(p.value.upper),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn interval(e: &Estimate) -> Interval {
    Interval {
        estimate: nan(e.estimate),
        lower: nan(e.lower),
        upper: nan(e.upper),
    }
}

/// Kaplan-Meier curve of an arm, starting at 1 at step 0.
fn survival_points(s: &ArmStats) -> Vec<BandPoint> {
    let mut points = vec![BandPoint {
        x: 0.0,
        y: 1.0,
        lower: 1.0,
        upper: 1.0,
    }];
    points.extend(s.survival.iter().map(|p| BandPoint {
        x: f64::from(p.step),
        y: nan(p.value.estimate),
        lower: nan(p.value.lower),
        upper: nan(p.value.upper),
    }));
    points
}

/// Mean flagged impressions per probe and step of each surface of an arm, step by step (NaN
/// read as zero).
fn exposure_layers(s: &ArmStats) -> Vec<(String, Vec<f64>)> {
    Surface::ALL
        .iter()
        .map(|surface| {
            let metric = format!("flagged_impressions_{}", surface.name());
            let ys = curve(s, &metric)
                .iter()
                .map(|p| if p.y.is_finite() { p.y } else { 0.0 })
                .collect();
            (surface.name().to_string(), ys)
        })
        .collect()
}

/// The y range every exposure chart of a report shares, so arms can be compared: zero to a
/// little above the largest stacked total of any arm (`None` when every total is zero).
fn shared_exposure_range(layers: &[Vec<(String, Vec<f64>)>]) -> Option<(f64, f64)> {
    let top = layers
        .iter()
        .flat_map(|arm| {
            let steps = arm.iter().map(|(_, ys)| ys.len()).max().unwrap_or(0);
            (0..steps).map(move |k| {
                arm.iter()
                    .filter_map(|(_, ys)| ys.get(k))
                    .filter(|v| v.is_finite())
                    .map(|v| v.max(0.0))
                    .sum::<f64>()
            })
        })
        .fold(0.0, f64::max);
    (top > 0.0).then_some((0.0, top * 1.08))
}

/// Draws every chart of the report. Each arm is drawn with its index in the scenario (its
/// position in `stats`), so it has the same colour and marker in every chart.
fn draw(
    dir: &Path,
    stats: &[ArmStats],
    horizon: u32,
) -> Result<Vec<(String, String)>, ReportError> {
    let mut figures = Vec::new();
    let drift: Vec<BandSeries> = stats
        .iter()
        .enumerate()
        .map(|(arm, s)| BandSeries {
            name: s.name.clone(),
            points: curve(s, "flagged_share"),
            arm,
            variant: 0,
        })
        .collect();
    plot::line_bands(
        &output(dir, "drift")?,
        &Chart {
            y_range: Some((0.0, 1.0)),
            y_unit: Unit::Percent,
            ..Chart::new(
                "Flagged share of probes' impressions",
                "step",
                "flagged share of impressions (mean, 95% CI)",
            )
        },
        &drift,
    )?;
    figures.push(("drift".into(), "Flagged share of the probes' impressions per step: mean over replicates with its 95% interval (t, truncated to [0, 100%]). A curve that climbs toward 100% is an arm whose probes end up seeing mostly flagged accounts.".into()));
    let survival: Vec<BandSeries> = stats
        .iter()
        .enumerate()
        .map(|(arm, s)| BandSeries {
            name: s.name.clone(),
            points: survival_points(s),
            arm,
            variant: 0,
        })
        .collect();
    plot::step_bands(
        &output(dir, "survival")?,
        &Chart {
            y_range: Some((0.0, 1.0)),
            y_unit: Unit::Percent,
            ..Chart::new(
                "Probes not yet drifted (Kaplan-Meier)",
                "step",
                "probes not yet drifted (95% Greenwood band)",
            )
        },
        &survival,
    )?;
    figures.push(("survival".into(), format!("Share of probes that have not yet drifted, by step (Kaplan-Meier, censored at step {horizon}), with 95% bands. Where a curve crosses 50% is the arm's median time-to-drift; a curve that stays high is a mitigation that holds.")));
    let has_cost = stats
        .iter()
        .skip(1)
        .any(|s| s.relevance_loss.estimate.is_some_and(f64::is_finite));
    if has_cost {
        let points: Vec<ScatterPoint> = stats
            .iter()
            .enumerate()
            .map(|(arm, s)| ScatterPoint {
                name: s.name.clone(),
                arm,
                x: interval(&s.relevance_loss),
                y: interval(&s.drift_reduction),
            })
            .collect();
        plot::labelled_scatter(
            &output(dir, "reduction")?,
            &Chart {
                x_unit: Unit::Percent,
                y_unit: Unit::Percent,
                ..Chart::new(
                    "Drift reduction against collateral cost",
                    "relevance loss of ordinary accounts vs first arm (95% CI)",
                    "drift reduction vs first arm (95% CI)",
                )
            },
            &points,
        )?;
        figures.push(("reduction".into(), "Each arm's drift reduction (relative reduction of the share of probes that drifted; up is better) against its collateral cost, the relevance loss (relative loss of relevance of what the panel of ordinary accounts is shown; left is better), both against the first arm and paired by replicate, in percent as in the table, with 95% intervals. Arms up and to the left dominate; the Pareto column of the table marks the arms no other arm beats on both. Points that coincide are drawn as concentric rings.".into()));
    } else {
        let bars: Vec<Bar> = stats
            .iter()
            .enumerate()
            .skip(1)
            .map(|(arm, s)| Bar {
                name: s.name.clone(),
                arm,
                value: interval(&s.drift_reduction),
            })
            .collect();
        if !bars.is_empty() {
            plot::bars_with_errors(
                &output(dir, "reduction")?,
                &Chart {
                    y_unit: Unit::Percent,
                    ..Chart::new(
                        "Drift reduction against the first arm",
                        "arm",
                        "drift reduction vs first arm (95% CI)",
                    )
                },
                &bars,
            )?;
            figures.push(("reduction".into(), "Relative reduction of the share of probes that drifted, against the first arm, paired by replicate (the arms share random numbers), with 95% intervals. 100% means no probe drifted.".into()));
        }
    }
    let x: Vec<f64> = (1..=horizon).map(f64::from).collect();
    let layers: Vec<Vec<(String, Vec<f64>)>> = stats.iter().map(exposure_layers).collect();
    let y_range = shared_exposure_range(&layers);
    for (arm, (s, layers)) in stats.iter().zip(&layers).enumerate() {
        let stem = exposure_stem(&s.name);
        let title = format!("Flagged impressions by surface: {}", s.name);
        plot::stacked_areas(
            &output(dir, &stem)?,
            &Chart {
                y_range,
                arm: Some(arm),
                ..Chart::new(&title, "step", "flagged impressions per probe per step")
            },
            &x,
            layers,
        )?;
        figures.push((stem, format!("Where the flagged impressions of arm `{}` come from: mean flagged impressions per probe and step, stacked by surface. Every arm's chart has the same y scale.", s.name)));
    }
    Ok(figures)
}

/// Writes `summary.json`, `summary.md` and the plots of the results directory `dir`.
///
/// Everything is read and checked before anything is written (the manifest, both tables
/// against it, every output path), so a refused report leaves the directory as it was; see
/// [`crate::analysis::input`] for what is refused.
pub fn write_report(dir: &Path) -> Result<Vec<ArmStats>, ReportError> {
    let input = ResultsDir::read(dir)?;
    let (tables, manifest) = (&input.tables, &input.manifest);
    check_outputs(dir, &tables.arms)?;
    let stats = summarize(tables);
    let horizon = tables.horizon();
    let figures = draw(dir, &stats, horizon)?;
    let io = |path: PathBuf| move |source| ReportError::Io { path, source };

    let stamp = json!({
        "driftlab_version": manifest["driftlab_version"],
        "scenario": manifest["scenario"],
        "scenario_hash": manifest["scenario_hash"],
        "seed": manifest["seed"],
    });
    // Nothing path-dependent goes into summary.json, which `compare --exact` compares: the
    // command as typed (with the scenario's path) stays in the manifest and summary.md.
    let summary = json!({
        "reproducibility": stamp,
        "confidence_level": LEVEL,
        "replicates": tables.replicates(),
        "steps": horizon,
        "metrics": STEP_METRICS,
        "intervals": {
            "arms": INTERVALS.iter().map(|&(k, v)| (k, v)).collect::<BTreeMap<_, _>>(),
            "curves": metrics::STEP_METRICS
                .iter()
                .map(|m| (m.column, m.interval.method()))
                .collect::<BTreeMap<_, _>>(),
        },
        "arms": stats,
    });
    let path = output(dir, "summary.json")?;
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n";
    write_atomic(&path, text.as_bytes()).map_err(io(path.clone()))?;

    let resolved = &manifest["resolved_scenario"];
    let mut md = format!(
        "# driftlab report: {}\n\n",
        manifest["scenario"].as_str().unwrap_or("?")
    );
    if let Some(d) = resolved["description"]
        .as_str()
        .filter(|d| !d.trim().is_empty())
    {
        let _ = writeln!(md, "{}\n", d.trim());
    }
    let w = &manifest["world"];
    let probes: u64 = resolved["probes"]
        .as_array()
        .map(|g| g.iter().filter_map(|p| p["count"].as_u64()).sum())
        .unwrap_or(0);
    let _ = writeln!(
        md,
        "{} replicates x {} steps, {} probes per replicate; a world of {} accounts and {} follow \
         edges with a flagged cluster of {} accounts. A probe has drifted when the flagged share of \
         its impressions, pooled over {} steps, reaches {}. Intervals are 95% and fit the quantity: \
         the share of probes drifted is a Wilson score interval with the design effect between \
         replicates (the probes of a replicate share its world: effective number of probes and \
         t quantile, Korn-Graubard); flagged shares, benign accounts labelled and panel reached \
         are t intervals over replicates truncated to [0, 1] (cutting a t interval to the \
         possible range keeps its coverage); flagged follows and the cluster's counts are expanded \
         percentile bootstrap intervals over replicates (Hesterberg 2015; between the smallest and \
         the largest replicate value, so never below 0: the replicate, not the probe, is the unit \
         of variation, so not a Poisson interval; with fewer than 5 replicates, t intervals \
         truncated at 0, which keep their coverage where a bootstrap cannot); time-to-drift is \
         Kaplan-Meier with log-log Greenwood bands; drift reduction and relevance and engagement \
         loss are signed, paired by replicate (arms share random numbers). `summary.json` names \
         every figure's interval under `intervals`.\n",
        tables.replicates(),
        horizon,
        probes,
        w["accounts"],
        w["edges"],
        w["flagged_accounts"],
        resolved["metrics"]["drift_window"],
        resolved["metrics"]["drift_threshold"],
    );
    md.push_str(
        "| arm | mitigations | flagged share, last step | flagged share, all steps | median time-to-drift (steps) | probes drifted | drift reduction vs first arm | log-rank p vs first arm | flagged follows, last step |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (i, s) in stats.iter().enumerate() {
        let mitigations = resolved["arms"][i]["mitigations"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|x| x["kind"].as_str())
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "none".into());
        let p = s.log_rank_p.map_or("".into(), |p| {
            if p < 1e-4 {
                "< 0.0001".into()
            } else {
                format!("{p:.4}")
            }
        });
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.name,
            mitigations,
            pct(&s.final_flagged_share),
            pct(&s.mean_flagged_share),
            steps(&s.median_drift_step, horizon),
            pct(&s.drifted_share),
            if i == 0 {
                "(reference)".into()
            } else {
                pct(&s.drift_reduction)
            },
            p,
            num(&s.final_flagged_follows)
        );
    }
    if stats.iter().any(|s| s.relevance_loss.estimate.is_some()) {
        md.push_str(
            "\n## Drift reduction and collateral cost\n\n\
             Collateral cost is measured on a panel of ordinary accounts served every step \
             alongside the probes: the relative loss of relevance (mean affinity of what they \
             are shown to their interests) and of engagement against the first arm, the share of \
             benign accounts wrongly labelled (and so suppressed by label-based mitigations), and \
             the share of the panel shown a flagged account at least once.\n\n\
             | arm | drift reduction | relevance loss | engagement loss | benign accounts labelled | panel reached by the cluster | Pareto-optimal |\n\
             |---|---:|---:|---:|---:|---:|:---:|\n",
        );
        for (i, s) in stats.iter().enumerate() {
            let vs = |e: &Estimate, f: fn(&Estimate) -> String| {
                if i == 0 {
                    "(reference)".to_string()
                } else {
                    f(e)
                }
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                s.name,
                vs(&s.drift_reduction, pct),
                vs(&s.relevance_loss, pct2),
                vs(&s.engagement_loss, pct2),
                pct(&s.benign_labelled),
                pct(&s.panel_reach),
                if s.pareto_optimal { "yes" } else { "" }
            );
        }
    }
    md.push_str("\n## The flagged cluster\n\n");
    let changed = stats.iter().any(|s| {
        s.cluster.columns()[1..]
            .iter()
            .any(|(_, e)| e.estimate.is_some_and(|x| x != 0.0))
    });
    if changed {
        md.push_str(
            "The cluster's own dynamics at the last step, mean over replicates with 95% \
             intervals that never go below 0 (expanded percentile bootstrap over replicates; t \
             truncated at 0 below 5 replicates): flagged accounts on the platform (not banned) and banned \
             now; returns of banned accounts, recruits and bridge follows into adjacent \
             communities so far; variant spellings in use now. Per step: the `cluster_*` \
             columns of `steps.csv`.\n\n\
             | arm | active | banned | returned | recruited | variant spellings in use | bridges |\n\
             |---|---:|---:|---:|---:|---:|---:|\n",
        );
        for s in &stats {
            let c = &s.cluster;
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                s.name,
                count(&c.active),
                count(&c.banned),
                count(&c.returned),
                count(&c.recruited),
                count(&c.variants),
                count(&c.bridges)
            );
        }
    } else {
        let _ = writeln!(
            md,
            "The cluster did not change in any arm: its {} accounts stayed on the platform, with \
             no bans, returns, recruits, variant spellings or bridges (the `cluster_*` columns of \
             `steps.csv`).",
            w["flagged_accounts"]
        );
    }
    md.push_str("\n## Plots\n\n");
    for (stem, caption) in &figures {
        let _ = writeln!(
            md,
            "![{stem}]({stem}.png)\n\n{caption} (SVG: `{stem}.svg`)\n"
        );
    }
    let _ = writeln!(
        md,
        "## Reproduce\n\ndriftlab {}, scenario `{}` (hash `{}`), seed {}:\n\n```\n{}\n```\n\n\
         Per-step metrics: `steps.csv`; per-probe outcomes: `probes.csv`; everything above as \
         data: `summary.json`; run facts: `manifest.json`.",
        manifest["driftlab_version"].as_str().unwrap_or("?"),
        manifest["scenario"].as_str().unwrap_or("?"),
        manifest["scenario_hash"].as_str().unwrap_or("?"),
        manifest["seed"],
        manifest["command"].as_str().unwrap_or("?"),
    );
    let path = output(dir, "summary.md")?;
    write_atomic(&path, md.as_bytes()).map_err(io(path.clone()))?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, ys: &[f64]) -> (String, Vec<f64>) {
        (name.to_string(), ys.to_vec())
    }

    #[test]
    fn exposure_charts_share_the_largest_total() {
        let arms = vec![
            vec![layer("search", &[1.0, 2.0]), layer("feed", &[3.0, 4.0])],
            vec![
                layer("search", &[0.1, f64::NAN]),
                layer("feed", &[0.2, -1.0]),
            ],
        ];
        let (lo, hi) = shared_exposure_range(&arms).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 6.0 * 1.08).abs() < 1e-12);
        assert_eq!(
            shared_exposure_range(&[vec![layer("search", &[0.0])]]),
            None
        );
    }
}
