//! World generation from a [`WorldSpec`] and the seed tree.
//!
//! Order (each stage has its own stream, so changing one never shifts another):
//! 1. layout (stream `World`): community sizes (Zipf for benign, equal for adjacent, the flagged
//!    cluster as given), shuffled over account ids so ids reveal nothing;
//! 2. vectors (stream `World`, one sub-stream per chunk of accounts): centroids, content and
//!    latent interests around them, activity rates;
//! 3. graph (stream `Graph`, one sub-stream per chunk): a directed degree-corrected stochastic
//!    block model;
//! 4. terms (stream `Terms`, one sub-stream per chunk): each account's tags.
//!
//! Chunks are processed in parallel with rayon and concatenated in chunk order, so the world is
//! identical for any thread count.

use super::graph::{Csr, FollowGraph};
use super::index;
use super::{normalize, CommunityKind, GroundTruth, Rows, World, UNREACHABLE};
use crate::ids::{AccountId, CommunityId, TermId};
use crate::rng::{SeedTree, SimRng, StreamId};
use crate::scenario::spec::{GraphSpec, MixingSpec, WorldSpec};
use ndarray::Array2;
use rand::RngExt;
use rand_distr::{Distribution, Pareto, StandardNormal};
use rayon::prelude::*;
use std::collections::VecDeque;

/// Accounts per parallel chunk (and per random sub-stream).
const CHUNK: usize = 4096;

/// Which community every account belongs to, and what each community is.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Community of each account.
    pub community: Vec<CommunityId>,
    /// Kind of each community.
    pub kinds: Vec<CommunityKind>,
    /// For each adjacent community, the benign community its content leans toward.
    pub parent: Vec<Option<CommunityId>>,
}

impl Layout {
    /// Members of each community, sorted by id.
    pub fn members(&self) -> Csr<AccountId> {
        Csr::from_rows(self.community.iter().map(|&c| [c])).transpose(self.kinds.len())
    }
}

/// Generates the world of one replicate. `flagged` is the resolved flagged-cluster size; the
/// spec must have been validated.
pub fn generate(spec: &WorldSpec, flagged: usize, tree: &SeedTree, replicate: u32) -> World {
    let accounts = spec.accounts.unwrap_or(0) as usize;
    let mut rng = tree.stream(replicate, StreamId::World);
    let layout = layout(spec, accounts, flagged, &mut rng);
    let graph = sbm_graph(&spec.graph, &layout, tree, replicate);
    finish(spec, layout, graph, tree, replicate)
}

/// Community sizes and assignment.
fn layout(spec: &WorldSpec, accounts: usize, flagged: usize, rng: &mut SimRng) -> Layout {
    let benign = spec.benign_communities as usize;
    let adjacent = spec.adjacent_communities as usize;
    let rest = accounts - flagged;
    let adjacent_total = if adjacent > 0 {
        ((rest as f64 * spec.adjacent_fraction).round() as usize).max(2 * adjacent)
    } else {
        0
    };
    let benign_total = rest - adjacent_total;
    let zipf: Vec<f64> = (0..benign)
        .map(|k| ((k + 1) as f64).powf(-spec.community_size_exponent))
        .collect();
    let mut sizes = apportion(benign_total, &zipf, 2);
    sizes.extend(apportion(adjacent_total, &vec![1.0; adjacent], 2));
    sizes.push(flagged);
    let mut kinds = vec![CommunityKind::Benign; benign];
    kinds.extend(std::iter::repeat_n(CommunityKind::Adjacent, adjacent));
    kinds.push(CommunityKind::Flagged);
    let parent = kinds
        .iter()
        .enumerate()
        .map(|(c, k)| {
            (*k == CommunityKind::Adjacent).then(|| CommunityId(((c - benign) % benign) as u32))
        })
        .collect();
    let mut community: Vec<CommunityId> = sizes
        .iter()
        .enumerate()
        .flat_map(|(c, &s)| std::iter::repeat_n(CommunityId(c as u32), s))
        .collect();
    // Fisher-Yates: ids must not reveal communities.
    for i in (1..community.len()).rev() {
        let j = rng.random_range(0..=i);
        community.swap(i, j);
    }
    Layout {
        community,
        kinds,
        parent,
    }
}

/// Splits `total` into parts proportional to `weights` (largest remainder), each at least
/// `floor` when `total` allows it.
pub(crate) fn apportion(total: usize, weights: &[f64], floor: usize) -> Vec<usize> {
    if weights.is_empty() {
        return Vec::new();
    }
    let k = weights.len();
    let reserved = (floor * k).min(total);
    let base = reserved / k;
    let free = total - base * k;
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * free as f64).collect();
    let mut sizes: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut left = free - sizes.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        sizes[i] += 1;
        left -= 1;
    }
    sizes.iter().map(|s| s + base).collect()
}

/// Draws a random unit vector.
fn random_unit(dims: usize, rng: &mut SimRng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..dims).map(|_| StandardNormal.sample(rng)).collect();
    normalize(&mut v);
    v
}

/// Centroids: random unit vectors for benign communities and the flagged cluster; adjacent
/// centroids on the way from their benign parent to the flagged centroid.
fn centroids(spec: &WorldSpec, layout: &Layout, dims: usize, rng: &mut SimRng) -> Array2<f32> {
    let k = layout.kinds.len();
    let mut out = Array2::<f32>::zeros((k, dims));
    let flagged_centroid = random_unit(dims, rng);
    for c in 0..k {
        let v = match layout.kinds[c] {
            CommunityKind::Benign => random_unit(dims, rng),
            CommunityKind::Flagged => flagged_centroid.clone(),
            CommunityKind::Adjacent => random_unit(dims, rng), // placeholder, mixed below
        };
        out.row_mut(c).iter_mut().zip(&v).for_each(|(o, x)| *o = *x);
    }
    let m = spec.adjacent_mix as f32;
    for c in 0..k {
        if let Some(p) = layout.parent[c] {
            let mut v: Vec<f32> = out
                .row(p.index())
                .iter()
                .zip(&flagged_centroid)
                .map(|(b, f)| (1.0 - m) * b + m * f)
                .collect();
            normalize(&mut v);
            out.row_mut(c).iter_mut().zip(&v).for_each(|(o, x)| *o = *x);
        }
    }
    out
}

/// A unit vector scattered around `centre` with spread `noise`.
fn around(centre: &[f32], noise: f32, rng: &mut SimRng, out: &mut [f32]) {
    let scale = noise / (centre.len() as f32).sqrt();
    for (o, c) in out.iter_mut().zip(centre) {
        let z: f32 = StandardNormal.sample(rng);
        *o = c + scale * z;
    }
    normalize(out);
}

/// Vectors, terms and indices shared by generated and imported worlds.
pub(crate) fn finish(
    spec: &WorldSpec,
    layout: Layout,
    graph: FollowGraph,
    tree: &SeedTree,
    replicate: u32,
) -> World {
    let n = layout.community.len();
    let dims = spec.dims as usize;
    // Centroids get their own stream (the last agent stream), apart from the layout's.
    let mut rng = tree.agents(replicate, StreamId::World).agent(u64::MAX - 1);
    let centres = centroids(spec, &layout, dims, &mut rng);
    let flagged_c = layout
        .kinds
        .iter()
        .position(|k| *k == CommunityKind::Flagged)
        .unwrap_or(0);
    let flagged_centroid = centres.row(flagged_c).to_vec();

    let mut content = Rows::zeros(n, dims);
    let mut latent = Rows::zeros(n, dims);
    let mut activity = vec![0f32; n];
    let streams = tree.agents(replicate, StreamId::World);
    let (cn, inn) = (spec.content_noise as f32, spec.interest_noise as f32);
    let mean_act = spec.mean_activity.max(1e-9);
    let flagged_factor = spec.flagged_activity_factor as f32;
    content
        .as_slice_mut()
        .par_chunks_mut(CHUNK * dims)
        .zip(latent.as_slice_mut().par_chunks_mut(CHUNK * dims))
        .zip(activity.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(chunk, ((content, latent), activity))| {
            let mut rng = streams.agent(chunk as u64);
            for (i, act) in activity.iter_mut().enumerate() {
                let a = chunk * CHUNK + i;
                let c = layout.community[a];
                let centre = centres.row(c.index());
                let centre = centre.as_slice().unwrap_or(&[]);
                around(centre, cn, &mut rng, &mut content[i * dims..(i + 1) * dims]);
                around(centre, inn, &mut rng, &mut latent[i * dims..(i + 1) * dims]);
                // Log-normal activity with the requested mean (sigma = 1), capped at 1.
                let z: f64 = StandardNormal.sample(&mut rng);
                let mut x = (mean_act.ln() - 0.5 + z).exp() as f32;
                if layout.kinds[c.index()] == CommunityKind::Flagged {
                    x *= flagged_factor;
                }
                *act = x.clamp(0.0, 1.0);
            }
        });

    let members = layout.members();
    let cluster_means = index::cluster_means(&content, &members);

    let per = spec.terms.per_community;
    let vocabulary = layout.kinds.len() as u32 * per;
    let flagged_term: Vec<bool> = (0..vocabulary)
        .map(|t| layout.kinds[(t / per) as usize] == CommunityKind::Flagged)
        .collect();
    let tags = tags(spec, &layout, vocabulary, tree, replicate);
    let mut term_postings = tags.transpose(vocabulary as usize);
    let in_degree = |a: &AccountId| graph.followers(*a).len();
    for t in 0..vocabulary as usize {
        term_postings
            .row_mut(t)
            .sort_by(|a, b| in_degree(b).cmp(&in_degree(a)).then(a.cmp(b)));
    }
    let mut by_popularity: Vec<AccountId> = (0..n as u32).map(AccountId).collect();
    by_popularity.sort_by(|a, b| in_degree(b).cmp(&in_degree(a)).then(a.cmp(b)));

    let flagged_account: Vec<bool> = layout
        .community
        .iter()
        .map(|c| layout.kinds[c.index()] == CommunityKind::Flagged)
        .collect();
    let hops_to_flagged = hops_to(&graph, &flagged_account);
    let member_content = index::member_content(&content, &members);
    let member_blocks = index::member_blocks(&member_content);
    let cluster_radius = index::cluster_radii(&member_content, &members, &cluster_means);
    let centroids = super::Centroids::new(
        cluster_means.as_slice().unwrap_or(&[]),
        layout.kinds.len(),
        dims,
    );
    World {
        dims,
        community: layout.community,
        content,
        member_content,
        member_blocks,
        activity,
        graph,
        members,
        cluster_means,
        cluster_radius,
        centroids,
        tags,
        term_postings,
        by_popularity,
        truth: GroundTruth {
            kinds: layout.kinds,
            parent: layout.parent,
            flagged_account,
            flagged_term,
            latent,
            flagged_centroid,
            hops_to_flagged,
        },
    }
}

/// Each account's tags: terms of its own community; an adjacent account's tag is a flagged
/// term with probability `adjacent_flagged_tag_prob`; a benign account's tag is a term of
/// another non-flagged community with probability `stray_tag_prob`.
fn tags(
    spec: &WorldSpec,
    layout: &Layout,
    vocabulary: u32,
    tree: &SeedTree,
    replicate: u32,
) -> Csr<TermId> {
    let per = spec.terms.per_community;
    let flagged_c = layout
        .kinds
        .iter()
        .position(|k| *k == CommunityKind::Flagged)
        .unwrap_or(0) as u32;
    let communities = layout.kinds.len() as u32;
    let streams = tree.agents(replicate, StreamId::Terms);
    let chunks: Vec<Vec<Vec<TermId>>> = layout
        .community
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk, comms)| {
            let mut rng = streams.agent(chunk as u64);
            comms
                .iter()
                .map(|&c| {
                    let mut row: Vec<TermId> = (0..spec.terms.tags_per_account)
                        .map(|_| {
                            let own = TermId(c.0 * per + rng.random_range(0..per));
                            match layout.kinds[c.index()] {
                                CommunityKind::Adjacent
                                    if rng.random_bool(spec.terms.adjacent_flagged_tag_prob) =>
                                {
                                    TermId(flagged_c * per + rng.random_range(0..per))
                                }
                                CommunityKind::Benign
                                    if communities > 2
                                        && rng.random_bool(spec.terms.stray_tag_prob) =>
                                {
                                    let mut other = rng.random_range(0..communities - 1);
                                    if other >= flagged_c {
                                        other += 1;
                                    }
                                    if other == c.0
                                        && other + 1 < communities
                                        && other + 1 != flagged_c
                                    {
                                        other += 1;
                                    }
                                    TermId(
                                        (other * per + rng.random_range(0..per))
                                            .min(vocabulary - 1),
                                    )
                                }
                                _ => own,
                            }
                        })
                        .collect();
                    row.sort_unstable();
                    row.dedup();
                    row
                })
                .collect()
        })
        .collect();
    Csr::from_rows(chunks.into_iter().flatten())
}

/// Multi-source breadth-first search over in-edges from the flagged accounts: the number of
/// follow hops from each account to the nearest flagged account.
pub(crate) fn hops_to(graph: &FollowGraph, flagged: &[bool]) -> Vec<u16> {
    let mut dist = vec![UNREACHABLE; flagged.len()];
    let mut queue = VecDeque::new();
    for (a, &f) in flagged.iter().enumerate() {
        if f {
            dist[a] = 0;
            queue.push_back(AccountId(a as u32));
        }
    }
    while let Some(v) = queue.pop_front() {
        let next = dist[v.index()].saturating_add(1).min(UNREACHABLE - 1);
        for &u in graph.followers(v) {
            if dist[u.index()] == UNREACHABLE {
                dist[u.index()] = next;
                queue.push_back(u);
            }
        }
    }
    dist
}

/// One slot of an alias table: with probability `keep` the slot's own account, else its alias.
#[derive(Clone, Copy, Debug)]
struct AliasSlot {
    keep: f64,
    own: AccountId,
    alias: AccountId,
}

/// Target sampler of one community: a Walker-Vose alias table over its members, weighted by
/// degree propensity. A draw costs one random number and one memory access (the slot holds the
/// account ids themselves), which matters when 50 million edges each draw from tables of
/// hundreds of thousands of members.
struct BlockSampler {
    slots: Vec<AliasSlot>,
}

impl BlockSampler {
    /// Builds the table (serially, in member order, so it is the same on every thread count).
    fn new(members: &[AccountId], theta: &[f64]) -> Self {
        let m = members.len();
        let total: f64 = members.iter().map(|a| theta[a.index()]).sum();
        let mut scaled: Vec<f64> = members
            .iter()
            .map(|a| theta[a.index()] * m as f64 / total)
            .collect();
        let mut slots: Vec<AliasSlot> = members
            .iter()
            .map(|&a| AliasSlot {
                keep: 1.0,
                own: a,
                alias: a,
            })
            .collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..m).partition(|&i| scaled[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            slots[s].keep = scaled[s];
            slots[s].alias = members[l];
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left is 1 up to rounding: keep its own account.
        Self { slots }
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    /// The account drawn by a uniform number `u` in [0, 1) (`None` for an empty community).
    #[inline]
    fn resolve(&self, u: f64) -> Option<AccountId> {
        let m = self.slots.len();
        if m == 0 {
            return None;
        }
        let x = u * m as f64;
        let i = (x as usize).min(m - 1);
        let slot = self.slots[i];
        Some(if x - (i as f64) < slot.keep {
            slot.own
        } else {
            slot.alias
        })
    }
}

/// A directed degree-corrected stochastic block model.
///
/// Each account `i` gets a propensity `theta_i ~ Pareto(1, gamma - 1)`; its out-degree is
/// `mean_degree * theta_i / E[theta]` (times `flagged_degree_factor` in the flagged cluster),
/// stochastically rounded and clamped to `[min_degree, max_degree]`. Each edge picks a target
/// block by the source's mixing shares, then a target inside the block with probability
/// proportional to `theta` (alias method). Self-follows and duplicates are dropped.
pub(crate) fn sbm_graph(
    spec: &GraphSpec,
    layout: &Layout,
    tree: &SeedTree,
    replicate: u32,
) -> FollowGraph {
    let n = layout.community.len();
    let alpha = spec.degree_exponent - 1.0;
    let mean_theta = alpha / (alpha - 1.0);
    let pareto = Pareto::new(1.0, alpha).ok();
    let streams = tree.agents(replicate, StreamId::Graph);
    // Propensities, one chunk stream each (the first draws of each chunk's stream).
    let theta: Vec<f64> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let mut rng = streams.agent(2 * chunk as u64);
            let len = CHUNK.min(n - chunk * CHUNK);
            (0..len)
                .map(|_| pareto.map_or(1.0, |p| p.sample(&mut rng)))
                .collect::<Vec<_>>()
        })
        .collect();
    let members = layout.members();
    let samplers: Vec<BlockSampler> = (0..layout.kinds.len())
        .into_par_iter()
        .map(|c| BlockSampler::new(members.row(c), &theta))
        .collect();
    let of_kind = |kind| -> Vec<usize> {
        (0..layout.kinds.len())
            .filter(|&c| layout.kinds[c] == kind)
            .collect()
    };
    let (benign, adjacent, flagged) = (
        of_kind(CommunityKind::Benign),
        of_kind(CommunityKind::Adjacent),
        of_kind(CommunityKind::Flagged),
    );
    // Other-benign targets are chosen in proportion to community size.
    let mut acc = 0.0;
    let benign_cumulative: Vec<f64> = benign
        .iter()
        .map(|&c| {
            acc += samplers[c].len() as f64;
            acc
        })
        .collect();
    let pick = |list: &[usize], rng: &mut SimRng| list[rng.random_range(0..list.len())];

    let rows: Vec<(Vec<u64>, Vec<AccountId>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut rng = streams.agent(2 * chunk as u64 + 1);
            let start = chunk * CHUNK;
            let end = (start + CHUNK).min(n);
            let mut degrees = Vec::with_capacity(end - start);
            let mut targets = Vec::new();
            let mut row = Vec::new();
            let mut pending: Vec<(usize, f64)> = Vec::new();
            for (i, &theta_i) in theta.iter().enumerate().take(end).skip(start) {
                let own = layout.community[i].index();
                let kind = layout.kinds[own];
                let factor = if kind == CommunityKind::Flagged {
                    spec.flagged_degree_factor
                } else {
                    1.0
                };
                let x = spec.mean_degree * factor * theta_i / mean_theta;
                let k = (x + rng.random::<f64>()).floor() as u64;
                let k = k.clamp(u64::from(spec.min_degree), u64::from(spec.max_degree)) as usize;
                let mix = match kind {
                    CommunityKind::Flagged => MixingSpec {
                        within: spec.flagged.within,
                        to_adjacent: spec.flagged.to_adjacent,
                        to_flagged: 0.0,
                    },
                    CommunityKind::Adjacent => spec.adjacent,
                    CommunityKind::Benign => spec.benign,
                };
                // Each share goes to its own kind of block; a share whose kind does not exist
                // (no adjacent communities) or that would only find the account itself (a
                // community of one) falls back to the other-benign draw.
                let within_ok = samplers[own].len() > 1;
                let to_flagged = flagged.first().filter(|&&f| f != own || within_ok);
                let choose = |rng: &mut SimRng| -> (usize, f64) {
                    let u: f64 = rng.random();
                    let block = if u < mix.within {
                        within_ok.then_some(own)
                    } else if u < mix.within + mix.to_adjacent {
                        (!adjacent.is_empty()).then(|| pick(&adjacent, rng))
                    } else if u < mix.within + mix.to_adjacent + mix.to_flagged {
                        to_flagged.copied()
                    } else {
                        None
                    };
                    let block = block.unwrap_or_else(|| {
                        let v =
                            rng.random::<f64>() * benign_cumulative.last().copied().unwrap_or(0.0);
                        let b = benign_cumulative.partition_point(|&c| c <= v);
                        benign
                            .get(b.min(benign.len().saturating_sub(1)))
                            .copied()
                            .unwrap_or(own)
                    });
                    let x = if samplers[block].len() > 0 {
                        rng.random::<f64>()
                    } else {
                        f64::NAN
                    };
                    (block, x)
                };
                // Draw k targets: all random numbers first, then the table look-ups, which are
                // independent of each other so their cache misses overlap. Then top up (bounded)
                // until min_degree distinct targets survive the removal of self-follows and
                // duplicates.
                pending.clear();
                pending.extend((0..k).map(|_| choose(&mut rng)));
                row.clear();
                row.extend(
                    pending
                        .iter()
                        .filter_map(|&(block, x)| samplers[block].resolve(x))
                        .filter(|t| t.index() != i),
                );
                let floor = (spec.min_degree as usize).min(k);
                let mut draws = k;
                while row.len() < floor && draws < k + 64 * floor {
                    row.sort_unstable();
                    row.dedup();
                    if row.len() >= floor {
                        break;
                    }
                    draws += 1;
                    let (block, x) = choose(&mut rng);
                    if let Some(t) = samplers[block].resolve(x) {
                        if t.index() != i {
                            row.push(t);
                        }
                    }
                }
                row.sort_unstable();
                row.dedup();
                targets.extend_from_slice(&row);
                degrees.push(row.len() as u64);
            }
            (degrees, targets)
        })
        .collect();
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0u64);
    let total: usize = rows.iter().map(|(_, t)| t.len()).sum();
    let mut targets = Vec::with_capacity(total);
    for (degrees, t) in rows {
        for d in degrees {
            offsets.push(offsets.last().copied().unwrap_or(0) + d);
        }
        targets.extend_from_slice(&t);
    }
    FollowGraph::from_out(Csr::from_parts(offsets, targets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn generated_worlds_keep_their_invariants(
            seed in any::<u64>(),
            accounts in 60u64..600,
            benign in 1u32..5,
            adjacent in 0u32..3,
            flagged in 1usize..20,
        ) {
            let spec = WorldSpec {
                accounts: Some(accounts),
                benign_communities: benign,
                adjacent_communities: adjacent,
                ..WorldSpec::default()
            };
            let world = generate(&spec, flagged, &SeedTree::new(seed), 0);
            let truth = world.truth();
            prop_assert_eq!(world.accounts(), accounts as usize);
            prop_assert_eq!(truth.flagged_accounts(), flagged);
            let mut in_sum = 0;
            for a in (0..accounts as u32).map(AccountId) {
                let out = world.graph().followees(a);
                prop_assert!(out.windows(2).all(|w| w[0] < w[1]) && !out.contains(&a));
                prop_assert!(out.len() >= spec.graph.min_degree as usize);
                in_sum += world.graph().followers(a).len();
                prop_assert_eq!(truth.hops_to_flagged(a) == 0, truth.is_flagged(a));
                let norm: f32 = world.content(a).iter().map(|x| x * x).sum();
                prop_assert!((norm - 1.0).abs() < 1e-4);
                prop_assert!((0.0..=1.0).contains(&world.activity(a)));
                prop_assert!(!world.tags(a).is_empty());
            }
            prop_assert_eq!(in_sum, world.graph().edges());
            for c in 0..world.communities() as u32 {
                prop_assert!(!world.members(CommunityId(c)).is_empty());
            }
        }
    }

    #[test]
    fn alias_table_draws_in_proportion_to_propensity() {
        let theta = [1.0, 2.0, 3.0, 10.0, 4.0];
        let members: Vec<AccountId> = (0..5).map(AccountId).collect();
        let sampler = BlockSampler::new(&members, &theta);
        let mut rng = SeedTree::new(7).stream(0, StreamId::Graph);
        let mut counts = [0u32; 5];
        let draws = 200_000;
        for _ in 0..draws {
            counts[sampler.resolve(rng.random()).unwrap().index()] += 1;
        }
        for (c, t) in counts.iter().zip(theta) {
            let expected = t / 20.0;
            let got = f64::from(*c) / f64::from(draws);
            assert!((got - expected).abs() < 0.005, "{got} vs {expected}");
        }
        assert!(BlockSampler::new(&[], &theta).resolve(0.5).is_none());
    }

    #[test]
    fn apportion_sums_and_floors() {
        let s = apportion(100, &[5.0, 1.0, 1.0, 0.001], 2);
        assert_eq!(s.iter().sum::<usize>(), 100);
        assert!(s.iter().all(|&x| x >= 2));
        assert!(s[0] > s[1]);
        assert_eq!(apportion(7, &[1.0, 1.0], 2).iter().sum::<usize>(), 7);
    }
}
