//! What a platform can see. Policies and mitigations receive a [`PlatformView`] and nothing else:
//! it exposes the follow graph, public content, tags, activity, content clusters and the
//! moderation labels, and has no way to reach latent interests or ground-truth flags (the world
//! it wraps is a private field, so even code elsewhere in this crate cannot go through it).

use crate::ids::{AccountId, CommunityId, TermId};
use crate::rng::SimRng;
use crate::scenario::spec::ModerationSpec;
use crate::world::World;
use rand::RngExt;

/// The platform's moderation labels: which accounts and terms its classifier flagged. They may
/// be wrong in both directions; mitigations act on them, never on the ground truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labels {
    accounts: Vec<bool>,
    terms: Vec<bool>,
}

impl Labels {
    /// No labels at all (a platform without moderation).
    pub fn none(accounts: usize, terms: usize) -> Self {
        Self {
            accounts: vec![false; accounts],
            terms: vec![false; terms],
        }
    }

    /// Labels drawn from a classifier with the given recall and false-positive rate. This is the
    /// one place where ground truth turns into an observation.
    pub fn classify(world: &World, spec: &ModerationSpec, rng: &mut SimRng) -> Self {
        let truth = world.truth();
        let accounts = (0..world.accounts() as u32)
            .map(|a| {
                let p = if truth.is_flagged(AccountId(a)) {
                    spec.recall
                } else {
                    spec.false_positive_rate
                };
                rng.random_bool(p)
            })
            .collect();
        let terms = (0..world.terms() as u32)
            .map(|t| truth.is_flagged_term(TermId(t)) && rng.random_bool(spec.term_recall))
            .collect();
        Self { accounts, terms }
    }

    /// Whether an account carries a label.
    #[inline]
    pub fn account(&self, a: AccountId) -> bool {
        self.accounts.get(a.index()).copied().unwrap_or(false)
    }

    /// Whether a term carries a label.
    #[inline]
    pub fn term(&self, t: TermId) -> bool {
        self.terms.get(t.index()).copied().unwrap_or(false)
    }

    /// Sets the label of an account (for tests and custom moderation models).
    pub fn set_account(&mut self, a: AccountId, labelled: bool) {
        if let Some(l) = self.accounts.get_mut(a.index()) {
            *l = labelled;
        }
    }

    /// Sets the label of a term.
    pub fn set_term(&mut self, t: TermId, labelled: bool) {
        if let Some(l) = self.terms.get_mut(t.index()) {
            *l = labelled;
        }
    }

    /// Number of labelled accounts.
    pub fn labelled_accounts(&self) -> usize {
        self.accounts.iter().filter(|&&l| l).count()
    }
}

/// The platform's observable state, borrowed for the duration of a step.
///
/// A policy cannot reach the ground truth through it; this does not compile:
///
/// ```compile_fail
/// fn leak(view: &driftlab::platform::PlatformView<'_>) {
///     let _ = view.world.truth();
/// }
/// ```
#[derive(Clone, Copy)]
pub struct PlatformView<'a> {
    world: &'a World,
    labels: &'a Labels,
}

impl<'a> PlatformView<'a> {
    /// A view of `world` under the moderation labels `labels`.
    pub fn new(world: &'a World, labels: &'a Labels) -> Self {
        Self { world, labels }
    }

    /// Number of ordinary accounts.
    pub fn accounts(&self) -> usize {
        self.world.accounts()
    }

    /// Dimensions of content vectors.
    pub fn dims(&self) -> usize {
        self.world.dims()
    }

    /// Public content vector of an account (unit norm).
    #[inline]
    pub fn content(&self, a: AccountId) -> &'a [f32] {
        self.world.content(a)
    }

    /// Probability that an account posts in a step (observable from its history).
    #[inline]
    pub fn activity(&self, a: AccountId) -> f32 {
        self.world.activity(a)
    }

    /// Accounts `a` follows, sorted.
    #[inline]
    pub fn followees(&self, a: AccountId) -> &'a [AccountId] {
        self.world.graph().followees(a)
    }

    /// Accounts following `a`, sorted.
    #[inline]
    pub fn followers(&self, a: AccountId) -> &'a [AccountId] {
        self.world.graph().followers(a)
    }

    /// Number of followers of `a`.
    #[inline]
    pub fn follower_count(&self, a: AccountId) -> usize {
        self.followers(a).len()
    }

    /// All accounts, most followed first.
    pub fn by_popularity(&self) -> &'a [AccountId] {
        self.world.by_popularity()
    }

    /// Number of content clusters (the platform's topic clustering; which one is harmful is not
    /// part of the view).
    pub fn clusters(&self) -> usize {
        self.world.communities()
    }

    /// Content cluster of an account.
    #[inline]
    pub fn cluster(&self, a: AccountId) -> CommunityId {
        self.world.community(a)
    }

    /// Accounts of a content cluster, sorted.
    pub fn cluster_members(&self, c: CommunityId) -> &'a [AccountId] {
        self.world.members(c)
    }

    /// Unit-norm mean content of a cluster.
    pub fn cluster_mean(&self, c: CommunityId) -> &'a [f32] {
        self.world.cluster_mean(c)
    }

    /// Terms an account tags its content with.
    #[inline]
    pub fn tags(&self, a: AccountId) -> &'a [TermId] {
        self.world.tags(a)
    }

    /// Number of terms in the vocabulary.
    pub fn terms(&self) -> usize {
        self.world.terms()
    }

    /// Accounts tagged with a term, most followed first.
    #[inline]
    pub fn term_postings(&self, t: TermId) -> &'a [AccountId] {
        self.world.term_postings(t)
    }

    /// The moderation labels.
    pub fn labels(&self) -> &'a Labels {
        self.labels
    }
}

/// What the platform knows about the account it is serving (a probe or an ordinary account).
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    /// Accounts the viewer follows, sorted.
    pub followees: &'a [AccountId],
    /// The account the viewer most recently followed.
    pub last_followed: Option<AccountId>,
    /// The platform's estimate of the viewer's interests, learnt from engagement (may be zero
    /// for a fresh account).
    pub estimate: &'a [f32],
}

impl Viewer<'_> {
    /// Whether the viewer already follows `a`.
    #[inline]
    pub fn follows(&self, a: AccountId) -> bool {
        self.followees.binary_search(&a).is_ok()
    }
}
