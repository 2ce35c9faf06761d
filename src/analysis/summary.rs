//! Statistics across replicates, per arm: per-step means with 95% intervals, Kaplan-Meier curves
//! of "not yet drifted" with Greenwood bands, log-rank tests and paired differences against the
//! first arm (the baseline). Arms share random numbers, so differences are paired by replicate.
//!
//! Every interval fits the kind of quantity (the table in [`crate::metrics`], `#Intervals`):
//! shares of probes get Wilson's interval with the design effect between replicates, other
//! shares and non-negative means a t interval truncated to their range, signed differences a
//! paired t interval. [`INTERVALS`] names each figure's interval, for `summary.json`.

use super::tables::ResultTables;
use crate::metrics::{self, IntervalKind};
use crate::stats::{
    clustered_wilson_interval, kaplan_meier, log_rank, mean_ci_t, paired_difference_ci,
    truncated_mean_ci, Interval, Observation,
};
use serde::Serialize;

/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// The interval of each per-arm figure of [`ArmStats`] (by field name), as `summary.json`
/// gives it under `intervals`; the per-step curves follow their metric's [`IntervalKind`].
pub const INTERVALS: [(&str, &str); 13] = [
    ("final_flagged_share", IntervalKind::Share.method()),
    ("mean_flagged_share", IntervalKind::Share.method()),
    ("drifted_share", IntervalKind::ProbeShare.method()),
    (
        "median_drift_step",
        "Kaplan-Meier median, limits where the log-log Greenwood band crosses 0.5",
    ),
    ("final_flagged_follows", IntervalKind::NonNegative.method()),
    ("drifted_share_difference", PAIRED),
    ("flagged_share_difference", PAIRED),
    ("drift_reduction", RELATIVE),
    ("relevance_loss", RELATIVE),
    ("engagement_loss", RELATIVE),
    ("benign_labelled", IntervalKind::Share.method()),
    ("panel_reach", IntervalKind::Share.method()),
    ("survival", "Kaplan-Meier, log-log Greenwood band"),
];

/// The interval of a signed difference against the first arm.
const PAIRED: &str = "paired t over replicates (signed)";
/// The interval of a relative difference against the first arm.
const RELATIVE: &str = "paired t over replicates divided by the first arm's mean (signed)";

/// An estimate with its interval, for JSON (`null` where undefined).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Point estimate.
    pub estimate: Option<f64>,
    /// Lower bound.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Estimate {
    /// The same estimate with every bound clipped to `[lo, hi]` (a reduction of a share cannot
    /// exceed 100%).
    pub fn clamp(self, lo: f64, hi: f64) -> Self {
        let c = |x: Option<f64>| x.map(|v| v.clamp(lo, hi));
        Self {
            estimate: c(self.estimate),
            lower: c(self.lower),
            upper: c(self.upper),
        }
    }
}

impl From<Interval> for Estimate {
    fn from(i: Interval) -> Self {
        Self {
            estimate: finite(i.estimate),
            lower: finite(i.lower),
            upper: finite(i.upper),
        }
    }
}

/// One point of a per-step curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Step.
    pub step: u32,
    /// Mean over replicates with its interval (by the metric's [`IntervalKind`]).
    #[serde(flatten)]
    pub value: Estimate,
}

/// One point of a Kaplan-Meier curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SurvivalPoint {
    /// Step.
    pub step: u32,
    /// Probes still at risk.
    pub at_risk: usize,
    /// Probes that drifted at this step.
    pub drifted: usize,
    /// Share not yet drifted, with its Greenwood band.
    #[serde(flatten)]
    pub value: Estimate,
}

/// The flagged cluster at the last step, per arm: mean over replicates of the `cluster_*`
/// columns of `steps.csv` with its t interval, bounds clipped at 0 (they are counts).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterStats {
    /// Flagged accounts on the platform, not banned.
    pub active: Estimate,
    /// Flagged accounts banned.
    pub banned: Estimate,
    /// Returns of banned accounts over the run.
    pub returned: Estimate,
    /// Recruits over the run.
    pub recruited: Estimate,
    /// Variant spellings in use.
    pub variants: Estimate,
    /// Bridge follows over the run.
    pub bridges: Estimate,
}

impl ClusterStats {
    /// The estimates with their column names, in column order.
    pub fn columns(&self) -> [(&'static str, &Estimate); 6] {
        let values = [
            &self.active,
            &self.banned,
            &self.returned,
            &self.recruited,
            &self.variants,
            &self.bridges,
        ];
        std::array::from_fn(|i| (metrics::STEP_METRICS[CLUSTER[i]].column, values[i]))
    }
}

/// Everything computed for one arm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArmStats {
    /// Arm name.
    pub name: String,
    /// Probes over all replicates.
    pub probes: usize,
    /// Flagged share of impressions at the last step (mean over replicates; t interval
    /// truncated to [0, 1]).
    pub final_flagged_share: Estimate,
    /// Flagged share of impressions over all steps (mean over replicates; t interval truncated
    /// to [0, 1]).
    pub mean_flagged_share: Estimate,
    /// Share of probes drifted before the horizon (pooled over replicates; Wilson interval with
    /// the design effect between replicates).
    pub drifted_share: Estimate,
    /// Kaplan-Meier median time-to-drift with its interval (`null`: not reached).
    pub median_drift_step: Estimate,
    /// Flagged accounts followed per probe at the last step (mean over replicates; t interval
    /// truncated at 0).
    pub final_flagged_follows: Estimate,
    /// Paired difference against the first arm of the per-replicate share of probes drifted
    /// (signed; paired t).
    pub drifted_share_difference: Estimate,
    /// Paired difference against the first arm of the per-replicate mean flagged share
    /// (signed; paired t).
    pub flagged_share_difference: Estimate,
    /// Relative reduction of the share drifted against the first arm (difference / baseline;
    /// signed, paired t, at most 100% since a share cannot fall below zero).
    pub drift_reduction: Estimate,
    /// Collateral cost: relative loss of the panel's relevance (mean affinity of what ordinary
    /// accounts are shown to their interests, over all steps) against the first arm, paired by
    /// replicate; positive = ordinary accounts are served less relevant slates. NaN without a
    /// panel.
    pub relevance_loss: Estimate,
    /// Relative loss of the panel's engagement probability against the first arm, paired.
    pub engagement_loss: Estimate,
    /// Share of benign accounts carrying a label, averaged over steps (wrongly suppressed;
    /// mean over replicates, t interval truncated to [0, 1]).
    pub benign_labelled: Estimate,
    /// Share of panel accounts shown a flagged account at least once by the last step (mean
    /// over replicates, t interval truncated to [0, 1]: the panel's size is not in the tables).
    pub panel_reach: Estimate,
    /// Whether no other arm has at least this drift reduction at no more collateral cost
    /// (with one strictly better), by point estimates.
    pub pareto_optimal: bool,
    /// The flagged cluster at the last step (active, banned, returns, recruits, variants,
    /// bridges).
    pub cluster: ClusterStats,
    /// Log-rank test of time-to-drift against the first arm: chi-square (1 df).
    pub log_rank_chi2: Option<f64>,
    /// Its p-value.
    pub log_rank_p: Option<f64>,
    /// Per-step curves of every metric of `steps.csv`, keyed by column name.
    pub curves: Vec<(String, Vec<CurvePoint>)>,
    /// Kaplan-Meier curve of the share not yet drifted.
    pub survival: Vec<SurvivalPoint>,
}

/// Mean over the finite values of a row.
fn row_mean(values: &[f64]) -> f64 {
    let (s, n) = values
        .iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

fn observations(tables: &ResultTables, arm: usize) -> Vec<Observation> {
    tables
        .probes
        .iter()
        .filter(|p| p.arm == arm)
        .map(|p| Observation {
            time: p.drift_step,
            event: !p.censored,
        })
        .collect()
}

/// Per replicate, the probes that drifted before the horizon and the probes.
fn probe_counts(tables: &ResultTables, arm: usize) -> Vec<(usize, usize)> {
    let mut counts = vec![(0usize, 0usize); tables.replicates()];
    for p in tables.probes.iter().filter(|p| p.arm == arm) {
        if let Some(c) = counts.get_mut(p.replicate as usize) {
            c.0 += usize::from(!p.censored);
            c.1 += 1;
        }
    }
    counts
}

/// Per-replicate share of probes drifted.
fn drifted_by_replicate(tables: &ResultTables, arm: usize) -> Vec<f64> {
    probe_counts(tables, arm)
        .into_iter()
        .map(|(d, n)| {
            if n == 0 {
                f64::NAN
            } else {
                d as f64 / n as f64
            }
        })
        .collect()
}

/// The interval of one point of a per-step curve: `column[r]` is replicate `r`'s value and
/// `probes[r]` its number of probes (the trials of a share of probes, whose count is
/// `value * probes` rounded: the CSV keeps six decimals).
fn curve_interval(kind: IntervalKind, column: &[f64], probes: &[usize]) -> Interval {
    match kind {
        IntervalKind::ProbeShare => {
            let counts: Vec<(usize, usize)> = column
                .iter()
                .zip(probes)
                .filter(|(v, _)| v.is_finite())
                .map(|(v, &n)| ((v.clamp(0.0, 1.0) * n as f64).round() as usize, n))
                .collect();
            clustered_wilson_interval(&counts, LEVEL)
        }
        IntervalKind::Signed => mean_ci_t(column, LEVEL),
        IntervalKind::Share | IntervalKind::NonNegative => {
            let (lo, hi) = kind.range();
            truncated_mean_ci(column, LEVEL, lo, hi)
        }
    }
}

// The metrics the summary reads by name, as indices into the values of a step record.
const FLAGGED_SHARE: usize = metrics::step_column("flagged_share");
const FLAGGED_FOLLOWS: usize = metrics::step_column("flagged_follows");
const PANEL_RELEVANCE: usize = metrics::step_column("panel_relevance");
const PANEL_ENGAGEMENT: usize = metrics::step_column("panel_engagement");
const BENIGN_LABELLED: usize = metrics::step_column("benign_labelled");
const PANEL_REACH: usize = metrics::step_column("panel_reach");
const CLUSTER: [usize; 6] = [
    metrics::step_column("cluster_active"),
    metrics::step_column("cluster_banned"),
    metrics::step_column("cluster_returned"),
    metrics::step_column("cluster_recruited"),
    metrics::step_column("cluster_variants"),
    metrics::step_column("cluster_bridges"),
];

/// Computes the statistics of every arm; the first arm is the reference of differences.
pub fn summarize(tables: &ResultTables) -> Vec<ArmStats> {
    let per_rep_mean = |arm: usize, m: usize| -> Vec<f64> {
        tables.metric(arm, m).iter().map(|r| row_mean(r)).collect()
    };
    // Relative loss against the first arm, paired by replicate: -(arm - base) / base.
    let relative_loss = |arm: usize, m: usize| -> Estimate {
        let base = per_rep_mean(0, m);
        let diff = paired_difference_ci(&base, &per_rep_mean(arm, m), LEVEL);
        let b = row_mean(&base);
        Estimate::from(Interval {
            estimate: -diff.estimate / b,
            lower: -diff.upper / b,
            upper: -diff.lower / b,
        })
    };
    let base_obs = observations(tables, 0);
    let base_drifted = drifted_by_replicate(tables, 0);
    let base_share: Vec<f64> = tables
        .metric(0, FLAGGED_SHARE)
        .iter()
        .map(|r| row_mean(r))
        .collect();
    let mut stats: Vec<ArmStats> = (0..tables.arms.len())
        .map(|arm| {
            let obs = observations(tables, arm);
            let km = kaplan_meier(&obs, LEVEL);
            let (median_lo, median_hi) = km.median_ci();
            let counts = probe_counts(tables, arm);
            let probes: Vec<usize> = counts.iter().map(|c| c.1).collect();
            let last = |metric: usize| -> Vec<f64> {
                tables
                    .metric(arm, metric)
                    .iter()
                    .map(|r| r.last().copied().unwrap_or(f64::NAN))
                    .collect()
            };
            let count = |metric: usize| -> Estimate {
                Estimate::from(mean_ci_t(&last(metric), LEVEL)).clamp(0.0, f64::INFINITY)
            };
            let [active, banned, returned, recruited, variants, bridges] = CLUSTER.map(count);
            let cluster = ClusterStats {
                active,
                banned,
                returned,
                recruited,
                variants,
                bridges,
            };
            let share_by_rep: Vec<f64> = tables
                .metric(arm, FLAGGED_SHARE)
                .iter()
                .map(|r| row_mean(r))
                .collect();
            let drifted_by_rep = drifted_by_replicate(tables, arm);
            let diff = paired_difference_ci(&base_drifted, &drifted_by_rep, LEVEL);
            let base_mean = row_mean(&base_drifted);
            let reduction = Interval {
                estimate: -diff.estimate / base_mean,
                lower: -diff.upper / base_mean,
                upper: -diff.lower / base_mean,
            };
            let (chi2, p) = if arm == 0 {
                (None, None)
            } else {
                let lr = log_rank(&base_obs, &obs);
                (finite(lr.chi2), finite(lr.p_value))
            };
            let curves = metrics::STEP_METRICS
                .iter()
                .enumerate()
                .map(|(m, metric)| {
                    let by_rep = tables.metric(arm, m);
                    let points = (0..tables.horizon() as usize)
                        .map(|t| {
                            let column: Vec<f64> = by_rep.iter().map(|r| r[t]).collect();
                            CurvePoint {
                                step: t as u32 + 1,
                                value: curve_interval(metric.interval, &column, &probes).into(),
                            }
                        })
                        .collect();
                    (metric.column.to_string(), points)
                })
                .collect();
            let survival = km
                .points
                .iter()
                .map(|p| SurvivalPoint {
                    step: p.time,
                    at_risk: p.at_risk,
                    drifted: p.events,
                    value: Estimate {
                        estimate: finite(p.survival),
                        lower: finite(p.lower),
                        upper: finite(p.upper),
                    },
                })
                .collect();
            ArmStats {
                name: tables.arms[arm].clone(),
                probes: obs.len(),
                final_flagged_share: truncated_mean_ci(&last(FLAGGED_SHARE), LEVEL, 0.0, 1.0)
                    .into(),
                mean_flagged_share: truncated_mean_ci(&share_by_rep, LEVEL, 0.0, 1.0).into(),
                drifted_share: clustered_wilson_interval(&counts, LEVEL).into(),
                median_drift_step: Estimate {
                    estimate: km.median(),
                    lower: median_lo,
                    upper: median_hi,
                },
                final_flagged_follows: truncated_mean_ci(
                    &last(FLAGGED_FOLLOWS),
                    LEVEL,
                    0.0,
                    f64::INFINITY,
                )
                .into(),
                drifted_share_difference: diff.into(),
                flagged_share_difference: paired_difference_ci(&base_share, &share_by_rep, LEVEL)
                    .into(),
                // A share cannot fall below zero, so the reduction cannot exceed 100%.
                drift_reduction: Estimate::from(reduction).clamp(f64::NEG_INFINITY, 1.0),
                relevance_loss: relative_loss(arm, PANEL_RELEVANCE),
                engagement_loss: relative_loss(arm, PANEL_ENGAGEMENT),
                benign_labelled: truncated_mean_ci(
                    &per_rep_mean(arm, BENIGN_LABELLED),
                    LEVEL,
                    0.0,
                    1.0,
                )
                .into(),
                panel_reach: truncated_mean_ci(&last(PANEL_REACH), LEVEL, 0.0, 1.0).into(),
                pareto_optimal: false,
                cluster,
                log_rank_chi2: chi2,
                log_rank_p: p,
                curves,
                survival,
            }
        })
        .collect();
    mark_pareto(&mut stats);
    stats
}

/// Marks the arms on the Pareto front of (drift reduction up, relevance loss down), by point
/// estimates; an arm with an unknown coordinate is never on the front. The first arm (0, 0) can
/// be.
fn mark_pareto(stats: &mut [ArmStats]) {
    let point = |s: &ArmStats| match (s.drift_reduction.estimate, s.relevance_loss.estimate) {
        (Some(r), Some(c)) if r.is_finite() && c.is_finite() => Some((r, c)),
        _ => None,
    };
    let points: Vec<Option<(f64, f64)>> = stats.iter().map(point).collect();
    for (i, s) in stats.iter_mut().enumerate() {
        s.pareto_optimal = points[i].is_some_and(|(r, c)| {
            !points.iter().enumerate().any(|(j, q)| {
                j != i && q.is_some_and(|(r2, c2)| r2 >= r && c2 <= c && (r2 > r || c2 < c))
            })
        });
    }
}
