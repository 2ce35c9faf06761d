//! Confidence intervals across replicates: Student t for means and paired differences, the
//! percentile bootstrap, and Wilson's interval for shares.

use super::special::{normal_quantile, student_t_quantile};
use crate::rng::SimRng;
use rand::RngExt;

/// An estimate with its interval (NaN where undefined).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    const NAN: Interval = Interval {
        estimate: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
    };
}

fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|x| x.is_finite()).collect()
}

/// Mean with a Student-t interval at `level` (NaN values skipped; fewer than two values give
/// a degenerate interval at the mean).
pub fn mean_ci_t(values: &[f64], level: f64) -> Interval {
    let v = finite(values);
    let n = v.len();
    if n == 0 {
        return Interval::NAN;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Interval {
            estimate: mean,
            lower: mean,
            upper: mean,
        };
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = student_t_quantile(0.5 + level / 2.0, (n - 1) as f64) * (var / n as f64).sqrt();
    Interval {
        estimate: mean,
        lower: mean - half,
        upper: mean + half,
    }
}

/// Mean with a percentile-bootstrap interval from `resamples` resamples drawn from `rng`.
pub fn bootstrap_mean_ci(
    values: &[f64],
    resamples: usize,
    level: f64,
    rng: &mut SimRng,
) -> Interval {
    let v = finite(values);
    let n = v.len();
    if n == 0 || resamples == 0 {
        return Interval::NAN;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| v[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| means[((q * resamples as f64).floor() as usize).min(resamples - 1)];
    Interval {
        estimate: mean,
        lower: at((1.0 - level) / 2.0),
        upper: at(0.5 + level / 2.0),
    }
}

/// Mean of the paired differences `b[i] - a[i]` with a t interval (pairs with a NaN skipped).
pub fn paired_difference_ci(a: &[f64], b: &[f64], level: f64) -> Interval {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| y - x)
        .collect();
    mean_ci_t(&d, level)
}

/// Wilson score interval for a share of `successes` out of `n`.
pub fn wilson_interval(successes: usize, n: usize, level: f64) -> Interval {
    if n == 0 {
        return Interval::NAN;
    }
    let z = normal_quantile(0.5 + level / 2.0);
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Interval {
        estimate: p,
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SeedTree, StreamId};
    use crate::stats::survival::{kaplan_meier, Observation};

    #[test]
    fn simple_values() {
        let i = mean_ci_t(&[1.0, 2.0, 3.0, f64::NAN], 0.95);
        assert_eq!(i.estimate, 2.0);
        assert!((i.upper - 2.0 - 4.302_652_73 / 3f64.sqrt()).abs() < 1e-6);
        let w = wilson_interval(0, 10, 0.95);
        assert!(w.lower.abs() < 1e-12 && (w.upper - 0.2775).abs() < 1e-3);
        let d = paired_difference_ci(&[1.0, 2.0, f64::NAN], &[2.0, 4.0, 7.0], 0.95);
        assert_eq!(d.estimate, 1.5);
        assert!(mean_ci_t(&[], 0.95).estimate.is_nan());
        assert_eq!(mean_ci_t(&[4.0], 0.95).lower, 4.0);
    }

    /// Coverage by simulation: nominal 95% intervals must cover the truth about 95% of the time.
    #[test]
    fn intervals_cover_at_their_nominal_rate() {
        let mut rng = SeedTree::new(11).stream(0, StreamId::World);
        let trials = 2000;
        let (mut t_hits, mut w_hits, mut b_hits, mut km_hits) = (0, 0, 0, 0);
        for trial in 0..trials {
            // Exponential(1) samples of 20: true mean 1.
            let xs: Vec<f64> = (0..20).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
            let t = mean_ci_t(&xs, 0.95);
            t_hits += usize::from(t.lower <= 1.0 && 1.0 <= t.upper);
            if trial < 400 {
                let b = bootstrap_mean_ci(&xs, 400, 0.95, &mut rng);
                b_hits += usize::from(b.lower <= 1.0 && 1.0 <= b.upper);
            }
            // Bernoulli(0.3) share out of 50.
            let s = (0..50).filter(|_| rng.random::<f64>() < 0.3).count();
            let w = wilson_interval(s, 50, 0.95);
            w_hits += usize::from(w.lower <= 0.3 && 0.3 <= w.upper);
            // Exponential event times (rate 0.1) censored at 12: S(5) = exp(-0.5).
            let obs: Vec<Observation> = (0..60)
                .map(|_| {
                    let t = (-(1.0 - rng.random::<f64>()).ln() / 0.1).ceil() as u32;
                    Observation {
                        time: t.min(12),
                        event: t <= 12,
                    }
                })
                .collect();
            let km = kaplan_meier(&obs, 0.95);
            let truth = (-0.1f64 * 5.0).exp();
            let at = km.points.iter().take_while(|p| p.time <= 5).last();
            if let Some(p) = at {
                km_hits += usize::from(p.lower <= truth && truth <= p.upper);
            } else {
                km_hits += 1;
            }
        }
        let rate = |h: usize, n: usize| h as f64 / n as f64;
        // Skewed data make the t interval slightly liberal at n = 20.
        assert!(
            (0.90..=0.97).contains(&rate(t_hits, trials)),
            "t coverage {}",
            rate(t_hits, trials)
        );
        assert!(
            (0.93..=0.975).contains(&rate(w_hits, trials)),
            "Wilson coverage {}",
            rate(w_hits, trials)
        );
        assert!(
            (0.88..=0.98).contains(&rate(b_hits, 400)),
            "bootstrap coverage {}",
            rate(b_hits, 400)
        );
        assert!(
            (0.92..=0.98).contains(&rate(km_hits, trials)),
            "KM coverage {}",
            rate(km_hits, trials)
        );
    }
}
