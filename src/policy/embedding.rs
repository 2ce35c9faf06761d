//! Embedding: the platform's estimated profile of the viewer dotted with account content, over
//! candidates drawn from the content clusters nearest to that estimate.

use super::{Candidate, Policy, Scratch};
use crate::ids::{AccountId, CommunityId};
use crate::platform::{PlatformView, Viewer};
use crate::rng::{index, SimRng};
use crate::world::dot;
use crate::world::graph::{gather, AHEAD};

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
        view.cluster_similarities(viewer.estimate, near);
        // The nearest `clusters` in (similarity desc, cluster asc) order: select, then sort only
        // those (a total order, so the same as sorting all of them).
        let nearer = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if self.clusters == 0 {
            near.clear();
        } else if near.len() > self.clusters {
            near.select_nth_unstable_by(self.clusters - 1, nearer);
            near.truncate(self.clusters);
        }
        near.sort_unstable_by(nearer);
        // Where each cluster starts in the union of the nearest clusters.
        let starts = &mut scratch.starts;
        starts.clear();
        let mut total = 0usize;
        for &(_, c) in near.iter() {
            starts.push(total as u32);
            total += view.cluster_span(CommunityId(c)).1;
        }
        if total == 0 {
            return;
        }
        // Uniform draws over the union of the nearest clusters, scored by the dot product. All
        // positions are drawn first (the same numbers, in the same order, as drawing and scoring
        // one at a time), then de-duplicated, so each distinct account is scored once: the
        // pipeline keeps one copy of an account with its best score, and copies score the same.
        // Each distinct position is then turned into its place in the platform's
        // cluster-ordered index (ids and vectors side by side, as an inverted-file index stores
        // them), and the scoring pass gathers those with the reads of the next draws in flight.
        let positions = &mut scratch.positions;
        positions.clear();
        positions.extend((0..2 * limit).map(|_| index(rng, total) as u32));
        let span = |k: usize| view.cluster_span(CommunityId(near[k].1)).0;
        let words = total.div_ceil(64);
        if words <= 4 * positions.len() {
            // Small union: a bit set, read back in order, so the clusters are walked once.
            let seen = &mut scratch.seen;
            seen.clear();
            seen.resize(words, 0);
            for &p in positions.iter() {
                seen[p as usize / 64] |= 1 << (p % 64);
            }
            positions.clear();
            // `shift` turns a union position of cluster `k` into an index position.
            let (mut k, mut shift) = (0, span(0) as i64 - i64::from(starts[0]));
            for (w, &bits) in seen.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    let p = (w * 64) as u32 + bits.trailing_zeros();
                    while k + 1 < starts.len() && p >= starts[k + 1] {
                        k += 1;
                        shift = span(k) as i64 - i64::from(starts[k]);
                    }
                    // Index positions are below the number of accounts, which fits in u32.
                    positions.push((i64::from(p) + shift) as u32);
                    bits &= bits - 1;
                }
            }
        } else {
            // Large union: a hash table keeps the first copy of each draw, in draw order.
            let seen = &mut scratch.table;
            seen.reset(positions.len());
            let mut w = 0;
            for r in 0..positions.len() {
                let p = positions[r];
                if seen.insert(p).1 {
                    let k = starts.partition_point(|&s| s <= p) - 1;
                    positions[w] = (span(k) + (p - starts[k]) as usize) as u32;
                    w += 1;
                }
            }
            positions.truncate(w);
        }
        // Followed accounts are left out: a long followee list goes into a hash table first
        // (one probe per draw instead of a binary search).
        let followed = &mut scratch.followed;
        let long = viewer.followees.len() > 16;
        if long {
            followed.reset(viewer.followees.len());
            for f in viewer.followees {
                followed.insert(f.0);
            }
        }
        let follows = |a: AccountId| {
            if long {
                followed.get(a.0).is_some()
            } else {
                viewer.follows(a)
            }
        };
        gather(
            positions,
            |at| view.prefetch_indexed(at as usize),
            |at| {
                let account = view.indexed_account(at as usize);
                if !follows(account) {
                    out.push(Candidate {
                        account,
                        score: dot(viewer.estimate, view.indexed_content(at as usize)),
                    });
                }
            },
        );
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
        for c in candidates.iter().take(AHEAD) {
            view.prefetch_content(c.account);
        }
        for i in 0..candidates.len() {
            if let Some(ahead) = candidates.get(i + AHEAD) {
                view.prefetch_content(ahead.account);
            }
            let c = &mut candidates[i];
            c.score = dot(viewer.estimate, view.content(c.account));
        }
    }
}
