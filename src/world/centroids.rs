//! Cluster centroids laid out for scoring one vector against all of them at once.
//!
//! The embedding policy asks, on every request, how similar the viewer's estimated profile is to
//! the mean content of every cluster (a few hundred of them). Done as one [`dot`](super::dot) per cluster,
//! each call reduces its eight running sums horizontally and the next one starts over; with 16
//! dims that is more bookkeeping than arithmetic. [`Centroids`] stores the means transposed
//! (dimension-major, clusters padded to a multiple of four), so one pass keeps four clusters
//! in the lanes of a register and every multiply-add works on four of them.
//!
//! The result is bit-identical to [`dot`](super::dot) for every cluster: for each cluster the same eight
//! running sums over the dims `i mod 8` are formed in the same order, combined with the same
//! pairing, and the tail is summed from the same neutral element as `f32::sum`. Only the
//! loop nest differs (clusters are the inner, vectorised, dimension).

/// Clusters scored side by side (the lanes of one accumulator: one 128-bit register).
const LANES: usize = 4;

/// Running sums per cluster, as in [`dot`](super::dot) (dims `i mod 8`).
const DOT_LANES: usize = 8;

/// Unit-norm cluster means, transposed: `t[d * padded + c]` is dim `d` of cluster `c`.
#[derive(Clone, Debug)]
pub struct Centroids {
    clusters: usize,
    dims: usize,
    padded: usize,
    t: Vec<f32>,
}

impl Centroids {
    /// The table of `means` (`clusters x dims`, row-major).
    pub fn new(means: &[f32], clusters: usize, dims: usize) -> Self {
        let padded = clusters.div_ceil(LANES) * LANES;
        let mut t = vec![0f32; padded * dims];
        for c in 0..clusters {
            for d in 0..dims {
                t[d * padded + c] = means[c * dims + d];
            }
        }
        Self {
            clusters,
            dims,
            padded,
            t,
        }
    }

    /// Number of clusters.
    pub fn clusters(&self) -> usize {
        self.clusters
    }

    /// Mean of cluster `c` (copied out of the transposed table: for tests and reports, not for
    /// hot loops).
    pub fn mean(&self, c: usize) -> Vec<f32> {
        (0..self.dims)
            .map(|d| self.t[d * self.padded + c])
            .collect()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.t.len() * std::mem::size_of::<f32>()
    }

    /// Appends `(dot(x, mean of c), c)` for every cluster `c` in id order, each value
    /// bit-identical to [`super::dot`]. `x` shorter than the dims counts as its prefix (as
    /// [`super::dot`] truncates to the shorter slice).
    pub fn similarities(&self, x: &[f32], out: &mut Vec<(f32, u32)>) {
        let n = x.len().min(self.dims);
        let body = n / DOT_LANES * DOT_LANES;
        // The neutral element `f32::sum` starts from (its sign matters for an all-zero tail).
        let zero: f32 = std::iter::empty::<f32>().sum();
        out.reserve(self.clusters);
        for block in (0..self.padded).step_by(LANES) {
            // acc[k][l]: running sum over dims d = k (mod 8) for cluster block + l. Eight
            // accumulators of one 128-bit register each: the baseline x86-64 target keeps them
            // all in registers.
            let mut acc = [[0f32; LANES]; DOT_LANES];
            for chunk in (0..body).step_by(DOT_LANES) {
                for (k, acc) in acc.iter_mut().enumerate() {
                    let d = chunk + k;
                    let xv = x[d];
                    let row: &[f32; LANES] = self.t[d * self.padded + block..][..LANES]
                        .try_into()
                        .unwrap_or(&[0.0; LANES]);
                    for l in 0..LANES {
                        acc[l] += xv * row[l];
                    }
                }
            }
            let mut tail = [zero; LANES];
            for (d, &xv) in x.iter().enumerate().take(n).skip(body) {
                let row = &self.t[d * self.padded + block..][..LANES];
                for l in 0..LANES {
                    tail[l] += xv * row[l];
                }
            }
            // The same pairing as `dot`, lane by lane.
            let mut s = [0f32; LANES];
            for l in 0..LANES {
                s[l] = ((acc[0][l] + acc[4][l]) + (acc[2][l] + acc[6][l]))
                    + ((acc[1][l] + acc[5][l]) + (acc[3][l] + acc[7][l]))
                    + tail[l];
            }
            let end = (block + LANES).min(self.clusters);
            out.extend(
                s.iter()
                    .take(end.saturating_sub(block))
                    .enumerate()
                    .map(|(l, &v)| (v, (block + l) as u32)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::dot;

    fn vectors(n: usize, dims: usize, seed: u32) -> Vec<f32> {
        (0..n * dims)
            .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 2001) as f32 / 1000.0 - 1.0)
            .collect()
    }

    #[test]
    fn similarities_are_bit_identical_to_dot() {
        for dims in [0usize, 1, 3, 8, 15, 16, 17, 24, 33] {
            for clusters in [0usize, 1, 7, 8, 9, 211] {
                let means = vectors(clusters, dims, 7);
                let table = Centroids::new(&means, clusters, dims);
                for (s, len) in [(1u32, dims), (2, dims.saturating_sub(1)), (3, dims + 2)] {
                    let x = vectors(1, len, s);
                    let mut out = Vec::new();
                    table.similarities(&x, &mut out);
                    assert_eq!(out.len(), clusters);
                    for (c, &(v, id)) in out.iter().enumerate() {
                        assert_eq!(id as usize, c);
                        let want = dot(&x, &means[c * dims..(c + 1) * dims]);
                        assert_eq!(v.to_bits(), want.to_bits(), "dims {dims} cluster {c}");
                    }
                }
            }
        }
    }

    #[test]
    fn zero_vectors_keep_the_sign_dot_gives() {
        let means = vec![-0.0f32; 3 * 5];
        let table = Centroids::new(&means, 3, 5);
        let x = vec![0.0f32; 5];
        let mut out = Vec::new();
        table.similarities(&x, &mut out);
        let want = dot(&x, &means[..5]);
        assert!(out.iter().all(|&(v, _)| v.to_bits() == want.to_bits()));
    }

    #[test]
    fn mean_reads_back_the_rows() {
        let means = vectors(9, 5, 3);
        let table = Centroids::new(&means, 9, 5);
        assert_eq!(table.mean(8), means[40..45].to_vec());
    }
}
