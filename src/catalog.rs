//! What a scenario can name: policies, mitigations, probe behaviours and metrics, each with a
//! one-line description and its parameters with defaults (`driftlab list`).

use crate::metrics;
use crate::policy::Surface;

/// One thing a scenario can name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Category: policy, mitigation, adaptation (of the adversary), behaviour or metric.
    pub category: String,
    /// Name as written in a scenario (or the output column).
    pub name: String,
    /// What it models.
    pub description: String,
    /// Parameters as (name, default, meaning).
    pub params: Vec<(String, String, String)>,
    /// Whether it is a registered plug-in rather than a built-in.
    pub plugin: bool,
}

const NONE: &[(&str, &str, &str)] = &[];

/// Everything built in that a scenario can name, by category (plug-ins included:
/// [`crate::plugin::Registry::entries`]).
pub fn entries() -> Vec<Entry> {
    let e = |category: &str, name: &str, description: &str, params: &[(&str, &str, &str)]| Entry {
        category: category.to_string(),
        name: name.to_string(),
        description: description.to_string(),
        params: params
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect(),
        plugin: false,
    };
    let mut all = vec![
        e("policy", "random", "uniformly random accounts (the null recommender)", NONE),
        e("policy", "popularity", "most-followed accounts first", NONE),
        e("policy", "co_follow", "accounts followed by people who follow what the viewer follows (sampled two-hop paths)", &[("samples", "300", "sampled paths per request"), ("segments", "0", "precomputed walk segments per account, redrawn at each index rebuild (0: walk every path)")]),
        e("policy", "embedding", "the platform's estimate of the viewer dotted with account content, over draws from the nearest content clusters (every account of them when 2 x pool draws would cover them)", &[("clusters", "3", "nearest clusters to draw candidates from")]),
        e("policy", "hybrid", "weighted rank fusion of other policies", &[("components", "required", "list of { weight, policy }")]),
        e("policy", "uniform_followee", "a uniformly random followee of the account the viewer most recently followed (a random walk)", NONE),
        e("mitigation", "suppress_flagged_search", "a search for a labelled term returns nothing, or a warning interstitial some click through", &[("click_through", "none", "probability of clicking through the interstitial; none: empty result")]),
        e("mitigation", "exclude_flagged_from_suggestions", "labelled accounts are removed from suggested accounts", NONE),
        e("mitigation", "demote_flagged", "labelled accounts' scores are multiplied by a factor on every surface, then re-ranked", &[("factor", "0.2", "score multiplier")]),
        e("mitigation", "ban_detected", "labelled accounts are removed from every surface (and cannot be followed) some steps after the label", &[("delay", "0", "steps from label to ban")]),
        e("mitigation", "cofollow_dampening", "suggestions lose score with the share of their followers that are labelled, so one dense cluster cannot dominate co-follow", &[("strength", "10", "a fully labelled follower base keeps 1/(1+strength) of the score")]),
        e("mitigation", "graph_distance_guard", "no suggestion within h follow hops of a labelled account", &[("hops", "1", "h")]),
        e("mitigation", "exposure_cap", "at most a share of a slate from one content cluster (not label-based)", &[("max_share", "0.4", "largest share per cluster")]),
        e("mitigation", "diversity_injection", "a share of slots goes to random unlabelled candidates from other clusters (not label-based)", &[("share", "0.2", "share of slots")]),
        e("mitigation", "friction", "following a labelled account succeeds only with a probability", &[("factor", "0.3", "probability the follow goes through")]),
        e("adaptation", "lexical_evasion", "flagged accounts move from a suppressed flagged term to new variant spellings, detected only after the classifier's delay", &[("lexical_evasion", "0", "probability per account per step"), ("max_variants", "20", "variant spellings per term")]),
        e("adaptation", "ban_evasion", "banned flagged accounts return as new unlabelled accounts and re-follow their network", &[("ban_evasion", "0", "probability of returning"), ("return_delay", "5", "steps from ban to return")]),
        e("adaptation", "recruitment_rate", "new flagged accounts join in arms that ban, each taking the identity of a banned account that will not return, unlabelled", &[("recruitment_rate", "0", "expected recruits per step (a Poisson count)")]),
        e("adaptation", "bridge_rate", "flagged accounts follow accounts of adjacent communities, where co-follow finds them", &[("bridge_rate", "0", "probability per flagged account per step"), ("surfaces.index_refresh", "5", "steps between rebuilds of the platform's follow index, which make bridges visible")]),
        e("behaviour", "follow_top", "follow the top suggestion", &[("follow_prob", "0.3", "probability of a follow action per step")]),
        e("behaviour", "follow_random_of_top_k", "follow a uniformly random one of the top k suggestions", &[("top_k", "3", "k"), ("follow_prob", "0.3", "probability of a follow action per step")]),
        e("behaviour", "follow_if_similar", "follow the top suggestion if its content is close to the probe's interests", &[("similarity_threshold", "0.2", "cosine threshold"), ("follow_prob", "0.3", "probability of a follow action per step")]),
    ];
    all.extend(metric_entries());
    all
}

/// The metrics, from their one definition ([`crate::metrics`]): per-step metrics in column
/// order (a per-surface metric once, as `<metric>_<surface>`), then the per-probe ones.
fn metric_entries() -> impl Iterator<Item = Entry> {
    let entry = |name: String, description: &str, params: &[metrics::Param]| Entry {
        category: "metric".to_string(),
        name,
        description: description.to_string(),
        params: params
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect(),
        plugin: false,
    };
    let steps = metrics::STEP_METRICS.iter().filter_map(move |m| {
        let params = m.listed?;
        let name = match m.surface {
            None => m.column.to_string(),
            Some(s) if s == Surface::ALL[0] => {
                let metric = m.column.strip_suffix(s.name())?;
                format!("{metric}<surface>")
            }
            Some(_) => return None,
        };
        Some(entry(name, m.description, params))
    });
    let probes = metrics::PROBE_METRICS
        .iter()
        .filter(|m| m.listed)
        .map(move |m| entry(m.column.to_string(), m.description, NONE));
    steps.chain(probes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_entries_come_from_the_schema() {
        let metrics: Vec<Entry> = entries()
            .into_iter()
            .filter(|e| e.category == "metric")
            .collect();
        let names: Vec<&str> = metrics.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "flagged_share",
                "flagged_impressions_<surface>",
                "flagged_follows",
                "hops_to_flagged",
                "profile_cosine",
                "drifted",
                "panel_relevance",
                "panel_engagement",
                "panel_flagged_share",
                "panel_reach",
                "benign_labelled",
                "flagged_labelled",
                "population_flagged_share",
                "cluster_active",
                "cluster_banned",
                "cluster_returned",
                "cluster_recruited",
                "cluster_variants",
                "cluster_bridges",
                "first_flagged_step",
            ]
        );
        let drifted = &metrics[5];
        assert_eq!(drifted.params[0].0, "drift_window");
        assert!(metrics.iter().all(|e| !e.description.is_empty()));
    }
}
