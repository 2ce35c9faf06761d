//! Embedding: the platform's estimated profile of the viewer dotted with account content, over
//! candidates drawn from the content clusters nearest to that estimate.

use super::{Candidate, Policy, Scratch};
use crate::ids::CommunityId;
use crate::platform::{PlatformView, Viewer};
use crate::rng::SimRng;
use crate::world::dot;
use rand::RngExt;

/// The embedding policy.
#[derive(Clone, Copy, Debug)]
pub struct Embedding {
    clusters: usize,
}

impl Embedding {
    /// An embedding policy drawing candidates from the `clusters` nearest clusters.
    pub fn new(clusters: usize) -> Self {
        Self { clusters }
    }
}

impl Policy for Embedding {
    fn name(&self) -> &str {
        "embedding"
    }

    fn generate(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        limit: usize,
        rng: &mut SimRng,
        scratch: &mut Scratch,
        out: &mut Vec<Candidate>,
    ) {
        let near = &mut scratch.clusters;
        near.clear();
        near.extend(
            (0..view.clusters() as u32)
                .map(|c| (dot(viewer.estimate, view.cluster_mean(CommunityId(c))), c)),
        );
        near.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        near.truncate(self.clusters);
        let total: usize = near
            .iter()
            .map(|&(_, c)| view.cluster_members(CommunityId(c)).len())
            .sum();
        if total == 0 {
            return;
        }
        // Uniform draws over the union of the nearest clusters, scored by the dot product. All
        // positions are drawn first (the same numbers, in the same order, as drawing and scoring
        // one at a time), then de-duplicated, so each distinct account is scored once: the
        // pipeline keeps one copy of an account with its best score, and copies score the same.
        let positions = &mut scratch.positions;
        positions.clear();
        positions.extend((0..2 * limit).map(|_| rng.random_range(0..total) as u32));
        let words = total.div_ceil(64);
        if words <= 4 * positions.len() {
            // Small union: a bit set, read back in order.
            let seen = &mut scratch.seen;
            seen.clear();
            seen.resize(words, 0);
            for &p in positions.iter() {
                seen[p as usize / 64] |= 1 << (p % 64);
            }
            positions.clear();
            for (w, &bits) in seen.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    positions.push((w * 64) as u32 + bits.trailing_zeros());
                    bits &= bits - 1;
                }
            }
        } else {
            positions.sort_unstable();
            positions.dedup();
        }
        // Positions are sorted: walk the clusters once.
        let mut cluster = 0;
        let mut base = 0;
        for &p in positions.iter() {
            let mut members = view.cluster_members(CommunityId(near[cluster].1));
            while p as usize >= base + members.len() {
                base += members.len();
                cluster += 1;
                members = view.cluster_members(CommunityId(near[cluster].1));
            }
            let account = members[p as usize - base];
            if !viewer.follows(account) {
                out.push(Candidate {
                    account,
                    score: dot(viewer.estimate, view.content(account)),
                });
            }
        }
    }

    fn generates_unique_accounts(&self) -> bool {
        // Positions are de-duplicated before scoring, and distinct positions of the union of
        // distinct clusters are distinct accounts.
        true
    }

    fn score(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        candidates: &mut [Candidate],
        _rng: &mut SimRng,
        _scratch: &mut Scratch,
    ) {
        for c in candidates {
            c.score = dot(viewer.estimate, view.content(c.account));
        }
    }
}
