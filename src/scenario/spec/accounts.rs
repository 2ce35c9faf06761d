//! The other accounts that act or are measured: `[panel]` (ordinary accounts on which the
//! collateral cost is measured), `[population]` (ordinary accounts that act every step) and
//! `[adversary]` (how the flagged cluster adapts to moderation).

use serde::{Deserialize, Serialize};

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
    /// Serve and measure the panel every `every` steps only (1 ..= steps; default 1: every
    /// step), counted back from the last step, which is always served. An opt-in cadence for
    /// users who accept sparser collateral curves for a faster run: the panel's columns are
    /// empty on the steps between, relevance and engagement losses average the served steps,
    /// and reach counts exposure on the served steps only (so it is lower than with every step
    /// served). Written to `scenario.resolved.toml` only when it is not 1.
    #[serde(skip_serializing_if = "is_one")]
    pub every: u32,
}

fn is_one(x: &u32) -> bool {
    *x == 1
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
            every: 1,
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
