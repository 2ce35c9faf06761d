//! Co-follow: accounts followed by people who follow what the viewer follows, the mechanism the
//! investigations pointed at. Scores are estimated by sampling two-hop paths
//! viewer -> followee <- follower -> candidate (a random-walk estimator, as large platforms do),
//! so the cost per request is fixed by `samples` whatever the degrees. With `segments`, the last
//! two hops of each path are read from the platform's precomputed walk segments
//! ([`super::walks`]) instead of being walked: one memory miss per path instead of three.

use super::table::{clear_slots, find_slot, rehash, EMPTY};
use super::{Candidate, Policy, Scratch};
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

    /// Paths through precomputed segments: a uniform followee, then one of its first
    /// `segments` stored endpoints, each read with the next paths' reads in flight.
    fn sample_segments(
        &self,
        walks: &super::walks::CoFollowWalks,
        viewer: &Viewer<'_>,
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) {
        let start = viewer.followees;
        let slots = &mut scratch.slots;
        slots.clear();
        slots.extend((0..self.samples).map(|_| {
            let f = start[index(rng, start.len())];
            let p = walks.position(f, index(rng, self.segments));
            walks.prefetch(p);
            p
        }));
        let out = &mut scratch.samples;
        out.extend(slots.iter().filter_map(|&p| walks.end_at(p)));
        scratch.tally.count(out);
    }

    /// Fills `scratch.samples` with the endpoints of sampled paths and `scratch.tally` with how
    /// often each was reached.
    ///
    /// The paths are drawn stage by stage (every path's followee, then every path's follower,
    /// then every path's endpoint) rather than one path at a time, and each stage prefetches
    /// the rows the next stage reads. On a graph far larger than the cache, a path is four
    /// dependent memory misses; staged, the misses of all paths overlap. The paths have the
    /// same distribution either way; only the order in which random numbers are drawn differs.
    fn sample(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) {
        let out = &mut scratch.samples;
        let slots = &mut scratch.slots;
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
                return self.sample_segments(walks, viewer, rng, scratch);
            }
        }
        let inn = view.graph().in_edges();
        let fwd = view.graph().out_edges();
        // Stage 1: the followee each path goes through.
        out.extend((0..self.samples).map(|_| start[index(rng, start.len())]));
        for f in out.iter() {
            inn.prefetch_row(f.index());
        }
        // Stage 2: one of its followers (as a position in the in-edge array).
        slots.clear();
        for f in out.iter() {
            let (at, len) = inn.span(f.index());
            if len > 0 {
                let p = at + index(rng, len);
                inn.prefetch_target(p);
                slots.push(p);
            }
        }
        out.clear();
        for &p in slots.iter() {
            let u = inn.target(p);
            fwd.prefetch_row(u.index());
            out.push(u);
        }
        // Stage 3: one of that follower's followees, the path's endpoint.
        slots.clear();
        for u in out.iter() {
            let (at, len) = fwd.span(u.index());
            if len > 0 {
                let p = at + index(rng, len);
                fwd.prefetch_target(p);
                slots.push(p);
            }
        }
        out.clear();
        out.extend(slots.iter().map(|&p| fwd.target(p)));
        scratch.tally.count(out);
    }
}

impl Policy for CoFollow {
    fn name(&self) -> &str {
        "co_follow"
    }

    fn generate(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        _limit: usize,
        rng: &mut SimRng,
        scratch: &mut Scratch,
        out: &mut Vec<Candidate>,
    ) {
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

    fn score(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        candidates: &mut [Candidate],
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) {
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
        // Counts of free slots are stale: a key's count starts when the key is placed.
        for &a in items {
            let slot = self.find(a);
            if self.keys[slot] == EMPTY {
                self.keys[slot] = a.0;
                self.counts[slot] = 1;
                self.order.push(slot as u32);
            } else {
                self.counts[slot] += 1;
            }
        }
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

    /// With segments, every path ends at a stored segment of one of the viewer's followees;
    /// without a walk index (or one with too few segments), paths are walked as with
    /// `segments = 0`, drawing the same numbers.
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
        let tally = |policy: CoFollow, view: &PlatformView<'_>, a: u32| {
            let viewer = Viewer {
                followees: w.graph().followees(AccountId(a)),
                last_followed: None,
                estimate: w.content(AccountId(a)),
            };
            let mut rng = SeedTree::new(1).stream(0, StreamId::Policy);
            let mut scratch = Scratch::default();
            policy.sample(view, &viewer, &mut rng, &mut scratch);
            let mut got: Vec<(u32, u32)> =
                scratch.tally.distinct().map(|(a, n)| (a.0, n)).collect();
            got.sort_unstable();
            got
        };
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
