//! Statistics across replicates, per arm: per-step means with 95% intervals, Kaplan-Meier curves
//! of "not yet drifted" with Greenwood bands, log-rank tests and paired differences against the
//! first arm (the baseline). Arms share random numbers, so differences are paired by replicate.
//!
//! Every interval fits the kind of quantity (the table in [`crate::metrics`], `#Intervals`):
//! shares of probes get Wilson's interval with the design effect between replicates, other
//! shares a t interval truncated to [0, 1], non-negative means (counts, hops) the expanded
//! percentile bootstrap over replicates, signed differences a paired t interval. [`INTERVALS`]
//! names each figure's interval, for `summary.json`.
//!
//! The bootstrap draws from a ChaCha stream keyed by a fixed constant and what it estimates
//! (the curve: arm and metric, [`crate::rng::keyed_stream`]), never from the order of the
//! computation or the thread, so `summary.json` is the same bytes on any thread count.

use super::tables::ResultTables;
use crate::metrics::{self, IntervalKind};
use crate::rng::keyed_stream;
use crate::stats::{
    clustered_wilson_interval, expanded_bootstrap_mean_ci, kaplan_meier, log_rank, mean_ci_t,
    paired_difference_ci, truncated_mean_ci, BootstrapBuffers, Interval, Observation,
    BOOTSTRAP_RESAMPLES,
};
use rayon::prelude::*;
use serde::Serialize;

/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// The interval of each per-arm figure of [`ArmStats`] (by field name), as `summary.json`
/// gives it under `intervals`; the per-step curves follow their metric's [`IntervalKind`].
pub const INTERVALS: [(&str, &str); 14] = [
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
    ("cluster", IntervalKind::NonNegative.method()),
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
/// columns of `steps.csv` with the expanded percentile bootstrap interval of a non-negative
/// mean (the same as the last point of their per-step curves).
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
    /// Flagged accounts followed per probe at the last step (mean over replicates; expanded
    /// percentile bootstrap over replicates, the last point of the `flagged_follows` curve).
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

/// The fewest replicates a non-negative mean gets the expanded percentile bootstrap interval
/// with; below, the t interval truncated at 0 (a bootstrap from 3 values is about their
/// [min, max], which covers a symmetric mean about 75% of the time).
pub const MIN_BOOTSTRAP_REPLICATES: usize = 5;

/// The constant that keys the bootstrap streams of the summary ([`keyed_stream`]): "boot" in
/// ASCII. Changing it changes every bootstrap interval of every report.
const BOOTSTRAP_STREAM: u64 = 0x626f_6f74;

/// The expanded percentile bootstrap interval of the mean over replicates of a non-negative
/// metric: `values[r]` is replicate `r`'s value of metric `metric` (its index in
/// [`metrics::STEP_METRICS`]) at one step of arm `arm`. The replicate is the unit of variation:
/// the probes of a replicate share its world, so their counts are not independent Poisson
/// draws, and a Poisson interval on the pooled count would be too narrow.
///
/// Arm and metric key the stream, so every step of a curve resamples the same replicates (a
/// resample draws whole replicates, their trajectories with them): the band of a flat stretch of
/// the curve is flat, not jittered by resampling noise, and the resamples are drawn once per
/// curve ([`BootstrapBuffers`]). The per-arm figures at the last step are the curve's last point.
///
/// With fewer than [`MIN_BOOTSTRAP_REPLICATES`] replicates the bootstrap cannot cover: its limits
/// stay inside the few values there are (with 3, about [min, max], which holds a symmetric mean
/// about 75% of the time), so the t interval truncated at 0 is used instead, which keeps its
/// coverage.
fn non_negative_interval(
    values: &[f64],
    (arm, metric): (usize, usize),
    buffers: &mut BootstrapBuffers,
) -> Interval {
    if values.iter().filter(|v| v.is_finite()).count() < MIN_BOOTSTRAP_REPLICATES {
        return truncated_mean_ci(values, LEVEL, 0.0, f64::INFINITY);
    }
    let mut rng = keyed_stream(BOOTSTRAP_STREAM, [arm as u64, metric as u64, 0]);
    expanded_bootstrap_mean_ci(values, LEVEL, BOOTSTRAP_RESAMPLES, &mut rng, buffers)
}

/// The interval of one point of a per-step curve: `column[r]` is replicate `r`'s value and
/// `probes[r]` its number of probes (the trials of a share of probes, whose count is
/// `value * probes` rounded: the CSV keeps six decimals); `key` is (arm, metric), the key of a
/// bootstrap's stream.
fn curve_interval(
    kind: IntervalKind,
    column: &[f64],
    probes: &[usize],
    key: (usize, usize),
    buffers: &mut BootstrapBuffers,
) -> Interval {
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
        IntervalKind::Share => {
            let (lo, hi) = kind.range();
            truncated_mean_ci(column, LEVEL, lo, hi)
        }
        IntervalKind::NonNegative => non_negative_interval(column, key, buffers),
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
    let horizon = tables.horizon();
    let base_share: Vec<f64> = tables
        .metric(0, FLAGGED_SHARE)
        .iter()
        .map(|r| row_mean(r))
        .collect();
    // Arms in parallel, each with its own bootstrap buffers: every bootstrap draws from its own
    // keyed stream, so the result does not depend on the threads.
    let mut stats: Vec<ArmStats> = (0..tables.arms.len())
        .into_par_iter()
        .map_init(BootstrapBuffers::default, |buffers, arm| {
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
            // The last point of the metric's curve.
            let mut at_last = |metric: usize| -> Estimate {
                non_negative_interval(&last(metric), (arm, metric), buffers).into()
            };
            let final_flagged_follows = at_last(FLAGGED_FOLLOWS);
            let [active, banned, returned, recruited, variants, bridges] = CLUSTER.map(at_last);
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
                    let mut column = Vec::with_capacity(by_rep.len());
                    let points = (0..horizon as usize)
                        .map(|t| {
                            column.clear();
                            column.extend(by_rep.iter().map(|r| r[t]));
                            let step = t as u32 + 1;
                            let key = (arm, m);
                            let value =
                                curve_interval(metric.interval, &column, &probes, key, buffers);
                            CurvePoint {
                                step,
                                value: value.into(),
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
                final_flagged_follows,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tables::StepRecord;

    /// Three arms of ten replicates over five steps, with every metric a skewed non-negative
    /// value that differs by arm, replicate, step and column (and the cluster's all zero).
    fn tables() -> ResultTables {
        let mut steps = Vec::new();
        for arm in 0..3 {
            for replicate in 0..10u32 {
                for step in 1..=5u32 {
                    let mut values = [0.0; metrics::STEP_METRICS.len()];
                    for (m, v) in values.iter_mut().enumerate() {
                        let k = (arm * 31 + replicate as usize * 7 + step as usize * 3 + m) % 11;
                        *v = if CLUSTER.contains(&m) {
                            0.0
                        } else {
                            (k * k) as f64 / 121.0
                        };
                    }
                    steps.push(StepRecord {
                        arm,
                        replicate,
                        step,
                        values,
                    });
                }
            }
        }
        ResultTables {
            arms: vec!["a".into(), "b".into(), "c".into()],
            steps,
            probes: Vec::new(),
        }
    }

    fn in_pool(threads: usize, tables: &ResultTables) -> String {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let stats = pool.install(|| summarize(tables));
        serde_json::to_string(&stats).expect("serialisable")
    }

    /// The bootstrap intervals are the same bytes on one thread and on several, and again.
    #[test]
    fn bootstrap_intervals_do_not_depend_on_threads() {
        let tables = tables();
        let one = in_pool(1, &tables);
        assert_eq!(one, in_pool(3, &tables));
        assert_eq!(one, in_pool(3, &tables));
    }

    /// With too few replicates for the bootstrap to cover, a non-negative mean gets the t
    /// interval truncated at 0: wider than the replicates' range, never below 0.
    #[test]
    fn few_replicates_get_the_truncated_t_interval() {
        let mut buffers = BootstrapBuffers::default();
        let values = [1.0, 2.0, 4.0];
        let i = non_negative_interval(&values, (0, 0), &mut buffers);
        assert_eq!(i, truncated_mean_ci(&values, LEVEL, 0.0, f64::INFINITY));
        assert!(i.lower >= 0.0 && i.upper > 4.0, "{i:?}");
        let five = [1.0, 2.0, 4.0, 3.0, 2.5];
        let b = non_negative_interval(&five, (0, 0), &mut buffers);
        assert!(
            b.lower >= 1.0 && b.upper <= 4.0,
            "bootstrap from 5 replicates: {b:?}"
        );
    }

    /// Non-negative curves get the bootstrap: inside the replicates' range, so never below 0,
    /// a point where every replicate agrees; the per-arm figures are the curve's last point.
    #[test]
    fn non_negative_means_get_the_bootstrap_interval() {
        let tables = tables();
        let stats = summarize(&tables);
        for (arm, s) in stats.iter().enumerate() {
            for (m, metric) in metrics::STEP_METRICS.iter().enumerate() {
                if metric.interval != IntervalKind::NonNegative {
                    continue;
                }
                let by_rep = tables.metric(arm, m);
                let (name, points) = &s.curves[m];
                assert_eq!(name, metric.column);
                for (t, p) in points.iter().enumerate() {
                    let column: Vec<f64> = by_rep.iter().map(|r| r[t]).collect();
                    let min = column.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = column.iter().copied().fold(0.0, f64::max);
                    let (lo, hi) = (p.value.lower.unwrap(), p.value.upper.unwrap());
                    assert!(min <= lo && hi <= max, "{name} {p:?}");
                    assert!(lo >= 0.0);
                    if min == max {
                        assert_eq!((lo, hi), (min, max));
                    } else {
                        assert!(lo < hi, "{name} {p:?}");
                    }
                }
            }
            let last = |m: usize| s.curves[m].1.last().unwrap().value;
            assert_eq!(s.final_flagged_follows, last(FLAGGED_FOLLOWS));
            for (i, (_, e)) in s.cluster.columns().iter().enumerate() {
                assert_eq!(**e, last(CLUSTER[i]));
                assert_eq!(e.upper, Some(0.0));
            }
        }
    }
}
