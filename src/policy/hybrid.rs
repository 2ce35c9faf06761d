//! Hybrid: a weighted blend of component policies by rank fusion. Each component ranks its own
//! candidates; a candidate at rank `r` of `n` earns `weight * (1 - r / n)` from that component,
//! and the contributions add up, in component order. Rank fusion makes components with incomparable score scales
//! (counts, dot products, log-popularity) blend sensibly.

use super::{rank, Candidate, IdTable, Policy, Scratch};
use crate::platform::{PlatformView, Viewer};
use crate::rng::SimRng;

/// The hybrid policy.
pub struct Hybrid {
    components: Vec<(f32, Box<dyn Policy>)>,
}

impl Hybrid {
    /// A blend of `(weight, policy)` components.
    pub fn new(components: Vec<(f32, Box<dyn Policy>)>) -> Self {
        Self { components }
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
        let mut component = std::mem::take(&mut scratch.component);
        let mut fused = std::mem::take(&mut scratch.fused);
        fused.clear();
        for (weight, policy) in &self.components {
            component.clear();
            policy.generate(view, viewer, limit, rng, scratch, &mut component);
            if !policy.generates_unique_accounts() {
                super::dedup_best(&mut component);
            }
            rank(&mut component, &mut scratch.keys);
            contributions(*weight, &component, &mut fused);
        }
        sum_by_account(&mut fused, &mut scratch.table);
        out.extend_from_slice(&fused);
        scratch.component = component;
        scratch.fused = fused;
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
