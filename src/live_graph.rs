//! The follow graph as it evolves during one arm of one replicate.
//!
//! The world's graph is built once per replicate and shared, read-only, by every arm. When
//! accounts follow during a run (ordinary accounts of a living population, flagged accounts
//! building bridges), the new edges are collected here and become visible to the platform when
//! its graph index is rebuilt, every few steps, as a platform's batch index refresh would make
//! them visible. A rebuild merges the batch into the index it has (out-edges and in-edges row
//! by row, in place: [`FollowGraph::add_edges`]) and moves the accounts that gained
//! followers within the popularity ranking, rather than rebuilding and transposing the whole
//! graph and sorting every account again. Between rebuilds, nothing the platform sees changes,
//! so parallel readers need no locks.
//!
//! Edges are added serially (in the callers' order) and a rebuild's result does not
//! depend on the order they came in, so the graph is the same for any thread count.

use crate::ids::AccountId;
use crate::policy::walks::CoFollowWalks;
use crate::rng::AgentStreams;
use crate::world::graph::FollowGraph;
use crate::world::World;
use std::collections::BTreeSet;

/// The world's graph plus the follows made during a run.
#[derive(Default)]
pub struct LiveGraph {
    /// Follows made since the last rebuild, not in the graph the platform sees.
    pending: BTreeSet<(AccountId, AccountId)>,
    added_edges: usize,
    graph: Option<FollowGraph>,
    popularity: Option<Vec<AccountId>>,
    /// Co-follow walk segments of the current index, with their streams and the rebuild count.
    walks: Option<(CoFollowWalks, AgentStreams, u32)>,
}

impl LiveGraph {
    /// No changes yet: the platform sees the world's graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same, with `per_account` co-follow walk segments per account precomputed from the
    /// world's graph now and redrawn at every rebuild (none when `per_account` is 0), from
    /// `streams` (one per (rebuild, chunk of accounts)).
    pub fn with_walks(mut self, world: &World, per_account: usize, streams: AgentStreams) -> Self {
        self.walks = (per_account > 0).then(|| {
            let walks = CoFollowWalks::build(self.current(world), per_account, &streams, 0);
            (walks, streams, 0)
        });
        self
    }

    /// The graph the platform's index holds now (the world's until the first rebuild).
    fn current<'w>(&'w self, world: &'w World) -> &'w FollowGraph {
        self.graph.as_ref().unwrap_or(world.graph())
    }

    /// Records that `src` follows `dst` (ignored for self-follows and existing edges); returns
    /// whether it is a new edge. Visible after the next [`LiveGraph::rebuild`].
    pub fn follow(&mut self, world: &World, src: AccountId, dst: AccountId) -> bool {
        if src == dst || self.current(world).follows(src, dst) {
            return false;
        }
        let new = self.pending.insert((src, dst));
        self.added_edges += usize::from(new);
        new
    }

    /// Whether `src` follows `dst` now, including follows not yet visible to the platform.
    pub fn follows(&self, world: &World, src: AccountId, dst: AccountId) -> bool {
        self.current(world).follows(src, dst) || self.pending.contains(&(src, dst))
    }

    /// Edges added so far.
    pub fn added_edges(&self) -> usize {
        self.added_edges
    }

    /// Whether follows are waiting for a rebuild.
    pub fn pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Rebuilds the platform's index: the graph and popularity when follows are waiting, and
    /// the co-follow walk segments (when asked for) in any case, as a platform's batch job
    /// redraws its walks on schedule.
    pub fn rebuild(&mut self, world: &World) {
        if self.pending.is_empty() {
            let graph = self.graph.as_ref().unwrap_or(world.graph());
            if let Some((walks, streams, epoch)) = self.walks.as_mut() {
                *epoch += 1;
                walks.rebuild(graph, streams, *epoch);
            }
            return;
        }
        let edges: Vec<(AccountId, AccountId)> =
            std::mem::take(&mut self.pending).into_iter().collect();
        // The first rebuild copies the world's graph (shared by all arms); later ones update
        // the arm's own copy in place.
        let mut graph = self
            .graph
            .take()
            .unwrap_or_else(|| world.graph().clone_with_headroom());
        graph.add_edges(&edges);
        // Only accounts that gained followers move in the ranking (most followed first, ties
        // by id), and only up: take them out, order them, merge them back in.
        let mut gained: Vec<AccountId> = edges.iter().map(|&(_, b)| b).collect();
        gained.sort_unstable();
        gained.dedup();
        let first = |a: &AccountId, b: &AccountId| {
            graph
                .followers(*b)
                .len()
                .cmp(&graph.followers(*a).len())
                .then(a.cmp(b))
        };
        gained.sort_by(first);
        let previous = self.popularity.as_deref().unwrap_or(world.by_popularity());
        let mut moved = vec![false; world.accounts()];
        for a in &gained {
            moved[a.index()] = true;
        }
        let mut popularity = Vec::with_capacity(previous.len());
        let mut up = gained.iter().peekable();
        for &a in previous.iter().filter(|a| !moved[a.index()]) {
            while let Some(&&g) = up.peek() {
                if first(&g, &a).is_lt() {
                    popularity.push(g);
                    up.next();
                } else {
                    break;
                }
            }
            popularity.push(a);
        }
        popularity.extend(up);
        if let Some((walks, streams, epoch)) = self.walks.as_mut() {
            *epoch += 1;
            walks.rebuild(&graph, streams, *epoch);
        }
        self.graph = Some(graph);
        self.popularity = Some(popularity);
    }

    /// The co-follow walk segments of the current index, when asked for.
    pub fn walks(&self) -> Option<&CoFollowWalks> {
        self.walks.as_ref().map(|(w, _, _)| w)
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

    #[test]
    fn rebuilds_merge_batches_like_building_from_scratch() {
        let spec = WorldSpec {
            accounts: Some(800),
            benign_communities: 4,
            ..WorldSpec::default()
        };
        let w = crate::world::generate(&spec, 30, &SeedTree::new(3), 0);
        let mut live = LiveGraph::new();
        let mut all: Vec<(AccountId, AccountId)> = (0..800u32)
            .flat_map(|a| {
                w.graph()
                    .followees(AccountId(a))
                    .iter()
                    .map(move |&b| (AccountId(a), b))
            })
            .collect();
        // Three batches, the later ones following accounts the earlier ones made popular.
        for batch in 0..3u32 {
            for i in 0..200u32 {
                let (a, b) = (
                    AccountId((i * 37 + batch) % 800),
                    AccountId((i % 7) * 3 + batch),
                );
                if live.follow(&w, a, b) {
                    all.push((a, b));
                }
            }
            live.rebuild(&w);
            assert!(!live.pending());
            let expected = FollowGraph::from_edges(800, &all);
            let g = live.graph().expect("rebuilt");
            assert_eq!(g, &expected, "batch {batch}");
            let mut order: Vec<AccountId> = (0..800u32).map(AccountId).collect();
            order.sort_by(|a, b| {
                g.followers(*b)
                    .len()
                    .cmp(&g.followers(*a).len())
                    .then(a.cmp(b))
            });
            assert_eq!(live.popularity().unwrap(), &order[..], "batch {batch}");
        }
        assert_eq!(live.added_edges(), all.len() - w.graph().edges());
    }
}
