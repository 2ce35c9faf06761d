//! Policies as written: the built-in kinds, their parameters and plug-in policies.

use serde::{Deserialize, Serialize};

/// A built-in policy, selected by `kind` (read by hand, in `scenario/tagged.rs`).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicySpec {
    /// Uniformly random accounts.
    Random(EmptySpec),
    /// Most-followed accounts first.
    Popularity(EmptySpec),
    /// Accounts followed by people who follow what the viewer follows.
    CoFollow(CoFollowSpec),
    /// The viewer's estimated profile dotted with content, over nearby communities.
    Embedding(EmbeddingSpec),
    /// A weighted blend of other policies' rankings.
    Hybrid(HybridSpec),
    /// A uniformly random followee of the account the viewer most recently followed.
    UniformFollowee(EmptySpec),
    /// A policy registered by the user ([`crate::plugin::Registry`]), with its own parameters.
    /// Also what a built-in kind with a malformed table reads as until it is checked (the check
    /// then reports the built-in's own error).
    #[serde(untagged)]
    Plugin(PluginSpec),
}

/// A plug-in selected by `kind`, with the rest of its table as its parameters (checked by the
/// plug-in's own typed parameters when the experiment is built).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct PluginSpec {
    /// The registered name.
    pub kind: String,
    /// Every other key of the table.
    #[serde(flatten)]
    pub params: toml::Table,
}

/// A variant without parameters (still rejects unknown keys).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmptySpec {}

/// Parameters of the co-follow policy.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CoFollowSpec {
    /// Sampled two-hop paths viewer -> followee <- follower -> candidate (1 ..= 100,000;
    /// default 300). Counts of candidates estimate co-follow scores.
    pub samples: u32,
    /// Precomputed walk segments per account (0 ..= 256; default 0: every path is walked at
    /// request time). With `segments = P`, the platform stores `P` sampled endpoints of
    /// `followee <- follower -> candidate` per account at every index rebuild, and a path ends
    /// at one of them: the same endpoint distribution, one memory miss per path instead of
    /// three, at `4 P` bytes per account and a redraw at each rebuild.
    pub segments: u32,
}

impl Default for CoFollowSpec {
    fn default() -> Self {
        Self {
            samples: 300,
            segments: 0,
        }
    }
}

/// Parameters of the embedding policy.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddingSpec {
    /// Nearest content clusters to draw candidates from (1 ..= 1,000; default 3).
    pub clusters: u32,
}

impl Default for EmbeddingSpec {
    fn default() -> Self {
        Self { clusters: 3 }
    }
}

/// A weighted blend of component policies (rank-based fusion).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HybridSpec {
    /// The components and their weights (at least one; weights >= 0, not all 0).
    pub components: Vec<HybridComponentSpec>,
}

/// One component of a hybrid policy.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HybridComponentSpec {
    /// Weight of this component's rank score (0 ..= 1000).
    pub weight: f64,
    /// The component policy (not itself hybrid).
    pub policy: PolicySpec,
}

impl PolicySpec {
    /// The co-follow walk segments per account this policy reads (0 when it walks paths).
    pub fn co_follow_segments(&self) -> u32 {
        match self {
            Self::CoFollow(c) => c.segments,
            Self::Hybrid(h) => h
                .components
                .iter()
                .map(|c| c.policy.co_follow_segments())
                .max()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// The built-in kinds, as written in a scenario.
    pub const BUILTIN: [&'static str; 6] = [
        "random",
        "popularity",
        "co_follow",
        "embedding",
        "hybrid",
        "uniform_followee",
    ];

    /// The `kind` name as written in a scenario.
    pub fn kind(&self) -> &str {
        match self {
            Self::Plugin(p) => &p.kind,
            Self::Random(_) => "random",
            Self::Popularity(_) => "popularity",
            Self::CoFollow(_) => "co_follow",
            Self::Embedding(_) => "embedding",
            Self::Hybrid(_) => "hybrid",
            Self::UniformFollowee(_) => "uniform_followee",
        }
    }
}
