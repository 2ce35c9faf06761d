//! `[[probes]]` and `[metrics]`: the sock-puppet probe groups and the drift metric measured
//! on them.

use serde::{Deserialize, Serialize};

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
