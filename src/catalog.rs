//! What a scenario can name: policies, mitigations, probe behaviours and metrics, each with a
//! one-line description and its parameters with defaults (`driftlab list`).

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
    vec![
        e("policy", "random", "uniformly random accounts (the null recommender)", NONE),
        e("policy", "popularity", "most-followed accounts first", NONE),
        e("policy", "co_follow", "accounts followed by people who follow what the viewer follows (sampled two-hop paths)", &[("samples", "300", "sampled paths per request"), ("segments", "0", "precomputed walk segments per account, redrawn at each index rebuild (0: walk every path)")]),
        e("policy", "embedding", "the platform's estimate of the viewer dotted with account content, over the nearest content clusters", &[("clusters", "3", "nearest clusters to draw candidates from")]),
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
        e("adaptation", "bridge_rate", "flagged accounts follow accounts of adjacent communities, where co-follow finds them", &[("bridge_rate", "0", "probability per flagged account per step"), ("graph_refresh", "5", "steps between graph index rebuilds")]),
        e("behaviour", "follow_top", "follow the top suggestion", &[("follow_prob", "0.3", "probability of a follow action per step")]),
        e("behaviour", "follow_random_of_top_k", "follow a uniformly random one of the top k suggestions", &[("top_k", "3", "k"), ("follow_prob", "0.3", "probability of a follow action per step")]),
        e("behaviour", "follow_if_similar", "follow the top suggestion if its content is close to the probe's interests", &[("similarity_threshold", "0.2", "cosine threshold"), ("follow_prob", "0.3", "probability of a follow action per step")]),
        e("metric", "flagged_share", "flagged share of a probe's impressions, overall and per surface", NONE),
        e("metric", "flagged_impressions_<surface>", "flagged impressions per probe per step on a surface", NONE),
        e("metric", "flagged_follows", "flagged accounts followed so far", NONE),
        e("metric", "hops_to_flagged", "follow hops from the probe to the nearest flagged account", NONE),
        e("metric", "profile_cosine", "cosine of the platform's estimated profile of the probe to the flagged centroid", NONE),
        e("metric", "drifted", "share of probes whose flagged share, pooled over drift_window steps, reached drift_threshold", &[("drift_window", "5", "w, in steps"), ("drift_threshold", "0.5", "theta")]),
        e("metric", "panel_relevance", "collateral: mean affinity of the items shown to the panel of ordinary accounts to their latent interests", &[("panel.size", "50", "panel accounts per replicate")]),
        e("metric", "panel_engagement", "collateral: mean logit probability that a panel account engages with a served slate", NONE),
        e("metric", "panel_flagged_share", "flagged share of the panel's impressions", NONE),
        e("metric", "panel_reach", "share of panel accounts shown a flagged account at least once so far", NONE),
        e("metric", "benign_labelled", "share of benign accounts carrying a moderation label (wrongly suppressed)", NONE),
        e("metric", "flagged_labelled", "share of flagged accounts carrying a label (realised recall)", NONE),
        e("metric", "population_flagged_share", "flagged share of the living population's impressions", &[("population.active_share", "0", "share of ordinary accounts active per step")]),
        e("metric", "first_flagged_step", "per probe: first step with a flagged impression", NONE),
    ]
}
