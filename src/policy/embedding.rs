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
        // Uniform draws over the union of the nearest clusters, scored by the dot product.
        for _ in 0..2 * limit {
            let mut i = rng.random_range(0..total);
            for &(_, c) in near.iter() {
                let members = view.cluster_members(CommunityId(c));
                if i < members.len() {
                    let account = members[i];
                    if !viewer.follows(account) {
                        out.push(Candidate {
                            account,
                            score: dot(viewer.estimate, view.content(account)),
                        });
                    }
                    break;
                }
                i -= members.len();
            }
        }
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
