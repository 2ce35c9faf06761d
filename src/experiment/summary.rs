//! Headline figures per arm, reduced serially in replicate and probe order.

use super::ExperimentResult;
use crate::ids::Step;
use serde::Serialize;

/// Headline figures of one arm over all replicates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArmSummary {
    /// Arm name.
    pub name: String,
    /// Mean over replicates of the flagged share of impressions at the last step.
    pub final_flagged_share: f64,
    /// Mean over replicates of the flagged share of impressions over all steps.
    pub mean_flagged_share: f64,
    /// Median time-to-drift over all probes; `None` when at least half are censored.
    pub median_drift_step: Option<Step>,
    /// Share of probes that drifted before the horizon.
    pub drifted_share: f64,
    /// Mean flagged accounts followed per probe at the last step.
    pub final_flagged_follows: f64,
    /// Relative reduction of `drifted_share` against the first arm (the baseline).
    pub drift_reduction: f64,
    /// Probes measured (all replicates).
    pub probes: usize,
}

/// Mean of the finite values (NaN when none).
pub(crate) fn finite_mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

/// Lower median of times-to-drift where `None` (censored at the horizon) counts as later than
/// any step; exact under censoring at a common horizon.
pub fn median_drift(times: &mut [Option<Step>]) -> Option<Step> {
    if times.is_empty() {
        return None;
    }
    times.sort_unstable_by_key(|t| t.unwrap_or(Step::MAX));
    times[(times.len() - 1) / 2]
}

/// Summarises every arm of an experiment.
pub fn summarize(result: &ExperimentResult) -> Vec<ArmSummary> {
    let mut out: Vec<ArmSummary> = result
        .arms
        .iter()
        .enumerate()
        .map(|(a, name)| {
            let runs: Vec<_> = result.runs.iter().map(|r| &r[a]).collect();
            let mut times: Vec<Option<Step>> = runs
                .iter()
                .flat_map(|r| r.probes.iter().map(|p| p.drift_step))
                .collect();
            let probes = times.len();
            let drifted = times.iter().filter(|t| t.is_some()).count();
            ArmSummary {
                name: name.clone(),
                final_flagged_share: finite_mean(
                    runs.iter()
                        .filter_map(|r| r.steps.last())
                        .map(|s| s.flagged_share),
                ),
                mean_flagged_share: finite_mean(
                    runs.iter()
                        .map(|r| finite_mean(r.steps.iter().map(|s| s.flagged_share))),
                ),
                median_drift_step: median_drift(&mut times),
                drifted_share: drifted as f64 / probes.max(1) as f64,
                final_flagged_follows: finite_mean(
                    runs.iter()
                        .filter_map(|r| r.steps.last())
                        .map(|s| s.flagged_follows),
                ),
                drift_reduction: 0.0,
                probes,
            }
        })
        .collect();
    if let Some(base) = out.first().map(|s| s.drifted_share) {
        for s in &mut out {
            s.drift_reduction = if base > 0.0 {
                (base - s.drifted_share) / base
            } else {
                0.0
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_with_censoring() {
        assert_eq!(median_drift(&mut [Some(5), None, Some(3)]), Some(5));
        assert_eq!(median_drift(&mut [Some(5), None, None]), None);
        assert_eq!(
            median_drift(&mut [Some(9), Some(1), Some(4), Some(2)]),
            Some(2)
        );
        assert_eq!(median_drift(&mut []), None);
    }

    #[test]
    fn finite_mean_skips_nan() {
        assert_eq!(finite_mean([1.0, f64::NAN, 3.0].into_iter()), 2.0);
        assert!(finite_mean(std::iter::empty()).is_nan());
    }
}
