//! Hybrid: a weighted blend of component policies by rank fusion. Each component ranks its own
//! candidates; a candidate at rank `r` of `n` earns `weight * (1 - r / n)` from that component,
//! and the contributions add up, in component order. Rank fusion makes components with incomparable score scales
//! (counts, dot products, log-popularity) blend sensibly.

use super::fusion::{fuse_all, fuse_top, keys_of};
use super::{rank, Candidate, IdTable, Policy, Scratch};
use crate::platform::{PlatformView, Viewer};
use crate::rng::SimRng;

/// The hybrid policy.
pub struct Hybrid {
    components: Vec<(f32, Box<dyn Policy>)>,
    /// The components' weights, in order.
    weights: Vec<f32>,
}

impl Hybrid {
    /// A blend of `(weight, policy)` components.
    pub fn new(components: Vec<(f32, Box<dyn Policy>)>) -> Self {
        let weights = components.iter().map(|(w, _)| *w).collect();
        Self {
            components,
            weights,
        }
    }

    /// Runs every component's source in order and returns the ranking keys of their
    /// candidates (each component's accounts merged to their best score), one component
    /// after the other, and where each component's keys end. The buffers are the scratch's,
    /// to be given back.
    fn component_keys(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        limit: usize,
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) -> (Vec<u64>, Vec<usize>) {
        let mut component = std::mem::take(&mut scratch.component);
        let mut keys = std::mem::take(&mut scratch.hybrid_keys);
        let mut ends = std::mem::take(&mut scratch.hybrid_ends);
        keys.clear();
        ends.clear();
        for (_, policy) in &self.components {
            component.clear();
            policy.generate(view, viewer, limit, rng, scratch, &mut component);
            if !policy.generates_unique_accounts() {
                super::dedup_best(&mut component);
            }
            keys_of(&component, &mut keys);
            ends.push(keys.len());
        }
        scratch.component = component;
        (keys, ends)
    }
}

/// Converts ranked candidates into rank-fusion contributions.
fn contributions(weight: f32, ranked: &[Candidate], out: &mut Vec<Candidate>) {
    let n = ranked.len().max(1) as f32;
    out.extend(ranked.iter().enumerate().map(|(r, c)| Candidate {
        account: c.account,
        score: weight * (1.0 - r as f32 / n),
    }));
}

/// Sums contributions per account in place, in the order given (component order), keeping each
/// account once, at its first appearance; `table` maps accounts to their place.
fn sum_by_account(fused: &mut Vec<Candidate>, table: &mut IdTable) {
    table.reset(fused.len());
    let mut w = 0;
    for r in 0..fused.len() {
        let c = fused[r];
        let (slot, new) = table.insert(c.account.0);
        if new {
            // `w <= r`: the kept candidates are written over ones already read.
            *table.value_mut(slot) = w as u32;
            fused[w] = c;
            w += 1;
        } else {
            fused[table.value(slot) as usize].score += c.score;
        }
    }
    fused.truncate(w);
}

impl Policy for Hybrid {
    fn name(&self) -> &str {
        "hybrid"
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
        let (mut keys, mut ends) = self.component_keys(view, viewer, limit, rng, scratch);
        fuse_all(&self.weights, &mut keys, &ends, &mut scratch.fusion, out);
        keys.clear();
        ends.clear();
        (scratch.hybrid_keys, scratch.hybrid_ends) = (keys, ends);
    }

    fn generate_top(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        limit: usize,
        keep: usize,
        rng: &mut SimRng,
        scratch: &mut Scratch,
        out: &mut Vec<Candidate>,
    ) {
        // Only the best `keep` of the fusion: the threshold algorithm ranks as little of each
        // component as it needs (`fusion`), with the same result as ranking everything.
        let (mut keys, mut ends) = self.component_keys(view, viewer, limit, rng, scratch);
        fuse_top(
            &self.weights,
            &mut keys,
            &ends,
            keep,
            &mut scratch.fusion,
            out,
        );
        keys.clear();
        ends.clear();
        (scratch.hybrid_keys, scratch.hybrid_ends) = (keys, ends);
    }

    fn generates_unique_accounts(&self) -> bool {
        // The fused list is summed per account, so each account appears once.
        true
    }

    fn score(
        &self,
        view: &PlatformView<'_>,
        viewer: &Viewer<'_>,
        candidates: &mut [Candidate],
        rng: &mut SimRng,
        scratch: &mut Scratch,
    ) {
        let mut component = std::mem::take(&mut scratch.component);
        let mut fused = std::mem::take(&mut scratch.fused);
        fused.clear();
        for (weight, policy) in &self.components {
            component.clear();
            component.extend_from_slice(candidates);
            policy.score(view, viewer, &mut component, rng, scratch);
            rank(&mut component, &mut scratch.keys);
            contributions(*weight, &component, &mut fused);
        }
        sum_by_account(&mut fused, &mut scratch.table);
        for c in candidates.iter_mut() {
            c.score = scratch
                .table
                .get(c.account.0)
                .map_or(0.0, |i| fused[i].score);
        }
        scratch.component = component;
        scratch.fused = fused;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;

    #[test]
    fn top_of_the_fusion_is_the_top_of_everything_generated() {
        use crate::platform::Labels;
        use crate::rng::{SeedTree, StreamId};
        use crate::scenario::spec::{
            CoFollowSpec, EmbeddingSpec, HybridComponentSpec, HybridSpec, PolicySpec, WorldSpec,
        };
        use rand::RngExt;
        let spec = WorldSpec {
            accounts: Some(3000),
            benign_communities: 6,
            ..WorldSpec::default()
        };
        let world = crate::world::generate(&spec, 40, &SeedTree::new(3), 0);
        let labels = Labels::none(world.accounts(), world.terms());
        let view = PlatformView::new(&world, &labels);
        let component = |weight: f64, policy: PolicySpec| HybridComponentSpec { weight, policy };
        let hybrid = PolicySpec::Hybrid(HybridSpec {
            components: vec![
                component(1.0, PolicySpec::CoFollow(CoFollowSpec::default())),
                component(0.5, PolicySpec::Embedding(EmbeddingSpec::default())),
                component(0.0, PolicySpec::Embedding(EmbeddingSpec { clusters: 1 })),
            ],
        })
        .build();
        let mut scratch = Scratch::default();
        for (i, a) in (0..3000u32).step_by(37).map(AccountId).enumerate() {
            let estimate = world.content(a).to_vec();
            let viewer = Viewer {
                followees: world.graph().followees(a),
                last_followed: None,
                estimate: &estimate,
            };
            for keep in [1, 5, 10, 50, 400] {
                let tree = SeedTree::new(i as u64);
                let (mut r1, mut r2) = (
                    tree.stream(0, StreamId::Policy),
                    tree.stream(0, StreamId::Policy),
                );
                let mut all = Vec::new();
                hybrid.generate(&view, &viewer, 50, &mut r1, &mut scratch, &mut all);
                super::super::rank_top(&mut all, keep, &mut Vec::new());
                let mut top = Vec::new();
                hybrid.generate_top(&view, &viewer, 50, keep, &mut r2, &mut scratch, &mut top);
                let bits = |c: &[Candidate]| -> Vec<(u32, u32)> {
                    c.iter().map(|c| (c.account.0, c.score.to_bits())).collect()
                };
                assert_eq!(bits(&top), bits(&all), "account {a:?}, keep {keep}");
                assert_eq!(r1.random::<u64>(), r2.random::<u64>(), "same draws");
            }
        }
    }

    #[test]
    fn sums_contributions() {
        let mut f = vec![
            Candidate {
                account: AccountId(2),
                score: 1.0,
            },
            Candidate {
                account: AccountId(1),
                score: 0.5,
            },
            Candidate {
                account: AccountId(2),
                score: 0.25,
            },
        ];
        sum_by_account(&mut f, &mut IdTable::default());
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].account, f[0].score), (AccountId(2), 1.25));
        assert_eq!((f[1].account, f[1].score), (AccountId(1), 0.5));
    }
}
