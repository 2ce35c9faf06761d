//! Embedding: the platform's estimated profile of the viewer dotted with account content, over
//! candidates drawn from the content clusters nearest to that estimate. When the draws (2 x the
//! pool) would cover those clusters, every account of them is scored instead (dense scoring,
//! no draws), except the accounts of a cluster that provably cannot enter the ranking kept so
//! far (its mean's similarity plus the estimate's norm times the cluster's radius is below the
//! bar): the same result as scoring them.

use super::{decode, ordered_bits, rank_key, rank_top, Candidate, Context, Policy, TopKeys};
use crate::ids::{AccountId, CommunityId};
use crate::platform::{PlatformView, Viewer};
use crate::rng::index;
use crate::world::dot;
use crate::world::graph::{gather, AHEAD};

/// The embedding policy.
#[derive(Clone, Copy, Debug)]
pub struct Embedding {
    clusters: usize,
}

impl Embedding {
    /// An embedding policy drawing candidates from the `clusters` nearest clusters.
    pub fn new(clusters: usize) -> Self {
        Self { clusters }
    }
}

/// Up to this many nearest clusters are kept by insertion instead of selecting and sorting.
const SMALL_K: usize = 8;

/// Keeps the first `k` of `items` in the total order `before` (sorted), in one pass that
/// inserts each item into a sorted prefix of `k`: cheaper than a select and a sort when `k` is
/// a handful and `items` a few hundred. The result is the same as sorting and truncating,
/// because the order is total.
fn top_k_in_place<T: Copy>(
    items: &mut Vec<T>,
    k: usize,
    before: impl Fn(&T, &T) -> std::cmp::Ordering,
) {
    let k = k.min(items.len());
    if k == 0 {
        items.clear();
        return;
    }
    items[..k].sort_unstable_by(&before);
    for i in k..items.len() {
        let x = items[i];
        if before(&x, &items[k - 1]).is_lt() {
            let mut j = k - 1;
            while j > 0 && before(&x, &items[j - 1]).is_lt() {
                items[j] = items[j - 1];
                j -= 1;
            }
            items[j] = x;
        }
    }
    items.truncate(k);
}

/// Every account of the nearest clusters `near` (in the platform's cluster-ordered index) that
/// the viewer does not follow, scored by the estimate's dot product with its content row. With
/// `keep`, only the best `keep` are kept, ranked (score descending, ties by lower account), and
/// it returns true: a candidate that cannot enter the best `keep` found so far is never
/// stored, so the selection at the end sees a few times `keep` candidates instead of all. That
/// is the same result as ranking all of them, since the order is total.
fn dense(
    cx: &mut Context<'_>,
    near: &[(f32, u32)],
    keep: Option<usize>,
    out: &mut Vec<Candidate>,
) -> bool {
    if let Some(k) = keep.filter(|&k| k <= TopKeys::CAPACITY) {
        dense_few(cx, near, k, out);
        return true;
    }
    let (view, viewer) = (cx.view, cx.viewer);
    let cap = keep.map(|k| (4 * k).max(64));
    // The rank key of the worst kept candidate once the buffer was first cut (u64::MAX: none).
    let mut bar = u64::MAX;
    let (keys, scores) = (&mut cx.scratch.keys, &mut cx.scratch.scores);
    // Nearest cluster first: the bar rises fastest that way, so that most runs of sixteen
    // fail it in one test.
    for &(_, c) in near {
        let (start, len) = view.cluster_span(CommunityId(c));
        let end = start + len;
        let accounts = view.indexed_accounts(start..end);
        let scores = view.indexed_dots(viewer.estimate, start..end, scores);
        // Filtered sixteen at a time: a run none of whose scores may reach the bar is skipped
        // in one test ([`reaching`]), the common case once the bar is set; in a run that
        // passes, the exact test against the bar comes before the followee lookup.
        for (scores, accounts) in scores.chunks(16).zip(accounts.chunks(16)) {
            if keep.is_some() && reaching(scores, bar) == 0 {
                continue;
            }
            for (&account, &score) in accounts.iter().zip(scores) {
                let candidate = Candidate { account, score };
                if keep.is_some() && rank_key(&candidate) >= bar {
                    continue;
                }
                if viewer.follows(account) {
                    continue;
                }
                out.push(candidate);
                if let (Some(k), Some(cap)) = (keep, cap) {
                    if out.len() >= cap && k > 0 {
                        rank_top(out, k, keys);
                        bar = rank_key(&out[k - 1]);
                    }
                }
            }
        }
    }
    match keep {
        Some(k) => {
            rank_top(out, k, &mut cx.scratch.keys);
            true
        }
        None => false,
    }
}

/// Whether no account of cluster `c` can score at or above the score of the rank key `bar`,
/// given the estimate's `similarity` to the cluster's mean (as the policy computed it) and the
/// estimate's norm: every member scores at most `similarity + |estimate| radius`, plus the
/// rounding of two dot products, which the margin covers (8x the worst-case relative error of
/// a sum of `dims` terms, on vectors no longer than `2 + radius`). A cluster that cannot reach
/// the bar is skipped whole, with the same result as scoring it (the pruning of an inverted
/// file index by the triangle inequality).
#[inline]
fn cannot_reach(
    view: &PlatformView<'_>,
    viewer: &Viewer<'_>,
    estimate_norm: f64,
    similarity: f32,
    c: u32,
    bar: u64,
) -> bool {
    let radius = f64::from(view.cluster_radius(CommunityId(c)));
    // No bar yet (`u64::MAX`) decodes to a NaN score, so nothing is skipped.
    let bar_score = f64::from(decode(bar).score);
    let margin =
        viewer.estimate.len() as f64 * 8.0 * f64::from(f32::EPSILON) / 2.0 * (2.0 + radius);
    let bound = f64::from(similarity) + estimate_norm * (radius + margin);
    // False for NaN anywhere (nothing is skipped then).
    bound < bar_score
}

/// A bit per score of `scores` (at most 32) that may beat the rank key `bar`: every score
/// whose key is below it, and possibly others (a float compare, which the compiler turns into
/// one vector compare and a move-mask for a run of sixteen).
#[inline]
fn reaching(scores: &[f32], bar: u64) -> u32 {
    // The bar's score (a negative NaN when there is no bar: nothing is below it, so every
    // `s < floor` is false). `s < floor` is false for every score at or above it in
    // `total_cmp` order (the float compare only adds -0 against +0 and negative NaNs).
    let floor = decode(bar).score;
    let mask = |run: &[f32]| {
        run.iter()
            .enumerate()
            .fold(0, |m, (i, &s)| m | ((u32::from(s < floor) ^ 1) << i))
    };
    // A full run has its length known here, so the compiler vectorises it.
    match <&[f32; 16]>::try_from(scores) {
        Ok(run) => mask(run),
        Err(_) => mask(scores),
    }
}

/// [`dense`] for a `keep` of at most [`TopKeys::CAPACITY`]: the best `keep` so far are held as rank
/// keys in ascending order, and the worst of them is the bar every later candidate must beat,
/// from the `keep`-th candidate on. Nearest cluster first, so the bar rises fast and most runs
/// of sixteen scores fail it in one vectorised test. The same result as ranking every
/// candidate, since the order is total.
fn dense_few(cx: &mut Context<'_>, near: &[(f32, u32)], keep: usize, out: &mut Vec<Candidate>) {
    let (view, viewer) = (cx.view, cx.viewer);
    let (scores, high) = (&mut cx.scratch.scores, &mut cx.scratch.positions);
    if keep == 0 {
        return;
    }
    let mut top = TopKeys::new(keep);
    // A key the `keep`-th best cannot be above, from the nearest cluster's scores alone: of its
    // `keep + followees` best scores, at most `followees` are of followed accounts, so at least
    // `keep` candidates score at least the last of them. It only narrows the run test below.
    let mut floor = u64::MAX;
    let estimate_norm = viewer
        .estimate
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    for (n, &(similarity, c)) in near.iter().enumerate() {
        // Until `keep` are kept there is no bar (a NaN score to `cannot_reach`): not asked.
        let bar = top.bar();
        if bar != u64::MAX && cannot_reach(view, viewer, estimate_norm, similarity, c, bar) {
            continue;
        }
        let (start, len) = view.cluster_span(CommunityId(c));
        let accounts = view.indexed_accounts(start..start + len);
        let scores = view.indexed_dots(viewer.estimate, start..start + len, scores);
        let rank = keep + viewer.followees.len();
        if n == 0 && scores.len() > rank {
            high.clear();
            high.extend(scores.iter().map(|&s| !ordered_bits(s)));
            let (_, &mut nth, _) = high.select_nth_unstable(rank - 1);
            floor = (u64::from(nth) << 32) | u64::from(u32::MAX);
        }
        for (scores, accounts) in scores.chunks(16).zip(accounts.chunks(16)) {
            // Which of the sixteen may reach the bar; it only rises while they are visited,
            // so the exact test below still decides.
            let mut reach = reaching(scores, top.bar().min(floor));
            while reach != 0 {
                let i = reach.trailing_zeros() as usize;
                reach &= reach - 1;
                let (account, score) = (accounts[i], scores[i]);
                let key = rank_key(&Candidate { account, score });
                if key >= top.bar() || viewer.follows(account) {
                    continue;
                }
                top.insert(key);
            }
        }
    }
    out.extend(top.keys().iter().map(|&k| decode(k)));
}

impl Embedding {
    /// The candidates of [`Policy::generate`] into `out`. With `keep`, a dense scoring keeps
    /// only the best `keep`, ranked, and returns true (the ranking [`Policy::generate_top`]
    /// asks for); otherwise every candidate is appended, unranked, and it returns false.
    fn candidates(
        &self,
        cx: &mut Context<'_>,
        keep: Option<usize>,
        out: &mut Vec<Candidate>,
    ) -> bool {
        let (view, viewer, limit, rng, scratch) =
            (cx.view, cx.viewer, cx.limit, &mut *cx.rng, &mut *cx.scratch);
        let near = &mut scratch.clusters;
        near.clear();
        view.cluster_similarities(viewer.estimate, near);
        // The nearest `clusters` in (similarity desc, cluster asc) order: select, then sort only
        // those (a total order, so the same as sorting all of them).
        let nearer = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if self.clusters == 0 {
            near.clear();
        } else if self.clusters <= SMALL_K && near.len() > self.clusters {
            // A few nearest of a few hundred: one pass keeping them sorted at the front.
            top_k_in_place(near, self.clusters, nearer);
        } else {
            if near.len() > self.clusters {
                near.select_nth_unstable_by(self.clusters - 1, nearer);
                near.truncate(self.clusters);
            }
            near.sort_unstable_by(nearer);
        }
        // Where each cluster starts in the union of the nearest clusters.
        let starts = &mut scratch.starts;
        starts.clear();
        let mut total = 0usize;
        for &(_, c) in near.iter() {
            starts.push(total as u32);
            total += view.cluster_span(CommunityId(c)).1;
        }
        if total == 0 {
            return false;
        }
        if 2 * limit >= total {
            // Dense: the 2 x limit draws would cover the union (with replacement they would
            // reach about 86% of it at 2 x limit = total), so every account of the union is
            // scored instead, with no draws: contiguous rows of the cluster-ordered index, in
            // index order, each once.
            let near = std::mem::take(&mut cx.scratch.clusters);
            let ranked = dense(cx, &near, keep, out);
            cx.scratch.clusters = near;
            return ranked;
        }
        // Uniform draws over the union of the nearest clusters, scored by the dot product. All
        // positions are drawn first (the same numbers, in the same order, as drawing and scoring
        // one at a time), then de-duplicated, so each distinct account is scored once: the
        // pipeline keeps one copy of an account with its best score, and copies score the same.
        // Each distinct position is then turned into its place in the platform's
        // cluster-ordered index (ids and vectors side by side, as an inverted-file index stores
        // them), and the scoring pass gathers those with the reads of the next draws in flight.
        let positions = &mut scratch.positions;
        positions.clear();
        positions.extend((0..2 * limit).map(|_| index(rng, total) as u32));
        let span = |k: usize| view.cluster_span(CommunityId(near[k].1)).0;
        let words = total.div_ceil(64);
        if words <= 16 * positions.len() {
            // Small union: a bit set, read back in order, so the clusters are walked once, and
            // cleared as it is read, so it stays zero between requests. A large set also keeps
            // a summary bit per word, so that the read skips empty words; a small one is read
            // whole (its words are few, and a summary of one or two words would chain every
            // draw's update through the same word).
            let (seen, summary) = (&mut scratch.seen, &mut scratch.seen_summary);
            if seen.len() < words {
                seen.resize(words, 0);
                summary.resize(words.div_ceil(64), 0);
            }
            let summarised = words > SUMMARISED_WORDS;
            if summarised {
                for &p in positions.iter() {
                    let w = p as usize / 64;
                    seen[w] |= 1 << (p % 64);
                    summary[w / 64] |= 1 << (w % 64);
                }
            } else {
                for &p in positions.iter() {
                    seen[p as usize / 64] |= 1 << (p % 64);
                }
            }
            positions.clear();
            // `shift` turns a union position of cluster `k` into an index position.
            let (mut k, mut shift) = (0, span(0) as i64 - i64::from(starts[0]));
            let mut emit = |w: usize, mut bits: u64, positions: &mut Vec<u32>| {
                while bits != 0 {
                    let p = (w * 64) as u32 + bits.trailing_zeros();
                    while k + 1 < starts.len() && p >= starts[k + 1] {
                        k += 1;
                        shift = span(k) as i64 - i64::from(starts[k]);
                    }
                    // Index positions are below the number of accounts, which fits in u32.
                    positions.push((i64::from(p) + shift) as u32);
                    bits &= bits - 1;
                }
            };
            if summarised {
                for (s, marks) in summary[..words.div_ceil(64)].iter_mut().enumerate() {
                    let mut marks = std::mem::take(marks);
                    while marks != 0 {
                        let w = s * 64 + marks.trailing_zeros() as usize;
                        emit(w, std::mem::take(&mut seen[w]), positions);
                        marks &= marks - 1;
                    }
                }
            } else {
                for (w, bits) in seen[..words].iter_mut().enumerate() {
                    if *bits != 0 {
                        emit(w, std::mem::take(bits), positions);
                    }
                }
            }
        } else {
            // Large union: a hash set keeps the first copy of each draw, in draw order.
            let seen = &mut scratch.drawn;
            seen.reset(positions.len());
            let mut w = 0;
            for r in 0..positions.len() {
                let p = positions[r];
                if seen.insert(p) {
                    let k = starts.partition_point(|&s| s <= p) - 1;
                    positions[w] = (span(k) + (p - starts[k]) as usize) as u32;
                    w += 1;
                }
            }
            positions.truncate(w);
        }
        // Followed accounts are left out: a long followee list goes into a hash set first
        // (one probe per draw instead of a binary search).
        let followed = &mut scratch.followed;
        let long = viewer.followees.len() > 16;
        if long {
            followed.reset(viewer.followees.len());
            for f in viewer.followees {
                followed.insert(f.0);
            }
        }
        let follows = |a: AccountId| {
            if long {
                followed.contains(a.0)
            } else {
                viewer.follows(a)
            }
        };
        gather(
            positions,
            |at| view.prefetch_indexed(at as usize),
            |at| {
                let account = view.indexed_account(at as usize);
                if !follows(account) {
                    out.push(Candidate {
                        account,
                        score: dot(viewer.estimate, view.indexed_content(at as usize)),
                    });
                }
            },
        );
        false
    }
}

/// Above this many words, the bit set of drawn positions keeps a summary bit per word.
const SUMMARISED_WORDS: usize = 256;

impl Policy for Embedding {
    fn name(&self) -> &str {
        "embedding"
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        self.candidates(cx, None, out);
    }

    fn generate_top(&self, cx: &mut Context<'_>, keep: usize, out: &mut Vec<Candidate>) {
        if !self.candidates(cx, Some(keep), out) {
            rank_top(out, keep, &mut cx.scratch.keys);
        }
    }

    fn generates_unique_accounts(&self) -> bool {
        // Positions are de-duplicated before scoring, and distinct positions of the union of
        // distinct clusters are distinct accounts.
        true
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        let (view, viewer) = (cx.view, cx.viewer);
        for c in candidates.iter().take(AHEAD) {
            view.prefetch_content(c.account);
        }
        for i in 0..candidates.len() {
            if let Some(ahead) = candidates.get(i + AHEAD) {
                view.prefetch_content(ahead.account);
            }
            let c = &mut candidates[i];
            c.score = dot(viewer.estimate, view.content(c.account));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::top_k_in_place;
    use crate::rng::SimRng;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn a_cluster_is_skipped_only_when_none_of_its_accounts_reaches_the_bar() {
        use super::cannot_reach;
        use crate::ids::{AccountId, CommunityId};
        use crate::platform::{Labels, PlatformView, Viewer};
        use crate::policy::{rank_key, Candidate};
        use crate::scenario::spec::WorldSpec;
        use crate::world::dot;
        let spec = WorldSpec {
            accounts: Some(800),
            benign_communities: 6,
            ..WorldSpec::default()
        };
        let world = crate::world::generate(&spec, 20, &crate::rng::SeedTree::new(9), 0);
        let labels = Labels::none(world.accounts(), world.terms());
        let view = PlatformView::new(&world, &labels);
        let (mut skipped, mut checked) = (0, 0);
        for (i, scale) in [(1u32, 1.0f32), (17, 0.3), (250, 3.0), (611, 1.0)] {
            let estimate: Vec<f32> = world
                .content(AccountId(i))
                .iter()
                .enumerate()
                .map(|(d, &x)| scale * (x + 0.1 * ((d as f32) * 0.7).sin()))
                .collect();
            let viewer = Viewer {
                followees: &[],
                last_followed: None,
                estimate: &estimate,
            };
            let norm = estimate
                .iter()
                .map(|&v| f64::from(v).powi(2))
                .sum::<f64>()
                .sqrt();
            let mut near = Vec::new();
            view.cluster_similarities(&estimate, &mut near);
            let best = (0..world.accounts() as u32)
                .map(|a| dot(&estimate, world.content(AccountId(a))))
                .fold(f32::MIN, f32::max);
            for &(similarity, c) in &near {
                let top = view
                    .cluster_members(CommunityId(c))
                    .iter()
                    .map(|&a| dot(&estimate, world.content(a)))
                    .fold(f32::MIN, f32::max);
                let key = |score| {
                    rank_key(&Candidate {
                        account: AccountId(0),
                        score,
                    })
                };
                // A bar the cluster's best account reaches is never skipped...
                assert!(!cannot_reach(&view, &viewer, norm, similarity, c, key(top)));
                checked += 1;
                // ...and a bar above every account of it sometimes is.
                if cannot_reach(&view, &viewer, norm, similarity, c, key(best)) {
                    assert!(top < best);
                    skipped += 1;
                }
            }
        }
        assert!(
            checked > 20 && skipped > 0,
            "checked {checked}, skipped {skipped}"
        );
    }

    #[test]
    fn reaching_marks_every_score_whose_key_is_below_the_bar() {
        use super::reaching;
        use crate::ids::AccountId;
        use crate::policy::{rank_key, Candidate};
        let values = [
            1.0f32,
            -1.0,
            0.0,
            -0.0,
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.5,
            0.25,
            -0.25,
            1e-30,
            -1e-30,
            2.0,
            0.75,
            0.125,
        ];
        let key = |score: f32, account: u32| {
            rank_key(&Candidate {
                account: AccountId(account),
                score,
            })
        };
        for len in [16, 5] {
            let scores = &values[..len];
            assert_eq!(reaching(scores, u64::MAX), (1 << len) - 1, "no bar: all");
            for (b, &bar_score) in values.iter().enumerate() {
                for bar_account in [0, 7, u32::MAX] {
                    let bar = key(bar_score, bar_account);
                    let mask = reaching(scores, bar);
                    for (i, &s) in scores.iter().enumerate() {
                        if key(s, 7) < bar {
                            assert_ne!(mask & (1 << i), 0, "score {s} below bar {b}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn draws_that_would_cover_the_clusters_score_every_account_densely_and_draw_nothing() {
        use super::{Embedding, Policy};
        use crate::platform::{Labels, PlatformView, Viewer};
        use crate::policy::{Context, Scratch, Surface};
        use crate::scenario::spec::WorldSpec;
        let spec = WorldSpec {
            accounts: Some(600),
            benign_communities: 4,
            ..WorldSpec::default()
        };
        let world = crate::world::generate(&spec, 20, &crate::rng::SeedTree::new(5), 0);
        let labels = Labels::none(world.accounts(), world.terms());
        let view = PlatformView::new(&world, &labels);
        let viewer_account = crate::ids::AccountId(3);
        let estimate = world.content(viewer_account).to_vec();
        let viewer = Viewer {
            followees: world.graph().followees(viewer_account),
            last_followed: None,
            estimate: &estimate,
        };
        let clusters = view.clusters();
        let policy = Embedding::new(clusters);
        let mut rng = SimRng::seed_from_u64(1);
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        let mut cx = Context::new(
            &view,
            &viewer,
            Surface::Explore,
            600,
            &mut rng,
            &mut scratch,
        );
        policy.generate(&mut cx, &mut out);
        // Every account but the followed ones, once each, scored by the dot product.
        let expected = (0..world.accounts() as u32)
            .map(crate::ids::AccountId)
            .filter(|a| !viewer.follows(*a))
            .count();
        assert_eq!(out.len(), expected);
        let mut accounts: Vec<u32> = out.iter().map(|c| c.account.0).collect();
        accounts.sort_unstable();
        accounts.dedup();
        assert_eq!(accounts.len(), expected);
        for c in &out {
            assert_eq!(
                c.score,
                crate::world::dot(&estimate, world.content(c.account))
            );
        }
        // No random numbers were drawn.
        let fresh: u64 = SimRng::seed_from_u64(1).random();
        assert_eq!(rng.random::<u64>(), fresh);
        // The best `keep`, kept while scoring, are the best of all of them, ranked.
        for keep in [0, 1, 10, 31, 32, 33, 63, 64, 65, 300, 1000] {
            let mut expected = out.clone();
            crate::policy::rank_top(&mut expected, keep, &mut Vec::new());
            let (mut rng, mut scratch, mut top) =
                (SimRng::seed_from_u64(1), Scratch::default(), Vec::new());
            let mut cx = Context::new(
                &view,
                &viewer,
                Surface::Explore,
                600,
                &mut rng,
                &mut scratch,
            );
            policy.generate_top(&mut cx, keep, &mut top);
            assert_eq!(top, expected, "keep {keep}");
        }
    }

    #[test]
    fn top_k_in_place_equals_sort_and_truncate() {
        let mut rng = SimRng::seed_from_u64(7);
        let nearer = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        for round in 0..500 {
            let n = rng.random_range(0..300usize);
            // Few distinct scores so that ties (broken by id) are common.
            let items: Vec<(f32, u32)> = (0..n)
                .map(|i| (rng.random_range(0..8u32) as f32 * 0.25, i as u32))
                .collect();
            let mut shuffled = items.clone();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, rng.random_range(0..=i));
            }
            let k = round % 10;
            let mut expected = shuffled.clone();
            expected.sort_unstable_by(nearer);
            expected.truncate(k);
            let mut got = shuffled;
            top_k_in_place(&mut got, k, nearer);
            assert_eq!(got, expected, "n={n} k={k}");
        }
    }
}
