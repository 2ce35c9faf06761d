//! Hybrid: a weighted blend of component policies by rank fusion. Each component ranks its own
//! candidates; a candidate at rank `r` of `n` earns `weight * (1 - r / n)` from that component,
//! and the contributions add up, in component order. Rank fusion makes components with incomparable score scales
//! (counts, dot products, log-popularity) blend sensibly.

use super::fusion::{fuse_all, fuse_top, keys_of, FusionScratch};
use super::{Candidate, Context, Policy, Scratch};

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

    /// Runs every component's source in order and hands `fuse` the ranking keys of their
    /// candidates (each component's accounts merged to their best score), one component after
    /// the other, and where each component's keys end.
    fn fuse_components(
        &self,
        cx: &mut Context<'_>,
        fuse: impl FnOnce(&[f32], &mut [u64], &[usize], &mut FusionScratch),
    ) {
        let mut component = std::mem::take(&mut cx.scratch.component);
        let mut keys = std::mem::take(&mut cx.scratch.hybrid_keys);
        let mut ends = std::mem::take(&mut cx.scratch.hybrid_ends);
        keys.clear();
        ends.clear();
        for (_, policy) in &self.components {
            component.clear();
            policy.generate(cx, &mut component);
            if !policy.generates_unique_accounts() {
                super::dedup_best(&mut component);
            }
            keys_of(&component, &mut keys);
            ends.push(keys.len());
        }
        let scratch: &mut Scratch = cx.scratch;
        fuse(&self.weights, &mut keys, &ends, &mut scratch.fusion);
        (scratch.component, scratch.hybrid_keys, scratch.hybrid_ends) = (component, keys, ends);
    }
}

impl Policy for Hybrid {
    fn name(&self) -> &str {
        "hybrid"
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        self.fuse_components(cx, |w, keys, ends, fusion| {
            fuse_all(w, keys, ends, fusion, out)
        });
    }

    fn generate_top(&self, cx: &mut Context<'_>, keep: usize, out: &mut Vec<Candidate>) {
        // Only the best `keep` of the fusion, ranking only the top of each component
        // (`fusion`), with the same result as ranking everything.
        self.fuse_components(cx, |w, keys, ends, fusion| {
            fuse_top(w, keys, ends, keep, fusion, out)
        });
    }

    fn generates_unique_accounts(&self) -> bool {
        // The fused list is summed per account, so each account appears once.
        true
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        // Each component scores (and so ranks) the same candidates; their fused score is
        // looked up by account.
        let mut component = std::mem::take(&mut cx.scratch.component);
        let mut keys = std::mem::take(&mut cx.scratch.hybrid_keys);
        let mut ends = std::mem::take(&mut cx.scratch.hybrid_ends);
        let mut fused = std::mem::take(&mut cx.scratch.fused);
        keys.clear();
        ends.clear();
        fused.clear();
        for (_, policy) in &self.components {
            component.clear();
            component.extend_from_slice(candidates);
            policy.score(cx, &mut component);
            keys_of(&component, &mut keys);
            ends.push(keys.len());
        }
        let scratch: &mut Scratch = cx.scratch;
        fuse_all(
            &self.weights,
            &mut keys,
            &ends,
            &mut scratch.fusion,
            &mut fused,
        );
        for c in candidates.iter_mut() {
            c.score = scratch
                .fusion
                .place(c.account)
                .map_or(0.0, |i| fused[i].score);
        }
        (
            scratch.component,
            scratch.hybrid_keys,
            scratch.hybrid_ends,
            scratch.fused,
        ) = (component, keys, ends, fused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;
    use crate::platform::{PlatformView, Viewer};
    use crate::policy::Surface;

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
                hybrid.generate(
                    &mut Context::new(
                        &view,
                        &viewer,
                        Surface::SuggestedAccounts,
                        50,
                        &mut r1,
                        &mut scratch,
                    ),
                    &mut all,
                );
                super::super::rank_top(&mut all, keep, &mut Vec::new());
                let mut top = Vec::new();
                hybrid.generate_top(
                    &mut Context::new(
                        &view,
                        &viewer,
                        Surface::SuggestedAccounts,
                        50,
                        &mut r2,
                        &mut scratch,
                    ),
                    keep,
                    &mut top,
                );
                let bits = |c: &[Candidate]| -> Vec<(u32, u32)> {
                    c.iter().map(|c| (c.account.0, c.score.to_bits())).collect()
                };
                assert_eq!(bits(&top), bits(&all), "account {a:?}, keep {keep}");
                assert_eq!(r1.random::<u64>(), r2.random::<u64>(), "same draws");
            }
        }
    }

    #[test]
    fn scores_are_the_summed_rank_contributions() {
        use crate::platform::Labels;
        use crate::rng::{SeedTree, StreamId};
        use crate::scenario::spec::{
            EmbeddingSpec, HybridComponentSpec, HybridSpec, PolicySpec, WorldSpec,
        };
        let spec = WorldSpec {
            accounts: Some(1000),
            benign_communities: 4,
            ..WorldSpec::default()
        };
        let world = crate::world::generate(&spec, 20, &SeedTree::new(8), 0);
        let labels = Labels::none(world.accounts(), world.terms());
        let view = PlatformView::new(&world, &labels);
        let (popular, embedding) = (
            PolicySpec::Popularity(Default::default()),
            PolicySpec::Embedding(EmbeddingSpec::default()),
        );
        let hybrid = PolicySpec::Hybrid(HybridSpec {
            components: vec![
                HybridComponentSpec {
                    weight: 1.0,
                    policy: popular.clone(),
                },
                HybridComponentSpec {
                    weight: 0.5,
                    policy: embedding.clone(),
                },
            ],
        })
        .build();
        let viewer_account = AccountId(7);
        let estimate = world.content(viewer_account).to_vec();
        let viewer = Viewer {
            followees: world.graph().followees(viewer_account),
            last_followed: None,
            estimate: &estimate,
        };
        // A feed-like candidate set: some accounts, in no particular order.
        let mut candidates: Vec<Candidate> = (0..40u32)
            .map(|i| Candidate {
                account: AccountId(i * 23 % 1000),
                score: 0.0,
            })
            .collect();
        let mut rng = SeedTree::new(1).stream(0, StreamId::Policy);
        let mut scratch = Scratch::default();
        hybrid.score(
            &mut Context::new(&view, &viewer, Surface::Feed, 40, &mut rng, &mut scratch),
            &mut candidates,
        );
        // The reference: each component's ranks, weight * (1 - r / n), summed in order.
        let rank_of = |policy: &PolicySpec| {
            let mut c: Vec<Candidate> = candidates.clone();
            let (mut rng, mut scratch) = (rng.clone(), Scratch::default());
            policy.build().score(
                &mut Context::new(&view, &viewer, Surface::Feed, 40, &mut rng, &mut scratch),
                &mut c,
            );
            c.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.account.cmp(&b.account)));
            c.iter().map(|x| x.account).collect::<Vec<_>>()
        };
        let (r1, r2) = (rank_of(&popular), rank_of(&embedding));
        for c in &candidates {
            let p1 = r1.iter().position(|&a| a == c.account).unwrap();
            let p2 = r2.iter().position(|&a| a == c.account).unwrap();
            let want = 1.0f32 * (1.0 - p1 as f32 / 40.0) + 0.5 * (1.0 - p2 as f32 / 40.0);
            assert_eq!(c.score.to_bits(), want.to_bits(), "{:?}", c.account);
        }
    }
}
