//! Co-follow: accounts followed by people who follow what the viewer follows, the mechanism the
//! investigations pointed at. Scores are estimated by sampling two-hop paths
//! viewer -> followee <- follower -> candidate (a random-walk estimator, as large platforms do),
//! so the cost per request is fixed by `samples` whatever the degrees.

use super::table::IdTable;
use super::{Candidate, Policy, Scratch};
use crate::ids::AccountId;
use crate::platform::{PlatformView, Viewer};
use crate::rng::{index, SimRng};
use crate::world::graph::gather;

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
    /// then every path's endpoint) rather than one path at a time, and each stage is a
    /// software-pipelined [`gather`] that hints the rows a few paths ahead. On a graph far larger
    /// than the cache, a path is four dependent memory misses; staged, the misses of many paths
    /// overlap. The paths have the same distribution either way; only the order in which random
    /// numbers are drawn differs.
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
        // Stage 2: one of its followers (as a position in the in-edge array).
        slots.clear();
        gather(
            out,
            |f| inn.prefetch_row(f.index()),
            |f| {
                let (at, len) = inn.span(f.index());
                if len > 0 {
                    slots.push(at + index(rng, len));
                }
            },
        );
        out.clear();
        gather(
            slots,
            |p| inn.prefetch_target(p),
            |p| out.push(inn.target(p)),
        );
        // Stage 3: one of that follower's followees, the path's endpoint.
        slots.clear();
        gather(
            out,
            |u| fwd.prefetch_row(u.index()),
            |u| {
                let (at, len) = fwd.span(u.index());
                if len > 0 {
                    slots.push(at + index(rng, len));
                }
            },
        );
        out.clear();
        gather(
            slots,
            |p| fwd.prefetch_target(p),
            |p| out.push(fwd.target(p)),
        );
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

/// Counts of sampled path endpoints, by account, in first-seen order (an [`IdTable`] with a
/// count per id), so the order it reports is deterministic. Accounts can be marked to leave
/// them out of [`Tally::distinct`] (the viewer's followees).
#[derive(Debug, Default)]
pub struct Tally {
    table: IdTable,
    /// Count per dense index, with [`MARK`] set for marked accounts.
    counts: Vec<u32>,
}

/// Flag bit of a marked account's count (counts never reach it: at most one per sample).
const MARK: u32 = 1 << 31;

impl Tally {
    /// Resets the table and counts `items`.
    pub(crate) fn count(&mut self, items: &[AccountId]) {
        self.table.reset(items.len());
        self.counts.clear();
        for &a in items {
            let (i, new) = self.table.insert(a.0);
            if new {
                self.counts.push(1);
            } else {
                self.counts[i] += 1;
            }
        }
    }

    /// Marks `accounts` so that [`Tally::distinct`] leaves them out (until the next count).
    pub(crate) fn mark(&mut self, accounts: &[AccountId]) {
        for &a in accounts {
            let (i, new) = self.table.insert(a.0);
            if new {
                self.counts.push(MARK);
            } else {
                self.counts[i] |= MARK;
            }
        }
    }

    /// How often `a` was counted.
    pub(crate) fn get(&self, a: AccountId) -> u32 {
        self.table.get(a.0).map_or(0, |i| self.counts[i] & !MARK)
    }

    /// Distinct unmarked accounts with their counts, in first-seen order.
    pub(crate) fn distinct(&self) -> impl Iterator<Item = (AccountId, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &n)| n & MARK == 0)
            .map(|(i, &n)| (AccountId(self.table.id(i)), n))
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
