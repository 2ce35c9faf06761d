//! Co-follow: accounts followed by people who follow what the viewer follows, the mechanism the
//! investigations pointed at. Scores are estimated by sampling two-hop paths
//! viewer -> followee <- follower -> candidate (a random-walk estimator, as large platforms do),
//! so the cost per request is fixed by `samples` whatever the degrees. With `segments`, the last
//! two hops of each path are read from the platform's precomputed walk segments
//! ([`super::walks`]) instead of being walked: one memory miss per path instead of three.

use super::table::{clear_slots, find_slot, rehash, EMPTY};
use super::{Candidate, Context, Policy, Scratch};
use crate::ids::AccountId;
use crate::platform::{PlatformView, Viewer};
use crate::rng::{index, SimRng};

/// The co-follow policy.
#[derive(Clone, Copy, Debug)]
pub struct CoFollow {
    samples: usize,
    segments: usize,
}

impl CoFollow {
    /// A co-follow policy sampling `samples` paths per request, walking each path (`segments`
    /// 0) or ending it at one of the first `segments` precomputed segments of its followee.
    /// Without a walk index of that many segments in the view, paths are walked.
    pub fn new(samples: usize, segments: usize) -> Self {
        Self { samples, segments }
    }

    /// Paths through precomputed segments, with the distribution of walked paths within a
    /// request: a uniform followee `f`, then the next of `f`'s first `segments` stored
    /// endpoints, starting from a uniform one (each stored endpoint is an independent draw of
    /// `f <- u -> g`, so the `k` paths of a request through `f` are `k` independent draws as
    /// long as `k <= segments`). Paths beyond `segments` through one followee are walked. Only
    /// requests between two redraws share draws. Each endpoint is read with the next paths'
    /// reads in flight.
    fn sample_segments(
        &self,
        view: &PlatformView<'_>,
        walks: &super::walks::CoFollowWalks,
        viewer: &Viewer<'_>,
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) {
        let start = viewer.followees;
        let per = self.segments as u32;
        let (slots, uses, overflow) =
            (&mut scratch.slots, &mut scratch.uses, &mut scratch.overflow);
        slots.clear();
        uses.clear();
        uses.resize(start.len(), (0, 0));
        overflow.clear();
        for _ in 0..self.samples {
            let i = index(rng, start.len());
            let f = start[i];
            let (n, first) = &mut uses[i];
            if *n == 0 {
                *first = index(rng, self.segments) as u32;
            }
            if *n < per {
                let p = walks.position(f, ((*first + *n) % per) as usize);
                walks.prefetch(p);
                slots.push(p);
            } else {
                overflow.push(f);
            }
            *n += 1;
        }
        let out = &mut scratch.samples;
        out.extend(slots.iter().filter_map(|&p| walks.end_at(p)));
        // Paths beyond the stored segments of their followee are walked (a viewer with few
        // followees and many samples).
        if !overflow.is_empty() {
            walk_from(view, overflow, rng, slots);
            out.extend_from_slice(overflow);
        }
        scratch.tally.count(out);
    }

    /// Fills `scratch.samples` with the endpoints of sampled paths and `scratch.tally` with how
    /// often each was reached.
    fn sample(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) {
        let out = &mut scratch.samples;
        out.clear();
        let start = viewer.followees;
        if start.is_empty() {
            scratch.tally.count(out);
            return;
        }
        if self.segments > 0 {
            if let Some(walks) = view
                .co_follow_walks()
                .filter(|w| w.per_account() >= self.segments)
            {
                return self.sample_segments(view, walks, viewer, rng, scratch);
            }
        }
        // Each path's followee, then the rest of the walk.
        out.extend((0..self.samples).map(|_| start[index(rng, start.len())]));
        walk_from(view, out, rng, &mut scratch.slots);
        scratch.tally.count(out);
    }
}

/// Replaces each followee `f` in `paths` with the endpoint of a walk `f <- u -> g` (a uniform
/// follower, then a uniform followee of it); walks from an account nobody follows are dropped.
///
/// The walks are drawn stage by stage (every walk's follower, then every walk's endpoint)
/// rather than one at a time, and each stage prefetches the rows the next stage reads. On a
/// graph far larger than the cache, a walk is three dependent memory misses; staged, the misses
/// of all walks overlap. The walks have the same distribution either way; only the order in
/// which random numbers are drawn differs.
fn walk_from(
    view: &PlatformView<'_>,
    paths: &mut Vec<AccountId>,
    rng: &mut SimRng,
    slots: &mut Vec<usize>,
) {
    let inn = view.graph().in_edges();
    let fwd = view.graph().out_edges();
    for f in paths.iter() {
        inn.prefetch_row(f.index());
    }
    // One of the followee's followers (as a position in the in-edge array).
    slots.clear();
    for f in paths.iter() {
        let (at, len) = inn.span(f.index());
        if len > 0 {
            let p = at + index(rng, len);
            inn.prefetch_target(p);
            slots.push(p);
        }
    }
    paths.clear();
    for &p in slots.iter() {
        let u = inn.target(p);
        fwd.prefetch_row(u.index());
        paths.push(u);
    }
    // One of that follower's followees, the walk's endpoint.
    slots.clear();
    for u in paths.iter() {
        let (at, len) = fwd.span(u.index());
        if len > 0 {
            let p = at + index(rng, len);
            fwd.prefetch_target(p);
            slots.push(p);
        }
    }
    paths.clear();
    paths.extend(slots.iter().map(|&p| fwd.target(p)));
}

impl Policy for CoFollow {
    fn name(&self) -> &str {
        "co_follow"
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        let (view, viewer, rng, scratch) = (cx.view, cx.viewer, &mut *cx.rng, &mut *cx.scratch);
        self.sample(view, viewer, rng, scratch);
        // Distinct endpoints in first-reached order, scored by how many paths reached them,
        // leaving out accounts the viewer follows (marked in the tally: one hash probe each
        // instead of a binary search per endpoint).
        let tally = &mut scratch.tally;
        tally.mark(viewer.followees);
        out.extend(tally.distinct().map(|(account, n)| Candidate {
            account,
            score: n as f32,
        }));
    }

    fn generates_unique_accounts(&self) -> bool {
        true
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        let (view, viewer, rng, scratch) = (cx.view, cx.viewer, &mut *cx.rng, &mut *cx.scratch);
        self.sample(view, viewer, rng, scratch);
        for c in candidates {
            // Co-follow count first, popularity as a tie-break within equal counts.
            c.score = scratch.tally.get(c.account) as f32
                + 1e-3 * (view.follower_count(c.account) as f32).ln_1p();
        }
    }
}

/// Counts of sampled path endpoints: a small open-addressing table (the probing of
/// [`super::IdTable`], with counts per slot and marks) that remembers distinct keys in
/// first-seen order. Counting 300 samples this way is several times cheaper than sorting
/// them, and the order it reports is deterministic.
#[derive(Debug, Default)]
pub struct Tally {
    keys: Vec<u32>,
    counts: Vec<u32>,
    order: Vec<u32>,
    /// Slots filled by [`Tally::mark`] alone, cleared with the counted ones.
    marked: Vec<u32>,
    shift: u32,
}

/// Flag bit of a marked slot's count (counts never reach it: at most one per sample).
const MARK: u32 = 1 << 31;

impl Tally {
    /// Resets the table and counts `items`.
    pub(crate) fn count(&mut self, items: &[AccountId]) {
        let want = (2 * items.len()).next_power_of_two().max(16);
        if self.keys.len() < want {
            self.keys = vec![EMPTY; want];
            self.counts = vec![0; want];
            self.shift = 32 - want.trailing_zeros();
        } else {
            clear_slots(&mut self.keys, self.order.iter().chain(&self.marked));
        }
        self.order.clear();
        self.marked.clear();
        // Counts of free slots are stale: a key's count starts when the key is placed. Without
        // a branch on whether the key is new (about half of 300 samples are, unpredictably):
        // the key is written either way, the count selected, and the slot written at the end
        // of the order, which only advances for a new key.
        self.order.resize(items.len(), 0);
        let mut distinct = 0;
        for &a in items {
            let slot = self.find(a);
            let new = self.keys[slot] == EMPTY;
            self.keys[slot] = a.0;
            self.counts[slot] = if new { 0 } else { self.counts[slot] } + 1;
            // Slots are below the table size, which fits in u32.
            self.order[distinct] = slot as u32;
            distinct += usize::from(new);
        }
        self.order.truncate(distinct);
    }

    /// Marks `accounts` so that [`Tally::distinct`] leaves them out (until the next count).
    /// Marked accounts that were not counted are added to the table but not reported.
    pub(crate) fn mark(&mut self, accounts: &[AccountId]) {
        if self.keys.len() < 2 * (self.order.len() + accounts.len()) {
            // Rare (a viewer following more accounts than paths were sampled): grow first.
            let counted: Vec<(u32, u32)> = self.distinct().map(|(a, n)| (a.0, n)).collect();
            let want = (2 * (counted.len() + accounts.len())).next_power_of_two();
            let (keys, counts, order, shift) = (
                &mut self.keys,
                &mut self.counts,
                &mut self.order,
                &mut self.shift,
            );
            rehash(keys, counts, order, shift, want, counted);
            // Accounts marked before are gone with the old table: their slots are stale.
            self.marked.clear();
        }
        for &a in accounts {
            let slot = self.find(a);
            if self.keys[slot] == EMPTY {
                self.keys[slot] = a.0;
                self.counts[slot] = MARK;
                self.marked.push(slot as u32);
            } else {
                self.counts[slot] |= MARK;
            }
        }
    }

    /// The slot holding `a`, or the empty slot where it would go.
    #[inline]
    fn find(&self, a: AccountId) -> usize {
        find_slot(&self.keys, self.shift, a.0)
    }

    /// How often `a` was counted.
    pub(crate) fn get(&self, a: AccountId) -> u32 {
        if self.keys.is_empty() {
            return 0;
        }
        let slot = self.find(a);
        if self.keys[slot] == a.0 {
            self.counts[slot] & !MARK
        } else {
            0
        }
    }

    /// Distinct unmarked keys with their counts, in first-seen order.
    pub(crate) fn distinct(&self) -> impl Iterator<Item = (AccountId, u32)> + '_ {
        self.order.iter().filter_map(|&s| {
            let n = self.counts[s as usize];
            (n & MARK == 0).then(|| (AccountId(self.keys[s as usize]), n))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With segments, paths end at stored segments of the viewer's followees, each stored
    /// draw used at most once per request (the paths beyond them are walked); without a walk
    /// index (or one with too few segments), paths are walked as with `segments = 0`, drawing
    /// the same numbers.
    #[test]
    fn segments_read_the_walk_index_and_fall_back_to_walking() {
        use crate::live_graph::LiveGraph;
        use crate::platform::Labels;
        use crate::rng::{SeedTree, StreamId};
        let spec = crate::scenario::spec::WorldSpec {
            accounts: Some(600),
            benign_communities: 3,
            ..Default::default()
        };
        let w = crate::world::generate(&spec, 12, &SeedTree::new(4), 0);
        let labels = Labels::none(w.accounts(), w.terms());
        let streams = SeedTree::new(4).agents(0, StreamId::Walks);
        let live = LiveGraph::new().with_walks(&w, 8, streams);
        let few = LiveGraph::new().with_walks(&w, 4, streams);
        let plain = PlatformView::new(&w, &labels);
        let indexed = plain.with_live_graph(&live);
        let walks = indexed.co_follow_walks().expect("walks were asked for");
        let tally_of = |policy: CoFollow, view: &PlatformView<'_>, followees: &[AccountId]| {
            let viewer = Viewer {
                followees,
                last_followed: None,
                estimate: w.content(AccountId(0)),
            };
            let mut rng = SeedTree::new(1).stream(0, StreamId::Policy);
            let mut scratch = Scratch::default();
            policy.sample(view, &viewer, &mut rng, &mut scratch);
            let mut got: Vec<(u32, u32)> =
                scratch.tally.distinct().map(|(a, n)| (a.0, n)).collect();
            got.sort_unstable();
            got
        };
        let tally = |policy: CoFollow, view: &PlatformView<'_>, a: u32| {
            tally_of(policy, view, w.graph().followees(AccountId(a)))
        };
        let stored_of = |f: AccountId, per: usize| {
            let mut m = std::collections::BTreeMap::<u32, u32>::new();
            for j in 0..per {
                if let Some(e) = walks.end_at(walks.position(f, j)) {
                    *m.entry(e.0).or_default() += 1;
                }
            }
            m
        };
        // A viewer following one account: as many paths as segments use each stored draw
        // exactly once.
        let f = (0..600u32)
            .map(AccountId)
            .find(|&f| !w.graph().followers(f).is_empty())
            .expect("someone is followed");
        let once: Vec<(u32, u32)> = stored_of(f, 8).into_iter().collect();
        assert_eq!(tally_of(CoFollow::new(8, 8), &indexed, &[f]), once);
        for a in (0..600).step_by(37) {
            let stored: std::collections::BTreeSet<u32> = w
                .graph()
                .followees(AccountId(a))
                .iter()
                .flat_map(|&f| (0..8).filter_map(move |j| walks.end_at(walks.position(f, j))))
                .map(|e| e.0)
                .collect();
            let got = tally(CoFollow::new(300, 8), &indexed, a);
            assert_eq!(got.iter().map(|&(_, n)| n).sum::<u32>(), 300, "viewer {a}");
            // Few paths per followee: every one is a stored draw.
            let got = tally(CoFollow::new(8, 8), &indexed, a);
            assert_eq!(got.iter().map(|&(_, n)| n).sum::<u32>(), 8, "viewer {a}");
            assert!(got.iter().all(|(e, _)| stored.contains(e)), "viewer {a}");
            let walked = tally(CoFollow::new(300, 0), &plain, a);
            assert_eq!(tally(CoFollow::new(300, 8), &plain, a), walked);
            assert_eq!(
                tally(CoFollow::new(300, 8), &plain.with_live_graph(&few), a),
                walked
            );
        }
    }

    #[test]
    fn tally_counts_like_a_sort() {
        let items: Vec<AccountId> = [5u32, 3, 5, 9, 3, 5, 1_000_000, 0]
            .iter()
            .map(|&a| AccountId(a))
            .collect();
        let mut t = Tally::default();
        t.count(&items);
        let got: Vec<(u32, u32)> = t.distinct().map(|(a, n)| (a.0, n)).collect();
        assert_eq!(got, vec![(5, 3), (3, 2), (9, 1), (1_000_000, 1), (0, 1)]);
        assert_eq!(t.get(AccountId(7)), 0);
        // Reuse with other keys leaves nothing behind.
        t.count(&items[..2]);
        assert_eq!(t.get(AccountId(9)), 0);
        assert_eq!(t.get(AccountId(5)), 1);
        // Many keys, all distinct (the table grows).
        let many: Vec<AccountId> = (0..300).map(|i| AccountId(i * 7919)).collect();
        t.count(&many);
        assert_eq!(t.distinct().count(), 300);
        assert!(many.iter().all(|&a| t.get(a) == 1));
        // And shrinking input reuses the larger table.
        t.count(&items);
        assert_eq!(t.distinct().count(), 5);
        assert_eq!(t.get(AccountId(7919)), 0);
        // Marked keys are left out, counted or not; counts stay readable; the next count
        // forgets the marks.
        t.mark(&[AccountId(3), AccountId(42)]);
        let got: Vec<u32> = t.distinct().map(|(a, _)| a.0).collect();
        assert_eq!(got, vec![5, 9, 1_000_000, 0]);
        assert_eq!(t.get(AccountId(3)), 2);
        t.count(&items);
        assert_eq!(t.distinct().count(), 5);
        assert_eq!(t.get(AccountId(42)), 0);
        // Marking more accounts than the table holds grows it and keeps the counts.
        let lots: Vec<AccountId> = (100..400).map(AccountId).collect();
        t.count(&items[..3]);
        t.mark(&lots);
        let got: Vec<(u32, u32)> = t.distinct().map(|(a, n)| (a.0, n)).collect();
        assert_eq!(got, vec![(5, 2), (3, 1)]);
        t.count(&lots);
        assert_eq!(t.distinct().count(), 300);
    }
}
