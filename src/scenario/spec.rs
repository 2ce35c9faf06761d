//! The scenario file as written: serde types that mirror the TOML one to one. Every struct denies
//! unknown keys, every optional key has a documented default, and nothing here is trusted until
//! [`crate::scenario::Scenario`] has validated it.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A whole experiment: one world, the surfaces and their policies, the probes, and the arms
/// (mitigation stacks) compared on shared random numbers.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Name of the scenario; results go to `<out>/<name>/`. Letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// Free text shown in the summary.
    #[serde(default)]
    pub description: String,
    /// Master seed of the seed tree (mandatory: a run is always reproducible).
    pub seed: u64,
    /// Steps each probe takes after its seed actions (1 ..= 100000; default 100).
    #[serde(default = "default_steps")]
    pub steps: u32,
    /// Independent replicates, each with its own world (1 ..= 100000; default 20).
    #[serde(default = "default_replicates")]
    pub replicates: u32,
    /// The world: accounts, communities, graph, terms.
    pub world: WorldSpec,
    /// The moderation classifier whose labels the mitigations act on.
    #[serde(default)]
    pub moderation: ModerationSpec,
    /// The platform's surfaces and the policy serving each.
    #[serde(default)]
    pub surfaces: SurfacesSpec,
    /// Groups of sock-puppet probes (`[[probes]]`); default: one group of 100 starting in adjacent
    /// communities.
    #[serde(default = "default_probes")]
    pub probes: Vec<ProbeGroupSpec>,
    /// Drift metric parameters.
    #[serde(default)]
    pub metrics: MetricsSpec,
    /// The panel of ordinary accounts on which the collateral cost of mitigations is measured.
    #[serde(default)]
    pub panel: PanelSpec,
    /// How the flagged cluster adapts to moderation (lexical evasion, ban evasion, bridges).
    #[serde(default)]
    pub adversary: AdversarySpec,
    /// The living population: ordinary accounts that act every step.
    #[serde(default)]
    pub population: PopulationSpec,
    /// The arms to compare (`[[arms]]`), each a named mitigation stack; at least one.
    pub arms: Vec<ArmSpec>,
    /// Parameter grid (`[sweep]`): each key is a `--set` path, each value the list of values to
    /// try, e.g. `"world.flagged_fraction" = [0.005, 0.01]`. Every combination is run as its own
    /// scenario `p000`, `p001`, ... (first key varies slowest). Empty: no sweep.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sweep: std::collections::BTreeMap<String, Vec<toml::Value>>,
}

fn default_steps() -> u32 {
    100
}
fn default_replicates() -> u32 {
    20
}
fn default_probes() -> Vec<ProbeGroupSpec> {
    vec![ProbeGroupSpec::default()]
}

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

/// Where a probe group starts.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StartSpec {
    /// A benign community.
    Benign,
    /// An adjacent community.
    Adjacent,
}

/// How a probe follows suggestions.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FollowBehaviourSpec {
    /// Follow the top suggestion.
    FollowTop,
    /// Follow a uniformly random one of the top `top_k` suggestions.
    FollowRandomOfTopK,
    /// Follow the top suggestion if its content's cosine with the probe's interests reaches
    /// `similarity_threshold`.
    FollowIfSimilar,
}

/// A group of sock-puppet probes sharing one persona.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ProbeGroupSpec {
    /// Name of the persona (default "probe").
    pub name: String,
    /// Probes in this group per replicate (1 ..= 1,000,000; default 100).
    pub count: u32,
    /// Kind of community the probes start in (default adjacent).
    pub start: StartSpec,
    /// Index of the start community among those of its kind (for an imported world, in
    /// ascending order of their labels); default: a random one per probe.
    pub community: Option<u32>,
    /// Accounts of the start community followed as seed actions (0 ..= 1,000; default 3).
    pub seed_follows: u32,
    /// Probability of a search in a step (default 0.5).
    pub search_prob: f64,
    /// Probability that a search uses a tag of the last engaged account rather than the seed
    /// term (default 0.5).
    pub query_from_content: f64,
    /// How suggestions are followed (default follow_top).
    pub behaviour: FollowBehaviourSpec,
    /// Probability of a follow action in a step (default 0.3).
    pub follow_prob: f64,
    /// `k` of follow_random_of_top_k (1 ..= 1,000; default 3).
    pub top_k: u32,
    /// Cosine threshold of follow_if_similar (-1 ..= 1; default 0.2).
    pub similarity_threshold: f64,
    /// Sharpness (inverse temperature) of the logit choice model (0 ..= 1,000; default 5).
    pub choice_sharpness: f64,
    /// Affinity of the no-engagement option in the choice model (-1 ..= 1; default 0.3).
    pub no_click_affinity: f64,
    /// Rate at which latent interests move toward engaged content (0 ..= 1; default 0.1).
    pub interest_drift: f64,
    /// Rate at which the platform's estimate moves toward engaged or followed content
    /// (0 ..= 1; default 0.2).
    pub estimate_rate: f64,
}

impl Default for ProbeGroupSpec {
    fn default() -> Self {
        Self {
            name: "probe".into(),
            count: 100,
            start: StartSpec::Adjacent,
            community: None,
            seed_follows: 3,
            search_prob: 0.5,
            query_from_content: 0.5,
            behaviour: FollowBehaviourSpec::FollowTop,
            follow_prob: 0.3,
            top_k: 3,
            similarity_threshold: 0.2,
            choice_sharpness: 5.0,
            no_click_affinity: 0.3,
            interest_drift: 0.1,
            estimate_rate: 0.2,
        }
    }
}

/// Parameters of the drift metric.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSpec {
    /// Window `w` in steps over which the flagged share is pooled (1 ..= steps; default 5).
    pub drift_window: u32,
    /// Threshold `theta` of the pooled flagged share that counts as drifted (0 < theta <= 1;
    /// default 0.5).
    pub drift_threshold: f64,
}

impl Default for MetricsSpec {
    fn default() -> Self {
        Self {
            drift_window: 5,
            drift_threshold: 0.5,
        }
    }
}

/// A panel of ordinary (non-probe) accounts served every step, on which the collateral cost of
/// a mitigation is measured: how relevant their slates are to their latent interests, how much
/// they engage, whether they are exposed to the flagged cluster at all. Panel accounts are real
/// accounts of the world (benign or adjacent, drawn once per replicate, the same in every arm),
/// keep their follows from the graph and do not follow anyone new; the platform's estimate of
/// each is learnt from its engagement as for probes.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PanelSpec {
    /// Panel accounts per replicate (0 ..= 100,000; default 50; 0 disables collateral metrics).
    pub size: u32,
    /// Share of the panel drawn from adjacent communities (0 ..= 1; default 0.2), the ordinary
    /// accounts most exposed to the cluster and most likely to be caught by a mitigation.
    pub adjacent_share: f64,
    /// Probability that a panel account searches one of its own community's terms in a step
    /// (0 ..= 1; default 0.3).
    pub search_prob: f64,
    /// Sharpness of the multinomial-logit choice (as for probes; default 5.0).
    pub choice_sharpness: f64,
    /// Affinity of the no-engagement option (default 0.3).
    pub no_click_affinity: f64,
    /// Rate at which the platform's estimate follows engagement (0 ..= 1; default 0.2).
    pub estimate_rate: f64,
}

impl Default for PanelSpec {
    fn default() -> Self {
        Self {
            size: 50,
            adjacent_share: 0.2,
            search_prob: 0.3,
            choice_sharpness: 5.0,
            no_click_affinity: 0.3,
            estimate_rate: 0.2,
        }
    }
}

/// The living population: a share of ordinary (non-flagged) accounts is active each step; an
/// active account views its surfaces, engages through the same logit choice as probes (the
/// platform's estimate of it learns from that) and may follow its top suggestion. Their follows
/// change popularity and co-follow signals for everyone, probes included, once the platform's
/// graph index is rebuilt. Off by default (a static population).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PopulationSpec {
    /// Share of ordinary accounts active in a step (0 ..= 1; default 0: static population).
    pub active_share: f64,
    /// Probability that an active account searches one of its community's terms (default 0.2).
    pub search_prob: f64,
    /// Probability that an active account follows its top suggestion (default 0.1).
    pub follow_prob: f64,
    /// Sharpness of the logit choice (default 5.0).
    pub choice_sharpness: f64,
    /// Affinity of the no-engagement option (default 0.3).
    pub no_click_affinity: f64,
    /// Rate at which the platform's estimate follows engagement (0 ..= 1; default 0.2).
    pub estimate_rate: f64,
    /// Moved: the index refresh interval is `surfaces.index_refresh` (refused with that hint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_refresh: Option<u32>,
}

impl Default for PopulationSpec {
    fn default() -> Self {
        Self {
            active_share: 0.0,
            search_prob: 0.2,
            follow_prob: 0.1,
            choice_sharpness: 5.0,
            no_click_affinity: 0.3,
            estimate_rate: 0.2,
            graph_refresh: None,
        }
    }
}

/// How the flagged cluster adapts to moderation. All rates are per flagged account per step;
/// everything is off by default.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AdversarySpec {
    /// Lexical evasion: once a flagged term's current spelling is labelled, each flagged
    /// account tagging it moves to a new variant spelling with this probability per step
    /// (0 ..= 1; default 0). The classifier sees a variant like any new term: it is reviewed
    /// `moderation.detection_delay` steps after it appears, with `moderation.term_recall`.
    pub lexical_evasion: f64,
    /// Variant spellings available per flagged term (1 ..= 1,000; default 20).
    pub max_variants: u32,
    /// Ban evasion: probability that a banned flagged account returns as a new, unlabelled
    /// account (0 ..= 1; default 0). Bans come from `ban_detected`; the returned account
    /// re-follows its network and must be detected again.
    pub ban_evasion: f64,
    /// Steps from a ban to the return (default 5): the account is away this many steps, whether
    /// it was banned under its first identity or a returned one (a returned identity the
    /// classifier labels at once is banned in the step it returns, as a fresh one would be).
    pub return_delay: u32,
    /// Recruitment: expected number of new flagged accounts joining the cluster per step
    /// (0 ..= 10,000; default 0), a Poisson count drawn every step. A recruit takes the
    /// identity of a flagged account that was banned and will not return (same content, same
    /// follows: the world's flagged accounts are the cluster's identities, so ground truth and
    /// every metric stay as generated) and appears unlabelled, for the classifier to find
    /// (drawn as for a returned account). Only arms that ban (`ban_detected`) free identities,
    /// so only they recruit; a recruit with no free identity does not join. With
    /// `ban_evasion` < 1 this is what lets a banned cluster settle at a level instead of
    /// shrinking to nothing.
    pub recruitment_rate: f64,
    /// Bridge building: each flagged account follows a random account of an adjacent
    /// community with this probability per step (0 ..= 1; default 0), which puts flagged
    /// accounts among the followers of adjacent accounts, where co-follow finds them.
    pub bridge_rate: f64,
    /// Moved: the index refresh interval is `surfaces.index_refresh` (refused with that hint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_refresh: Option<u32>,
}

impl Default for AdversarySpec {
    fn default() -> Self {
        Self {
            lexical_evasion: 0.0,
            max_variants: 20,
            ban_evasion: 0.0,
            return_delay: 5,
            recruitment_rate: 0.0,
            bridge_rate: 0.0,
            graph_refresh: None,
        }
    }
}

impl AdversarySpec {
    /// Whether any adaptation is switched on.
    pub fn active(&self) -> bool {
        self.lexical_evasion > 0.0
            || self.ban_evasion > 0.0
            || self.recruitment_rate > 0.0
            || self.bridge_rate > 0.0
    }
}

/// One arm: a name and the mitigation stack applied, in the order written, to every slate.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArmSpec {
    /// Name of the arm (unique in the scenario; letters, digits, `-`, `_`).
    pub name: String,
    /// Mitigations in application order (default none: the baseline).
    #[serde(default)]
    pub mitigations: Vec<MitigationSpec>,
}

/// A built-in mitigation, selected by `kind`. Every mitigation acts on moderation labels, never
/// on the ground truth, and only removes or reorders candidates (`friction` acts on the follow
/// decision instead). Read by hand, in `scenario/tagged.rs`.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MitigationSpec {
    /// A search for a labelled term returns nothing (or, with `click_through`, a warning
    /// interstitial that a share of users click through).
    SuppressFlaggedSearch(SuppressSearchSpec),
    /// Labelled accounts are removed from suggested accounts.
    ExcludeFlaggedFromSuggestions(EmptySpec),
    /// Labelled accounts' scores are multiplied by `factor` on every surface, then re-ranked.
    DemoteFlagged(DemoteSpec),
    /// Labelled accounts are removed from every surface `delay` steps after they are labelled.
    BanDetected(BanSpec),
    /// Suggested accounts lose score in proportion to the share of their followers that are
    /// labelled, so one dense labelled cluster cannot dominate co-follow suggestions.
    CofollowDampening(DampeningSpec),
    /// No suggestion within `hops` follow hops of a labelled account.
    GraphDistanceGuard(GuardSpec),
    /// At most `max_share` of a slate from one content cluster (excess moves behind the cut).
    ExposureCap(ExposureCapSpec),
    /// A share of each slate's slots goes to unlabelled candidates from other clusters, drawn
    /// at random from the pool.
    DiversityInjection(DiversitySpec),
    /// Following a labelled account succeeds only with probability `factor`.
    Friction(FrictionSpec),
    /// A mitigation registered by the user ([`crate::plugin::Registry`]), with its own
    /// parameters (see [`PolicySpec::Plugin`]).
    #[serde(untagged)]
    Plugin(PluginSpec),
}

/// Parameters of `suppress_flagged_search`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SuppressSearchSpec {
    /// With a warning interstitial instead of an empty result: the probability that the user
    /// clicks through and sees the results (0 ..= 1; default: no interstitial, empty result).
    pub click_through: Option<f64>,
}

/// Parameters of `demote_flagged`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DemoteSpec {
    /// Score multiplier of labelled accounts (0 ..= 1; default 0.2). Negative scores are pushed
    /// down by the same proportion.
    pub factor: f64,
}

impl Default for DemoteSpec {
    fn default() -> Self {
        Self { factor: 0.2 }
    }
}

/// Parameters of `ban_detected`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BanSpec {
    /// Steps from label to removal (0 ..= steps; default 0).
    pub delay: u32,
}

/// Parameters of `cofollow_dampening`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DampeningSpec {
    /// Strength: a candidate whose followers are all labelled keeps `1 / (1 + strength)` of its
    /// score (0 ..= 1000; default 10).
    pub strength: f64,
}

impl Default for DampeningSpec {
    fn default() -> Self {
        Self { strength: 10.0 }
    }
}

/// Parameters of `graph_distance_guard`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GuardSpec {
    /// Follow hops from a candidate to the nearest labelled account that exclude it (0 ..= 10;
    /// default 1: labelled accounts and accounts that follow one).
    pub hops: u32,
}

impl Default for GuardSpec {
    fn default() -> Self {
        Self { hops: 1 }
    }
}

/// Parameters of `exposure_cap`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ExposureCapSpec {
    /// Largest share of a slate from one content cluster (0 < share <= 1; default 0.4).
    pub max_share: f64,
}

impl Default for ExposureCapSpec {
    fn default() -> Self {
        Self { max_share: 0.4 }
    }
}

/// Parameters of `diversity_injection`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DiversitySpec {
    /// Share of slate slots given to random unlabelled candidates of other clusters (0 ..= 1;
    /// default 0.2).
    pub share: f64,
}

impl Default for DiversitySpec {
    fn default() -> Self {
        Self { share: 0.2 }
    }
}

/// Parameters of `friction`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FrictionSpec {
    /// Probability that a follow of a labelled account goes through (0 ..= 1; default 0.3).
    pub factor: f64,
}

impl Default for FrictionSpec {
    fn default() -> Self {
        Self { factor: 0.3 }
    }
}

impl MitigationSpec {
    /// The built-in kinds, as written in a scenario.
    pub const BUILTIN: [&'static str; 9] = [
        "suppress_flagged_search",
        "exclude_flagged_from_suggestions",
        "demote_flagged",
        "ban_detected",
        "cofollow_dampening",
        "graph_distance_guard",
        "exposure_cap",
        "diversity_injection",
        "friction",
    ];

    /// The `kind` name as written in a scenario.
    pub fn kind(&self) -> &str {
        match self {
            Self::Plugin(p) => &p.kind,
            Self::SuppressFlaggedSearch(_) => "suppress_flagged_search",
            Self::ExcludeFlaggedFromSuggestions(_) => "exclude_flagged_from_suggestions",
            Self::DemoteFlagged(_) => "demote_flagged",
            Self::BanDetected(_) => "ban_detected",
            Self::CofollowDampening(_) => "cofollow_dampening",
            Self::GraphDistanceGuard(_) => "graph_distance_guard",
            Self::ExposureCap(_) => "exposure_cap",
            Self::DiversityInjection(_) => "diversity_injection",
            Self::Friction(_) => "friction",
        }
    }
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
