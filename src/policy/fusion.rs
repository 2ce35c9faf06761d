//! Rank fusion of a hybrid's components, and its top-`keep` shortcut.
//!
//! A candidate at rank `r` of a component with `n` candidates earns `weight * (1 - r / n)` from
//! it, and its fused score is the sum of what it earns, in component order. The full fusion
//! ranks every component completely and sums per account ([`fuse_all`]): two sorts of a few
//! hundred keys and a hash table per request, most of a hybrid request's cost. A slate only
//! needs the best `keep` fused candidates, and [`fuse_top`] finds exactly those, with exactly
//! the same score bits, ranking only the top of each component:
//!
//! - An account found in one component only earns that component's contribution, which does
//!   not grow with its rank there. So among those accounts, only the best `keep` of each
//!   component (and any that tie with the last of them) can make the cut.
//! - The accounts found in more than one component (co-follow and embedding candidates rarely
//!   coincide: a handful per request) are found with a bit filter per component, and get their
//!   exact rank in each component by counting.
//!
//! The best `keep` of that short list, ranked, are the best `keep` of the full fusion. The
//! argument holds in floating point: a contribution `w * (1 - r / n)` is rounded from
//! operations that are each monotone, so it never grows with `r`, and equal contributions are
//! kept together (the tie extension), so the account order breaks such ties as before.

use super::{decode, rank_key, rank_top, Candidate, IdTable};
use crate::ids::AccountId;

/// Marks the absence of an account from a component (no ranking key is all ones: that would
/// be account `u32::MAX`).
const ABSENT: u64 = u64::MAX;

/// Bits of each component's account filter, which tells in one load that an account is not in
/// that component (a few hundred accounts leave it 98% empty).
const FILTER_BITS: usize = 16384;

/// Words of one filter.
const WORDS: usize = FILTER_BITS / 64;

/// Below this many candidates in all, the full fusion is as cheap.
const SMALL: usize = 64;

/// Reusable buffers of [`fuse_top`].
#[derive(Debug, Default)]
pub struct FusionScratch {
    /// One bit filter of accounts per component.
    filters: Vec<u64>,
    /// Accounts in more than one component.
    shared: Vec<u32>,
    /// Their key in each component (`ABSENT` if not in it), row-major.
    shared_keys: Vec<u64>,
    /// The shared accounts, sorted.
    sorted: Vec<u32>,
    /// How far each component was ranked.
    depth: Vec<usize>,
    /// Contributions (full fusion) or fused candidates (shortcut).
    fused: Vec<Candidate>,
    /// Fused ranking keys.
    keys: Vec<u64>,
    /// The full fusion, before its best are kept (few candidates).
    top: Vec<Candidate>,
    /// Accounts -> their place among the fused candidates (full fusion).
    table: IdTable,
}

impl FusionScratch {
    /// Where the last [`fuse_all`] put `account` among the candidates it appended, if it did.
    pub(crate) fn place(&self, account: AccountId) -> Option<usize> {
        self.table
            .get(account.0)
            .map(|slot| self.table.value(slot) as usize)
    }
}

/// What a candidate at `rank` earns from a component of `n` candidates with `weight`.
#[inline]
fn contribution(weight: f32, rank: usize, n: usize) -> f32 {
    weight * (1.0 - rank as f32 / n.max(1) as f32)
}

/// Bit of `account` in the filter.
#[inline]
fn filter_bit(account: u32) -> usize {
    (account.wrapping_mul(0x9E37_79B1) >> (32 - FILTER_BITS.trailing_zeros())) as usize
}

/// Where component `j` lies in the flat key array: `ends[j - 1]..ends[j]`.
#[inline]
fn span(ends: &[usize], j: usize) -> std::ops::Range<usize> {
    (if j == 0 { 0 } else { ends[j - 1] })..ends[j]
}

/// The full rank fusion: `keys[span(ends, j)]` holds the ranking keys ([`rank_key`]) of
/// component `j`'s candidates (distinct accounts) in any order; `out` receives every fused candidate,
/// each account once, at its first appearance in component order (ranked within a
/// component), scored by the sum of its contributions in component order. The keys are sorted
/// in place.
pub(crate) fn fuse_all(
    weights: &[f32],
    keys: &mut [u64],
    ends: &[usize],
    scratch: &mut FusionScratch,
    out: &mut Vec<Candidate>,
) {
    let fused = &mut scratch.fused;
    fused.clear();
    for (j, &weight) in weights.iter().enumerate() {
        let keys = &mut keys[span(ends, j)];
        keys.sort_unstable();
        let n = keys.len();
        fused.extend(keys.iter().enumerate().map(|(r, &k)| Candidate {
            account: decode(k).account,
            score: contribution(weight, r, n),
        }));
    }
    let table = &mut scratch.table;
    table.reset(fused.len());
    let start = out.len();
    for c in fused.iter() {
        let (slot, new) = table.insert(c.account.0);
        if new {
            // Rows are below the number of candidates, which fits in u32.
            *table.value_mut(slot) = (out.len() - start) as u32;
            out.push(*c);
        } else {
            out[start + table.value(slot) as usize].score += c.score;
        }
    }
}

/// The best `keep` candidates of [`fuse_all`], ranked (score descending, ties by lower
/// account), appended to `out`: the same accounts with the same score bits, found without
/// ranking every component (module documentation). The keys are reordered in place.
pub(crate) fn fuse_top(
    weights: &[f32],
    all: &mut [u64],
    ends: &[usize],
    keep: usize,
    scratch: &mut FusionScratch,
    out: &mut Vec<Candidate>,
) {
    if keep == 0 {
        return;
    }
    let total = all.len();
    if total <= SMALL || 4 * keep >= total {
        let mut top = std::mem::take(&mut scratch.top);
        top.clear();
        fuse_all(weights, all, ends, scratch, &mut top);
        rank_top(&mut top, keep, &mut scratch.keys);
        out.extend_from_slice(&top);
        scratch.top = top;
        return;
    }
    let parts = ends.len();
    let FusionScratch {
        filters,
        shared,
        shared_keys,
        depth,
        fused,
        keys,
        sorted,
        ..
    } = scratch;
    // 1. A bit filter of each component's accounts.
    filters.clear();
    filters.resize(parts * WORDS, 0);
    for j in 0..parts {
        let filter = &mut filters[j * WORDS..][..WORDS];
        for &k in &all[span(ends, j)] {
            let bit = filter_bit(k as u32);
            filter[bit / 64] |= 1 << (bit % 64);
        }
    }
    let in_filter = |j: usize, bit: usize| filters[j * WORDS + bit / 64] >> (bit % 64) & 1 == 1;
    // 2. The accounts in more than one component, each once (from the first component holding
    // it), with their key in every component (`ABSENT` where they are not). An account in two
    // components is in at least one besides the largest, so the largest is not scanned.
    let largest = (0..parts)
        .max_by_key(|&j| (span(ends, j).len(), std::cmp::Reverse(j)))
        .unwrap_or(0);
    shared.clear();
    shared_keys.clear();
    for j in (0..parts).filter(|&j| j != largest) {
        for &k in &all[span(ends, j)] {
            let account = k as u32;
            let bit = filter_bit(account);
            if !(0..parts).any(|i| i != j && in_filter(i, bit)) {
                continue;
            }
            let row = shared_keys.len();
            shared_keys.resize(row + parts, ABSENT);
            let (mut earlier, mut other) = (false, false);
            for i in (0..parts).filter(|&i| i != j && in_filter(i, bit)) {
                if let Some(&ki) = all[span(ends, i)].iter().find(|&&x| x as u32 == account) {
                    if i < j && i != largest {
                        earlier = true;
                        break;
                    }
                    other = true;
                    shared_keys[row + i] = ki;
                }
            }
            if earlier || !other {
                shared_keys.truncate(row);
                continue;
            }
            shared_keys[row + j] = k;
            shared.push(account);
        }
    }
    sorted.clear();
    sorted.extend_from_slice(shared);
    sorted.sort_unstable();
    let is_shared = |account: u32| sorted.binary_search(&account).is_ok();
    // 3. The best `keep` accounts of each component found in no other, and any that tie with
    // the last of them: only these can make the cut among the single-component accounts,
    // whose fused score is their one contribution.
    fused.clear();
    depth.clear();
    for (j, &weight) in weights.iter().enumerate().take(parts) {
        let keys_j = &mut all[span(ends, j)];
        let n = keys_j.len();
        let in_j = (0..shared.len())
            .filter(|&s| shared_keys[s * parts + j] != ABSENT)
            .count();
        let mut m = (keep + in_j).min(n);
        loop {
            if m < n && m > 0 {
                keys_j.select_nth_unstable(m - 1);
            }
            keys_j[..m].sort_unstable();
            let start = fused.len();
            let (mut taken, mut last, mut open) = (0, 0.0f32, false);
            for (d, &k) in keys_j[..m].iter().enumerate() {
                if is_shared(k as u32) {
                    continue;
                }
                let c = contribution(weight, d, n);
                if taken >= keep && c != last {
                    open = false;
                    break;
                }
                fused.push(Candidate {
                    account: AccountId(k as u32),
                    score: c,
                });
                (taken, last, open) = (taken + 1, c, true);
            }
            // A tie with the last kept one may continue past the prefix.
            if taken >= keep && open && m < n {
                fused.truncate(start);
                m = (2 * m).min(n);
                continue;
            }
            break;
        }
        depth.push(m);
    }
    // 4. The shared accounts, with their rank in every component counted, summed in component
    // order.
    for (s, &account) in shared.iter().enumerate() {
        let mut score: Option<f32> = None;
        for (j, &weight) in weights.iter().enumerate().take(parts) {
            let k = shared_keys[s * parts + j];
            if k == ABSENT {
                continue;
            }
            let keys_j = &all[span(ends, j)];
            let m = depth[j];
            let r = match keys_j[..m].binary_search(&k) {
                Ok(r) => r,
                Err(_) => m + keys_j[m..].iter().filter(|&&x| x < k).count(),
            };
            let c = contribution(weight, r, keys_j.len());
            score = Some(score.map_or(c, |t| t + c));
        }
        fused.push(Candidate {
            account: AccountId(account),
            score: score.unwrap_or(0.0),
        });
    }
    rank_top(fused, keep, keys);
    out.extend_from_slice(fused);
}

/// Ranking keys of `candidates`, appended to `keys`.
pub(crate) fn keys_of(candidates: &[Candidate], keys: &mut Vec<u64>) {
    keys.extend(candidates.iter().map(rank_key));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;
    use proptest::prelude::*;

    /// The components' keys, one after the other, and where each ends.
    fn flat(lists: &[Vec<Candidate>]) -> (Vec<u64>, Vec<usize>) {
        let (mut keys, mut ends) = (Vec::new(), Vec::new());
        for l in lists {
            keys_of(l, &mut keys);
            ends.push(keys.len());
        }
        (keys, ends)
    }

    /// The reference: full fusion, then the best `keep`.
    fn reference(weights: &[f32], lists: &[Vec<Candidate>], keep: usize) -> Vec<(u32, u32)> {
        let (mut keys, ends) = flat(lists);
        let mut out = Vec::new();
        fuse_all(
            weights,
            &mut keys,
            &ends,
            &mut FusionScratch::default(),
            &mut out,
        );
        rank_top(&mut out, keep, &mut Vec::new());
        out.iter()
            .map(|c| (c.account.0, c.score.to_bits()))
            .collect()
    }

    fn shortcut(
        weights: &[f32],
        lists: &[Vec<Candidate>],
        keep: usize,
        scratch: &mut FusionScratch,
    ) -> Vec<(u32, u32)> {
        let (mut keys, ends) = flat(lists);
        let mut out = Vec::new();
        fuse_top(weights, &mut keys, &ends, keep, scratch, &mut out);
        out.iter()
            .map(|c| (c.account.0, c.score.to_bits()))
            .collect()
    }

    /// Distinct accounts with scores from a few levels (ties are common).
    fn component(max_len: usize, accounts: u32) -> impl Strategy<Value = Vec<Candidate>> {
        proptest::collection::btree_map(0..accounts, 0u8..6, 0..max_len).prop_map(|m| {
            m.into_iter()
                .map(|(a, s)| Candidate {
                    account: AccountId(a),
                    score: f32::from(s) * 0.5,
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn top_of_the_fusion_equals_ranking_everything(
            lists in proptest::collection::vec(component(400, 600), 1..4),
            weights in proptest::collection::vec(prop_oneof![Just(0.0f32), Just(0.5), Just(1.0), 0.0f32..3.0], 4),
            keep in prop_oneof![1usize..8, 1usize..120],
        ) {
            let w = &weights[..lists.len()];
            let mut scratch = FusionScratch::default();
            let expected = reference(w, &lists, keep);
            prop_assert_eq!(shortcut(w, &lists, keep, &mut scratch), expected.clone());
            // The same buffers again give the same answer.
            prop_assert_eq!(shortcut(w, &lists, keep, &mut scratch), expected);
        }
    }

    #[test]
    fn overlapping_components_and_ties_at_the_cut() {
        // Two components over the same 300 accounts in opposite orders: every account is in
        // both and many fused scores tie, so the shortcut has to count deep ranks and widen.
        let a: Vec<Candidate> = (0..300)
            .map(|i| Candidate {
                account: AccountId(i),
                score: (300 - i) as f32,
            })
            .collect();
        let b: Vec<Candidate> = (0..300)
            .map(|i| Candidate {
                account: AccountId(i),
                score: i as f32,
            })
            .collect();
        for keep in [1, 5, 50, 299, 300, 400] {
            for w in [[1.0, 1.0], [1.0, 0.5], [0.0, 1.0]] {
                let lists = [a.clone(), b.clone()];
                assert_eq!(
                    shortcut(&w, &lists, keep, &mut FusionScratch::default()),
                    reference(&w, &lists, keep),
                    "keep {keep}, weights {w:?}"
                );
            }
        }
        assert!(shortcut(&[1.0], &[a], 0, &mut FusionScratch::default()).is_empty());
    }
}
