//! The follow graph in compressed sparse row (CSR) form, with both directions stored: out-edges
//! (whom an account follows) for feeds and walks, in-edges (who follows an account) for co-follow
//! and popularity. Rows are sorted and free of duplicates and self-follows, so membership is a
//! binary search and iteration order is deterministic.

use super::prefetch::CACHED_BYTES;
pub(crate) use super::prefetch::{gather, prefetch, AHEAD};
use crate::ids::AccountId;
use rayon::prelude::*;

/// A copy made to receive additions keeps room for `1 / HEADROOM` more entries
/// ([`Csr::clone_with_headroom`]), and a merge that runs out of room grows by that share.
pub const HEADROOM: usize = 16;

/// Rows of ids in compressed sparse row form: row `i` is `targets[offsets[i]..offsets[i + 1]]`.
/// Used for follow edges (sorted rows), community members, account tags and term postings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csr<T = AccountId> {
    offsets: Vec<u64>,
    targets: Vec<T>,
}

impl<T: Copy> Csr<T> {
    /// Builds a CSR from per-row lists, kept in the order given.
    pub fn from_rows<I, R>(rows: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: AsRef<[T]>,
    {
        let mut offsets = vec![0u64];
        let mut targets = Vec::new();
        for row in rows {
            targets.extend_from_slice(row.as_ref());
            offsets.push(targets.len() as u64);
        }
        Self { offsets, targets }
    }

    /// Builds a CSR from raw parts; `offsets` has one entry more than rows.
    pub(crate) fn from_parts(offsets: Vec<u64>, targets: Vec<T>) -> Self {
        debug_assert_eq!(offsets.last().copied().unwrap_or(0), targets.len() as u64);
        Self { offsets, targets }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of stored edges.
    pub fn edges(&self) -> usize {
        self.targets.len()
    }

    /// The stored target at position `p` of the flat array, as a one-item slice.
    #[inline]
    pub(crate) fn target_slice(&self, p: usize) -> &[T] {
        std::slice::from_ref(&self.targets[p])
    }

    /// The targets of row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        let start = self.offsets[i] as usize;
        let end = self.offsets[i + 1] as usize;
        &self.targets[start..end]
    }

    /// Where row `i` starts in the flat target array, and its length: with [`Csr::target`],
    /// lets a hot loop split "find the row" from "read an entry" and prefetch in between.
    #[inline]
    pub fn span(&self, i: usize) -> (usize, usize) {
        let start = self.offsets[i] as usize;
        (start, self.offsets[i + 1] as usize - start)
    }

    /// Entries `range` of the flat target array (positions from [`Csr::span`]; adjacent rows
    /// are adjacent in it).
    #[inline]
    pub fn targets(&self, range: std::ops::Range<usize>) -> &[T] {
        &self.targets[range]
    }

    /// Entry `p` of the flat target array (a position from [`Csr::span`]).
    #[inline]
    pub fn target(&self, p: usize) -> T {
        self.targets[p]
    }

    /// Hints the CPU to fetch row `i`'s offsets into cache (a no-op off x86-64, and for a CSR
    /// small enough to stay in cache).
    #[inline]
    pub fn prefetch_row(&self, i: usize) {
        if self.offsets.len() * 8 <= CACHED_BYTES {
            return;
        }
        if let Some(o) = self.offsets.get(i) {
            prefetch(o);
        }
    }

    /// Hints the CPU to fetch flat entry `p` into cache (a no-op off x86-64, and for a CSR
    /// small enough to stay in cache).
    #[inline]
    pub fn prefetch_target(&self, p: usize) {
        if self.targets.len() * std::mem::size_of::<T>() <= CACHED_BYTES {
            return;
        }
        if let Some(t) = self.targets.get(p) {
            prefetch(t);
        }
    }

    /// Mutable access to row `i` (to reorder it in place).
    pub(crate) fn row_mut(&mut self, i: usize) -> &mut [T] {
        let start = self.offsets[i] as usize;
        let end = self.offsets[i + 1] as usize;
        &mut self.targets[start..end]
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 8 + self.targets.capacity() * std::mem::size_of::<T>()
    }
}

impl<T: Copy + Ord> Csr<T> {
    /// A copy with room for `1 / HEADROOM` more entries, so that merging additions into it
    /// ([`Csr::add_in_place`]) does not reallocate, which would briefly hold the entries twice.
    pub fn clone_with_headroom(&self) -> Self
    where
        T: Send + Sync,
    {
        let mut targets = Vec::with_capacity(self.targets.len() + self.targets.len() / HEADROOM);
        // Copied by all threads: the first touch of fresh memory is most of the cost.
        targets.par_extend(self.targets.par_iter().copied());
        Self {
            offsets: self.offsets.clone(),
            targets,
        }
    }

    /// Merges `additions` into this CSR in place: `(row, value)` pairs sorted by row then
    /// value, none already present; rows stay sorted if they were. This is how a platform's
    /// index takes in a batch of new follows: one backward pass moves every row to its new
    /// place (whole runs of unchanged rows with one `memmove`) and merges the new entries into
    /// the rows that gained some. Nothing is allocated but the growth of the entry array, so a
    /// large index is not page-faulted in again at every refresh.
    pub fn add_in_place(&mut self, additions: &[(u32, T)]) {
        let Some(&(_, fill)) = additions.first() else {
            return;
        };
        debug_assert!(additions.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(additions.iter().all(|a| (a.0 as usize) < self.rows()));
        let old_total = self.targets.len();
        // Grow by a margin rather than doubling (a growing block may be copied, briefly holding
        // both), so that later merges usually find room.
        if self.targets.capacity() < old_total + additions.len() {
            self.targets
                .reserve_exact(additions.len().max(old_total / HEADROOM));
        }
        self.targets.resize(old_total + additions.len(), fill);
        // Rows after the last changed one move by `k` (additions before them), and `k` drops
        // as the pass meets each changed row, going backward.
        let mut k = additions.len();
        let mut row = self.rows(); // rows >= `row` are done
        while k > 0 {
            let changed = additions[k - 1].0 as usize;
            // Rows changed+1 .. row are unchanged: one block moves right by k.
            let (from, to) = (
                self.offsets[changed + 1] as usize,
                self.offsets[row] as usize,
            );
            self.targets.copy_within(from..to, from + k);
            for o in &mut self.offsets[changed + 1..=row] {
                *o += k as u64;
            }
            // The changed row: merge its old entries and its additions from the back.
            let first = additions[..k].partition_point(|a| (a.0 as usize) < changed);
            let (start, end) = (
                self.offsets[changed] as usize,
                self.offsets[changed + 1] as usize - k,
            );
            let mut write = end + k; // one past the row's new end
            let (mut old, mut new) = (end, k);
            while new > first {
                write -= 1;
                if old > start && self.targets[old - 1] > additions[new - 1].1 {
                    old -= 1;
                    self.targets[write] = self.targets[old];
                } else {
                    new -= 1;
                    self.targets[write] = additions[new].1;
                }
            }
            // What is left of the old row moves by the additions before it.
            if first > 0 {
                self.targets.copy_within(start..old, start + first);
            }
            k = first;
            row = changed;
        }
    }
}

/// Splits `targets` into about `parts` pieces at row boundaries, each holding about the same
/// number of entries: `(first row, end row, the entries of those rows)`.
fn split_rows<'t, T>(
    offsets: &[u64],
    targets: &'t mut [T],
    parts: usize,
) -> Vec<(usize, usize, &'t mut [T])> {
    let rows = offsets.len() - 1;
    let total = targets.len();
    let parts = if total < 1 << 16 {
        1
    } else {
        parts.clamp(1, rows.max(1))
    };
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let goal = (total as u64 * p as u64) / parts as u64;
        let c = offsets.partition_point(|&o| o < goal).min(rows);
        bounds.push(c.max(*bounds.last().unwrap_or(&0)));
    }
    bounds.push(rows);
    let mut pieces = Vec::with_capacity(parts);
    let mut rest = targets;
    for w in bounds.windows(2) {
        let len = (offsets[w[1]] - offsets[w[0]]) as usize;
        let (piece, tail) = rest.split_at_mut(len);
        pieces.push((w[0], w[1], piece));
        rest = tail;
    }
    pieces
}

impl<T: Copy + Into<u32> + Sync> Csr<T> {
    /// The transpose over `columns` columns: row `j` of the result lists every `i` with `j` in
    /// row `i`, sorted by `i` (a counting sort, so no comparison sort).
    ///
    /// The scatter runs in parallel: the columns are split into ranges holding about equal
    /// numbers of entries, and each range is filled by one task scanning the rows in order. The
    /// result is unique, so it does not depend on the number of threads.
    pub fn transpose(&self, columns: usize) -> Csr<AccountId> {
        let mut offsets = vec![0u64; columns + 1];
        for &t in &self.targets {
            offsets[t.into() as usize + 1] += 1;
        }
        for j in 0..columns {
            offsets[j + 1] += offsets[j];
        }
        let total = self.targets.len();
        let mut targets = vec![AccountId(0); total];
        // A few ranges per thread, and none for tiny inputs (the scan would dominate).
        let pieces = split_rows(&offsets, &mut targets, 2 * rayon::current_num_threads());
        let offsets_ref = &offsets;
        pieces.into_par_iter().for_each(|(lo, hi, out)| {
            let base = offsets_ref[lo];
            let mut cursor: Vec<u64> = offsets_ref[lo..hi].iter().map(|o| o - base).collect();
            for i in 0..self.rows() {
                for &t in self.row(i) {
                    let c = t.into() as usize;
                    if (lo..hi).contains(&c) {
                        let slot = &mut cursor[c - lo];
                        out[*slot as usize] = AccountId(i as u32);
                        *slot += 1;
                    }
                }
            }
        });
        Csr { offsets, targets }
    }
}

/// The directed follow graph among ordinary accounts (`a -> b` means `a` follows `b`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowGraph {
    out: Csr,
    inn: Csr,
}

impl FollowGraph {
    /// Builds the graph from its out-edge CSR; the in-edge CSR is derived.
    pub fn from_out(out: Csr) -> Self {
        let inn = out.transpose(out.rows());
        Self { out, inn }
    }

    /// Builds the graph from an edge list over `accounts` accounts, dropping self-follows and
    /// duplicate edges. Edges must name accounts below `accounts`.
    pub fn from_edges(accounts: usize, edges: &[(AccountId, AccountId)]) -> Self {
        let mut sorted: Vec<(AccountId, AccountId)> =
            edges.iter().copied().filter(|(a, b)| a != b).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut offsets = vec![0u64; accounts + 1];
        for (a, _) in &sorted {
            offsets[a.index() + 1] += 1;
        }
        for i in 0..accounts {
            offsets[i + 1] += offsets[i];
        }
        let targets = sorted.into_iter().map(|(_, b)| b).collect();
        Self::from_out(Csr::from_parts(offsets, targets))
    }

    /// Adds `edges` in place: `(source, target)` pairs sorted and new (not in the graph, no
    /// self-follows). Both directions are merged row by row ([`Csr::add_in_place`]), at the
    /// cost of moving the entries once, not of rebuilding and transposing the graph.
    pub fn add_edges(&mut self, edges: &[(AccountId, AccountId)]) {
        debug_assert!(edges.windows(2).all(|w| w[0] < w[1]));
        let by_source: Vec<(u32, AccountId)> = edges.iter().map(|&(a, b)| (a.0, b)).collect();
        let mut by_target: Vec<(u32, AccountId)> = edges.iter().map(|&(a, b)| (b.0, a)).collect();
        by_target.sort_unstable();
        let (out, inn) = (&mut self.out, &mut self.inn);
        rayon::join(
            || out.add_in_place(&by_source),
            || inn.add_in_place(&by_target),
        );
    }

    /// A copy that can take `1 / HEADROOM` more follows in place (see
    /// [`Csr::clone_with_headroom`]): how an arm starts its own index from the world's graph.
    pub fn clone_with_headroom(&self) -> Self {
        Self {
            out: self.out.clone_with_headroom(),
            inn: self.inn.clone_with_headroom(),
        }
    }

    /// Number of accounts.
    pub fn accounts(&self) -> usize {
        self.out.rows()
    }

    /// Number of follow edges.
    pub fn edges(&self) -> usize {
        self.out.edges()
    }

    /// Accounts that `a` follows, sorted.
    #[inline]
    pub fn followees(&self, a: AccountId) -> &[AccountId] {
        self.out.row(a.index())
    }

    /// Accounts that follow `a`, sorted.
    #[inline]
    pub fn followers(&self, a: AccountId) -> &[AccountId] {
        self.inn.row(a.index())
    }

    /// Out-edges (followees) as a CSR, for staged traversals.
    #[inline]
    pub fn out_edges(&self) -> &Csr {
        &self.out
    }

    /// In-edges (followers) as a CSR, for staged traversals.
    #[inline]
    pub fn in_edges(&self) -> &Csr {
        &self.inn
    }

    /// Whether `a` follows `b`.
    pub fn follows(&self, a: AccountId, b: AccountId) -> bool {
        self.followees(a).binary_search(&b).is_ok()
    }

    /// Heap bytes held by both directions.
    pub fn heap_bytes(&self) -> usize {
        self.out.heap_bytes() + self.inn.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Vec<AccountId> {
        v.iter().map(|&x| AccountId(x)).collect()
    }

    #[test]
    fn a_copy_with_headroom_takes_additions_without_moving() {
        let e: Vec<(AccountId, AccountId)> = (0..64u32)
            .flat_map(|a| (1..5).map(move |d| (AccountId(a), AccountId((a + d) % 64))))
            .collect();
        let g = FollowGraph::from_edges(64, &e);
        let mut copy = g.clone_with_headroom();
        assert_eq!(copy, g);
        let before = copy.out_edges().targets.as_ptr();
        // 256 edges, room for 16 more: a batch of 10 fits without reallocating.
        let added: Vec<(AccountId, AccountId)> = (0..10u32)
            .map(|a| (AccountId(a), AccountId(a + 32)))
            .collect();
        copy.add_edges(&added);
        assert_eq!(copy.out_edges().targets.as_ptr(), before);
        assert_eq!(copy.edges(), g.edges() + 10);
        let mut all = e.clone();
        all.extend(&added);
        assert_eq!(copy, FollowGraph::from_edges(64, &all));
    }

    #[test]
    fn from_edges_drops_self_and_duplicates() {
        let e = [(0, 1), (0, 1), (1, 1), (2, 0), (0, 2), (1, 0)]
            .map(|(a, b)| (AccountId(a), AccountId(b)));
        let g = FollowGraph::from_edges(3, &e);
        assert_eq!(g.edges(), 4);
        assert_eq!(g.followees(AccountId(0)), &ids(&[1, 2])[..]);
        assert_eq!(g.followees(AccountId(1)), &ids(&[0])[..]);
        assert_eq!(g.followers(AccountId(0)), &ids(&[1, 2])[..]);
        assert!(g.follows(AccountId(2), AccountId(0)));
        assert!(!g.follows(AccountId(0), AccountId(0)));
    }

    proptest::proptest! {
        #[test]
        fn no_self_follows_no_duplicates_and_directions_agree(
            edges in proptest::collection::vec((0u32..50, 0u32..50), 0..400)
        ) {
            let e: Vec<_> = edges.iter().map(|&(a, b)| (AccountId(a), AccountId(b))).collect();
            let g = FollowGraph::from_edges(50, &e);
            let mut from_in = Vec::new();
            for a in 0..50u32 {
                let out = g.followees(AccountId(a));
                proptest::prop_assert!(out.windows(2).all(|w| w[0] < w[1]));
                proptest::prop_assert!(!out.contains(&AccountId(a)));
                for &f in g.followers(AccountId(a)) {
                    from_in.push((f, AccountId(a)));
                }
            }
            let mut expected: Vec<_> = e.into_iter().filter(|(a, b)| a != b).collect();
            expected.sort_unstable();
            expected.dedup();
            from_in.sort_unstable();
            proptest::prop_assert_eq!(from_in, expected);
        }
    }

    #[test]
    fn parallel_transpose_matches_serial_definition() {
        // Large enough to take the parallel path.
        let rows: Vec<Vec<AccountId>> = (0..3000u32)
            .map(|i| {
                (0..40u32)
                    .map(|k| AccountId((i * 7919 + k * 104_729) % 2500))
                    .collect()
            })
            .collect();
        let c = Csr::from_rows(&rows);
        let t = c.transpose(2500);
        let mut expected = vec![Vec::new(); 2500];
        for (i, row) in rows.iter().enumerate() {
            for a in row {
                expected[a.index()].push(AccountId(i as u32));
            }
        }
        assert_eq!(t, Csr::from_rows(&expected));
    }

    proptest::proptest! {
        #[test]
        fn adding_edges_equals_building_with_them(
            edges in proptest::collection::vec((0u32..40, 0u32..40), 0..300),
            extra in proptest::collection::vec((0u32..40, 0u32..40), 0..60),
        ) {
            let e: Vec<_> = edges.iter().map(|&(a, b)| (AccountId(a), AccountId(b))).collect();
            let g = FollowGraph::from_edges(40, &e);
            let mut new: Vec<_> = extra
                .iter()
                .map(|&(a, b)| (AccountId(a), AccountId(b)))
                .filter(|&(a, b)| a != b && !g.follows(a, b))
                .collect();
            new.sort_unstable();
            new.dedup();
            let mut merged = g.clone();
            merged.add_edges(&new);
            let all: Vec<_> = e.iter().chain(&new).copied().collect();
            proptest::prop_assert_eq!(merged, FollowGraph::from_edges(40, &all));
        }
    }

    #[test]
    fn adding_edges_to_a_large_graph_matches_a_rebuild() {
        let edges: Vec<(AccountId, AccountId)> = (0..3000u32)
            .flat_map(|i| (0..40u32).map(move |k| (i, (i * 7919 + k * 104_729) % 3000)))
            .filter(|&(a, b)| a != b)
            .map(|(a, b)| (AccountId(a), AccountId(b)))
            .collect();
        let g = FollowGraph::from_edges(3000, &edges);
        let mut new: Vec<_> = (0..500u32)
            .map(|i| (AccountId(i * 5 % 3000), AccountId((i * 13 + 1) % 3000)))
            .filter(|&(a, b)| a != b && !g.follows(a, b))
            .collect();
        new.sort_unstable();
        new.dedup();
        let all: Vec<_> = edges.iter().chain(&new).copied().collect();
        let mut merged = g.clone();
        merged.add_edges(&new);
        assert_eq!(merged, FollowGraph::from_edges(3000, &all));
    }

    #[test]
    fn transpose_twice_is_identity() {
        let c = Csr::from_rows([ids(&[1, 3]), ids(&[]), ids(&[0, 1, 2]), ids(&[2])]);
        assert_eq!(c.transpose(4).transpose(4), c);
    }
}
