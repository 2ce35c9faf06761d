//! Cluster centroids laid out for scoring one vector against all of them at once.
//!
//! The embedding policy asks, on every request, how similar the viewer's estimated profile is to
//! the mean content of every cluster (a few hundred of them). Done as one [`dot`](super::dot) per cluster,
//! each call reduces its eight running sums horizontally and the next one starts over; with 16
//! dims that is more bookkeeping than arithmetic. [`Centroids`] stores the means transposed
//! (dimension-major within blocks of sixteen clusters), so one pass keeps four or eight
//! clusters in the lanes of a register (SSE2, or AVX2 where the CPU has it)
//! and every multiply and add works on all of them.
//!
//! The result is bit-identical to [`dot`](super::dot) for every cluster: for each cluster the same eight
//! running sums over the dims `i mod 8` are formed in the same order, combined with the same
//! pairing, and the tail is summed from the same neutral element as `f32::sum`. Only the
//! loop nest differs (clusters are the inner, vectorised, dimension).

/// Clusters per block of the transposed table: the AVX2 kernel takes a block in two steps of
/// eight lanes, the baseline one in four steps of four.
const BLOCK: usize = 16;

/// Running sums per cluster, as in [`dot`](super::dot) (dims `i mod 8`).
const DOT_LANES: usize = 8;

/// Unit-norm cluster means, in blocks of `BLOCK` clusters, transposed within a block:
/// `t[b * dims + d][l]` is dim `d` of cluster `b * BLOCK + l` (zero past the last cluster).
#[derive(Clone, Debug)]
pub struct Centroids {
    clusters: usize,
    dims: usize,
    t: Vec<[f32; BLOCK]>,
}

/// The widest kernel this CPU runs, found once.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kernel {
    /// 128-bit registers (the x86-64 baseline, and every other target).
    Baseline,
    /// 256-bit registers.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            static KERNEL: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
            *KERNEL.get_or_init(|| {
                if is_x86_feature_detected!("avx2") {
                    Kernel::Avx2
                } else {
                    Kernel::Baseline
                }
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        Kernel::Baseline
    }
}

impl Centroids {
    /// The table of `means` (`clusters x dims`, row-major).
    pub fn new(means: &[f32], clusters: usize, dims: usize) -> Self {
        let mut t = vec![[0f32; BLOCK]; clusters.div_ceil(BLOCK) * dims];
        for c in 0..clusters {
            for d in 0..dims {
                t[c / BLOCK * dims + d][c % BLOCK] = means[c * dims + d];
            }
        }
        Self { clusters, dims, t }
    }

    /// Number of clusters.
    pub fn clusters(&self) -> usize {
        self.clusters
    }

    /// Mean of cluster `c` (copied out of the transposed table: for tests and reports, not for
    /// hot loops).
    pub fn mean(&self, c: usize) -> Vec<f32> {
        (0..self.dims)
            .map(|d| self.t[c / BLOCK * self.dims + d][c % BLOCK])
            .collect()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.t.len() * std::mem::size_of::<[f32; BLOCK]>()
    }

    /// Appends `(dot(x, mean of c), c)` for every cluster `c` in id order, each value
    /// bit-identical to [`super::dot`]. `x` shorter than the dims counts as its prefix (as
    /// [`super::dot`] truncates to the shorter slice).
    ///
    /// AVX2's 256-bit registers are used where the CPU has them (detected at run time; AVX-512
    /// measured slower here: the compiler spills its accumulators): each lane still forms one cluster's sums with separate multiplies and adds in
    /// the same order, so every kernel gives the same bits (tested).
    pub fn similarities(&self, x: &[f32], out: &mut Vec<(f32, u32)>) {
        out.reserve(self.clusters);
        match Kernel::detect() {
            Kernel::Baseline => self.similarities_lanes::<4>(x, out),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU was found to support AVX2 (`Kernel::detect`).
            Kernel::Avx2 => unsafe { self.similarities_avx2(x, out) },
        }
    }

    /// [`Centroids::similarities`] in 256-bit registers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn similarities_avx2(&self, x: &[f32], out: &mut Vec<(f32, u32)>) {
        self.similarities_lanes::<8>(x, out);
    }

    /// The kernel, `L` clusters at a time (`L` divides [`BLOCK`]): eight accumulators of `L`
    /// lanes each, which fit the register file of a target with `L`-float registers.
    #[inline(always)]
    fn similarities_lanes<const L: usize>(&self, x: &[f32], out: &mut Vec<(f32, u32)>) {
        if self.dims == 0 {
            out.extend((0..self.clusters).map(|c| (super::dot(&[], &[]), c as u32)));
            return;
        }
        let n = x.len().min(self.dims);
        let body = n / DOT_LANES * DOT_LANES;
        let (x_body, x_tail) = x[..n].split_at(body);
        // The neutral element `f32::sum` starts from (its sign matters for an all-zero tail).
        let zero: f32 = std::iter::empty::<f32>().sum();
        let mut sims = [0f32; BLOCK];
        for (b, rows) in self.t.chunks_exact(self.dims).enumerate() {
            let (rows_body, rows_tail) = rows[..n].split_at(body);
            for sub in (0..BLOCK).step_by(L) {
                // acc[k][l]: running sum over dims d = k (mod 8) for cluster sub + l.
                let mut acc = [[0f32; L]; DOT_LANES];
                for (r8, x8) in rows_body
                    .chunks_exact(DOT_LANES)
                    .zip(x_body.chunks_exact(DOT_LANES))
                {
                    for k in 0..DOT_LANES {
                        let (xv, row) = (x8[k], &r8[k]);
                        for l in 0..L {
                            acc[k][l] += xv * row[sub + l];
                        }
                    }
                }
                let mut tail = [zero; L];
                for (row, &xv) in rows_tail.iter().zip(x_tail) {
                    for l in 0..L {
                        tail[l] += xv * row[sub + l];
                    }
                }
                // The same pairing as `dot`, lane by lane.
                for l in 0..L {
                    sims[sub + l] = ((acc[0][l] + acc[4][l]) + (acc[2][l] + acc[6][l]))
                        + ((acc[1][l] + acc[5][l]) + (acc[3][l] + acc[7][l]))
                        + tail[l];
                }
            }
            let start = b * BLOCK;
            let end = (start + BLOCK).min(self.clusters);
            out.extend((start..end).map(|c| (sims[c - start], c as u32)));
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
                    // Every kernel the CPU has gives the same bits.
                    let mut narrow = Vec::new();
                    table.similarities_lanes::<4>(&x, &mut narrow);
                    assert_eq!(out, narrow);
                    #[cfg(target_arch = "x86_64")]
                    if is_x86_feature_detected!("avx2") {
                        let mut wide = Vec::new();
                        // SAFETY: AVX2 was just detected.
                        unsafe { table.similarities_avx2(&x, &mut wide) };
                        assert_eq!(out, wide);
                    }
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
