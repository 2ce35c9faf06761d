//! The benign community each adjacent community of an import leans toward.

use crate::ids::{AccountId, CommunityId};
use crate::world::graph::FollowGraph;
use crate::world::CommunityKind;

/// Each adjacent community leans toward the benign community its members follow most (ties and
/// no benign follow at all: the lowest such community id).
///
/// Only follows from adjacent accounts into benign communities are counted, as sorted (adjacent,
/// benign) pairs: memory grows with those follows, not with communities x communities (30,000
/// single-account communities would need a 7 GB table).
pub(super) fn parents(
    kinds: &[CommunityKind],
    community: &[CommunityId],
    graph: &FollowGraph,
) -> Vec<Option<CommunityId>> {
    let mut follows: Vec<(u32, u32)> = Vec::new();
    for (a, c) in community.iter().enumerate() {
        if kinds[c.index()] == CommunityKind::Adjacent {
            for t in graph.followees(AccountId(a as u32)) {
                let tc = community[t.index()];
                if kinds[tc.index()] == CommunityKind::Benign {
                    follows.push((c.0, tc.0));
                }
            }
        }
    }
    follows.sort_unstable();
    let first_benign = kinds
        .iter()
        .position(|k| *k == CommunityKind::Benign)
        .map(|b| CommunityId(b as u32));
    let mut parent: Vec<Option<CommunityId>> = kinds
        .iter()
        .map(|k| {
            (*k == CommunityKind::Adjacent)
                .then_some(first_benign)
                .flatten()
        })
        .collect();
    for of_one in follows.chunk_by(|x, y| x.0 == y.0) {
        // Runs of one benign target, in ascending target order: a later run wins only with
        // strictly more follows, so ties go to the lower id.
        let mut best: Option<(usize, u32)> = None;
        for run in of_one.chunk_by(|x, y| x.1 == y.1) {
            if best.is_none_or(|(n, _)| run.len() > n) {
                best = Some((run.len(), run[0].1));
            }
        }
        parent[of_one[0].0 as usize] = best.map(|(_, b)| CommunityId(b));
    }
    parent
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parent rule as it was first written, with a communities x communities table.
    fn parents_quadratic(
        kinds: &[CommunityKind],
        community: &[CommunityId],
        graph: &FollowGraph,
    ) -> Vec<Option<CommunityId>> {
        let mut counts = vec![vec![0usize; kinds.len()]; kinds.len()];
        for (a, c) in community.iter().enumerate() {
            if kinds[c.index()] == CommunityKind::Adjacent {
                for t in graph.followees(AccountId(a as u32)) {
                    counts[c.index()][community[t.index()].index()] += 1;
                }
            }
        }
        let benign: Vec<usize> = (0..kinds.len())
            .filter(|&c| kinds[c] == CommunityKind::Benign)
            .collect();
        (0..kinds.len())
            .map(|c| {
                if kinds[c] != CommunityKind::Adjacent {
                    return None;
                }
                benign
                    .iter()
                    .max_by(|&&x, &&y| counts[c][x].cmp(&counts[c][y]).then(y.cmp(&x)))
                    .map(|&b| CommunityId(b as u32))
            })
            .collect()
    }

    #[test]
    fn parents_match_the_quadratic_rule() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for round in 0..300 {
            let k = rng.random_range(1..9usize);
            let n = rng.random_range(1..40usize);
            let kinds: Vec<CommunityKind> = (0..k)
                .map(|_| match rng.random_range(0..3) {
                    0 => CommunityKind::Benign,
                    1 => CommunityKind::Adjacent,
                    _ => CommunityKind::Flagged,
                })
                .collect();
            let community: Vec<CommunityId> = (0..n)
                .map(|_| CommunityId(rng.random_range(0..k as u32)))
                .collect();
            let edges: Vec<(AccountId, AccountId)> = (0..rng.random_range(0..4 * n))
                .map(|_| {
                    (
                        AccountId(rng.random_range(0..n as u32)),
                        AccountId(rng.random_range(0..n as u32)),
                    )
                })
                .collect();
            let graph = FollowGraph::from_edges(n, &edges);
            assert_eq!(
                parents(&kinds, &community, &graph),
                parents_quadratic(&kinds, &community, &graph),
                "round {round}: {kinds:?}"
            );
        }
    }
}
