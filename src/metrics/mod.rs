//! The one definition of the metrics a run writes: every column of `steps.csv` after
//! `arm,replicate,step` ([`STEP_METRICS`]) and of `probes.csv` after the probe's identity
//! ([`PROBE_METRICS`]), each with its column name, a one-line description and how to read it
//! from the engine's rows. Everything else is derived from these tables: the CSV headers and
//! rows ([`crate::results::output`]), the reader of the CSVs and the report
//! ([`crate::analysis::tables`], [`crate::analysis::summary`]) and the metric entries of
//! `driftlab list` ([`crate::catalog`]).
//!
//! # Adding a per-step metric
//!
//! 1. Compute it: a field of [`StepRow`], filled in `engine::run_arm` or `engine::reduce`.
//! 2. Add one [`StepMetric`] to [`STEP_METRICS`], at the position its column takes in
//!    `steps.csv`: `step("name", "what it measures", |r| r.field)`, plus the kind of quantity it
//!    is when it is not a non-negative mean (`.share()`, `.probe_share()`, `.signed()`: see
//!    [`IntervalKind`], which decides its interval) and `.params(..)` for the scenario keys that
//!    shape it.
//!
//! A per-surface metric is one `on(surface, "name_<surface>", ..)` line per surface, in
//! [`Surface::ALL`] order (a test checks the names, the order and the surface each reads).
//!
//! That is all: the header, the rows, the reader, the per-step curves of `summary.json` and
//! `driftlab list` follow. A new column changes `steps.csv`, so the committed reference results
//! must be regenerated (`.ci/update-reference`), and the README's description of `steps.csv`
//! should mention it. Analysis code that needs one metric by name looks its index up at compile
//! time with [`step_column`], so a renamed column fails the build instead of silently reading
//! another one.
//!
//! A per-probe outcome is one [`ProbeMetric`] in [`PROBE_METRICS`], plus a field of
//! [`ProbeRow`] and of `analysis::tables::ProbeRecord`, whose typed fields the reader fills by
//! column name (a test checks it reads every column).
//!
//! # Intervals
//!
//! Every interval the report gives (95%, `summary.json`'s `confidence_level`) fits the kind of
//! quantity, so none leaves the quantity's range: a share never gets a limit below 0 or above
//! 1, a count never a limit below 0. The per-step curves follow their metric's
//! [`IntervalKind`]; the per-arm figures of `summary.json` (`analysis::summary::ArmStats`) are:
//!
//! | figure | kind | interval |
//! |---|---|---|
//! | `drifted_share` | share of the probes (a count of trials) | Wilson with the replicates' design effect ([`IntervalKind::ProbeShare`]) |
//! | `final_flagged_share`, `mean_flagged_share`, `benign_labelled`, `panel_reach` | per-replicate share | t over replicates truncated to [0, 1] ([`IntervalKind::Share`]) |
//! | `final_flagged_follows`, `cluster` | non-negative mean | expanded percentile bootstrap over replicates ([`IntervalKind::NonNegative`]) |
//! | `median_drift_step` | time-to-drift | Kaplan-Meier median, read off the log-log Greenwood band |
//! | `drifted_share_difference`, `flagged_share_difference` | signed difference | paired t over replicates (arms share random numbers) |
//! | `drift_reduction`, `relevance_loss`, `engagement_loss` | signed relative difference | paired t divided by the first arm's mean (a reduction at most 100%) |
//!
//! `summary.json` repeats this as `intervals`, and `summary.md` says it in its notes line.

use crate::engine::{ProbeRow, StepRow};
use crate::ids::Step;
use crate::policy::Surface;
use Surface::{Explore, Feed, Search, SuggestedAccounts};

/// A scenario key that shapes a metric, for `driftlab list`: (key, default, meaning).
pub type Param = (&'static str, &'static str, &'static str);

/// One column of `steps.csv`: a metric of one step of one arm in one replicate, averaged over
/// its probes (the `cluster_*` columns count the flagged cluster instead).
#[derive(Clone, Copy, Debug)]
pub struct StepMetric {
    /// Column name. A per-surface metric has one column per surface, `<metric>_<surface>`, in
    /// [`Surface::ALL`] order.
    pub column: &'static str,
    /// The surface of a per-surface column.
    pub surface: Option<Surface>,
    /// One line for `driftlab list` (the columns of a per-surface metric share it).
    pub description: &'static str,
    /// Reads the value from an engine row (NaN: undefined, an empty cell).
    pub value: fn(&StepRow) -> f64,
    /// The kind of quantity, which decides the interval of its per-step curve in the report.
    pub interval: IntervalKind,
    /// Listed by `driftlab list`, with the scenario keys that shape it; a per-surface metric is
    /// listed once, as `<metric>_<surface>`. `None`: not listed.
    pub listed: Option<&'static [Param]>,
}

/// The kind of quantity a metric is, which decides the interval the report puts around its
/// per-step curve (over the replicates of an arm, at `summary.json`'s `confidence_level`):
/// none leaves the quantity's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalKind {
    /// A share of the probes of a replicate: a count of trials (probes) out of all of them,
    /// such as the share drifted. Wilson's score interval on the pooled count, with the
    /// effective number of probes and the t quantile of the design effect between replicates
    /// ([`crate::stats::clustered_wilson_interval`]): probes of one replicate share its world,
    /// so they are not independent trials. Inside [0, 1]; the counts are each replicate's share
    /// times its number of probes in `probes.csv`.
    ProbeShare,
    /// A share or probability in [0, 1] per replicate that is not a count of the probes (a mean
    /// of per-probe shares, a share of panel or benign accounts, whose number the tables do not
    /// hold): the t interval over replicates truncated to [0, 1]
    /// ([`crate::stats::truncated_mean_ci`]), which keeps the t interval's coverage since the
    /// true mean lies in [0, 1].
    Share,
    /// A non-negative mean per replicate (a count per probe, a number of hops, a count of the
    /// flagged cluster): the expanded percentile bootstrap over replicates (Hesterberg 2015;
    /// [`crate::stats::expanded_bootstrap_mean_ci`]), 2000 resamples of the replicates' values
    /// from a ChaCha stream keyed by arm and metric (every step of a curve resamples the same
    /// replicates). Its limits lie between the smallest
    /// and the largest replicate value, so never below 0, and follow the skew of counts near
    /// zero; the expansion of its tails restores the coverage the plain percentile bootstrap
    /// lacks at 10 to 20 replicates. Below 5 replicates, where no bootstrap can cover (its
    /// limits stay inside the few values), the t interval truncated at 0. Not a Poisson interval: the probes of a replicate share a
    /// world, so their counts are not independent Poisson draws, and the replicate is the unit
    /// of variation.
    NonNegative,
    /// A quantity that can be negative (a cosine, an affinity): the plain t interval.
    Signed,
}

impl IntervalKind {
    /// The interval in a few words, as `summary.json`'s `intervals` gives it.
    pub const fn method(self) -> &'static str {
        match self {
            Self::ProbeShare => "Wilson score with the design effect between replicates",
            Self::Share => "t over replicates, truncated to [0, 1]",
            Self::NonNegative => {
                "expanded percentile bootstrap over replicates (Hesterberg 2015), 2000 resamples; below 5 replicates t over replicates, truncated at 0"
            }
            Self::Signed => "t over replicates",
        }
    }

    /// The range the interval is kept in.
    pub const fn range(self) -> (f64, f64) {
        match self {
            Self::ProbeShare | Self::Share => (0.0, 1.0),
            Self::NonNegative => (0.0, f64::INFINITY),
            Self::Signed => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// A metric of one column, listed without parameters, a non-negative mean.
const fn step(
    column: &'static str,
    description: &'static str,
    value: fn(&StepRow) -> f64,
) -> StepMetric {
    StepMetric {
        column,
        surface: None,
        description,
        value,
        interval: IntervalKind::NonNegative,
        listed: Some(&[]),
    }
}

/// One column of a per-surface metric.
const fn on(
    surface: Surface,
    column: &'static str,
    description: &'static str,
    value: fn(&StepRow) -> f64,
) -> StepMetric {
    StepMetric {
        surface: Some(surface),
        ..step(column, description, value)
    }
}

impl StepMetric {
    const fn share(self) -> Self {
        Self {
            interval: IntervalKind::Share,
            ..self
        }
    }

    const fn probe_share(self) -> Self {
        Self {
            interval: IntervalKind::ProbeShare,
            ..self
        }
    }

    const fn signed(self) -> Self {
        Self {
            interval: IntervalKind::Signed,
            ..self
        }
    }

    const fn params(self, params: &'static [Param]) -> Self {
        Self {
            listed: Some(params),
            ..self
        }
    }

    const fn unlisted(self) -> Self {
        Self {
            listed: None,
            ..self
        }
    }
}

// The shared descriptions of the per-surface metrics.
const SHARE_ON: &str = "flagged share of a probe's impressions on a surface";
const FLAGGED_ON: &str = "flagged impressions per probe per step on a surface";

/// The columns of `steps.csv` after `arm,replicate,step`, in order.
///
/// Each metric's kind ([`IntervalKind`]) decides its interval: the shares of probes
/// (`drifted`, `unreachable`) get Wilson's with the design effect, the other shares and
/// probabilities (`flagged_share*`, `panel_*` but `panel_relevance`, `benign_labelled`,
/// `flagged_labelled`, `population_flagged_share`) a t interval truncated to [0, 1], the
/// cosine and the affinity (`profile_cosine`, `panel_relevance`) a plain t interval, and the
/// counts and hops (`impressions`, `flagged_impressions_*`, `flagged_follows`,
/// `hops_to_flagged`, `cluster_*`) the expanded percentile bootstrap over replicates. `impressions` and `unreachable` were never listed by `driftlab list`, and the per-surface
/// shares are listed under `flagged_share`.
pub const STEP_METRICS: &[StepMetric] = &[
    step("impressions", "impressions per probe per step", |r| r.impressions).unlisted(),
    step(
        "flagged_share",
        "flagged share of a probe's impressions (mean over probes with impressions), overall and per surface (flagged_share_<surface>)",
        |r| r.flagged_share,
    )
    .share(),
    on(Search, "flagged_share_search", SHARE_ON, |r| r.surface_share[0])
        .share()
        .unlisted(),
    on(
        SuggestedAccounts,
        "flagged_share_suggested_accounts",
        SHARE_ON,
        |r| r.surface_share[1],
    )
    .share()
    .unlisted(),
    on(Feed, "flagged_share_feed", SHARE_ON, |r| r.surface_share[2])
        .share()
        .unlisted(),
    on(Explore, "flagged_share_explore", SHARE_ON, |r| r.surface_share[3])
        .share()
        .unlisted(),
    on(Search, "flagged_impressions_search", FLAGGED_ON, |r| r.surface_flagged[0]),
    on(
        SuggestedAccounts,
        "flagged_impressions_suggested_accounts",
        FLAGGED_ON,
        |r| r.surface_flagged[1],
    ),
    on(Feed, "flagged_impressions_feed", FLAGGED_ON, |r| r.surface_flagged[2]),
    on(Explore, "flagged_impressions_explore", FLAGGED_ON, |r| r.surface_flagged[3]),
    step("flagged_follows", "flagged accounts followed so far, mean per probe", |r| r.flagged_follows),
    step(
        "hops_to_flagged",
        "follow hops from the probe to the nearest flagged account, mean over probes with a follow path",
        |r| r.hops_to_flagged,
    ),
    step(
        "unreachable",
        "share of probes with no follow path to the flagged cluster",
        |r| r.unreachable,
    )
    .probe_share()
    .unlisted(),
    step(
        "profile_cosine",
        "cosine of the platform's estimated profile of the probe to the flagged centroid, mean per probe",
        |r| r.profile_cosine,
    )
    .signed(),
    step(
        "drifted",
        "share of probes whose flagged share, pooled over drift_window steps, reached drift_threshold",
        |r| r.drifted,
    )
    .probe_share()
    .params(&[
        ("drift_window", "5", "w, in steps"),
        ("drift_threshold", "0.5", "theta"),
    ]),
    step(
        "panel_relevance",
        "collateral: mean affinity of the items shown to the panel of ordinary accounts to their latent interests",
        |r| r.panel.relevance,
    )
    .signed()
    .params(&[("panel.size", "50", "panel accounts per replicate")]),
    step(
        "panel_engagement",
        "collateral: mean logit probability that a panel account engages with a served slate",
        |r| r.panel.engagement,
    )
    .share(),
    step(
        "panel_flagged_share",
        "flagged share of the panel's impressions",
        |r| r.panel.flagged_share,
    )
    .share(),
    step(
        "panel_reach",
        "share of panel accounts shown a flagged account at least once so far",
        |r| r.panel.reach,
    )
    .share(),
    step(
        "benign_labelled",
        "share of benign accounts carrying a moderation label (wrongly suppressed)",
        |r| r.benign_labelled,
    )
    .share(),
    step(
        "flagged_labelled",
        "share of flagged accounts carrying a label (realised recall)",
        |r| r.flagged_labelled,
    )
    .share(),
    step(
        "population_flagged_share",
        "flagged share of the living population's impressions (empty for a static population)",
        |r| r.population_flagged_share,
    )
    .share()
    .params(&[(
        "population.active_share",
        "0",
        "share of ordinary accounts active per step",
    )]),
    step(
        "cluster_active",
        "flagged accounts on the platform, not banned, in the arm and replicate (all of them in an arm that does not ban)",
        |r| r.cluster.active,
    )
    .params(&[(
        "adversary.recruitment_rate",
        "0",
        "expected new flagged accounts per step, in identities bans freed",
    )]),
    step(
        "cluster_banned",
        "flagged accounts banned now (awaiting their return, or for good until a recruit takes the identity)",
        |r| r.cluster.banned,
    ),
    step(
        "cluster_returned",
        "returns of banned flagged accounts so far",
        |r| r.cluster.returned,
    )
    .params(&[("adversary.ban_evasion", "0", "probability that a banned account returns")]),
    step(
        "cluster_recruited",
        "recruits that joined the flagged cluster so far",
        |r| r.cluster.recruited,
    ),
    step(
        "cluster_variants",
        "variant spellings of flagged terms in use now by active flagged accounts",
        |r| r.cluster.variants,
    )
    .params(&[(
        "adversary.lexical_evasion",
        "0",
        "probability per account per step of moving to a variant",
    )]),
    step(
        "cluster_bridges",
        "bridge follows from flagged accounts to adjacent accounts so far",
        |r| r.cluster.bridges,
    )
    .params(&[(
        "adversary.bridge_rate",
        "0",
        "probability per flagged account per step",
    )]),
];

/// Index in [`STEP_METRICS`] of the column `name`; a compile-time error (or a panic) when there
/// is none. Use it in a `const` so that a renamed metric fails the build.
pub const fn step_column(name: &str) -> usize {
    let mut i = 0;
    while i < STEP_METRICS.len() {
        if str_eq(STEP_METRICS[i].column, name) {
            return i;
        }
        i += 1;
    }
    panic!("no such column in metrics::STEP_METRICS")
}

/// The column names of [`STEP_METRICS`], in order.
pub const fn step_columns() -> [&'static str; STEP_METRICS.len()] {
    let mut out = [""; STEP_METRICS.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = STEP_METRICS[i].column;
        i += 1;
    }
    out
}

/// One column of `probes.csv`: an outcome of one probe. Every value is a step, a count or a
/// flag, so a cell is an integer or empty.
#[derive(Clone, Copy, Debug)]
pub struct ProbeMetric {
    /// Column name.
    pub column: &'static str,
    /// One line for `driftlab list`.
    pub description: &'static str,
    /// Reads the cell from an engine row and the horizon of the run (`None`: an empty cell).
    pub value: fn(&ProbeRow, Step) -> Option<u32>,
    /// Whether `driftlab list` lists it.
    pub listed: bool,
}

/// The identity columns of `probes.csv`, before [`PROBE_METRICS`]: written from the run (arm,
/// replicate, persona name), not from the probe's outcome.
pub const PROBE_IDENTITY: [&str; 5] = ["arm", "replicate", "probe", "persona", "start_community"];

/// The columns of `probes.csv` after [`PROBE_IDENTITY`], in order. `drift_step` and `censored`
/// are the survival-analysis pair (time, event flag): a probe that never drifted is censored at
/// the horizon. Only `first_flagged_step` was ever listed by `driftlab list`.
pub const PROBE_METRICS: &[ProbeMetric] = &[
    ProbeMetric {
        column: "first_flagged_step",
        description: "per probe: first step with a flagged impression",
        value: |p, _| p.first_flagged_step,
        listed: true,
    },
    ProbeMetric {
        column: "first_flagged_follow_step",
        description: "per probe: first step at which it followed a flagged account (0: a seed follow)",
        value: |p, _| p.first_flagged_follow_step,
        listed: false,
    },
    ProbeMetric {
        column: "drift_step",
        description: "per probe: time-to-drift, the first step at which its flagged share pooled over drift_window steps reached drift_threshold; the horizon when censored",
        value: |p, horizon| Some(p.drift_step.unwrap_or(horizon)),
        listed: false,
    },
    ProbeMetric {
        column: "censored",
        description: "per probe: 1 when it had not drifted by the horizon, else 0",
        value: |p, _| Some(u32::from(p.drift_step.is_none())),
        listed: false,
    },
];

/// Index in [`PROBE_METRICS`] of the column `name`, as [`step_column`].
pub const fn probe_column(name: &str) -> usize {
    let mut i = 0;
    while i < PROBE_METRICS.len() {
        if str_eq(PROBE_METRICS[i].column, name) {
            return i;
        }
        i += 1;
    }
    panic!("no such column in metrics::PROBE_METRICS")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Length of `first,..,columns..\n`.
const fn header_len(first: &[&str], columns: &[&str]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < first.len() {
        n += first[i].len() + 1;
        i += 1;
    }
    i = 0;
    while i < columns.len() {
        n += columns[i].len() + 1;
        i += 1;
    }
    n
}

/// The bytes of a CSV header line: the names joined by commas, then a newline.
const fn header_bytes<const N: usize>(first: &[&str], columns: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < first.len() + columns.len() {
        let name = if i < first.len() {
            first[i].as_bytes()
        } else {
            columns[i - first.len()].as_bytes()
        };
        let mut j = 0;
        while j < name.len() {
            out[at] = name[j];
            at += 1;
            j += 1;
        }
        out[at] = if i + 1 == first.len() + columns.len() {
            b'\n'
        } else {
            b','
        };
        at += 1;
        i += 1;
    }
    assert!(at == N, "header length");
    out
}

const fn probe_columns() -> [&'static str; PROBE_METRICS.len()] {
    let mut out = [""; PROBE_METRICS.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = PROBE_METRICS[i].column;
        i += 1;
    }
    out
}

/// The key columns of `steps.csv`, before [`STEP_METRICS`].
pub const STEP_KEYS: [&str; 3] = ["arm", "replicate", "step"];
const STEP_HEADER_LEN: usize = header_len(&STEP_KEYS, &step_columns());
const STEP_HEADER_BYTES: [u8; STEP_HEADER_LEN] = header_bytes(&STEP_KEYS, &step_columns());
const PROBE_HEADER_LEN: usize = header_len(&PROBE_IDENTITY, &probe_columns());
const PROBE_HEADER_BYTES: [u8; PROBE_HEADER_LEN] = header_bytes(&PROBE_IDENTITY, &probe_columns());

const fn utf8(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("a column name is not UTF-8"),
    }
}

/// The header line of `steps.csv`: `arm,replicate,step` and [`STEP_METRICS`], with its newline.
pub const STEPS_HEADER: &str = utf8(&STEP_HEADER_BYTES);

/// The header line of `probes.csv`: [`PROBE_IDENTITY`] and [`PROBE_METRICS`], with its
/// newline.
pub const PROBES_HEADER: &str = utf8(&PROBE_HEADER_BYTES);

#[cfg(test)]
pub(crate) mod tests;
