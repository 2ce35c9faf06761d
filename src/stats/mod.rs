//! Statistics across replicates: Kaplan-Meier survival with Greenwood bands and the log-rank
//! test for time-to-drift, t (plain, paired, truncated to a range), bootstrap (plain and
//! expanded percentile) and Wilson (plain and with the design effect of clustered trials)
//! intervals for means and shares, and the special functions they need. Pure functions;
//! randomness (bootstrap) is passed in.

pub mod bootstrap;
pub mod intervals;
pub mod special;
pub mod survival;

pub use bootstrap::{
    bootstrap_mean_ci, expanded_bootstrap_mean_ci, expanded_bootstrap_tail, BootstrapBuffers,
    BOOTSTRAP_RESAMPLES,
};
pub use intervals::{
    clustered_wilson_interval, mean_ci_t, paired_difference_ci, truncated_mean_ci, wilson_interval,
    Interval,
};
pub use special::{erfc, normal_quantile, student_t_quantile, student_t_quantile_cached};
pub use survival::{kaplan_meier, log_rank, KaplanMeier, KmPoint, LogRank, Observation};
