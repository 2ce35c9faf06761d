//! Precomputed co-follow walk segments: the platform-side index that lets a co-follow request
//! read one stored endpoint per path instead of walking the graph.
//!
//! A co-follow path is viewer -> followee `f` <- follower `u` -> candidate `g`. Walking it at
//! request time costs three dependent memory misses per path (`f`'s in-edge row, `u`'s
//! out-edge offsets, `u`'s out-edge entry) on a graph far larger than the cache. Large platforms
//! precompute such walk segments in batch instead (Bahmani, Chowdhury and Goel, "Fast
//! incremental and personalized PageRank", VLDB 2010; Twitter's "WTF: the who to follow
//! service", WWW 2013): for every account `f`, `P` segments `f <- u -> g` are drawn when the
//! graph index is rebuilt, and a request's path takes the uniform followee `f` it would take
//! anyway, then one of `f`'s `P` stored endpoints, uniformly. Each stored endpoint has exactly
//! the distribution of the exact path's last two hops given `f` (a uniform follower, then a
//! uniform followee of it), so a path's endpoint has the exact distribution too; what changes is
//! that requests between two rebuilds reuse the same `P` draws per followee, so their counts are
//! correlated (tested in this module against the closed-form endpoint distribution).
//!
//! The index is built from the graph the platform sees ([`crate::world::graph::FollowGraph`],
//! observable), in parallel over chunks of accounts, each chunk from its own stream keyed by
//! (rebuild epoch, chunk): the same for any thread count.

use crate::ids::AccountId;
use crate::rng::{index, AgentStreams};
use crate::world::graph::{prefetch, FollowGraph};
use rayon::prelude::*;

/// Marker of a segment that has no endpoint (an account nobody follows).
const NO_END: u32 = u32::MAX;
/// Accounts per random stream (and per parallel task).
const CHUNK: usize = 1 << 12;
/// Accounts whose segments are drawn stage by stage together, so that their misses overlap.
const BLOCK: usize = 32;

/// `P` stored co-follow segment endpoints per account (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct CoFollowWalks {
    per_account: usize,
    ends: Vec<u32>,
}

impl CoFollowWalks {
    /// Draws `per_account` segments for every account of `graph`, from the streams of rebuild
    /// `epoch`.
    pub fn build(
        graph: &FollowGraph,
        per_account: usize,
        streams: &AgentStreams,
        epoch: u32,
    ) -> Self {
        let mut walks = Self {
            per_account,
            ends: Vec::new(),
        };
        walks.rebuild(graph, streams, epoch);
        walks
    }

    /// Redraws every segment from `graph` (the index after a rebuild), in place: the same as
    /// [`CoFollowWalks::build`] with this `epoch`, without allocating again.
    pub fn rebuild(&mut self, graph: &FollowGraph, streams: &AgentStreams, epoch: u32) {
        let p = self.per_account;
        self.ends.resize(graph.accounts() * p, NO_END);
        if p == 0 {
            return;
        }
        let inn = graph.in_edges();
        let fwd = graph.out_edges();
        self.ends
            .par_chunks_mut(CHUNK * p)
            .enumerate()
            .for_each(|(c, chunk)| {
                let mut rng = streams.agent((u64::from(epoch) << 32) | c as u64);
                let mut at = Vec::with_capacity(BLOCK * p);
                for (b, block) in chunk.chunks_mut(BLOCK * p).enumerate() {
                    let first = c * CHUNK + b * BLOCK;
                    // Stage 1: each segment's follower `u` (the in-edge rows of consecutive
                    // accounts are contiguous, so this stage reads memory in order).
                    for (k, row) in block.chunks_mut(p).enumerate() {
                        let (start, len) = inn.span(first + k);
                        for e in row.iter_mut() {
                            *e = if len == 0 {
                                NO_END
                            } else {
                                let u = inn.target(start + index(&mut rng, len));
                                fwd.prefetch_row(u.index());
                                u.0
                            };
                        }
                    }
                    // Stage 2: the position of one of `u`'s followees.
                    at.clear();
                    for &u in block.iter() {
                        let (start, len) = if u == NO_END {
                            (0, 0)
                        } else {
                            fwd.span(u as usize)
                        };
                        if len == 0 {
                            at.push(usize::MAX);
                        } else {
                            let q = start + index(&mut rng, len);
                            fwd.prefetch_target(q);
                            at.push(q);
                        }
                    }
                    // Stage 3: the endpoints.
                    for (e, &q) in block.iter_mut().zip(&at) {
                        *e = if q == usize::MAX {
                            NO_END
                        } else {
                            fwd.target(q).0
                        };
                    }
                }
            });
    }

    /// Segments stored per account.
    #[inline]
    pub fn per_account(&self) -> usize {
        self.per_account
    }

    /// Where segment `j` (below [`CoFollowWalks::per_account`]) of account `f` is stored.
    #[inline]
    pub fn position(&self, f: AccountId, j: usize) -> usize {
        f.index() * self.per_account + j
    }

    /// The endpoint stored at `position`, if that segment has one.
    #[inline]
    pub fn end_at(&self, position: usize) -> Option<AccountId> {
        self.ends
            .get(position)
            .copied()
            .filter(|&e| e != NO_END)
            .map(AccountId)
    }

    /// Hints the CPU to fetch the segment at `position` into cache.
    #[inline]
    pub fn prefetch(&self, position: usize) {
        if let Some(e) = self.ends.get(position) {
            prefetch(e);
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.ends.capacity() * std::mem::size_of::<u32>()
    }

    /// Heap bytes per account for `per_account` segments (for the memory estimate).
    pub const fn bytes_per_account(per_account: usize) -> usize {
        per_account * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SeedTree, StreamId};
    use crate::scenario::spec::WorldSpec;

    fn small_world() -> crate::world::World {
        let spec = WorldSpec {
            accounts: Some(300),
            benign_communities: 3,
            ..WorldSpec::default()
        };
        crate::world::generate(&spec, 8, &SeedTree::new(5), 0)
    }

    /// The stored endpoints of one account, over many rebuild epochs, follow the closed-form
    /// two-hop distribution P(g | f) = sum over followers u of f of 1/|followers(f)| *
    /// 1/|followees(u)| * [u follows g].
    #[test]
    fn endpoints_follow_the_two_hop_distribution() {
        let w = small_world();
        let g = w.graph();
        let streams = SeedTree::new(9).agents(0, StreamId::Walks);
        // The account with the most followers, and one with few.
        let mut by_followers: Vec<AccountId> = (0..300).map(AccountId).collect();
        by_followers.sort_by_key(|&a| (std::cmp::Reverse(g.followers(a).len()), a));
        let f = by_followers[0];
        let exact = |target: AccountId| -> f64 {
            let us = g.followers(f);
            us.iter()
                .filter(|&&u| g.follows(u, target))
                .map(|&u| 1.0 / (us.len() * g.followees(u).len()) as f64)
                .sum()
        };
        let per = 16;
        let epochs = 2_000;
        let mut counts = vec![0u32; 300];
        let mut walks = CoFollowWalks::build(g, per, &streams, 0);
        for epoch in 0..epochs {
            walks.rebuild(g, &streams, epoch);
            for j in 0..per {
                let e = walks.end_at(walks.position(f, j)).expect("f has followers");
                counts[e.index()] += 1;
            }
        }
        let n = f64::from(epochs) * per as f64;
        let total: f64 = (0..300).map(|t| exact(AccountId(t))).sum();
        assert!((total - 1.0).abs() < 1e-9, "closed form sums to {total}");
        // Every cell within 5 standard errors, and a chi-square well below its 0.1% tail.
        let mut chi2 = 0.0;
        let mut cells = 0;
        for t in 0..300u32 {
            let p = exact(AccountId(t));
            let seen = f64::from(counts[t as usize]);
            if p == 0.0 {
                assert_eq!(seen, 0.0, "endpoint {t} is unreachable from {f:?}");
                continue;
            }
            let sd = (n * p * (1.0 - p)).sqrt();
            assert!((seen - n * p).abs() < 5.0 * sd + 1.0, "endpoint {t}");
            chi2 += (seen - n * p).powi(2) / (n * p);
            cells += 1;
        }
        // Chi-square with k - 1 degrees of freedom: mean k - 1, sd sqrt(2(k - 1)).
        let df = f64::from(cells - 1);
        assert!(
            chi2 < df + 5.0 * (2.0 * df).sqrt(),
            "chi2 {chi2} on {df} df"
        );
    }

    #[test]
    fn same_epoch_same_segments_any_thread_count_and_rebuild_in_place() {
        let w = small_world();
        let streams = SeedTree::new(2).agents(0, StreamId::Walks);
        let build = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| CoFollowWalks::build(w.graph(), 8, &streams, 3).ends)
        };
        let one = build(1);
        assert_eq!(one, build(3));
        let mut walks = CoFollowWalks::build(w.graph(), 8, &streams, 0);
        assert_ne!(walks.ends, one, "another epoch draws other segments");
        walks.rebuild(w.graph(), &streams, 3);
        assert_eq!(walks.ends, one);
        // Endpoints are followees of followers; an account nobody follows has none.
        let g = w.graph();
        for f in 0..300u32 {
            let f = AccountId(f);
            for j in 0..8 {
                match walks.end_at(walks.position(f, j)) {
                    Some(e) => assert!(g.followers(f).iter().any(|&u| g.follows(u, e))),
                    None => assert!(g.followers(f).is_empty()),
                }
            }
        }
        assert_eq!(walks.end_at(usize::MAX), None);
        assert_eq!(
            walks.heap_bytes(),
            300 * CoFollowWalks::bytes_per_account(8)
        );
    }
}
