//! The platform's cluster-ordered vector index, derived from the world's content once: every
//! cluster's members' content rows side by side (an inverted file), their transposed copy for
//! dense scoring, each cluster's unit-norm mean and an upper bound on its members' distance
//! from that mean.

use super::graph::Csr;
use super::{normalize, Rows, Transposed};
use crate::ids::AccountId;
use ndarray::Array2;

/// Unit-norm mean content of every cluster (a row per cluster of `members`; a zero row for an
/// empty cluster).
pub(crate) fn cluster_means(content: &Rows, members: &Csr<AccountId>) -> Array2<f32> {
    let dims = content.dims();
    let mut cluster_means = Array2::<f32>::zeros((members.rows(), dims));
    for c in 0..members.rows() {
        let mut mean = vec![0f32; dims];
        for a in members.row(c) {
            mean.iter_mut()
                .zip(content.row(a.index()))
                .for_each(|(m, x)| *m += x);
        }
        normalize(&mut mean);
        cluster_means
            .row_mut(c)
            .iter_mut()
            .zip(&mean)
            .for_each(|(o, x)| *o = *x);
    }
    cluster_means
}

/// Content rows reordered into the order of the flat members array (`World::member_content`).
pub(crate) fn member_content(content: &Rows, members: &Csr<AccountId>) -> Rows {
    let mut out = Rows::zeros(members.edges(), content.dims());
    for p in 0..members.edges() {
        out.row_mut(p)
            .copy_from_slice(content.row(members.target(p).index()));
    }
    out
}

/// Worlds whose members' content takes at most this many bytes keep a transposed copy of it
/// for dense scoring (`World::member_blocks`).
pub(crate) const TRANSPOSED_MEMBERS_BYTES: usize = 16 << 20;

/// Whether a world of `rows` members with `dims`-dim content keeps the transposed copy (the
/// one decision [`member_blocks`] and the memory estimate share).
pub(crate) fn keeps_transposed(rows: u64, dims: u64) -> bool {
    rows.saturating_mul(dims).saturating_mul(4) <= TRANSPOSED_MEMBERS_BYTES as u64
}

/// The transposed copy of the members' content, when it is small enough to keep.
pub(crate) fn member_blocks(member_content: &Rows) -> Option<Transposed> {
    let (rows, dims) = (member_content.rows(), member_content.dims());
    keeps_transposed(rows as u64, dims as u64)
        .then(|| Transposed::new(member_content.as_slice(), rows, dims))
}

/// Per cluster, the largest distance of a member's content from the cluster's mean, computed
/// in `f64` and rounded up to an `f32` (a bound, never below the true distance).
pub(crate) fn cluster_radii(
    member_content: &Rows,
    members: &Csr<AccountId>,
    means: &Array2<f32>,
) -> Vec<f32> {
    (0..members.rows())
        .map(|c| {
            let mean = means.row(c);
            let (start, len) = members.span(c);
            let r2 = (start..start + len)
                .map(|p| {
                    member_content
                        .row(p)
                        .iter()
                        .zip(mean.iter())
                        .map(|(&x, &m)| (f64::from(x) - f64::from(m)).powi(2))
                        .sum::<f64>()
                })
                .fold(0f64, f64::max);
            // Rounded up: a relative margin far above the error of the f64 sum and the cast.
            (r2.sqrt() * (1.0 + 1e-6)) as f32 + f32::MIN_POSITIVE
        })
        .collect()
}
