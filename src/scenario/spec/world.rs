//! `[world]`: the world's size, communities, follow graph, terms, or a graph imported from
//! files.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The world's size, communities and content space.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WorldSpec {
    /// Number of ordinary accounts (2 ..= 50,000,000); required unless the graph is imported.
    pub accounts: Option<u64>,
    /// Dimensions of interest and content vectors (2 ..= 512; default 16).
    pub dims: u32,
    /// Benign communities (1 ..= 100,000; default 20).
    pub benign_communities: u32,
    /// Zipf exponent of benign community sizes: size of the k-th largest is proportional to
    /// `k^-exponent` (0 ..= 5; default 1.0; 0 gives equal sizes).
    pub community_size_exponent: f64,
    /// Adjacent communities, whose content lies between a benign topic and the flagged centroid
    /// (0 ..= 1,000; default 3).
    pub adjacent_communities: u32,
    /// Share of non-flagged accounts that belong to adjacent communities (0 ..= 0.9; default 0.05).
    pub adjacent_fraction: f64,
    /// Where adjacent centroids lie on the way from their benign parent to the flagged centroid
    /// (0 = benign, 1 = flagged; default 0.5).
    pub adjacent_mix: f64,
    /// Size of the flagged cluster as a count (give this or `flagged_fraction`, not both).
    pub flagged_accounts: Option<u64>,
    /// Size of the flagged cluster as a share of accounts, in (0, 0.5] (default 0.01).
    pub flagged_fraction: Option<f64>,
    /// Spread of account content around its community centroid (0 ..= 10; default 0.5).
    pub content_noise: f64,
    /// Spread of latent interests around the community centroid (0 ..= 10; default 0.5).
    pub interest_noise: f64,
    /// Mean probability that an account posts in a step (0 ..= 1; default 0.3).
    pub mean_activity: f64,
    /// Activity multiplier of flagged accounts (0 ..= 100; default 1.5).
    pub flagged_activity_factor: f64,
    /// The generated follow graph (ignored when `import` is given).
    pub graph: GraphSpec,
    /// Load the graph and communities from files instead of generating them.
    pub import: Option<ImportSpec>,
    /// The search-term vocabulary.
    pub terms: TermsSpec,
}

impl Default for WorldSpec {
    fn default() -> Self {
        Self {
            accounts: None,
            dims: 16,
            benign_communities: 20,
            community_size_exponent: 1.0,
            adjacent_communities: 3,
            adjacent_fraction: 0.05,
            adjacent_mix: 0.5,
            flagged_accounts: None,
            flagged_fraction: None,
            content_noise: 0.5,
            interest_noise: 0.5,
            mean_activity: 0.3,
            flagged_activity_factor: 1.5,
            graph: GraphSpec::default(),
            import: None,
            terms: TermsSpec::default(),
        }
    }
}

/// A degree-corrected stochastic block model: heavy-tailed out-degrees, targets chosen by block
/// shares and, inside a block, in proportion to each account's degree propensity.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GraphSpec {
    /// Mean out-degree of benign and adjacent accounts (1 ..= 10,000; default 20).
    pub mean_degree: f64,
    /// Power-law exponent of degree propensities (2.05 ..= 10; default 2.5; lower = heavier tail).
    pub degree_exponent: f64,
    /// Smallest out-degree (0 ..= mean_degree; default 1).
    pub min_degree: u32,
    /// Largest out-degree (>= min_degree; default 2000).
    pub max_degree: u32,
    /// Out-degree multiplier of flagged accounts: the cluster is dense (0 ..= 100; default 2).
    pub flagged_degree_factor: f64,
    /// Where benign accounts' edges go.
    pub benign: MixingSpec,
    /// Where adjacent accounts' edges go.
    pub adjacent: MixingSpec,
    /// Where flagged accounts' edges go.
    pub flagged: FlaggedMixingSpec,
}

impl Default for GraphSpec {
    fn default() -> Self {
        Self {
            mean_degree: 20.0,
            degree_exponent: 2.5,
            min_degree: 1,
            max_degree: 2000,
            flagged_degree_factor: 2.0,
            benign: MixingSpec {
                within: 0.85,
                to_adjacent: 0.02,
                to_flagged: 0.0005,
            },
            adjacent: MixingSpec {
                within: 0.6,
                to_adjacent: 0.05,
                to_flagged: 0.05,
            },
            flagged: FlaggedMixingSpec {
                within: 0.9,
                to_adjacent: 0.08,
            },
        }
    }
}

/// Shares of a benign or adjacent account's out-edges by target block; the rest goes to other
/// benign communities in proportion to their size. Each share is in [0, 1] and they sum to <= 1.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MixingSpec {
    /// Share of edges inside the account's own community.
    pub within: f64,
    /// Share of edges into adjacent communities.
    pub to_adjacent: f64,
    /// Share of edges into the flagged cluster.
    pub to_flagged: f64,
}

/// Shares of a flagged account's out-edges; the rest goes to benign communities.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlaggedMixingSpec {
    /// Share of edges inside the flagged cluster (dense).
    pub within: f64,
    /// Share of edges into adjacent communities (the bridges).
    pub to_adjacent: f64,
}

/// A graph loaded from files, as public graph datasets (SNAP, KONECT) ship.
///
/// Both files hold one pair of integers a line, separated by spaces, tabs or a comma; further
/// fields (weights, timestamps) are ignored, lines that are empty or start with `#` or `%` are
/// comments, and CRLF line endings are accepted. Ids and labels may be any integers
/// `0 ..= 18446744073709551615` and need not be dense (SNAP's are not): the labelled accounts
/// are renumbered `0, 1, ...` in ascending order of their ids, so memory follows the number of
/// lines, never the largest id.
///
/// Bounds: each file is a regular file of at most 4 GiB with lines of at most 64 KiB, and there
/// are at most 50,000,000 accounts. A first pass counts the lines before anything is loaded, so
/// `validate` estimates the import and `run` refuses one that would not fit in memory. Every
/// error names the file and line (exit code 2).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// Edge list: one `src dst` pair of account ids a line (`src` follows `dst`); every account
    /// it names needs a label; self-follows and repeated edges are dropped. Relative paths are
    /// relative to the scenario file.
    pub edges: PathBuf,
    /// Community labels: one `account community` pair a line, one line per account. The
    /// accounts of the world are the labelled ones (an account without edges is kept).
    pub labels: PathBuf,
    /// The community label of the flagged cluster.
    pub flagged_community: u32,
    /// Community labels treated as adjacent (default none).
    #[serde(default)]
    pub adjacent_communities: Vec<u32>,
    /// The benign community whose content each adjacent community leans toward, one label per
    /// entry of `adjacent_communities`, in the same order. Default: the benign community an
    /// adjacent community's members follow most (ties: the lowest). `driftlab export-world`
    /// writes it, so that a generated world imports as it was generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjacent_parents: Option<Vec<u32>>,
}

/// The vocabulary of search terms and how accounts tag their content.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TermsSpec {
    /// Terms owned by each community (1 ..= 100; default 3); the flagged cluster's are flagged.
    pub per_community: u32,
    /// Tags on each account's content (1 ..= 16; default 2).
    pub tags_per_account: u32,
    /// Probability that a tag of an adjacent account is a flagged term (default 0.15).
    pub adjacent_flagged_tag_prob: f64,
    /// Probability that a tag of a benign account is a term of a random other community
    /// (default 0.01).
    pub stray_tag_prob: f64,
}

impl Default for TermsSpec {
    fn default() -> Self {
        Self {
            per_community: 3,
            tags_per_account: 2,
            adjacent_flagged_tag_prob: 0.15,
            stray_tag_prob: 0.01,
        }
    }
}
