//! Survival analysis of time-to-drift: Kaplan-Meier curves with Greenwood confidence bands,
//! median time-to-drift with its interval, and the log-rank test between two arms. Probes that
//! never drift are right-censored at the horizon.

use super::special::{erfc, normal_quantile};

/// One probe's time-to-drift: `event` false means censored at `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Step of the event or of censoring.
    pub time: u32,
    /// Whether the event (drift) happened at `time`.
    pub event: bool,
}

/// One step of a Kaplan-Meier curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KmPoint {
    /// Time.
    pub time: u32,
    /// Observations at risk just before `time`.
    pub at_risk: usize,
    /// Events at `time`.
    pub events: usize,
    /// Censored at `time`.
    pub censored: usize,
    /// Survival just after `time`.
    pub survival: f64,
    /// Lower band (Greenwood variance, log(-log) scale).
    pub lower: f64,
    /// Upper band.
    pub upper: f64,
}

/// A Kaplan-Meier estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct KaplanMeier {
    /// One point per distinct time with an event or censoring, ascending.
    pub points: Vec<KmPoint>,
    /// Observations.
    pub n: usize,
}

/// Kaplan-Meier estimate with Greenwood variance and a `level` band on the log(-log S) scale
/// (Kalbfleisch-Prentice), which stays inside [0, 1].
pub fn kaplan_meier(obs: &[Observation], level: f64) -> KaplanMeier {
    let mut sorted: Vec<Observation> = obs.to_vec();
    sorted.sort_unstable_by_key(|o| (o.time, !o.event));
    let z = normal_quantile(0.5 + level / 2.0);
    let mut at_risk = sorted.len();
    let (mut survival, mut greenwood) = (1.0f64, 0.0f64);
    let mut points = Vec::new();
    for group in sorted.chunk_by(|a, b| a.time == b.time) {
        let events = group.iter().filter(|o| o.event).count();
        let censored = group.len() - events;
        if events > 0 {
            survival *= 1.0 - events as f64 / at_risk as f64;
            if at_risk > events {
                greenwood += events as f64 / (at_risk as f64 * (at_risk - events) as f64);
            }
        }
        let (lower, upper) = if survival > 0.0 && survival < 1.0 {
            let se = greenwood.sqrt() / survival.ln().abs();
            (
                survival.powf((z * se).exp()),
                survival.powf((-z * se).exp()),
            )
        } else {
            (survival, survival)
        };
        points.push(KmPoint {
            time: group[0].time,
            at_risk,
            events,
            censored,
            survival,
            lower,
            upper,
        });
        at_risk -= group.len();
    }
    KaplanMeier {
        points,
        n: obs.len(),
    }
}

impl KaplanMeier {
    /// Survival at time `t` (a right-continuous step function; 1 before the first event).
    pub fn survival_at(&self, t: u32) -> f64 {
        self.points
            .iter()
            .take_while(|p| p.time <= t)
            .last()
            .map_or(1.0, |p| p.survival)
    }

    fn first_time(&self, below: impl Fn(&KmPoint) -> f64) -> Option<f64> {
        self.points
            .iter()
            .find(|p| below(p) <= 0.5)
            .map(|p| f64::from(p.time))
    }

    /// Median time-to-event: the first time with S(t) <= 0.5; `None` if never reached.
    pub fn median(&self) -> Option<f64> {
        self.first_time(|p| p.survival)
    }

    /// Interval of the median (Brookmeyer-Crowley style, from the band): the first times at
    /// which the upper and the lower band reach 0.5; `None` where not reached.
    pub fn median_ci(&self) -> (Option<f64>, Option<f64>) {
        (self.first_time(|p| p.upper), self.first_time(|p| p.lower))
    }
}

/// The two-sample log-rank (Mantel-Cox) test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogRank {
    /// Chi-square statistic (1 degree of freedom).
    pub chi2: f64,
    /// p-value.
    pub p_value: f64,
    /// Events observed in the first sample.
    pub observed_a: f64,
    /// Events expected in the first sample under the null hypothesis.
    pub expected_a: f64,
}

/// Log-rank test of equal survival in `a` and `b`. Degenerate input (no events) gives chi2 0
/// and p 1.
pub fn log_rank(a: &[Observation], b: &[Observation]) -> LogRank {
    let mut all: Vec<(u32, bool, bool)> = a
        .iter()
        .map(|o| (o.time, o.event, true))
        .chain(b.iter().map(|o| (o.time, o.event, false)))
        .collect();
    all.sort_unstable_by_key(|x| x.0);
    let (mut n1, mut n2) = (a.len() as f64, b.len() as f64);
    let (mut observed, mut expected, mut variance) = (0.0, 0.0, 0.0);
    for group in all.chunk_by(|x, y| x.0 == y.0) {
        let d1 = group.iter().filter(|x| x.1 && x.2).count() as f64;
        let d2 = group.iter().filter(|x| x.1 && !x.2).count() as f64;
        let (d, n) = (d1 + d2, n1 + n2);
        if d > 0.0 && n > 0.0 {
            observed += d1;
            expected += d * n1 / n;
            if n > 1.0 {
                variance += d * (n1 / n) * (n2 / n) * (n - d) / (n - 1.0);
            }
        }
        n1 -= group.iter().filter(|x| x.2).count() as f64;
        n2 -= group.iter().filter(|x| !x.2).count() as f64;
    }
    let chi2 = if variance > 0.0 {
        (observed - expected).powi(2) / variance
    } else {
        0.0
    };
    LogRank {
        chi2,
        p_value: erfc((chi2 / 2.0).sqrt()),
        observed_a: observed,
        expected_a: expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(times: &[(u32, bool)]) -> Vec<Observation> {
        times
            .iter()
            .map(|&(time, event)| Observation { time, event })
            .collect()
    }

    /// Freireich et al. (1963), 6-MP arm: 21 patients, `*` censored:
    /// 6 6 6 6* 7 9* 10 10* 11* 13 16 17* 19* 20* 22 23 25* 32* 32* 34* 35*.
    /// By hand: S(6) = 18/21 = 0.8571; S(7) = 0.8571 * 16/17 = 0.8067;
    /// S(10) = 0.8067 * 14/15 = 0.7529; S(13) = 0.7529 * 11/12 = 0.6902;
    /// S(16) = 0.6902 * 10/11 = 0.6275; S(22) = 0.6275 * 6/7 = 0.5378;
    /// S(23) = 0.5378 * 5/6 = 0.4482. Greenwood at 6: 0.8571^2 * 3/(21*18) -> se 0.0764.
    fn six_mp() -> Vec<Observation> {
        obs(&[
            (6, true),
            (6, true),
            (6, true),
            (6, false),
            (7, true),
            (9, false),
            (10, true),
            (10, false),
            (11, false),
            (13, true),
            (16, true),
            (17, false),
            (19, false),
            (20, false),
            (22, true),
            (23, true),
            (25, false),
            (32, false),
            (32, false),
            (34, false),
            (35, false),
        ])
    }

    #[test]
    fn kaplan_meier_matches_the_textbook() {
        let km = kaplan_meier(&six_mp(), 0.95);
        let expect = [
            (6, 0.8571),
            (7, 0.8067),
            (10, 0.7529),
            (13, 0.6902),
            (16, 0.6275),
            (22, 0.5378),
            (23, 0.4482),
        ];
        for (t, s) in expect {
            assert!(
                (km.survival_at(t) - s).abs() < 1e-4,
                "S({t}) = {}",
                km.survival_at(t)
            );
        }
        assert_eq!(km.survival_at(5), 1.0);
        assert_eq!(km.median(), Some(23.0));
        let p6 = km.points.iter().find(|p| p.time == 6).unwrap();
        let se = p6.survival * (3.0f64 / (21.0 * 18.0)).sqrt();
        assert!((se - 0.0764).abs() < 1e-4);
        assert!(p6.lower < p6.survival && p6.survival < p6.upper && p6.upper <= 1.0);
        assert_eq!((p6.at_risk, p6.events, p6.censored), (21, 3, 1));
    }

    /// Freireich placebo arm: 21 events at 1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23.
    /// The classic log-rank comparison with the 6-MP arm gives chi2 = 16.79, p = 4.17e-5.
    #[test]
    fn log_rank_matches_the_textbook() {
        let placebo = obs(&[
            1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23,
        ]
        .map(|t| (t, true)));
        let lr = log_rank(&six_mp(), &placebo);
        assert!((lr.chi2 - 16.79).abs() < 0.01, "chi2 = {}", lr.chi2);
        assert!((lr.p_value - 4.17e-5).abs() < 0.01e-5, "p = {}", lr.p_value);
        assert_eq!(lr.observed_a, 9.0);
        assert!((lr.expected_a - 19.25).abs() < 0.01);
        let same = log_rank(&placebo, &placebo);
        assert!(same.chi2.abs() < 1e-12 && (same.p_value - 1.0).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let km = kaplan_meier(&[], 0.95);
        assert!(km.points.is_empty() && km.median().is_none());
        let censored = obs(&[(5, false), (9, false)]);
        let km = kaplan_meier(&censored, 0.95);
        assert_eq!(km.survival_at(100), 1.0);
        let lr = log_rank(&censored, &[]);
        assert_eq!((lr.chi2, lr.p_value), (0.0, 1.0));
        let all = kaplan_meier(&obs(&[(3, true)]), 0.95);
        assert_eq!(all.median(), Some(3.0));
    }
}
