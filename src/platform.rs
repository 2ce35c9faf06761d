//! What a platform can see. Policies and mitigations receive a [`PlatformView`] and nothing else:
//! it exposes the follow graph, public content, tags, activity, content clusters and the
//! moderation labels, and has no way to reach latent interests or ground-truth flags (the world
//! it wraps is a private field, so even code elsewhere in this crate cannot go through it).

use crate::ids::{AccountId, CommunityId, TermId};
use crate::rng::SimRng;
use crate::scenario::spec::ModerationSpec;
use crate::world::World;
use rand::RngExt;

/// Step value meaning "never labelled".
pub const NEVER: u32 = u32::MAX;

/// The platform's moderation labels: which accounts and terms its classifier or its users
/// flagged, and from which step. They may be wrong in both directions and late; mitigations act
/// on them, never on the ground truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labels {
    account_from: Vec<u32>,
    term_from: Vec<u32>,
    now: u32,
    /// Label activations in step order, consumed as time advances.
    schedule: Vec<(u32, u32)>,
    next: usize,
    hops: Vec<u16>,
    hops_dirty: bool,
}

/// Draws the step of the first successful review: reviews at `delay`, `delay + interval`, ...
/// up to `horizon`, each succeeding with probability `p` (one geometric draw).
pub(crate) fn first_success(
    p: f64,
    delay: u32,
    interval: u32,
    horizon: u32,
    rng: &mut SimRng,
) -> u32 {
    if p <= 0.0 || delay > horizon {
        return NEVER;
    }
    let reviews = ((horizon - delay).checked_div(interval).map_or(0, u64::from)) + 1;
    let k = if p >= 1.0 {
        0
    } else {
        let u: f64 = rng.random();
        ((1.0 - u).ln() / (1.0 - p).ln()).floor() as u64
    };
    if k >= reviews {
        NEVER
    } else {
        delay + (k as u32) * interval
    }
}

impl Labels {
    fn from_steps(account_from: Vec<u32>, term_from: Vec<u32>) -> Self {
        let mut schedule: Vec<(u32, u32)> = account_from
            .iter()
            .enumerate()
            .filter(|(_, &s)| s != NEVER)
            .map(|(a, &s)| (s, a as u32))
            .collect();
        schedule.sort_unstable();
        let n = account_from.len();
        Self {
            account_from,
            term_from,
            now: 0,
            schedule,
            next: 0,
            hops: vec![crate::world::UNREACHABLE; n],
            hops_dirty: true,
        }
    }

    /// No labels at all (a platform without moderation).
    pub fn none(accounts: usize, terms: usize) -> Self {
        Self::from_steps(vec![NEVER; accounts], vec![NEVER; terms])
    }

    /// Labels drawn from the classifier of `spec` over a run of `horizon` steps: each account
    /// and term is reviewed at `detection_delay` and every `review_interval` steps after; a
    /// review labels a flagged account with probability `recall`, a benign one with
    /// `false_positive_rate`, a flagged term with `term_recall`. This is the one place where
    /// ground truth turns into an observation.
    pub fn classify(world: &World, spec: &ModerationSpec, horizon: u32, rng: &mut SimRng) -> Self {
        if !spec.enabled {
            return Self::none(world.accounts(), world.terms());
        }
        let truth = world.truth();
        let (delay, every) = (spec.detection_delay, spec.review_interval);
        let accounts = (0..world.accounts() as u32)
            .map(|a| {
                let p = if truth.is_flagged(AccountId(a)) {
                    spec.recall
                } else {
                    spec.false_positive_rate
                };
                first_success(p, delay, every, horizon, rng)
            })
            .collect();
        let terms = (0..world.terms() as u32)
            .map(|t| {
                if truth.is_flagged_term(TermId(t)) {
                    first_success(spec.term_recall, delay, every, horizon, rng)
                } else {
                    NEVER
                }
            })
            .collect();
        Self::from_steps(accounts, terms)
    }

    /// The step the labels are at.
    pub fn now(&self) -> u32 {
        self.now
    }

    /// Moves the labels to step `now` (labels whose step has come become active).
    pub fn advance(&mut self, now: u32) {
        self.now = now;
        while self.next < self.schedule.len() && self.schedule[self.next].0 <= now {
            self.next += 1;
            self.hops_dirty = true;
        }
    }

    /// A user report of account `a` at step `step`, labelling it `delay` steps later (unless it
    /// is labelled earlier anyway).
    pub fn report(&mut self, a: AccountId, step: u32, delay: u32) {
        let at = step.saturating_add(delay);
        if let Some(from) = self.account_from.get_mut(a.index()) {
            if at < *from {
                *from = at;
                self.schedule.push((at, a.0));
                self.schedule[self.next..].sort_unstable();
            }
        }
    }

    /// Whether an account carries a label now.
    #[inline]
    pub fn account(&self, a: AccountId) -> bool {
        self.account_from
            .get(a.index())
            .is_some_and(|&s| s <= self.now)
    }

    /// The step from which an account is labelled, if it is labelled now.
    #[inline]
    pub fn labelled_since(&self, a: AccountId) -> Option<u32> {
        self.account_from
            .get(a.index())
            .copied()
            .filter(|&s| s <= self.now)
    }

    /// Whether a term carries a label now.
    #[inline]
    pub fn term(&self, t: TermId) -> bool {
        self.term_from
            .get(t.index())
            .is_some_and(|&s| s <= self.now)
    }

    /// Sets the label of an account from step 0 (for tests and custom moderation models).
    pub fn set_account(&mut self, a: AccountId, labelled: bool) {
        if let Some(l) = self.account_from.get_mut(a.index()) {
            *l = if labelled { 0 } else { NEVER };
            self.hops_dirty = true;
        }
    }

    /// Adds a new term (a variant spelling) to the vocabulary, labelled from step `from`
    /// ([`NEVER`]: not labelled); returns its id.
    pub fn add_term(&mut self, from: u32) -> TermId {
        self.term_from.push(from);
        TermId(self.term_from.len() as u32 - 1)
    }

    /// Replaces the label of an account: labelled from step `from` ([`NEVER`]: unlabelled). A
    /// banned account returning as a new identity is unlabelled until found again.
    pub fn relabel(&mut self, a: AccountId, from: u32) {
        if let Some(l) = self.account_from.get_mut(a.index()) {
            *l = from;
            self.hops_dirty = true;
            if from != NEVER {
                self.schedule.push((from, a.0));
                self.schedule[self.next..].sort_unstable();
            }
        }
    }

    /// Sets the label of a term from step 0.
    pub fn set_term(&mut self, t: TermId, labelled: bool) {
        if let Some(l) = self.term_from.get_mut(t.index()) {
            *l = if labelled { 0 } else { NEVER };
        }
    }

    /// Number of accounts labelled now.
    pub fn labelled_accounts(&self) -> usize {
        self.account_from.iter().filter(|&&s| s <= self.now).count()
    }

    /// Number of truly flagged accounts labelled now (for measurement: takes the ground truth,
    /// which policies never hold).
    pub fn labelled_flagged(&self, truth: &crate::world::GroundTruth) -> usize {
        self.account_from
            .iter()
            .enumerate()
            .filter(|&(a, &s)| s <= self.now && truth.is_flagged(AccountId(a as u32)))
            .count()
    }

    /// Recomputes follow hops to the nearest labelled account if labels changed (breadth-first
    /// search over in-edges). Needed by `graph_distance_guard`.
    pub fn refresh_hops(&mut self, world: &World) {
        if !self.hops_dirty {
            return;
        }
        let now = self.now;
        let labelled: Vec<bool> = self.account_from.iter().map(|&s| s <= now).collect();
        self.hops = crate::world::hops_to(world.graph(), &labelled);
        self.hops_dirty = false;
    }

    /// Follow hops from `a` to the nearest labelled account (as of the last refresh).
    #[inline]
    pub fn hops_to_labelled(&self, a: AccountId) -> u16 {
        self.hops
            .get(a.index())
            .copied()
            .unwrap_or(crate::world::UNREACHABLE)
    }
}

/// The platform's estimate of the interests of each account it serves: its user model, one unit
/// vector per account (row-major), learned from engagement and follows by the agent loop. What
/// policies see of a viewer ([`Viewer::estimate`]); agents never choose by it.
#[derive(Clone, Debug, Default)]
pub struct InterestEstimates {
    dims: usize,
    rows: Vec<f32>,
}

impl InterestEstimates {
    /// `n` estimates of `dims` dimensions, each the normalised mean content of the accounts
    /// `sources(i)` gives for row `i` (what the account follows; its own content when it
    /// follows no one): what the platform can observe before any engagement.
    pub fn initial<'w>(
        world: &'w World,
        n: usize,
        sources: impl Fn(usize) -> &'w [AccountId] + Sync,
    ) -> Self {
        use rayon::prelude::*;
        let dims = world.dims();
        let mut rows = vec![0f32; n * dims];
        rows.par_chunks_mut(dims.max(1))
            .enumerate()
            .for_each(|(i, row)| {
                for &f in sources(i) {
                    row.iter_mut()
                        .zip(world.content(f))
                        .for_each(|(e, x)| *e += x);
                }
                crate::world::normalize(row);
            });
        Self { dims, rows }
    }

    /// Number of estimates.
    pub fn len(&self) -> usize {
        self.rows.len().checked_div(self.dims).unwrap_or(0)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The estimate of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.rows[i * self.dims..(i + 1) * self.dims]
    }

    /// The estimate of row `i`, mutable (tools and benchmarks that drive one agent).
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.rows[i * self.dims..(i + 1) * self.dims]
    }

    /// Every row, mutable, in order, as a parallel iterator (for the agent loop, which learns
    /// in them).
    pub(crate) fn par_rows_mut(&mut self) -> rayon::slice::ChunksExactMut<'_, f32> {
        use rayon::prelude::*;
        self.rows.par_chunks_exact_mut(self.dims.max(1))
    }

    /// Every row, mutable, in order (the batched agent loop).
    pub(crate) fn rows_mut(&mut self) -> std::slice::ChunksExactMut<'_, f32> {
        self.rows.chunks_exact_mut(self.dims.max(1))
    }

    /// Rows `start..` in chunks of `rows` rows (the population's work units).
    pub(crate) fn par_blocks_mut(&mut self, rows: usize) -> rayon::slice::ChunksMut<'_, f32> {
        use rayon::prelude::*;
        self.rows.par_chunks_mut(rows * self.dims.max(1))
    }

    /// Dimensions of an estimate.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Moves an estimate a share `rate` of the way toward `content` and renormalises: how the
    /// platform learns from an engagement or a follow.
    pub fn learn(estimate: &mut [f32], content: &[f32], rate: f32) {
        crate::world::blend(estimate, content, rate);
    }
}

/// The adversary's lexical adaptations as the platform observes them: the current tags of
/// flagged accounts that moved to variant spellings, and the postings of flagged terms and
/// their variants. Owned by the adversary (which changes it), read by the view.
#[derive(Clone, Debug, Default)]
pub struct TermOverlay {
    /// Whether the adaptations are on (otherwise the world's tags and postings are served).
    pub(crate) active: bool,
    /// The accounts that adapt, sorted.
    pub(crate) accounts: Vec<AccountId>,
    /// Current tags of each of them (same order).
    pub(crate) tags: Vec<Vec<TermId>>,
    /// Family of each spelling id (`u32::MAX` for terms outside every family).
    pub(crate) family_of: Vec<u32>,
    /// Postings of every family spelling, most followed first (indexed by term id; empty for
    /// terms served from the world).
    pub(crate) postings: Vec<Vec<AccountId>>,
}

impl TermOverlay {
    /// Current tags of an account, when the adversary changed them.
    pub fn tags(&self, a: AccountId) -> Option<&[TermId]> {
        if !self.active {
            return None;
        }
        self.accounts
            .binary_search(&a)
            .ok()
            .map(|i| self.tags[i].as_slice())
    }

    /// Postings of a flagged term or variant, when the adversary owns it.
    pub fn postings(&self, t: TermId) -> Option<&[AccountId]> {
        if !self.active {
            return None;
        }
        self.family_of
            .get(t.index())
            .filter(|&&f| f != u32::MAX)
            .map(|_| self.postings[t.index()].as_slice())
    }

    /// Vocabulary size including variants.
    pub fn terms(&self) -> usize {
        self.family_of.len()
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
    graph: &'a crate::world::graph::FollowGraph,
    popularity: &'a [AccountId],
    overlay: Option<&'a TermOverlay>,
    walks: Option<&'a crate::policy::walks::CoFollowWalks>,
}

impl<'a> PlatformView<'a> {
    /// A view of `world` under the moderation labels `labels`.
    pub fn new(world: &'a World, labels: &'a Labels) -> Self {
        Self {
            world,
            labels,
            graph: world.graph(),
            popularity: world.by_popularity(),
            overlay: None,
            walks: None,
        }
    }

    /// The same view with the follows made during the run, as of the platform's last index
    /// rebuild (graph and popularity ranking).
    pub fn with_live_graph(mut self, live: &'a crate::live_graph::LiveGraph) -> Self {
        if let (Some(g), Some(p)) = (live.graph(), live.popularity()) {
            self.graph = g;
            self.popularity = p;
        }
        self.walks = live.walks();
        self
    }

    /// The co-follow walk segments precomputed at the platform's last index rebuild, when the
    /// scenario asks for them.
    #[inline]
    pub(crate) fn co_follow_walks(&self) -> Option<&'a crate::policy::walks::CoFollowWalks> {
        self.walks
    }

    /// The same view after the adversary's lexical adaptations: the tags and term postings it
    /// changed.
    pub fn with_overlay(mut self, overlay: &'a TermOverlay) -> Self {
        self.overlay = Some(overlay);
        self
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

    /// Hints the CPU to load an account's content vector (see [`crate::world::graph::prefetch`]).
    #[inline]
    #[doc(hidden)]
    pub fn prefetch_content(&self, a: AccountId) {
        self.world.prefetch_content(a);
    }

    /// Hints the CPU to load an account's activity.
    #[inline]
    #[doc(hidden)]
    pub fn prefetch_activity(&self, a: AccountId) {
        self.world.prefetch_activity(a);
    }

    /// Probability that an account posts in a step (observable from its history).
    #[inline]
    pub fn activity(&self, a: AccountId) -> f32 {
        self.world.activity(a)
    }

    /// Accounts `a` follows, sorted.
    #[inline]
    pub fn followees(&self, a: AccountId) -> &'a [AccountId] {
        self.graph.followees(a)
    }

    /// Accounts following `a`, sorted.
    #[inline]
    pub fn followers(&self, a: AccountId) -> &'a [AccountId] {
        self.graph.followers(a)
    }

    /// The follow graph the platform indexes (out- and in-edge CSRs), for staged traversals
    /// such as batched co-follow sampling.
    #[inline]
    pub fn graph(&self) -> &'a crate::world::graph::FollowGraph {
        self.graph
    }

    /// Number of followers of `a`.
    #[inline]
    pub fn follower_count(&self, a: AccountId) -> usize {
        self.followers(a).len()
    }

    /// All accounts, most followed first.
    pub fn by_popularity(&self) -> &'a [AccountId] {
        self.popularity
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

    /// A cluster's range in the platform's cluster-ordered vector index (an inverted file):
    /// `(start, len)`; its members are at positions `start..start + len`.
    #[inline]
    #[doc(hidden)]
    pub fn cluster_span(&self, c: CommunityId) -> (usize, usize) {
        self.world.member_span(c)
    }

    /// The account at a position of the cluster-ordered index.
    #[inline]
    #[doc(hidden)]
    pub fn indexed_account(&self, p: usize) -> AccountId {
        self.world.member_at(p)
    }

    /// The content vector at a position of the cluster-ordered index (the same values as
    /// [`PlatformView::content`] of [`PlatformView::indexed_account`], stored contiguously).
    #[inline]
    #[doc(hidden)]
    pub fn indexed_content(&self, p: usize) -> &'a [f32] {
        self.world.member_content(p)
    }

    /// The accounts at positions `range` of the cluster-ordered index.
    #[inline]
    #[doc(hidden)]
    pub fn indexed_accounts(&self, range: std::ops::Range<usize>) -> &'a [AccountId] {
        self.world.members_at(range)
    }

    /// The dot products of `x` with `indexed_content(p)` for the positions `p` of `range` of
    /// the cluster-ordered index, as a slice of `out` (a scratch buffer; several rows at a
    /// time where the world allows; the same bits as one [`crate::world::dot`] each).
    #[inline]
    #[doc(hidden)]
    pub fn indexed_dots<'o>(
        &self,
        x: &[f32],
        range: std::ops::Range<usize>,
        out: &'o mut Vec<f32>,
    ) -> &'o [f32] {
        self.world.member_dots(x, range, out)
    }

    /// Hints the CPU to load a position of the cluster-ordered index.
    #[inline]
    #[doc(hidden)]
    pub fn prefetch_indexed(&self, p: usize) {
        self.world.prefetch_member(p);
    }

    /// Unit-norm mean content of a cluster.
    pub fn cluster_mean(&self, c: CommunityId) -> &'a [f32] {
        self.world.cluster_mean(c)
    }

    /// An upper bound on the distance of any member's content from the cluster's mean
    /// ([`PlatformView::cluster_mean`]): no member of `c` has a dot product with `x` above
    /// `dot(x, mean) + |x| radius` (up to rounding).
    #[inline]
    pub fn cluster_radius(&self, c: CommunityId) -> f32 {
        self.world.cluster_radius(c)
    }

    /// Appends `(similarity of x to cluster c, c)` for every cluster in id order: the dot
    /// products with [`PlatformView::cluster_mean`], all at once (bit-identical to one
    /// [`crate::world::dot`] per cluster).
    pub fn cluster_similarities(&self, x: &[f32], out: &mut Vec<(f32, u32)>) {
        self.world.centroids().similarities(x, out);
    }

    /// Terms an account tags its content with.
    #[inline]
    pub fn tags(&self, a: AccountId) -> &'a [TermId] {
        self.overlay
            .and_then(|adv| adv.tags(a))
            .unwrap_or_else(|| self.world.tags(a))
    }

    /// Number of terms in the vocabulary.
    pub fn terms(&self) -> usize {
        self.overlay.map_or(self.world.terms(), |adv| {
            adv.terms().max(self.world.terms())
        })
    }

    /// Accounts tagged with a term, most followed first.
    #[inline]
    pub fn term_postings(&self, t: TermId) -> &'a [AccountId] {
        if let Some(p) = self.overlay.and_then(|adv| adv.postings(t)) {
            return p;
        }
        if t.index() < self.world.terms() {
            self.world.term_postings(t)
        } else {
            &[]
        }
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
    /// The account the viewer most recently followed (`followees` is sorted by id, so its last
    /// is not it); `None` for a viewer that has followed no one during the run (panel accounts,
    /// population accounts before their first follow: the graph's own follows have no order).
    pub last_followed: Option<AccountId>,
    /// The platform's estimate of the viewer's interests, learnt from engagement (may be zero
    /// for a fresh account).
    pub estimate: &'a [f32],
}

impl Viewer<'_> {
    /// Whether the viewer already follows `a`.
    #[inline]
    pub fn follows(&self, a: AccountId) -> bool {
        // A short list is scanned (no dependent loads, vectorised); a long one is searched.
        if self.followees.len() <= 16 {
            self.followees.contains(&a)
        } else {
            self.followees.binary_search(&a).is_ok()
        }
    }
}
