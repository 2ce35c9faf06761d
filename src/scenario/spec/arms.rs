//! `[[arms]]`: the arms compared, each a named stack of mitigations, and the built-in
//! mitigations' parameters.

use super::policy::{EmptySpec, PluginSpec};
use serde::{Deserialize, Serialize};

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
    /// parameters (see [`PolicySpec::Plugin`](super::policy::PolicySpec::Plugin)).
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
