//! Recommendation policies: candidate sources -> scorer -> ranked slate.
//!
//! A [`Policy`] does two things: it *generates* scored candidates from its own source for the
//! open surfaces (suggested accounts, explore), and it *scores* a fixed candidate set for the
//! surfaces whose source is given (search results for a term, the feed of followed accounts).
//! [`crate::pipeline::serve`] runs the whole pipeline for one request: source, scoring, deduplication, ranking,
//! the pool cut, the mitigation stack, the slate cut.
//!
//! Policies see a [`PlatformView`] and a [`Viewer`], never latent interests or true flags.

mod cofollow;
mod embedding;
mod fusion;
mod hybrid;
mod simple;
mod table;
pub(crate) mod walks;

pub use cofollow::CoFollow;
pub(crate) use cofollow::Tally;
pub use embedding::Embedding;
pub use hybrid::Hybrid;
pub use simple::{Popularity, RandomPolicy, UniformFollowee};
pub(crate) use table::{IdSet, IdTable};

pub use crate::slate::{Candidate, Surface};

use crate::ids::{AccountId, TermId};
use crate::platform::{PlatformView, Viewer};
use crate::rng::SimRng;
use crate::scenario::kinds::{BuildPlugin, ParamError};
use crate::scenario::spec::PolicySpec;

/// Reusable buffers, so that serving a slate allocates nothing once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Sampled accounts (co-follow paths, embedding draws).
    pub samples: Vec<AccountId>,
    /// Candidates of a component (hybrid).
    pub component: Vec<Candidate>,
    /// Fused candidates (hybrid).
    pub fused: Vec<Candidate>,
    /// Ranking keys ([`rank`]).
    pub keys: Vec<u64>,
    /// The viewer's followees, when there are many (embedding).
    pub followed: IdSet,
    /// Distinct draws (embedding, large unions).
    pub drawn: IdSet,
    /// Nearest clusters (embedding).
    pub clusters: Vec<(f32, u32)>,
    /// Dense scores of a run of the index (embedding).
    pub scores: Vec<f32>,
    /// Drawn positions (embedding).
    pub positions: Vec<u32>,
    /// Where each nearest cluster starts in their union (embedding).
    pub starts: Vec<u32>,
    /// Bit set of drawn positions (embedding, small unions); all zero between requests.
    pub seen: Vec<u64>,
    /// One bit per word of `seen` that has a bit set; all zero between requests.
    pub seen_summary: Vec<u64>,
    /// Edge positions of sampled paths (co-follow).
    pub slots: Vec<usize>,
    /// Counts of sampled path endpoints (co-follow).
    pub tally: Tally,
    /// Per followee of the viewer: paths through it so far and the stored segment they start
    /// at (co-follow with walk segments).
    pub uses: Vec<(u32, u32)>,
    /// Followees of paths walked beyond the stored segments (co-follow with walk segments).
    pub overflow: Vec<AccountId>,
    /// Ranking keys of every component's candidates, one component after the other (hybrid).
    pub hybrid_keys: Vec<u64>,
    /// Where each component's keys end (hybrid).
    pub hybrid_ends: Vec<usize>,
    /// Buffers of the rank fusion (hybrid).
    pub fusion: fusion::FusionScratch,
}

/// One request as a policy sees it: what the platform can observe, who is served, where, and
/// the request's seeded random stream. Built by the serving pipeline; a policy reads the public
/// fields and draws from [`Context::rng`].
pub struct Context<'a> {
    /// The platform's observable state (no latent interests, no true flags).
    pub view: &'a PlatformView<'a>,
    /// Who is served: followees, most recent follow, the platform's estimate of their interests.
    pub viewer: &'a Viewer<'a>,
    /// The surface being served.
    pub surface: Surface,
    /// The search term (search only).
    pub query: Option<TermId>,
    /// About how many candidates [`Policy::generate`] should append (the surface's pool).
    pub limit: usize,
    /// The viewer's policy stream from the seed tree (one per replicate and agent, shared by
    /// every arm): draw every random number from it, never from a thread RNG.
    pub rng: &'a mut SimRng,
    /// Reusable buffers of the built-in policies.
    pub(crate) scratch: &'a mut Scratch,
}

impl<'a> Context<'a> {
    /// A request context, for serving or for testing a policy on its own: `scratch` holds the
    /// built-ins' buffers (reuse one across requests so that serving allocates nothing).
    pub fn new(
        view: &'a PlatformView<'a>,
        viewer: &'a Viewer<'a>,
        surface: Surface,
        limit: usize,
        rng: &'a mut SimRng,
        scratch: &'a mut Scratch,
    ) -> Self {
        Self {
            view,
            viewer,
            surface,
            query: None,
            limit,
            rng,
            scratch,
        }
    }
}

/// A recommendation policy. Implement it to plug your own recommender into driftlab, register
/// it with [`crate::plugin::Registry::policy`] (or [`crate::experiment::Experiment::policy`])
/// and name it in a scenario like a built-in: `policy = { kind = "my_ranker", alpha = 0.3 }`.
///
/// Two methods are required: [`Policy::generate`] (the policy's own candidate source, for the
/// open surfaces: suggested accounts and explore) and [`Policy::score`] (scores for a fixed
/// candidate set: search results for a term, the feed of followed accounts). The pipeline
/// de-duplicates, ranks (score descending, ties by lower account), cuts the pool, applies the
/// arm's mitigations and cuts the slate; a policy only scores.
///
/// # Example
///
/// A minimal custom policy, registered and run on a scenario that names it:
///
/// ```
/// use driftlab::experiment::Experiment;
/// use driftlab::policy::{Candidate, Context, Policy};
/// use driftlab::scenario::{Overrides, Scenario};
///
/// /// Recommends the accounts with the fewest followers (an "underdog" policy).
/// struct Underdog;
///
/// impl Policy for Underdog {
///     fn name(&self) -> &str { "underdog" }
///     fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
///         let (view, viewer) = (cx.view, cx.viewer);
///         let least = view.by_popularity().iter().rev().filter(|a| !viewer.follows(**a));
///         for &a in least.take(cx.limit) {
///             out.push(Candidate { account: a, score: -(view.follower_count(a) as f32) });
///         }
///     }
///     fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
///         for c in candidates { c.score = -(cx.view.follower_count(c.account) as f32); }
///     }
/// }
///
/// let text = r#"
/// name = "underdog-demo"
/// seed = 7
/// steps = 5
/// [world]
/// accounts = 2000
/// [surfaces.suggested_accounts]
/// policy = { kind = "underdog" }
/// pool = 50
/// slate = 5
/// [[probes]]
/// name = "p"
/// count = 4
/// [[arms]]
/// name = "baseline"
/// "#;
/// let scenario = Scenario::from_toml_str(text, "demo.toml", ".".as_ref(), &Overrides::default())?;
/// let result = Experiment::new(scenario)
///     .policy("underdog", |_: driftlab::plugin::NoParams| Ok(Underdog))
///     .threads(1)
///     .run_in_memory()?;
/// assert_eq!(result.runs[0][0].steps.len(), 5);
/// # Ok::<(), driftlab::Error>(())
/// ```
pub trait Policy: Send + Sync {
    /// Short name used in manifests.
    fn name(&self) -> &str;

    /// Appends up to about `cx.limit` scored candidates from the policy's own source (used for
    /// suggested accounts and explore). Duplicates are allowed (the best score is kept);
    /// accounts the viewer follows should be left out unless the policy means to show them.
    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>);

    /// Scores a fixed candidate set in place (search results, the feed).
    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]);

    /// Whether [`Policy::generate`] never appends the same account twice in one call (nor an
    /// account already in `out`), so the pipeline can skip its de-duplication sort. Default
    /// false; a policy that says true must keep to it. (A performance hint of the built-ins.)
    #[doc(hidden)]
    fn generates_unique_accounts(&self) -> bool {
        false
    }

    /// For a batched policy ([`crate::batch`]): its native source of candidates and its batch
    /// scorer; the step loop then scores the source's candidates in batches. None for a policy
    /// serving request by request.
    #[doc(hidden)]
    fn as_batched(&self) -> Option<(&dyn Policy, &dyn crate::batch::BatchPolicy)> {
        None
    }

    /// Appends to the empty `out` the best `keep` of the candidates [`Policy::generate`] would
    /// append (duplicates merged to their best score), ranked: score descending, ties by lower
    /// account. The default generates everything and ranks it; a policy that can find its best
    /// candidates without ranking all of them (the hybrid's rank fusion) overrides it, and must
    /// append exactly what the default would, drawing the same random numbers. (A performance
    /// hook of the built-ins; a user policy keeps the default.)
    #[doc(hidden)]
    fn generate_top(&self, cx: &mut Context<'_>, keep: usize, out: &mut Vec<Candidate>) {
        self.generate(cx, out);
        if !self.generates_unique_accounts() {
            dedup_best(out);
        }
        rank_top(out, keep, &mut cx.scratch.keys);
    }
}

impl PolicySpec {
    /// Builds the policy this spec describes; `plugin` builds registered plug-ins (hybrid
    /// components included).
    pub fn build_with(
        &self,
        plugin: &BuildPlugin<'_, dyn Policy>,
    ) -> Result<Box<dyn Policy>, ParamError> {
        Ok(match self {
            PolicySpec::Random(_) => Box::new(RandomPolicy),
            PolicySpec::Popularity(_) => Box::new(Popularity),
            PolicySpec::CoFollow(s) => {
                Box::new(CoFollow::new(s.samples as usize, s.segments as usize))
            }
            PolicySpec::Embedding(s) => Box::new(Embedding::new(s.clusters as usize)),
            PolicySpec::UniformFollowee(_) => Box::new(UniformFollowee),
            PolicySpec::Hybrid(h) => Box::new(Hybrid::new(
                h.components
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let policy = c.policy.build_with(plugin)?;
                        if policy.as_batched().is_some() {
                            return Err(ParamError::new(
                                format!("components[{i}].policy.kind"),
                                "a batched (Python) policy scores whole batches and cannot be a \
                                 hybrid component; blend inside it, or use it as the surface's \
                                 policy with the hybrid as its `source`",
                            ));
                        }
                        Ok((c.weight as f32, policy))
                    })
                    .collect::<Result<_, ParamError>>()?,
            )),
            PolicySpec::Plugin(p) => plugin(p)?,
        })
    }

    /// Builds a built-in policy (tests).
    #[cfg(test)]
    pub(crate) fn build(&self) -> Box<dyn Policy> {
        self.build_with(&|p| {
            Err(ParamError::new(
                "kind",
                format!("`{}` is not built in", p.kind),
            ))
        })
        .expect("a built-in policy")
    }
}

/// Maps a score to a `u32` whose unsigned order is `f32::total_cmp`'s order.
#[inline]
fn ordered_bits(score: f32) -> u32 {
    let b = score.to_bits();
    if b >> 31 == 1 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// Ranks candidates: score descending, ties by account id ascending (total order, no NaN
/// surprises). Sorted on one integer key per candidate, which is the same order as comparing
/// `score.total_cmp` then the account.
/// `keys` is a reusable buffer.
pub fn rank(candidates: &mut [Candidate], keys: &mut Vec<u64>) {
    // Sort the keys themselves (plain integers sort fastest), then decode: the key holds both
    // the account and the score's bits.
    keys.clear();
    keys.extend(candidates.iter().map(rank_key));
    keys.sort_unstable();
    for (c, &k) in candidates.iter_mut().zip(keys.iter()) {
        *c = decode(k);
    }
}

/// The candidate a [`rank_key`] encodes.
#[inline]
fn decode(k: u64) -> Candidate {
    Candidate {
        account: AccountId(k as u32),
        score: from_ordered_bits(!((k >> 32) as u32)),
    }
}

/// The key whose ascending order is the ranking order.
#[inline]
pub(crate) fn rank_key(c: &Candidate) -> u64 {
    (u64::from(!ordered_bits(c.score)) << 32) | u64::from(c.account.0)
}

/// Inverse of [`ordered_bits`].
#[inline]
fn from_ordered_bits(b: u32) -> f32 {
    f32::from_bits(if b >> 31 == 1 { b & 0x7fff_ffff } else { !b })
}

/// Ranks candidates like [`rank`] and keeps the first `keep`: selects them first, then sorts
/// only those (the same result as sorting everything, since the order is total and accounts
/// are unique after [`dedup_best`]).
pub(crate) fn rank_top(candidates: &mut Vec<Candidate>, keep: usize, keys: &mut Vec<u64>) {
    if keep == 0 {
        candidates.clear();
        return;
    }
    if candidates.len() <= keep {
        rank(candidates, keys);
        return;
    }
    if keep <= TopKeys::CAPACITY {
        // A few of many: one pass keeping the best sorted (no key buffer, no select).
        let mut top = TopKeys::new(keep);
        for c in candidates.iter() {
            top.offer(rank_key(c));
        }
        candidates.truncate(top.keys().len());
        for (c, &k) in candidates.iter_mut().zip(top.keys()) {
            *c = decode(k);
        }
        return;
    }
    // Select on the integer keys (computed once, compared as plain integers), then sort only
    // the kept ones and decode them.
    keys.clear();
    keys.extend(candidates.iter().map(rank_key));
    keys.select_nth_unstable(keep - 1);
    keys.truncate(keep);
    keys.sort_unstable();
    candidates.truncate(keep);
    for (c, &k) in candidates.iter_mut().zip(keys.iter()) {
        *c = decode(k);
    }
}

/// The best (smallest) few rank keys offered so far, kept sorted: an insertion from the end
/// for a key below the bar (the worst kept once full), nothing for the rest. The same keys as
/// sorting every offered key and keeping the first `keep`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TopKeys {
    best: [u64; TopKeys::CAPACITY],
    kept: usize,
    keep: usize,
}

impl TopKeys {
    /// The most keys it keeps.
    pub(crate) const CAPACITY: usize = 32;

    /// Empty, keeping up to `keep` (at most [`TopKeys::CAPACITY`]).
    #[inline]
    pub(crate) fn new(keep: usize) -> Self {
        Self {
            best: [0; Self::CAPACITY],
            kept: 0,
            keep: keep.min(Self::CAPACITY),
        }
    }

    /// The key a new one must be below to be kept (`u64::MAX` until full).
    #[inline]
    pub(crate) fn bar(&self) -> u64 {
        if self.kept == self.keep && self.keep > 0 {
            self.best[self.keep - 1]
        } else if self.keep == 0 {
            0
        } else {
            u64::MAX
        }
    }

    /// Keeps `key` if it is below the bar, dropping the worst when full.
    #[inline]
    pub(crate) fn offer(&mut self, key: u64) {
        if key >= self.bar() {
            return;
        }
        self.insert(key);
    }

    /// Keeps `key`, which the caller found below [`TopKeys::bar`].
    #[inline]
    pub(crate) fn insert(&mut self, key: u64) {
        let mut j = self.kept.min(self.keep - 1);
        self.kept = (self.kept + 1).min(self.keep);
        while j > 0 && self.best[j - 1] > key {
            self.best[j] = self.best[j - 1];
            j -= 1;
        }
        self.best[j] = key;
    }

    /// The kept keys, ascending.
    #[inline]
    pub(crate) fn keys(&self) -> &[u64] {
        &self.best[..self.kept]
    }
}

/// Whether no account appears twice (for debug assertions).
pub(crate) fn is_unique(candidates: &[Candidate]) -> bool {
    let mut accounts: Vec<AccountId> = candidates.iter().map(|c| c.account).collect();
    accounts.sort_unstable();
    accounts.windows(2).all(|w| w[0] != w[1])
}

/// Merges duplicate accounts, keeping the best score.
pub(crate) fn dedup_best(candidates: &mut Vec<Candidate>) {
    candidates.sort_unstable_by_key(|c| {
        (u64::from(c.account.0) << 32) | u64::from(!ordered_bits(c.score))
    });
    candidates.dedup_by_key(|c| c.account);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn top_keys_keep_what_sorting_and_truncating_keeps() {
        use super::TopKeys;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [0usize, 1, 5, 31, 32, 33, 200] {
            for keep in [0usize, 1, 5, 32] {
                // Few distinct values, so that duplicates and ties at the bar occur.
                let keys: Vec<u64> = (0..n).map(|_| next() % 97).collect();
                let mut top = TopKeys::new(keep);
                keys.iter().for_each(|&k| top.offer(k));
                let mut want = keys.clone();
                want.sort_unstable();
                want.truncate(keep);
                assert_eq!(top.keys(), &want[..], "n {n} keep {keep}");
            }
        }
    }

    #[test]
    fn rank_top_of_a_few_equals_ranking_all() {
        let candidates: Vec<Candidate> = (0..300u32)
            .map(|i| Candidate {
                account: AccountId((i * 7919) % 1009),
                score: ((i * 31) % 17) as f32 - 8.0,
            })
            .collect();
        for keep in [1usize, 5, 32, 33, 100] {
            let mut top = candidates.clone();
            rank_top(&mut top, keep, &mut Vec::new());
            let mut all = candidates.clone();
            rank(&mut all, &mut Vec::new());
            all.truncate(keep);
            assert_eq!(top, all, "keep {keep}");
        }
    }
    proptest! {
        #[test]
        fn integer_keys_order_like_the_comparators(
            raw in proptest::collection::vec((0u32..50, -3i32..3, any::<bool>()), 0..200),
            keep in 0usize..60,
        ) {
            let mut c: Vec<Candidate> = raw
                .iter()
                .map(|&(a, s, neg_zero)| Candidate {
                    account: AccountId(a),
                    score: if s == 0 && neg_zero { -0.0 } else { s as f32 * 0.5 },
                })
                .collect();
            let mut expected = c.clone();
            expected.sort_by(|a, b| a.account.cmp(&b.account).then(b.score.total_cmp(&a.score)));
            expected.dedup_by_key(|c| c.account);
            expected.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.account.cmp(&b.account)));
            expected.truncate(keep);
            dedup_best(&mut c);
            rank_top(&mut c, keep, &mut Vec::new());
            prop_assert_eq!(
                c.iter().map(|x| (x.account, x.score.to_bits())).collect::<Vec<_>>(),
                expected.iter().map(|x| (x.account, x.score.to_bits())).collect::<Vec<_>>()
            );
        }
    }
}
