//! Rows laid out for scoring one vector against many of them at once.
//!
//! The embedding policy asks, on every request, how similar the viewer's estimated profile is to
//! the mean content of every cluster (a few hundred of them), and, when it scores densely, to
//! the content of every account of the nearest clusters. Done as one [`dot`](super::dot) per
//! row, each call reduces its eight running sums horizontally and the next one starts over;
//! with 16 or 20 dims that is more bookkeeping than arithmetic. [`Transposed`] stores the rows
//! transposed (dimension-major within blocks of sixteen rows), so one pass keeps eight or
//! sixteen rows in the lanes of a register (SSE2, or AVX2 where the CPU has it) and every
//! multiply and add works on all of them.
//!
//! The result is bit-identical to [`dot`](super::dot) for every row: for each row the same eight
//! running sums over the dims `i mod 8` are formed in the same order, with separate multiplies
//! and adds (never fused), combined with the same pairing, and the tail is summed from the same
//! neutral element as `f32::sum`. Only the loop nest differs (rows are the inner, vectorised,
//! dimension).

use std::ops::Range;

/// Rows per block of the transposed table: the AVX2 kernel takes a block in two steps of
/// eight lanes, the baseline one in four steps of four.
const BLOCK: usize = 16;

/// Running sums per row, as in [`dot`](super::dot) (dims `i mod 8`).
const DOT_LANES: usize = 8;

/// A `rows x dims` matrix in blocks of `BLOCK` rows, transposed within a block:
/// `t[b * dims + d][l]` is dim `d` of row `b * BLOCK + l` (zero past the last row).
#[derive(Clone, Debug)]
pub struct Transposed {
    rows: usize,
    dims: usize,
    t: Vec<[f32; BLOCK]>,
}

/// The cluster means, transposed for [`Transposed::similarities`].
pub type Centroids = Transposed;

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

impl Transposed {
    /// The table of `data` (`rows x dims`, row-major).
    pub fn new(data: &[f32], rows: usize, dims: usize) -> Self {
        let mut t = vec![[0f32; BLOCK]; rows.div_ceil(BLOCK) * dims];
        for r in 0..rows {
            for d in 0..dims {
                t[r / BLOCK * dims + d][r % BLOCK] = data[r * dims + d];
            }
        }
        Self { rows, dims, t }
    }

    /// Number of rows (clusters, for the cluster means).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `r` (copied out of the transposed table: for tests and reports, not for hot loops).
    pub fn row(&self, r: usize) -> Vec<f32> {
        (0..self.dims)
            .map(|d| self.t[r / BLOCK * self.dims + d][r % BLOCK])
            .collect()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.t.len() * std::mem::size_of::<[f32; BLOCK]>()
    }

    /// Appends `(dot(x, row c), c)` for every row `c` in order (for the cluster means: every
    /// cluster's similarity), each value bit-identical to [`super::dot`].
    pub fn similarities(&self, x: &[f32], out: &mut Vec<(f32, u32)>) {
        out.reserve(self.rows);
        self.each_dots(x, 0..self.rows, |first, values| {
            out.extend((first..).zip(values).map(|(c, &v)| (v, c as u32)));
        });
    }

    /// Calls `each(first, values)` with `values[i] = dot(x, row first + i)` for the rows of
    /// `range` (clamped to the table), a run of up to sixteen at a time, in order, each value
    /// bit-identical to [`super::dot`]. `x` shorter than the dims counts as
    /// its prefix (as [`super::dot`] truncates to the shorter slice).
    ///
    /// AVX2's 256-bit registers are used where the CPU has them (detected at run time; AVX-512
    /// measured about 5x slower on the dense scan here): each lane still forms one
    /// row's sums with separate multiplies and adds in the same order, so every kernel gives
    /// the same bits (tested).
    #[inline]
    fn each_dots(&self, x: &[f32], range: Range<usize>, mut each: impl FnMut(usize, &[f32])) {
        let range = range.start..range.end.min(self.rows);
        if range.is_empty() {
            return;
        }
        self.each_block(x, range.clone(), |b, values| {
            let start = (b * BLOCK).max(range.start);
            let end = ((b + 1) * BLOCK).min(range.end);
            each(start, &values[start - b * BLOCK..end - b * BLOCK]);
        });
    }

    /// Calls `each(b, values)` for every block `b` that `range` touches (it may reach up to
    /// the end of the last block), with the dot products of `x` with the block's sixteen rows
    /// (zero rows past the table).
    #[inline]
    fn each_block(&self, x: &[f32], range: Range<usize>, each: impl FnMut(usize, &[f32; BLOCK])) {
        match Kernel::detect() {
            Kernel::Baseline => self.dots_lanes::<4>(x, range, each),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU was found to support AVX2 (`Kernel::detect`).
            Kernel::Avx2 => unsafe { self.dots_avx2(x, range, each) },
        }
    }

    /// The dot products of `x` with the rows of `range` (clamped to the table), each value
    /// bit-identical to [`super::dot`], as a slice of `out`. Whole blocks of sixteen rows are
    /// scored and stored (`out` grows to hold them and is never cleared), so the loop has no
    /// calls and no partial copies in it; the caller filters the values afterwards.
    #[inline]
    pub fn dots<'o>(&self, x: &[f32], range: Range<usize>, out: &'o mut Vec<f32>) -> &'o [f32] {
        let range = range.start.min(self.rows)..range.end.min(self.rows);
        let first = range.start / BLOCK * BLOCK;
        let last = range.end.div_ceil(BLOCK) * BLOCK;
        if out.len() < last - first {
            out.resize(last - first, 0.0);
        }
        let blocks = &mut out[..last - first];
        self.each_block(x, first..last, |b, values| {
            let o = b * BLOCK - first;
            blocks[o..o + BLOCK].copy_from_slice(values);
        });
        &out[range.start - first..range.end - first]
    }

    /// [`Transposed::each_block`] in 256-bit registers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn dots_avx2(
        &self,
        x: &[f32],
        range: Range<usize>,
        each: impl FnMut(usize, &[f32; BLOCK]),
    ) {
        self.dots_lanes::<8>(x, range, each);
    }

    /// The kernel, `L` rows at a time (`L` divides [`BLOCK`]): eight accumulators of `L`
    /// lanes each, which fit the register file of a target with `L`-float registers.
    #[inline(always)]
    fn dots_lanes<const L: usize>(
        &self,
        x: &[f32],
        range: Range<usize>,
        mut each: impl FnMut(usize, &[f32; BLOCK]),
    ) {
        let blocks = range.start / BLOCK
            ..range
                .end
                .div_ceil(BLOCK)
                .min(self.t.len() / self.dims.max(1));
        if self.dims == 0 {
            let zero = [super::dot(&[], &[]); BLOCK];
            for b in range.start / BLOCK..range.end.div_ceil(BLOCK) {
                each(b, &zero);
            }
            return;
        }
        let n = x.len().min(self.dims);
        let zero: f32 = std::iter::empty::<f32>().sum();
        // The common widths with the loop bounds known at compile time (fully unrolled: the
        // generic loop below spends about as long on its bookkeeping as on the arithmetic).
        if n == self.dims {
            let blocks = blocks.clone();
            let done = match n {
                16 => self.fixed::<L, 16>(x, blocks, zero, &mut each),
                20 => self.fixed::<L, 20>(x, blocks, zero, &mut each),
                32 => self.fixed::<L, 32>(x, blocks, zero, &mut each),
                _ => false,
            };
            if done {
                return;
            }
        }
        let body = n / DOT_LANES * DOT_LANES;
        let (x_body, x_tail) = x[..n].split_at(body);
        // `zero` is the neutral element `f32::sum` starts from (its sign matters for an
        // all-zero tail).
        let mut sims = [0f32; BLOCK];
        for b in blocks {
            let rows = &self.t[b * self.dims..(b + 1) * self.dims];
            let (rows_body, rows_tail) = rows[..n].split_at(body);
            for sub in (0..BLOCK).step_by(L) {
                // acc[k][l]: running sum over dims d = k (mod 8) for row sub + l.
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
                pair(&acc, &tail, &mut sims[sub..sub + L]);
            }
            each(b, &sims);
        }
    }

    /// [`Transposed::dots_lanes`] for tables of exactly `D` dims and an `x` of at least `D`
    /// (false, having done nothing, otherwise): the same operations in the same order.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // the indices are the formula's (dim d = 8 j + k)
    fn fixed<const L: usize, const D: usize>(
        &self,
        x: &[f32],
        blocks: Range<usize>,
        zero: f32,
        each: &mut impl FnMut(usize, &[f32; BLOCK]),
    ) -> bool {
        let Some(Ok(x)) = x.get(..D).map(<&[f32; D]>::try_from) else {
            return false;
        };
        if self.dims != D {
            return false;
        }
        let body = D / DOT_LANES * DOT_LANES;
        let mut sims = [0f32; BLOCK];
        let table = &self.t[blocks.start * D..blocks.end * D];
        for (b, rows) in blocks.zip(table.chunks_exact(D)) {
            for sub in (0..BLOCK).step_by(L) {
                let mut acc = [[0f32; L]; DOT_LANES];
                for j in 0..D / DOT_LANES {
                    for k in 0..DOT_LANES {
                        let d = j * DOT_LANES + k;
                        for l in 0..L {
                            acc[k][l] += x[d] * rows[d][sub + l];
                        }
                    }
                }
                let mut tail = [zero; L];
                for d in body..D {
                    for l in 0..L {
                        tail[l] += x[d] * rows[d][sub + l];
                    }
                }
                pair(&acc, &tail, &mut sims[sub..sub + L]);
            }
            each(b, &sims);
        }
        true
    }
}

/// `dot`'s final combination, lane by lane: the eight running sums paired as
/// `((0 + 4) + (2 + 6)) + ((1 + 5) + (3 + 7))`, then the tail.
#[inline(always)]
fn pair<const L: usize>(acc: &[[f32; L]; DOT_LANES], tail: &[f32; L], out: &mut [f32]) {
    for (l, o) in out.iter_mut().enumerate().take(L) {
        *o = ((acc[0][l] + acc[4][l]) + (acc[2][l] + acc[6][l]))
            + ((acc[1][l] + acc[5][l]) + (acc[3][l] + acc[7][l]))
            + tail[l];
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
        for dims in [0usize, 1, 3, 8, 15, 16, 17, 20, 24, 32, 33] {
            for clusters in [0usize, 1, 7, 8, 9, 211] {
                let means = vectors(clusters, dims, 7);
                let table = Transposed::new(&means, clusters, dims);
                for (s, len) in [(1u32, dims), (2, dims.saturating_sub(1)), (3, dims + 2)] {
                    let x = vectors(1, len, s);
                    let mut out = Vec::new();
                    table.similarities(&x, &mut out);
                    // Every kernel the CPU has gives the same bits.
                    let mut narrow = Vec::new();
                    table.dots_lanes::<4>(&x, 0..clusters, |b, values| {
                        narrow.extend((b * BLOCK..).zip(values).map(|(c, &v)| (v, c as u32)));
                    });
                    narrow.truncate(clusters);
                    assert_eq!(out, narrow);
                    #[cfg(target_arch = "x86_64")]
                    if is_x86_feature_detected!("avx2") {
                        let mut wide = Vec::new();
                        // SAFETY: AVX2 was just detected.
                        unsafe {
                            table.dots_avx2(&x, 0..clusters, |b, values| {
                                wide.extend((b * BLOCK..).zip(values).map(|(c, &v)| (v, c as u32)));
                            })
                        };
                        wide.truncate(clusters);
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
        let table = Transposed::new(&means, 3, 5);
        let x = vec![0.0f32; 5];
        let mut out = Vec::new();
        table.similarities(&x, &mut out);
        let want = dot(&x, &means[..5]);
        assert!(out.iter().all(|&(v, _)| v.to_bits() == want.to_bits()));
    }

    #[test]
    fn row_reads_back_the_rows() {
        let means = vectors(9, 5, 3);
        let table = Transposed::new(&means, 9, 5);
        assert_eq!(table.row(8), means[40..45].to_vec());
    }

    #[test]
    fn dots_over_any_range_are_bit_identical_to_dot_and_in_order() {
        let (rows, dims) = (53, 20);
        let data = vectors(rows, dims, 11);
        let table = Transposed::new(&data, rows, dims);
        let x = vectors(1, dims, 5);
        for range in [0..0, 0..1, 3..17, 15..16, 16..32, 17..53, 40..99, 60..70] {
            let mut got = Vec::new();
            table.each_dots(&x, range.clone(), |first, values| {
                assert!(!values.is_empty() && values.len() <= BLOCK);
                got.extend((first..).zip(values).map(|(r, v)| (r, v.to_bits())));
            });
            let mut buffer = vec![1.0; 3];
            let values = table.dots(&x, range.clone(), &mut buffer);
            let values: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
            assert_eq!(values, got.iter().map(|&(_, v)| v).collect::<Vec<_>>());
            let want: Vec<(usize, u32)> = (range.start..range.end.min(rows))
                .map(|r| (r, dot(&x, &data[r * dims..(r + 1) * dims]).to_bits()))
                .collect();
            assert_eq!(got, want, "range {range:?}");
        }
    }
}
