//! Co-follow: accounts followed by people who follow what the viewer follows, the mechanism the
//! investigations pointed at. Scores are estimated by sampling two-hop paths
//! viewer -> followee <- follower -> candidate (a random-walk estimator, as large platforms do),
//! so the cost per request is fixed by `samples` whatever the degrees.

use super::table::{clear_slots, find_slot, rehash, EMPTY};
use super::{Candidate, Policy, Scratch};
use crate::ids::AccountId;
use crate::platform::{PlatformView, Viewer};
use crate::rng::{index, SimRng};

/// The co-follow policy.
#[derive(Clone, Copy, Debug)]
pub struct CoFollow {
    samples: usize,
}

impl CoFollow {
    /// A co-follow policy sampling `samples` paths per request.
    pub fn new(samples: usize) -> Self {
        Self { samples }
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
