//! The platform: `[moderation]` (the classifier whose labels mitigations act on) and
//! `[surfaces]` (the surfaces and the policy serving each).

use super::policy::{CoFollowSpec, EmbeddingSpec, EmptySpec, PolicySpec};
use serde::{Deserialize, Serialize};

/// The platform's moderation: a classifier reviewing accounts and terms with error rates and
/// a delay, re-reviewing periodically, plus user reports. Mitigations act on the resulting
/// labels only; the ground truth is used only to draw them and to measure.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationSpec {
    /// Whether the platform moderates at all (default true). Without moderation there are no
    /// labels, and label-based mitigations are refused.
    pub enabled: bool,
    /// Probability that a review labels a flagged account (default 1.0).
    pub recall: f64,
    /// Probability that a review labels a benign account (default 0.0).
    pub false_positive_rate: f64,
    /// Probability that a review labels a flagged term (default 1.0).
    pub term_recall: f64,
    /// Steps from an account or term becoming active to its first review (0 ..= steps;
    /// default 0).
    pub detection_delay: u32,
    /// Steps between re-reviews of unlabelled accounts and terms (0 = never; default 0).
    pub review_interval: u32,
    /// Probability that a probe impression of a flagged account is reported by a user
    /// (0 ..= 1; default 0).
    pub report_prob: f64,
    /// Steps from a report to the label (default 3).
    pub report_delay: u32,
}

impl Default for ModerationSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            recall: 1.0,
            false_positive_rate: 0.0,
            term_recall: 1.0,
            detection_delay: 0,
            review_interval: 0,
            report_prob: 0.0,
            report_delay: 3,
        }
    }
}

/// The four surfaces a platform serves.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SurfacesSpec {
    /// Term -> accounts tagged with it (retrieval by popularity, then the policy ranks).
    #[serde(deserialize_with = "partial_search")]
    pub search: SurfaceSpec,
    /// Accounts to follow (the policy generates its own candidates).
    #[serde(deserialize_with = "partial_suggested_accounts")]
    pub suggested_accounts: SurfaceSpec,
    /// Content of followed accounts that posted this step.
    #[serde(deserialize_with = "partial_feed")]
    pub feed: SurfaceSpec,
    /// Content from anywhere (the policy generates its own candidates).
    #[serde(deserialize_with = "partial_explore")]
    pub explore: SurfaceSpec,
    /// Steps between rebuilds of the platform's follow index (1 ..= 100,000; default 5): the
    /// batch refresh that makes follows made during the run (the living population's, the
    /// adversary's bridges) visible to co-follow and popularity, and redraws co-follow walk
    /// segments. One interval for the platform, whoever follows.
    pub index_refresh: u32,
}

impl Default for SurfacesSpec {
    fn default() -> Self {
        Self {
            search: SurfaceSpec::new(PolicySpec::Popularity(EmptySpec {}), 50, 10),
            suggested_accounts: SurfaceSpec::new(
                PolicySpec::CoFollow(CoFollowSpec::default()),
                50,
                5,
            ),
            feed: SurfaceSpec::new(PolicySpec::Embedding(EmbeddingSpec::default()), 100, 10),
            explore: SurfaceSpec::new(PolicySpec::Embedding(EmbeddingSpec::default()), 100, 10),
            index_refresh: 5,
        }
    }
}

/// A surface table as written: every key optional, the missing ones taken from that
/// surface's default (`[surfaces.feed]` with only `slate = 20` is the default feed with a slate
/// of 20).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartialSurface {
    enabled: Option<bool>,
    policy: Option<PolicySpec>,
    pool: Option<u32>,
    slate: Option<u32>,
}

impl PartialSurface {
    fn fill(self, default: SurfaceSpec) -> SurfaceSpec {
        SurfaceSpec {
            enabled: self.enabled.unwrap_or(default.enabled),
            policy: self.policy.unwrap_or(default.policy),
            pool: self.pool.unwrap_or(default.pool),
            slate: self.slate.unwrap_or(default.slate),
        }
    }
}

macro_rules! partial_surface {
    ($($f:ident => $field:ident),*) => {$(
        fn $f<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SurfaceSpec, D::Error> {
            Ok(PartialSurface::deserialize(d)?.fill(SurfacesSpec::default().$field))
        }
    )*};
}

partial_surface!(
    partial_search => search,
    partial_suggested_accounts => suggested_accounts,
    partial_feed => feed,
    partial_explore => explore
);

impl SurfacesSpec {
    /// Every surface with its name, in serving order (search, suggested accounts, feed,
    /// explore).
    pub fn all(&self) -> [(&'static str, &SurfaceSpec); 4] {
        [
            ("search", &self.search),
            ("suggested_accounts", &self.suggested_accounts),
            ("feed", &self.feed),
            ("explore", &self.explore),
        ]
    }

    /// The co-follow walk segments per account the platform must precompute: the most any
    /// enabled surface's policy (or hybrid component) asks for, 0 for none.
    pub fn co_follow_segments(&self) -> u32 {
        [
            &self.search,
            &self.suggested_accounts,
            &self.feed,
            &self.explore,
        ]
        .iter()
        .filter(|x| x.enabled)
        .map(|x| x.policy.co_follow_segments())
        .max()
        .unwrap_or(0)
    }
}

/// One surface: its policy, candidate pool and slate sizes.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SurfaceSpec {
    /// Whether probes see this surface (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The ranking policy.
    pub policy: PolicySpec,
    /// Candidates retrieved before ranking and mitigation (1 ..= 10,000).
    pub pool: u32,
    /// Items shown (1 ..= pool).
    pub slate: u32,
}

fn default_true() -> bool {
    true
}

impl SurfaceSpec {
    fn new(policy: PolicySpec, pool: u32, slate: u32) -> Self {
        Self {
            enabled: true,
            policy,
            pool,
            slate,
        }
    }
}
