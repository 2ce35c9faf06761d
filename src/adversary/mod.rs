//! The adversary: how the flagged cluster adapts to moderation during a run.
//!
//! Three adaptations, each per flagged account per step and off by default
//! ([`AdversarySpec`]):
//!
//! - **Lexical evasion.** In an arm whose mitigations suppress labelled terms, once the
//!   spelling of a flagged term an account tags is labelled, the account moves to a new variant
//!   spelling with probability `lexical_evasion` per step (to the newest variant not yet
//!   labelled, or a new one while fewer than `max_variants` exist). The platform's classifier
//!   sees a variant like any new term: it is reviewed `detection_delay` steps after it appears,
//!   then every `review_interval` steps, and labelled with probability `term_recall`. Searching a
//!   variant returns the accounts that use it, so search suppression decays until detection
//!   catches up.
//! - **Ban evasion.** In an arm that bans labelled accounts (`ban_detected`), a banned flagged
//!   account returns with probability `ban_evasion`, `return_delay` steps after its ban, as a
//!   new, unlabelled account that re-follows its network. We model the new account as the same
//!   account id with its label cleared (same content, same follows): the platform sees an
//!   unlabelled account that its classifier must detect again (drawn as for any account).
//!   Within a step, bans come first, then the returns that are due, then the bans of returned
//!   identities the classifier labelled at once: every ban is decided in the step in which
//!   `ban_detected` removes the account from the platform, whether it is the account's first
//!   identity or a returned one, so a banned account is away `return_delay` steps either way.
//!   Recruits join at the start of the step, before the bans (so one labelled at once is
//!   banned in the step it joins, too), and take identities freed in earlier steps.
//! - **Recruitment.** In an arm that bans, new flagged accounts join at `recruitment_rate` per
//!   step (a Poisson count each step). The world's flagged accounts are the cluster's
//!   identities: a recruit takes the identity of a banned account that will not return (same
//!   content, same follows, so it re-follows the cluster's network) and appears unlabelled, for
//!   the classifier to find as it finds a returned account. Recruits do not come from outside
//!   the flagged cluster (an adjacent account that "turns"): which accounts are flagged is
//!   ground truth of the world, shared by every arm of a replicate and read by every metric
//!   (flagged impressions, follows, hops, the flagged centroid), and an adjacent account
//!   neither posts flagged content nor tags flagged terms; the platform would see only a new
//!   unlabelled account either way. A recruit that finds no free identity does not join, so
//!   the cluster never exceeds the world's flagged accounts. Arms that do not ban free no
//!   identity and recruit no one. With recall `p` per review, first review `D` steps after an
//!   identity appears and re-reviews every `R` steps, ban delay `B`, return probability `r` and
//!   recruitment rate `λ`, an identity stays active `D + B + R (1 - p) / p` steps per visit on
//!   average and a recruit makes `1 / (1 - r)` visits, so while free identities last the active
//!   cluster settles at a Poisson level with mean `λ (D + B + R (1 - p) / p) / (1 - r)`
//!   (derived and checked against the simulation in `tests/cluster.rs`).
//! - **Bridge building.** Each flagged account follows a uniformly random account of an
//!   adjacent community with probability `bridge_rate` per step. That puts flagged accounts
//!   among the followers of adjacent accounts, exactly where co-follow recommendations look.
//!   New follows go to the arm's [`LiveGraph`] and become visible to the platform when its
//!   follow index is rebuilt, every `surfaces.index_refresh` steps.
//!
//! The adversary acts on the ground truth (it *is* the flagged cluster) but exposes to the
//! platform only what a platform would observe: tags, term postings, the follow graph, labels
//! cleared by returns and recruits. Its random numbers come from one stream per (replicate,
//! step), so in arms that trigger the same adaptations the same things happen (paired
//! comparison), and a run is identical for any thread count (the adversary steps serially
//! between the parallel probe steps). Recruitment draws from a second stream per (replicate,
//! step) of the adversary's family ([`RECRUITS`]), so the number of recruits of a step is the
//! same in every banning arm and recruitment shifts no other adaptation's draws.

mod bans;
mod counts;
mod lexical;

pub use counts::{AdversaryStats, ClusterStep};

use crate::ids::{AccountId, TermId};
use crate::live_graph::LiveGraph;
use crate::mitigation::Capabilities;
use crate::platform::{first_success, Labels, TermOverlay};
use crate::rng::{AgentStreams, SimRng};
use crate::scenario::spec::{AdversarySpec, ModerationSpec};
use crate::world::{CommunityKind, World};
use rand::RngExt;

/// Offset of the recruitment streams among the adversary's per-step streams: step `t` draws
/// its adaptations from agent stream `t` and its recruits from `RECRUITS + t`.
pub const RECRUITS: u64 = 1 << 32;

/// One flagged base term and its variant spellings.
struct Family {
    /// Term ids of the spellings, the base term first.
    spellings: Vec<TermId>,
}

/// The adversary's state in one arm of one replicate.
pub struct Adversary {
    spec: AdversarySpec,
    moderation: ModerationSpec,
    horizon: u32,
    streams: AgentStreams,
    evade_terms: bool,
    /// The arm's ban delay, when it bans (`ban_detected`).
    ban_delay: Option<u32>,
    /// The same, when the adversary follows bans (for returns or recruits).
    ban_after: Option<u32>,
    /// The world's vocabulary size: variant spellings have ids from here up.
    base_terms: usize,
    /// What the platform sees of the lexical adaptations: the flagged accounts (sorted), their
    /// current tags, the family of each spelling and the postings of every family spelling.
    overlay: TermOverlay,
    families: Vec<Family>,
    postings_dirty: bool,
    /// Adjacent accounts (bridge targets).
    adjacent: Vec<AccountId>,
    /// Scheduled returns of banned accounts: (step, account).
    returns: Vec<(u32, AccountId)>,
    /// Whether an account's ban was already decided (index into `flagged`).
    ban_decided: Vec<bool>,
    /// Identities banned for good, free for recruits (indices into `flagged`, in the order
    /// they were freed).
    vacant: Vec<usize>,
    /// Counters for the manifest and tests.
    stats: AdversaryStats,
}

impl Adversary {
    /// The adversary of one arm: the arm's declared mitigation `triggers` decide which
    /// adaptations are triggered (term suppression for lexical evasion, bans for ban evasion);
    /// `streams` are the replicate's adversary streams (one per step).
    pub fn new(
        world: &World,
        spec: &AdversarySpec,
        moderation: &ModerationSpec,
        horizon: u32,
        triggers: Capabilities,
        streams: AgentStreams,
    ) -> Self {
        let truth = world.truth();
        let flagged: Vec<AccountId> = (0..world.accounts() as u32)
            .map(AccountId)
            .filter(|&a| truth.is_flagged(a))
            .collect();
        let tags = flagged.iter().map(|&a| world.tags(a).to_vec()).collect();
        // Variant spellings get ids from the world's vocabulary size up.
        let base_terms = world.terms() as u32;
        let mut family_of = vec![u32::MAX; base_terms as usize];
        let mut families = Vec::new();
        let mut postings = vec![Vec::new(); base_terms as usize];
        for t in (0..base_terms).map(TermId) {
            if truth.is_flagged_term(t) {
                family_of[t.index()] = families.len() as u32;
                families.push(Family { spellings: vec![t] });
                postings[t.index()] = world.term_postings(t).to_vec();
            }
        }
        let adjacent = truth
            .communities_of(CommunityKind::Adjacent)
            .into_iter()
            .flat_map(|c| world.members(c).iter().copied())
            .collect();
        let n = flagged.len();
        Self {
            spec: spec.clone(),
            moderation: moderation.clone(),
            horizon,
            streams,
            evade_terms: spec.lexical_evasion > 0.0 && triggers.suppresses_terms,
            ban_delay: triggers.bans_after,
            base_terms: base_terms as usize,
            ban_after: triggers
                .bans_after
                .filter(|_| spec.ban_evasion > 0.0 || spec.recruitment_rate > 0.0),
            overlay: TermOverlay {
                active: spec.lexical_evasion > 0.0 && triggers.suppresses_terms,
                accounts: flagged,
                tags,
                family_of,
                postings,
            },
            families,
            postings_dirty: false,
            adjacent,
            returns: Vec::new(),
            ban_decided: vec![false; n],
            vacant: Vec::new(),
            stats: AdversaryStats::default(),
        }
    }

    /// Whether this adversary ever changes anything in its arm.
    pub fn active(&self) -> bool {
        self.evade_terms || self.ban_after.is_some() || self.spec.bridge_rate > 0.0
    }

    /// What it did so far.
    pub fn stats(&self) -> AdversaryStats {
        self.stats
    }

    /// The flagged cluster under `labels` (call it after [`Adversary::step`]): who is banned is
    /// decided by the arm's ban rule on the labels, exactly as `ban_detected` decides it, so
    /// the counts hold in every arm, whether the adversary adapts or not.
    pub fn cluster(&self, labels: &Labels) -> ClusterStep {
        let now = labels.now();
        let banned = |a: AccountId| {
            self.ban_delay.is_some_and(|after| {
                labels
                    .labelled_since(a)
                    .is_some_and(|since| since.saturating_add(after) <= now)
            })
        };
        let mut live = vec![false; self.overlay.family_of.len() - self.base_terms];
        let mut active = 0u32;
        for (i, &a) in self.overlay.accounts.iter().enumerate() {
            if banned(a) {
                continue;
            }
            active += 1;
            for t in &self.overlay.tags[i] {
                if let Some(v) = t.index().checked_sub(self.base_terms) {
                    live[v] = true;
                }
            }
        }
        let total = self.overlay.accounts.len() as u32;
        ClusterStep {
            active: f64::from(active),
            banned: f64::from(total - active),
            returned: f64::from(self.stats.returns),
            recruited: f64::from(self.stats.recruits),
            variants: live.iter().filter(|&&v| v).count() as f64,
            bridges: f64::from(self.stats.bridges),
        }
    }

    /// Adapts to the labels of step `step` (after they advanced, before anyone is served).
    pub fn step(&mut self, step: u32, world: &World, labels: &mut Labels, live: &mut LiveGraph) {
        if !self.active() {
            return;
        }
        let mut rng = self.streams.agent(u64::from(step));
        if self.evade_terms {
            for i in 0..self.overlay.accounts.len() {
                for k in 0..self.overlay.tags[i].len() {
                    let t = self.overlay.tags[i][k];
                    let Some(&f) = self.overlay.family_of.get(t.index()) else {
                        continue;
                    };
                    if f == u32::MAX || !labels.term(t) {
                        continue;
                    }
                    if !rng.random_bool(self.spec.lexical_evasion) {
                        continue;
                    }
                    if let Some(v) = self.variant_for(f as usize, step, labels, &mut rng) {
                        if v != t && !self.overlay.tags[i].contains(&v) {
                            self.overlay.tags[i][k] = v;
                            self.stats.moves += 1;
                            self.postings_dirty = true;
                        }
                    }
                }
            }
            if self.postings_dirty {
                self.rebuild_postings(world);
            }
        }
        if let Some(after) = self.ban_after {
            // Recruits, then bans, then the returns that are due; a returned identity the
            // classifier labels at once is banned in this same step by a second pass (see
            // `decide_bans`).
            self.recruit(step, labels);
            self.decide_bans(after, labels, &mut rng);
            if self.arrive(labels, &mut rng) {
                self.decide_bans(after, labels, &mut rng);
            }
        }
        if self.spec.bridge_rate > 0.0 && !self.adjacent.is_empty() {
            for &f in &self.overlay.accounts {
                if rng.random_bool(self.spec.bridge_rate) {
                    let target = self.adjacent[rng.random_range(0..self.adjacent.len())];
                    if live.follow(world, f, target) {
                        self.stats.bridges += 1;
                    }
                }
            }
        }
    }

    /// The step at which the classifier first labels an identity or a term that appears at
    /// step `appears`, with `recall` per review: first reviewed `detection_delay` steps later,
    /// then every `review_interval` steps, within the run's horizon.
    fn first_label(&self, recall: f64, appears: u32, rng: &mut SimRng) -> u32 {
        let m = &self.moderation;
        first_success(
            recall,
            appears.saturating_add(m.detection_delay),
            m.review_interval,
            self.horizon,
            rng,
        )
    }

    /// What the platform sees of the adversary's lexical adaptations.
    pub fn overlay(&self) -> &TermOverlay {
        &self.overlay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mitigation::{Mitigation, MitigationStack};
    use crate::rng::{SeedTree, StreamId};
    use crate::scenario::spec::WorldSpec;

    /// The adversary of an arm with these mitigation `triggers`, on the adversary streams of
    /// replicate 0 of seed 3.
    pub(super) fn adversary(
        w: &World,
        spec: &AdversarySpec,
        moderation: &ModerationSpec,
        horizon: u32,
        triggers: Capabilities,
    ) -> Adversary {
        Adversary::new(
            w,
            spec,
            moderation,
            horizon,
            triggers,
            SeedTree::new(3).agents(0, StreamId::Adversary),
        )
    }

    pub(super) fn world() -> World {
        let spec = WorldSpec {
            accounts: Some(800),
            benign_communities: 3,
            adjacent_communities: 2,
            adjacent_fraction: 0.2,
            ..WorldSpec::default()
        };
        crate::world::generate(&spec, 30, &SeedTree::new(3), 0)
    }

    #[test]
    fn bridges_add_flagged_followers_to_adjacent_accounts_and_keep_the_graph_valid() {
        let w = world();
        let spec = AdversarySpec {
            bridge_rate: 0.5,
            ..AdversarySpec::default()
        };
        let stack = MitigationStack::new(Vec::new());
        let mut adv = adversary(
            &w,
            &spec,
            &ModerationSpec::default(),
            10,
            stack.capabilities(),
        );
        let mut labels = Labels::none(w.accounts(), w.terms());
        let mut live = LiveGraph::new();
        for step in 1..=10 {
            labels.advance(step);
            adv.step(step, &w, &mut labels, &mut live);
        }
        live.rebuild(&w);
        let g = live.graph().expect("bridges rebuilt the graph");
        assert_eq!(g.edges(), w.graph().edges() + adv.stats().bridges as usize);
        let truth = w.truth();
        let flagged_followers = |g: &crate::world::graph::FollowGraph| -> usize {
            adv.adjacent
                .iter()
                .map(|&a| {
                    g.followers(a)
                        .iter()
                        .filter(|&&f| truth.is_flagged(f))
                        .count()
                })
                .sum()
        };
        assert_eq!(
            flagged_followers(g),
            flagged_followers(w.graph()) + adv.stats().bridges as usize
        );
        for a in (0..w.accounts() as u32).map(AccountId) {
            let row = g.followees(a);
            assert!(row.windows(2).all(|p| p[0] < p[1]) && !row.contains(&a));
        }
    }

    #[test]
    fn cluster_counts_follow_the_platforms_ban_rule_whether_or_not_the_adversary_adapts() {
        let w = world();
        let moderation = ModerationSpec::default();
        let tree = SeedTree::new(3);
        // Every flagged account labelled at step 0; the arm bans 2 steps after a label.
        let labels = Labels::classify(
            &w,
            &moderation,
            10,
            &mut tree.stream(0, StreamId::Moderation),
        );
        let ban =
            MitigationStack::from_specs(&[crate::scenario::spec::MitigationSpec::BanDetected(
                crate::scenario::spec::BanSpec { delay: 2 },
            )]);
        let none = MitigationStack::new(Vec::new());
        for (stack, bans) in [(&ban, true), (&none, false)] {
            let mut adv = adversary(
                &w,
                &AdversarySpec::default(),
                &moderation,
                10,
                stack.capabilities(),
            );
            assert!(!adv.active());
            let n = w.truth().flagged_accounts() as f64;
            let mut labels = labels.clone();
            for step in 1..=3 {
                labels.advance(step);
                adv.step(step, &w, &mut labels, &mut LiveGraph::new());
                let c = adv.cluster(&labels);
                let banned = if bans && step >= 2 { n } else { 0.0 };
                assert_eq!((c.active, c.banned), (n - banned, banned), "step {step}");
                assert_eq!(
                    (c.returned, c.recruited, c.variants, c.bridges),
                    (0.0, 0.0, 0.0, 0.0)
                );
            }
        }
    }
}
