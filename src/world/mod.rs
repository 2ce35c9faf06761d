//! The simulated world: ordinary accounts (struct-of-arrays, `u32` ids), their communities,
//! content and latent interests, the follow graph (CSR) and the search-term vocabulary.
//!
//! The world holds two kinds of state, kept apart on purpose:
//! - what a platform could observe (content vectors, the graph, tags, activity, clusters of
//!   similar content): exposed to policies through [`crate::platform::PlatformView`];
//! - the ground truth ([`GroundTruth`]: latent interests, which cluster is flagged, which terms
//!   are flagged): used only to generate behaviour and to measure, never shown to a policy.

pub mod export;
pub mod generate;
pub mod graph;
pub(crate) mod index;
pub mod load;
pub(crate) mod prefetch;
pub mod rows;
pub mod transposed;

use crate::ids::{AccountId, CommunityId, TermId};
use graph::{Csr, FollowGraph};
use ndarray::Array2;
pub use rows::Rows;
pub use transposed::{Centroids, Transposed};

pub use generate::generate;
pub(crate) use generate::hops_to;
pub use load::WorldError;

/// The role of a community in the ground truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommunityKind {
    /// An ordinary topic community.
    Benign,
    /// A community whose content lies between a benign topic and the flagged cluster.
    Adjacent,
    /// The flagged cluster.
    Flagged,
}

/// Ground truth: what the simulation knows and the platform does not.
#[derive(Clone, Debug)]
pub struct GroundTruth {
    kinds: Vec<CommunityKind>,
    parent: Vec<Option<CommunityId>>,
    flagged_account: Vec<bool>,
    flagged_term: Vec<bool>,
    latent: Rows,
    flagged_centroid: Vec<f32>,
    hops_to_flagged: Vec<u16>,
}

/// Hop count meaning "no path to the flagged cluster".
pub const UNREACHABLE: u16 = u16::MAX;

impl GroundTruth {
    /// Kind of each community.
    pub fn community_kind(&self, c: CommunityId) -> CommunityKind {
        self.kinds[c.index()]
    }

    /// The benign community whose content an adjacent community leans toward (`None` for
    /// benign communities and the flagged cluster).
    pub fn adjacent_parent(&self, c: CommunityId) -> Option<CommunityId> {
        self.parent[c.index()]
    }

    /// Whether an account belongs to the flagged cluster.
    #[inline]
    pub fn is_flagged(&self, a: AccountId) -> bool {
        self.flagged_account[a.index()]
    }

    /// Whether a term is a flagged term.
    #[inline]
    pub fn is_flagged_term(&self, t: TermId) -> bool {
        self.flagged_term[t.index()]
    }

    /// Latent interest vector of an account (unit norm).
    pub fn latent(&self, a: AccountId) -> &[f32] {
        self.latent.row(a.index())
    }

    /// Unit-norm centroid of the flagged cluster's content.
    pub fn flagged_centroid(&self) -> &[f32] {
        &self.flagged_centroid
    }

    /// Follow-graph hops from an account to the nearest flagged account (0 for flagged accounts,
    /// [`UNREACHABLE`] when there is no path).
    #[inline]
    pub fn hops_to_flagged(&self, a: AccountId) -> u16 {
        self.hops_to_flagged[a.index()]
    }

    /// Communities of a kind, in id order.
    pub fn communities_of(&self, kind: CommunityKind) -> Vec<CommunityId> {
        (0..self.kinds.len() as u32)
            .map(CommunityId)
            .filter(|c| self.kinds[c.index()] == kind)
            .collect()
    }

    /// Number of flagged accounts.
    pub fn flagged_accounts(&self) -> usize {
        self.flagged_account.iter().filter(|&&f| f).count()
    }
}

/// A generated or loaded world. Built once per replicate and shared, read-only, by every arm.
#[derive(Clone, Debug)]
pub struct World {
    dims: usize,
    community: Vec<CommunityId>,
    content: Rows,
    /// `content` again, rows in the order of the flat members array (cluster by cluster), as
    /// an inverted-file (IVF) vector index stores them: a draw from a cluster reads its
    /// member's id and vector at the same position, without a dependent lookup.
    member_content: Rows,
    /// `member_content` again, transposed for scoring one vector against a run of positions
    /// ([`World::member_dots`]); only for worlds whose table is at most
    /// [`index::TRANSPOSED_MEMBERS_BYTES`] (dense scoring needs clusters smaller than a pool, which
    /// larger worlds do not have in practice), so that a large world does not hold it twice.
    member_blocks: Option<Transposed>,
    activity: Vec<f32>,
    graph: FollowGraph,
    members: Csr<AccountId>,
    cluster_means: Array2<f32>,
    /// Per cluster, an upper bound on the distance of its members' content from its mean
    /// (`cluster_means`): no member of `c` scores more than `dot(x, mean) + |x| radius`.
    cluster_radius: Vec<f32>,
    /// `cluster_means` again, transposed for scoring a vector against every cluster at once.
    centroids: Centroids,
    tags: Csr<TermId>,
    term_postings: Csr<AccountId>,
    by_popularity: Vec<AccountId>,
    truth: GroundTruth,
}

impl World {
    /// Number of ordinary accounts.
    pub fn accounts(&self) -> usize {
        self.community.len()
    }

    /// Dimensions of content and interest vectors.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of communities (benign, adjacent and the flagged cluster).
    pub fn communities(&self) -> usize {
        self.members.rows()
    }

    /// Number of terms in the vocabulary.
    pub fn terms(&self) -> usize {
        self.term_postings.rows()
    }

    /// Community (content cluster) of an account.
    #[inline]
    pub fn community(&self, a: AccountId) -> CommunityId {
        self.community[a.index()]
    }

    /// Unit-norm content vector of an account.
    #[inline]
    pub fn content(&self, a: AccountId) -> &[f32] {
        self.content.row(a.index())
    }

    /// Hints the CPU to load every cache line of an account's content vector.
    #[inline]
    pub fn prefetch_content(&self, a: AccountId) {
        self.content.prefetch(a.index());
    }

    /// Hints the CPU to load an account's activity (a no-op when the table fits in cache).
    #[inline]
    pub fn prefetch_activity(&self, a: AccountId) {
        if self.activity.len() > 1 << 16 {
            if let Some(x) = self.activity.get(a.index()) {
                graph::prefetch(x);
            }
        }
    }

    /// Probability that an account posts in a step.
    #[inline]
    pub fn activity(&self, a: AccountId) -> f32 {
        self.activity[a.index()]
    }

    /// The follow graph among ordinary accounts.
    pub fn graph(&self) -> &FollowGraph {
        &self.graph
    }

    /// Where a community's members start in the flat members array, and how many there are:
    /// member `i` of community `c` is [`World::member_at`]`(start + i)`, and its content is
    /// [`World::member_content`]`(start + i)`.
    #[inline]
    pub fn member_span(&self, c: CommunityId) -> (usize, usize) {
        self.members.span(c.index())
    }

    /// The account at a position of the flat members array.
    #[inline]
    pub fn member_at(&self, p: usize) -> AccountId {
        self.members.target(p)
    }

    /// The account at a position of the flat members array, as a one-item slice.
    pub(crate) fn member_slice(&self, p: usize) -> &[AccountId] {
        self.members.target_slice(p)
    }

    /// Content of the account at a position of the flat members array (a contiguous copy in
    /// cluster order: see the field's doc).
    #[inline]
    pub fn member_content(&self, p: usize) -> &[f32] {
        self.member_content.row(p)
    }

    /// The accounts at positions `range` of the flat members array (adjacent communities are
    /// adjacent in it).
    #[inline]
    pub fn members_at(&self, range: std::ops::Range<usize>) -> &[AccountId] {
        self.members.targets(range)
    }

    /// The dot products of `x` with `member_content(p)` for the positions `p` of `range`, as
    /// a slice of `out` (a scratch buffer that grows): a transposed kernel scoring sixteen
    /// rows at once where the world keeps the transposed copy, one [`dot`] per row otherwise,
    /// with the same bits either way.
    #[inline]
    pub fn member_dots<'o>(
        &self,
        x: &[f32],
        range: std::ops::Range<usize>,
        out: &'o mut Vec<f32>,
    ) -> &'o [f32] {
        match &self.member_blocks {
            Some(blocks) => blocks.dots(x, range, out),
            None => {
                out.clear();
                out.extend(range.map(|p| dot(x, self.member_content.row(p))));
                out
            }
        }
    }

    /// Hints the CPU to load the id and content at a position of the flat members array.
    #[inline]
    pub fn prefetch_member(&self, p: usize) {
        self.members.prefetch_target(p);
        self.member_content.prefetch(p);
    }

    /// Members of a community, sorted by id.
    pub fn members(&self, c: CommunityId) -> &[AccountId] {
        self.members.row(c.index())
    }

    /// Unit-norm mean content of a community.
    pub fn cluster_mean(&self, c: CommunityId) -> &[f32] {
        self.cluster_means.row(c.index()).to_slice().unwrap_or(&[])
    }

    /// An upper bound on the distance of any member's content from the cluster's mean
    /// ([`World::cluster_mean`]), rounded up.
    #[inline]
    pub fn cluster_radius(&self, c: CommunityId) -> f32 {
        self.cluster_radius[c.index()]
    }

    /// The cluster means laid out for scoring one vector against all of them
    /// ([`Centroids::similarities`]).
    pub fn centroids(&self) -> &Centroids {
        &self.centroids
    }

    /// Terms an account tags its content with.
    #[inline]
    pub fn tags(&self, a: AccountId) -> &[TermId] {
        self.tags.row(a.index())
    }

    /// Accounts tagged with a term, most followed first (ties by id).
    #[inline]
    pub fn term_postings(&self, t: TermId) -> &[AccountId] {
        self.term_postings.row(t.index())
    }

    /// Terms owned by a community (its accounts' own tags): a contiguous id range.
    pub fn community_terms(&self, c: CommunityId) -> std::ops::Range<u32> {
        let per = (self.terms() / self.communities().max(1)) as u32;
        c.0 * per..(c.0 + 1) * per
    }

    /// All accounts, most followed first (ties by id).
    pub fn by_popularity(&self) -> &[AccountId] {
        &self.by_popularity
    }

    /// The ground truth (for behaviour and measurement only).
    pub fn truth(&self) -> &GroundTruth {
        &self.truth
    }

    /// Heap bytes held by the world (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        let n = self.accounts();
        self.graph.heap_bytes()
            + self.members.heap_bytes()
            + self.tags.heap_bytes()
            + self.term_postings.heap_bytes()
            + self.content.heap_bytes() // content
            + self.member_content.heap_bytes() // its copy in cluster order
            + self.member_blocks.as_ref().map_or(0, Transposed::heap_bytes) // and transposed
            + self.truth.latent.heap_bytes()
            + n * (4 + 4 + 4 + 1 + 2) // community, activity, popularity, flag, hops
            + self.cluster_means.len() * 4
            + self.cluster_radius.len() * 4
            + self.centroids.heap_bytes()
    }
}

/// Normalises a vector to unit length in place (leaves a zero vector unchanged).
pub fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Moves a unit vector a share `rate` of the way toward `target` and renormalises.
pub fn blend(v: &mut [f32], target: &[f32], rate: f32) {
    v.iter_mut()
        .zip(target)
        .for_each(|(x, t)| *x += rate * (t - *x));
    normalize(v);
}

/// Dot product in a fixed order: eight running sums over the lanes `i mod 8` (one SIMD register,
/// which the compiler vectorises without reassociating anything), combined pairwise, then the
/// tail in index order. The order depends only on the length, so results are the same on every
/// thread count and platform.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::dot;

    #[test]
    fn member_dots_give_the_same_bits_with_and_without_the_transposed_copy() {
        let spec = crate::scenario::spec::WorldSpec {
            accounts: Some(300),
            ..Default::default()
        };
        let world = super::generate(&spec, 10, &crate::rng::SeedTree::new(2), 0);
        let blocks = world
            .member_blocks
            .as_ref()
            .expect("a small world keeps the copy");
        // The memory estimate counts exactly what the copy holds.
        assert_eq!(
            blocks.heap_bytes() as u64,
            crate::estimate::transposed_members_bytes(300, world.dims() as u64)
        );
        assert_eq!(crate::estimate::transposed_members_bytes(1_000_000, 16), 0);
        let mut plain = world.clone();
        plain.member_blocks = None;
        let x = world.content(crate::ids::AccountId(5)).to_vec();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for range in [0..0, 0..300, 17..18, 33..250] {
            let with = world.member_dots(&x, range.clone(), &mut a).to_vec();
            let without = plain.member_dots(&x, range.clone(), &mut b).to_vec();
            let want: Vec<u32> = range
                .map(|p| dot(&x, world.member_content(p)).to_bits())
                .collect();
            assert_eq!(with.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
            assert_eq!(
                without.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want
            );
        }
    }

    #[test]
    fn dot_matches_naive_sum() {
        for n in [0usize, 1, 7, 8, 9, 16, 20, 33] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            assert!((f64::from(dot(&a, &b)) - naive).abs() < 1e-5, "n = {n}");
        }
    }
}
