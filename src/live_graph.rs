//! The follow graph as it evolves during one arm of one replicate.
//!
//! The world's graph is built once per replicate and shared, read-only, by every arm. When
//! accounts follow during a run (ordinary accounts of a living population, flagged accounts
//! building bridges), the new edges are collected here and become visible to the platform when
//! its graph index is rebuilt, every few steps, as a platform's batch index refresh would make
//! them visible: the CSR is rebuilt with the new edges merged in (out-edges sorted, no
//! duplicates, no self-follows), the in-edges follow, and the popularity ranking is recomputed.
//! Between rebuilds, nothing the platform sees changes, so parallel readers need no locks.
//!
//! Edges are added serially (in account order by the callers), so the rebuilt graph is the same
//! for any thread count.

use crate::ids::AccountId;
use crate::world::graph::{Csr, FollowGraph};
use crate::world::World;

/// The world's graph plus the follows made during a run.
pub struct LiveGraph {
    /// New out-edges per source account since the start, sorted, without edges already in the
    /// world's graph; only sources that followed someone have an entry.
    added: std::collections::BTreeMap<AccountId, Vec<AccountId>>,
    added_edges: usize,
    pending: bool,
    graph: Option<FollowGraph>,
    popularity: Option<Vec<AccountId>>,
}

impl Default for LiveGraph {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveGraph {
    /// No changes yet: the platform sees the world's graph.
    pub fn new() -> Self {
        Self {
            added: std::collections::BTreeMap::new(),
            added_edges: 0,
            pending: false,
            graph: None,
            popularity: None,
        }
    }

    /// Records that `src` follows `dst` (ignored for self-follows and existing edges); returns
    /// whether it is a new edge. Visible after the next [`LiveGraph::rebuild`].
    pub fn follow(&mut self, world: &World, src: AccountId, dst: AccountId) -> bool {
        if src == dst || world.graph().followees(src).binary_search(&dst).is_ok() {
            return false;
        }
        let row = self.added.entry(src).or_default();
        match row.binary_search(&dst) {
            Ok(_) => false,
            Err(pos) => {
                row.insert(pos, dst);
                self.added_edges += 1;
                self.pending = true;
                true
            }
        }
    }

    /// Whether `src` follows `dst` now, including follows not yet visible to the platform.
    pub fn follows(&self, world: &World, src: AccountId, dst: AccountId) -> bool {
        world.graph().followees(src).binary_search(&dst).is_ok()
            || self
                .added
                .get(&src)
                .is_some_and(|r| r.binary_search(&dst).is_ok())
    }

    /// Edges added so far.
    pub fn added_edges(&self) -> usize {
        self.added_edges
    }

    /// Whether follows are waiting for a rebuild.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// Rebuilds the platform's index (graph and popularity) when follows are waiting.
    pub fn rebuild(&mut self, world: &World) {
        if !self.pending {
            return;
        }
        let base = world.graph();
        let n = world.accounts();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(base.edges() + self.added_edges);
        offsets.push(0u64);
        let mut extra = self.added.iter().peekable();
        for a in (0..n as u32).map(AccountId) {
            let start = targets.len();
            targets.extend_from_slice(base.followees(a));
            if let Some((_, row)) = extra.next_if(|(&s, _)| s == a) {
                targets.extend_from_slice(row);
                targets[start..].sort_unstable();
            }
            offsets.push(targets.len() as u64);
        }
        let graph = FollowGraph::from_out(Csr::from_parts(offsets, targets));
        let mut popularity: Vec<AccountId> = (0..n as u32).map(AccountId).collect();
        popularity.sort_by(|a, b| {
            graph
                .followers(*b)
                .len()
                .cmp(&graph.followers(*a).len())
                .then(a.cmp(b))
        });
        self.graph = Some(graph);
        self.popularity = Some(popularity);
        self.pending = false;
    }

    /// The graph the platform sees, when it differs from the world's.
    pub fn graph(&self) -> Option<&FollowGraph> {
        self.graph.as_ref()
    }

    /// The popularity ranking the platform sees, when it differs from the world's.
    pub fn popularity(&self) -> Option<&[AccountId]> {
        self.popularity.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeedTree;
    use crate::scenario::spec::WorldSpec;

    #[test]
    fn follows_become_visible_at_rebuild_and_keep_the_csr_valid() {
        let spec = WorldSpec {
            accounts: Some(500),
            benign_communities: 3,
            ..WorldSpec::default()
        };
        let w = crate::world::generate(&spec, 20, &SeedTree::new(8), 0);
        let mut live = LiveGraph::new();
        let (a, b) = (AccountId(3), AccountId(400));
        assert!(!live.follow(&w, a, a), "no self-follow");
        let existing = w.graph().followees(a)[0];
        assert!(
            !live.follow(&w, a, existing),
            "no duplicate of a world edge"
        );
        let new = !w.graph().followees(a).contains(&b);
        assert_eq!(live.follow(&w, a, b), new);
        assert!(!live.follow(&w, a, b), "no duplicate of a live edge");
        assert!(live.follows(&w, a, b));
        assert!(live.graph().is_none(), "invisible before the rebuild");
        live.rebuild(&w);
        let g = live.graph().expect("rebuilt");
        assert_eq!(g.edges(), w.graph().edges() + live.added_edges());
        assert!(g.followees(a).contains(&b) && g.followers(b).contains(&a));
        assert!(g.followees(a).windows(2).all(|p| p[0] < p[1]));
        let pop = live.popularity().unwrap();
        assert!(pop
            .windows(2)
            .all(|p| g.followers(p[0]).len() >= g.followers(p[1]).len()));
    }
}
