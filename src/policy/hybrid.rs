//! Hybrid: a weighted blend of component policies by rank fusion. Each component ranks its own
//! candidates; a candidate at rank `r` of `n` earns `weight * (1 - r / n)` from that component,
//! and the contributions add up. Rank fusion makes components with incomparable score scales
//! (counts, dot products, log-popularity) blend sensibly.

use super::{rank, Candidate, Policy, Scratch};
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

/// Sums contributions per account (input order irrelevant; output sorted by account).
fn sum_by_account(fused: &mut Vec<Candidate>) {
    fused.sort_unstable_by(|a, b| a.account.cmp(&b.account).then(b.score.total_cmp(&a.score)));
    let mut w = 0;
    for r in 0..fused.len() {
        if w > 0 && fused[w - 1].account == fused[r].account {
            fused[w - 1].score += fused[r].score;
        } else {
            fused[w] = fused[r];
            w += 1;
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
            rank(&mut component);
            contributions(*weight, &component, &mut fused);
        }
        sum_by_account(&mut fused);
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
            rank(&mut component);
            contributions(*weight, &component, &mut fused);
        }
        sum_by_account(&mut fused);
        for c in candidates.iter_mut() {
            let i = fused.partition_point(|f| f.account < c.account);
            c.score = fused
                .get(i)
                .filter(|f| f.account == c.account)
                .map_or(0.0, |f| f.score);
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
        sum_by_account(&mut f);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].score, 1.25);
    }
}
