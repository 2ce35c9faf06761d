//! Confidence intervals across replicates: Student t for means and paired differences (arms
//! share random numbers, so replicate `r` of two arms forms a pair), the t interval truncated to
//! [0, 1] for means of shares, the expanded percentile bootstrap for means of non-negative
//! quantities (counts, hops), the plain percentile bootstrap, and Wilson's interval for shares
//! such as "share of probes drifted", plain or with the design effect of probes clustered in
//! replicates.
//!
//! All sums run serially in index order, so results are bit-for-bit reproducible.

use super::special::{normal_quantile, student_t_quantile_cached};

/// A point estimate with its confidence interval; fields are NaN where undefined (no data).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

impl Interval {
    /// The undefined interval (no usable data): every field NaN.
    pub const NAN: Interval = Interval {
        estimate: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
    };

    /// A zero-width interval at `x`, for an estimate whose uncertainty cannot be assessed
    /// (a single observation).
    pub fn point(x: f64) -> Self {
        Self {
            estimate: x,
            lower: x,
            upper: x,
        }
    }

    /// Whether `x` lies within the closed interval (false if any bound is NaN); what a
    /// coverage check counts.
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }

    /// Upper minus lower limit (NaN if undefined).
    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }
}

/// The finite values of `values`, in order: NaN (a replicate without a value) and infinities
/// are skipped by every interval here.
pub(super) fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|x| x.is_finite()).collect()
}

/// Serial, index-order mean of a non-empty slice.
pub(super) fn mean(v: &[f64]) -> f64 {
    let mut sum = 0.0;
    for x in v {
        sum += x;
    }
    sum / v.len() as f64
}

/// Mean of `values` with a two-sided Student-t interval at `level` (e.g. 0.95):
/// `mean ± t_{(1+level)/2, n-1} s / sqrt(n)`, the standard interval for a mean over a handful
/// of replicates. Non-finite values (NaN = missing) are skipped. No values gives
/// [`Interval::NAN`]; one value gives a zero-width interval at it; a `level` outside (0, 1)
/// gives NaN limits. The t quantile is computed once per (level, degrees of freedom) and
/// remembered ([`student_t_quantile_cached`]).
pub fn mean_ci_t(values: &[f64], level: f64) -> Interval {
    let v = finite(values);
    let n = v.len();
    if n == 0 {
        return Interval::NAN;
    }
    let m = mean(&v);
    if n < 2 {
        return Interval::point(m);
    }
    let mut ss = 0.0;
    for x in &v {
        ss += (x - m) * (x - m);
    }
    let se = (ss / (n - 1) as f64 / n as f64).sqrt();
    let half = student_t_quantile_cached(0.5 + level / 2.0, (n - 1) as f64) * se;
    Interval {
        estimate: m,
        lower: m - half,
        upper: m + half,
    }
}

/// Mean of `values` with the t interval of [`mean_ci_t`] truncated to the quantity's range
/// `[lo, hi]` (`[0, 1]` for a share, `[0, inf]` for a non-negative quantity): the interval for a
/// mean over replicates of a quantity that cannot leave that range, whose plain t interval can
/// (`0.03 [-0.01, 0.07]` for a share near zero). The report uses it for shares; means of counts
/// get [`super::bootstrap::expanded_bootstrap_mean_ci`].
///
/// Why truncation: the true mean lies in `[lo, hi]`, so cutting the interval to that range
/// never removes it; the truncated interval covers exactly when the t interval does and keeps
/// its coverage. The estimate is unchanged (it is already inside for values inside). A
/// log-scale (delta-method) interval is undefined at a mean of 0 and with a handful of
/// replicates stretches its upper limit by `exp(t se / mean)`, far beyond the data; a plain
/// percentile bootstrap undercovers with the 3 to 20 replicates a scenario has. Values outside
/// the range (only in hand-edited input) are clipped with the limits.
pub fn truncated_mean_ci(values: &[f64], level: f64, lo: f64, hi: f64) -> Interval {
    let i = mean_ci_t(values, level);
    let c = |x: f64| if x.is_nan() { x } else { x.clamp(lo, hi) };
    Interval {
        estimate: c(i.estimate),
        lower: c(i.lower),
        upper: c(i.upper),
    }
}

/// Mean of the paired differences `b[i] - a[i]` with a Student-t interval at `level`: the
/// effect of arm `b` against baseline `a` when replicate `i` of both shares its random
/// numbers, which removes the between-replicate variance from the comparison. Pairs where
/// either side is non-finite are skipped; extra elements of the longer slice are ignored.
pub fn paired_difference_ci(a: &[f64], b: &[f64], level: f64) -> Interval {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| y - x)
        .collect();
    mean_ci_t(&d, level)
}

/// Wilson score interval for a binomial share `successes / n` at `level`: unlike the Wald
/// interval it stays inside [0, 1] and keeps its coverage near 0 and 1 and for small `n`,
/// which matters for shares such as "share of probes drifted". `n = 0`, `successes > n` or
/// a `level` outside (0, 1) give [`Interval::NAN`].
pub fn wilson_interval(successes: usize, n: usize, level: f64) -> Interval {
    if n == 0 || successes > n || !(level > 0.0 && level < 1.0) {
        return Interval::NAN;
    }
    wilson_score(successes, n, n as f64, normal_quantile(0.5 + level / 2.0))
}

/// Wilson's score interval for the share `successes / trials` with quantile `z`, computed as if
/// from `n` trials (`n = trials` for independent trials, fewer for clustered ones).
fn wilson_score(successes: usize, trials: usize, n: f64, z: f64) -> Interval {
    let p = successes as f64 / trials as f64;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // With no or every trial a success the limits are exactly 0 and 1 (rounding would leave a
    // tiny residue).
    Interval {
        estimate: p,
        lower: if successes == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        upper: if successes == trials {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    }
}

/// Wilson score interval at `level` for a share of trials clustered in replicates: `counts`
/// holds each replicate's `(successes, trials)`, the estimate is the pooled share
/// `sum successes / sum trials`, and the interval is Wilson's with the effective number of
/// trials and the t quantile with `R - 1` degrees of freedom in place of z (Korn & Graubard
/// 1998, as R's `survey::svyciprop`): the interval for "share of probes drifted" over `R`
/// replicates.
///
/// Probes of one replicate share its world, so their outcomes are not independent trials:
/// between replicates the share varies more than binomially (in the mitigation matrix the
/// baseline's per-replicate share of probes drifted ranges from 0.04 to 0.94). The design
/// effect `deff = Var_cluster / Var_binomial` measures that: `Var_cluster` is the
/// between-replicate variance of the pooled share, `R / (R - 1) * sum (d_r - p n_r)^2 / N^2`,
/// and `Var_binomial = p (1 - p) / N`. The effective number of trials is `N / max(deff, 1)`
/// (never more than the trials themselves), and the t quantile accounts for estimating the
/// variance from `R` replicates. The interval stays inside [0, 1], is exactly 0 (1) at the lower
/// (upper) end when no (every) trial succeeded, and with one replicate is the plain
/// [`wilson_interval`]. Replicates without trials are skipped; no trials at all, a replicate
/// with more successes than trials or a `level` outside (0, 1) give [`Interval::NAN`].
pub fn clustered_wilson_interval(counts: &[(usize, usize)], level: f64) -> Interval {
    let counts: Vec<(usize, usize)> = counts.iter().copied().filter(|c| c.1 > 0).collect();
    if counts.iter().any(|&(d, n)| d > n) || !(level > 0.0 && level < 1.0) {
        return Interval::NAN;
    }
    let (mut successes, mut trials) = (0usize, 0usize);
    for &(d, n) in &counts {
        successes += d;
        trials += n;
    }
    let r = counts.len();
    if r < 2 {
        return wilson_interval(successes, trials, level);
    }
    let (big_n, p) = (trials as f64, successes as f64 / trials as f64);
    let mut ss = 0.0;
    for &(d, n) in &counts {
        let e = d as f64 - p * n as f64;
        ss += e * e;
    }
    let var_cluster = r as f64 / (r - 1) as f64 * ss / (big_n * big_n);
    let var_binomial = p * (1.0 - p) / big_n;
    let deff = if var_binomial > 0.0 {
        (var_cluster / var_binomial).max(1.0)
    } else {
        1.0
    };
    let z = student_t_quantile_cached(0.5 + level / 2.0, (r - 1) as f64);
    wilson_score(successes, trials, big_n / deff, z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SeedTree, SimRng, StreamId};
    use crate::stats::bootstrap::{
        bootstrap_mean_ci, expanded_bootstrap_mean_ci, BootstrapBuffers,
    };
    use proptest::prelude::*;
    use rand::RngExt;
    use rand::SeedableRng;

    fn close(i: Interval, lower: f64, upper: f64) -> bool {
        (i.lower - lower).abs() < 1e-12 && (i.upper - upper).abs() < 1e-12
    }

    /// Wilson at 95% against its closed form (z = 1.959964): 0/10 is [0, z^2 / (n + z^2)],
    /// 10/10 its mirror, 5/10 is 0.5 -+ 0.263407.
    #[test]
    fn wilson_known_values() {
        let w = wilson_interval(0, 10, 0.95);
        assert_eq!((w.estimate, w.lower), (0.0, 0.0));
        assert!(close(w, 0.0, 0.277_532_799_862_889_2), "{w:?}");
        let w = wilson_interval(10, 10, 0.95);
        assert_eq!((w.estimate, w.upper), (1.0, 1.0));
        assert!(close(w, 0.722_467_200_137_110_7, 1.0), "{w:?}");
        let w = wilson_interval(5, 10, 0.95);
        assert_eq!(w.estimate, 0.5);
        assert!(
            close(w, 0.236_593_090_512_564, 0.763_406_909_487_436_1),
            "{w:?}"
        );
    }

    /// The design-effect Wilson by hand: 2/10, 8/10, 5/10 pool to 0.5 over 30 probes; the
    /// between-replicate variance 3/2 * 18/900 = 0.03 against the binomial 0.25/30 is a design
    /// effect of 3.6, so Wilson runs on 30/3.6 probes with t(0.975, 2) = 4.302653 for z.
    /// Three replicates of 3/10 vary less than binomially (design effect floored at 1: Wilson on
    /// 30 probes with the t quantile); none drifted anywhere gives [0, t^2 / (30 + t^2)].
    #[test]
    fn clustered_wilson_known_values() {
        let w = clustered_wilson_interval(&[(2, 10), (8, 10), (5, 10)], 0.95);
        assert_eq!(w.estimate, 0.5);
        assert!(
            close(w, 0.084_792_430_593_498_67, 0.915_207_569_406_501_4),
            "{w:?}"
        );
        let w = clustered_wilson_interval(&[(3, 10), (3, 10), (3, 10)], 0.95);
        assert!(
            close(w, 0.083_127_953_323_029_97, 0.669_514_752_808_048_3),
            "{w:?}"
        );
        let w = clustered_wilson_interval(&[(0, 10), (0, 10), (0, 10)], 0.95);
        assert_eq!((w.estimate, w.lower), (0.0, 0.0));
        assert!((w.upper - 0.381_606_765_327_695_55).abs() < 1e-12, "{w:?}");
        let w = clustered_wilson_interval(&[(10, 10), (10, 10)], 0.95);
        assert_eq!((w.estimate, w.upper), (1.0, 1.0));
        // One replicate (or one with probes) is the plain Wilson interval.
        assert_eq!(
            clustered_wilson_interval(&[(3, 10)], 0.95),
            wilson_interval(3, 10, 0.95)
        );
        assert_eq!(
            clustered_wilson_interval(&[(3, 10), (0, 0)], 0.95),
            wilson_interval(3, 10, 0.95)
        );
        assert!(clustered_wilson_interval(&[], 0.95).estimate.is_nan());
        assert!(clustered_wilson_interval(&[(0, 0)], 0.95).estimate.is_nan());
        assert!(clustered_wilson_interval(&[(3, 2), (1, 2)], 0.95)
            .estimate
            .is_nan());
        assert!(clustered_wilson_interval(&[(1, 2), (1, 2)], 1.0)
            .estimate
            .is_nan());
    }

    /// The truncated t interval is the t interval cut to the range: 0, 0, 0.3 has mean 0.1 and
    /// t limits 0.1 -+ 4.302653 * 0.1, whose negative lower limit becomes 0.
    #[test]
    fn truncated_t_is_the_t_interval_cut_to_the_range() {
        let xs = [0.0, 0.0, 0.3];
        let t = mean_ci_t(&xs, 0.95);
        assert!(t.lower < 0.0);
        let c = truncated_mean_ci(&xs, 0.95, 0.0, f64::INFINITY);
        assert_eq!((c.estimate, c.lower, c.upper), (t.estimate, 0.0, t.upper));
        assert!((c.upper - 0.1 - 4.302_652_729_749_464 * 0.1).abs() < 1e-12);
        let s = truncated_mean_ci(&[0.9, 1.0, 0.95], 0.95, 0.0, 1.0);
        assert_eq!(s.upper, 1.0);
        let inside = [2.0, 2.5, 3.0];
        assert_eq!(
            truncated_mean_ci(&inside, 0.95, 0.0, f64::INFINITY),
            mean_ci_t(&inside, 0.95)
        );
        assert_eq!(
            truncated_mean_ci(&[0.0, 0.0], 0.95, 0.0, 1.0),
            Interval::point(0.0)
        );
        assert!(truncated_mean_ci(&[], 0.95, 0.0, 1.0).estimate.is_nan());
    }

    /// Counts and shares as the summary meets them: a handful of replicates, from none to all
    /// probes drifted, many at or near zero.
    fn replicate_counts() -> impl Strategy<Value = Vec<(usize, usize)>> {
        proptest::collection::vec(
            (0usize..300).prop_flat_map(|n| {
                prop_oneof![Just(0usize), Just(n), 0..=n, 0..=n.min(3)].prop_map(move |d| (d, n))
            }),
            0..25,
        )
    }

    fn non_negative() -> impl Strategy<Value = Vec<f64>> {
        proptest::collection::vec(prop_oneof![Just(0.0), 0.0..1e-3, 0.0..1.0, 0.0..1e4], 0..30)
    }

    fn in_range(i: Interval, lo: f64, hi: f64) -> bool {
        lo <= i.lower && i.lower <= i.estimate && i.estimate <= i.upper && i.upper <= hi
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// No interval of a count or a share goes below zero (or a share above one), and each
        /// contains its estimate: Wilson, plain and with the design effect, over random
        /// counts, the truncated t over random non-negative values and shares, and the
        /// expanded bootstrap, which stays inside the values' own range.
        #[test]
        fn intervals_of_counts_and_shares_never_go_below_zero(
            counts in replicate_counts(),
            values in non_negative(),
            level in prop_oneof![Just(0.95), Just(0.5), Just(0.99), Just(0.999), 0.01f64..0.999],
        ) {
            let valid = counts.iter().any(|c| c.1 > 0);
            let w = clustered_wilson_interval(&counts, level);
            prop_assert_eq!(valid, !w.estimate.is_nan());
            if valid {
                prop_assert!(in_range(w, 0.0, 1.0), "{:?} {:?}", counts, w);
            }
            for &(d, n) in &counts {
                let w = wilson_interval(d, n, level);
                if n > 0 {
                    prop_assert!(in_range(w, 0.0, 1.0), "{}/{} {:?}", d, n, w);
                }
            }
            let c = truncated_mean_ci(&values, level, 0.0, f64::INFINITY);
            prop_assert_eq!(values.is_empty(), c.estimate.is_nan());
            if !values.is_empty() {
                prop_assert!(in_range(c, 0.0, f64::INFINITY), "{:?} {:?}", values, c);
            }
            let mut rng = SimRng::seed_from_u64(values.len() as u64);
            let b = expanded_bootstrap_mean_ci(
                &values,
                level,
                200,
                &mut rng,
                &mut BootstrapBuffers::default(),
            );
            prop_assert_eq!(values.is_empty(), b.estimate.is_nan());
            if !values.is_empty() {
                let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                let max = values.iter().copied().fold(0.0, f64::max);
                prop_assert!(in_range(b, min, max), "{:?} {:?}", values, b);
            }
            let shares: Vec<f64> = values.iter().map(|v| v.min(1.0)).collect();
            let s = truncated_mean_ci(&shares, level, 0.0, 1.0);
            if !shares.is_empty() {
                prop_assert!(in_range(s, 0.0, 1.0), "{:?} {:?}", shares, s);
            }
        }
    }

    /// Probes clustered in replicates: each replicate's share of probes drifted is drawn
    /// around the mean (uniform on [0.05, 0.55], mean 0.3; the matrix's worlds vary more), then
    /// 100 probes each. Over 10 replicates, the design-effect Wilson interval covers the mean at
    /// about its nominal 95%; the plain Wilson interval on the 1000 pooled probes, which takes
    /// them for independent trials, covers it less than two times in three. Without clustering
    /// (every replicate at 0.3) the design-effect interval stays at or above the nominal rate.
    #[test]
    fn clustered_wilson_covers_clustered_shares() {
        let mut rng = SeedTree::new(5).stream(0, StreamId::World);
        let trials = 1000;
        let (mut clustered, mut pooled, mut independent) = (0, 0, 0);
        let draw = |rng: &mut SimRng, p: f64| (0..100).filter(|_| rng.random::<f64>() < p).count();
        for _ in 0..trials {
            let counts: Vec<(usize, usize)> = (0..10)
                .map(|_| {
                    let p = 0.05 + 0.5 * rng.random::<f64>();
                    (draw(&mut rng, p), 100)
                })
                .collect();
            clustered += usize::from(clustered_wilson_interval(&counts, 0.95).contains(0.3));
            let d: usize = counts.iter().map(|c| c.0).sum();
            pooled += usize::from(wilson_interval(d, 1000, 0.95).contains(0.3));
            let counts: Vec<(usize, usize)> = (0..10).map(|_| (draw(&mut rng, 0.3), 100)).collect();
            independent += usize::from(clustered_wilson_interval(&counts, 0.95).contains(0.3));
        }
        let rate = |h: usize| h as f64 / trials as f64;
        let (c, p, i) = (rate(clustered), rate(pooled), rate(independent));
        assert!(
            (0.93..=0.975).contains(&c),
            "design-effect Wilson coverage {c}"
        );
        assert!(p < 0.67, "pooled Wilson coverage {p}");
        assert!(
            i >= 0.94,
            "design-effect Wilson coverage without clustering {i}"
        );
    }

    #[test]
    fn hand_computed_values() {
        // 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302653 -> 2 ± 4.302653 / sqrt(3).
        let i = mean_ci_t(&[1.0, 2.0, 3.0, f64::NAN], 0.95);
        assert_eq!(i.estimate, 2.0);
        assert!((i.upper - 2.0 - 4.302_652_729_749_464 / 3f64.sqrt()).abs() < 1e-12);
        assert!((i.lower - 2.0 + 4.302_652_729_749_464 / 3f64.sqrt()).abs() < 1e-12);
        // Wilson 0/10 at 95%: [0, z^2 / (n + z^2)] = [0, 0.277533].
        let w = wilson_interval(0, 10, 0.95);
        assert_eq!((w.estimate, w.lower), (0.0, 0.0));
        assert!((w.upper - 0.277_532_799_8).abs() < 1e-9);
        // Wilson 7/20: centre (0.35 + 3.841459/40) / 1.192073 = 0.374169, half 0.192977.
        let w = wilson_interval(7, 20, 0.95);
        assert!((w.lower - 0.181_191_8).abs() < 1e-6 && (w.upper - 0.567_145_7).abs() < 1e-6);
        let w = wilson_interval(10, 10, 0.95);
        assert!((w.lower - 0.722_467_2).abs() < 1e-6 && w.upper == 1.0);
        // Paired: differences 1, 2 (the NaN pair dropped): mean 1.5, s = 0.7071,
        // t(0.975, 1) = 12.7062 -> half 12.7062 * 0.5 = 6.3531.
        let d = paired_difference_ci(&[1.0, 2.0, f64::NAN], &[2.0, 4.0, 7.0], 0.95);
        assert_eq!(d.estimate, 1.5);
        assert!((d.upper - 1.5 - 6.353_102_368).abs() < 1e-8);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let mut rng = SimRng::seed_from_u64(1);
        assert!(mean_ci_t(&[], 0.95).estimate.is_nan());
        assert!(mean_ci_t(&[f64::NAN, f64::INFINITY], 0.95)
            .estimate
            .is_nan());
        assert_eq!(mean_ci_t(&[4.0], 0.95), Interval::point(4.0));
        assert_eq!(mean_ci_t(&[4.0, f64::NAN], 0.95), Interval::point(4.0));
        let same = mean_ci_t(&[3.0, 3.0, 3.0], 0.95);
        assert_eq!((same.lower, same.upper), (3.0, 3.0));
        assert!(mean_ci_t(&[1.0, 2.0], 1.5).lower.is_nan());
        assert!(bootstrap_mean_ci(&[], 100, 0.95, &mut rng)
            .estimate
            .is_nan());
        assert_eq!(
            bootstrap_mean_ci(&[5.0], 100, 0.95, &mut rng),
            Interval::point(5.0)
        );
        let none = bootstrap_mean_ci(&[1.0, 2.0], 0, 0.95, &mut rng);
        assert!(none.estimate == 1.5 && none.lower.is_nan());
        assert!(paired_difference_ci(&[], &[1.0], 0.95).estimate.is_nan());
        assert!(paired_difference_ci(&[f64::NAN], &[1.0], 0.95)
            .estimate
            .is_nan());
        assert!(wilson_interval(0, 0, 0.95).estimate.is_nan());
        assert!(wilson_interval(3, 2, 0.95).estimate.is_nan());
        assert!(wilson_interval(1, 2, f64::NAN).estimate.is_nan());
    }

    #[test]
    fn bootstrap_is_deterministic_and_sensible() {
        let xs: Vec<f64> = (0..30)
            .map(|i| f64::from(i % 7) + 0.5 * f64::from(i))
            .collect();
        let a = bootstrap_mean_ci(&xs, 500, 0.95, &mut SimRng::seed_from_u64(3));
        let b = bootstrap_mean_ci(&xs, 500, 0.95, &mut SimRng::seed_from_u64(3));
        assert_eq!(a, b);
        let t = mean_ci_t(&xs, 0.95);
        assert_eq!(a.estimate, t.estimate);
        assert!(a.lower < a.estimate && a.estimate < a.upper);
        // Close to the t interval for well-behaved data (within 20% in width).
        assert!((a.width() / t.width() - 1.0).abs() < 0.2, "{a:?} {t:?}");
    }

    /// Coverage by simulation: nominal 95% intervals must cover the truth in about 95% of
    /// 2000 seeded samples.
    #[test]
    fn intervals_cover_at_their_nominal_rate() {
        let mut rng = SeedTree::new(11).stream(0, StreamId::World);
        let trials = 2000;
        let (mut t_unif, mut t_exp, mut w_hits, mut b_hits, mut p_hits) = (0, 0, 0, 0, 0);
        let boot_trials = 300;
        for trial in 0..trials {
            // Uniform(0, 1) samples of 20: true mean 0.5.
            let us: Vec<f64> = (0..20).map(|_| rng.random::<f64>()).collect();
            t_unif += usize::from(mean_ci_t(&us, 0.95).contains(0.5));
            // Exponential(1) samples of 20: true mean 1 (skewed).
            let xs: Vec<f64> = (0..20).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
            t_exp += usize::from(mean_ci_t(&xs, 0.95).contains(1.0));
            if trial < boot_trials {
                let b = bootstrap_mean_ci(&xs, 400, 0.95, &mut rng);
                b_hits += usize::from(b.contains(1.0));
            }
            // Paired: b = a + 0.2 + noise; true mean difference 0.2.
            let bs: Vec<f64> = us
                .iter()
                .map(|a| a + 0.2 + 0.1 * (rng.random::<f64>() - 0.5))
                .collect();
            p_hits += usize::from(paired_difference_ci(&us, &bs, 0.95).contains(0.2));
            // Bernoulli(0.3) share out of 50.
            let s = (0..50).filter(|_| rng.random::<f64>() < 0.3).count();
            w_hits += usize::from(wilson_interval(s, 50, 0.95).contains(0.3));
        }
        let rate = |h: usize, n: usize| h as f64 / n as f64;
        let (tu, te, w, p) = (
            rate(t_unif, trials),
            rate(t_exp, trials),
            rate(w_hits, trials),
            rate(p_hits, trials),
        );
        let b = rate(b_hits, boot_trials);
        assert!((0.93..=0.97).contains(&tu), "t coverage (uniform) {tu}");
        // Skewed data make the t interval slightly liberal at n = 20 (about 0.92).
        assert!((0.89..=0.96).contains(&te), "t coverage (exponential) {te}");
        assert!((0.93..=0.97).contains(&p), "paired t coverage {p}");
        assert!((0.93..=0.97).contains(&w), "Wilson coverage {w}");
        // Percentile bootstrap is liberal at n = 20 and has only 300 trials here.
        assert!((0.87..=0.98).contains(&b), "bootstrap coverage {b}");
    }
}
