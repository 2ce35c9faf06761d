//! Co-follow: accounts followed by people who follow what the viewer follows, the mechanism the
//! investigations pointed at. Scores are estimated by sampling two-hop paths
//! viewer -> followee <- follower -> candidate (a random-walk estimator, as large platforms do),
//! so the cost per request is fixed by `samples` whatever the degrees.

use super::{Candidate, Policy, Scratch};
use crate::platform::{PlatformView, Viewer};
use crate::rng::SimRng;
use rand::RngExt;

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

    /// Fills `scratch.samples` with the sorted endpoints of sampled paths.
    fn sample(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) {
        let out = &mut scratch.samples;
        out.clear();
        if viewer.followees.is_empty() {
            return;
        }
        for _ in 0..self.samples {
            let f = viewer.followees[rng.random_range(0..viewer.followees.len())];
            let followers = view.followers(f);
            if followers.is_empty() {
                continue;
            }
            let u = followers[rng.random_range(0..followers.len())];
            let next = view.followees(u);
            if next.is_empty() {
                continue;
            }
            out.push(next[rng.random_range(0..next.len())]);
        }
        out.sort_unstable();
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
        for run in scratch.samples.chunk_by(|a, b| a == b) {
            if !viewer.follows(run[0]) {
                out.push(Candidate {
                    account: run[0],
                    score: run.len() as f32,
                });
            }
        }
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
        let samples = &scratch.samples;
        for c in candidates {
            let lo = samples.partition_point(|a| *a < c.account);
            let hi = samples.partition_point(|a| *a <= c.account);
            // Co-follow count first, popularity as a tie-break within equal counts.
            c.score = (hi - lo) as f32 + 1e-3 * (view.follower_count(c.account) as f32).ln_1p();
        }
    }
}
