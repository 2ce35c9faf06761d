//! Vectors of many accounts, one row each, laid out for random access.
//!
//! Policies read content rows at random account ids, so every read of a large world is a cache
//! miss. A row of 16 `f32` is 64 bytes, one cache line, but only if it starts on a line: the
//! allocator aligns to 16 bytes, which would make every row straddle two lines and every read
//! two misses. [`Rows`] starts its first row on a 64-byte boundary (by skipping up to 15 floats
//! of its buffer, in safe code), so rows of 16 dims are one line each and wider rows span as
//! few lines as their size allows; [`Rows::prefetch`] hints every line of a row.

use super::prefetch::CACHED_BYTES;
use ndarray::ArrayView2;

/// Cache-line size assumed for alignment (64 bytes on x86-64 and most ARM cores).
const LINE: usize = 64;
const PER_LINE: usize = LINE / std::mem::size_of::<f32>();

/// A row-major `rows x dims` matrix of `f32` whose first row starts on a cache line.
pub struct Rows {
    buf: Vec<f32>,
    start: usize,
    rows: usize,
    dims: usize,
    /// Whether the table is larger than a core's cache, so that hints pay (a table in cache
    /// only pays for issuing them).
    hint: bool,
}

impl Rows {
    /// A matrix of zeros.
    pub fn zeros(rows: usize, dims: usize) -> Self {
        let buf = vec![0f32; rows * dims + PER_LINE - 1];
        // Floats to skip so that the first row starts on a line (the buffer never moves).
        let misalign = (buf.as_ptr() as usize % LINE) / std::mem::size_of::<f32>();
        let start = (PER_LINE - misalign) % PER_LINE;
        Self {
            buf,
            start,
            rows,
            dims,
            hint: rows * dims * std::mem::size_of::<f32>() > CACHED_BYTES,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Length of each row.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[f32] {
        let at = self.start + i * self.dims;
        &self.buf[at..at + self.dims]
    }

    /// Row `i`, mutable.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        let at = self.start + i * self.dims;
        &mut self.buf[at..at + self.dims]
    }

    /// All rows, flat.
    pub fn as_slice(&self) -> &[f32] {
        &self.buf[self.start..self.start + self.rows * self.dims]
    }

    /// All rows, flat and mutable (for filling in parallel by chunks of rows).
    pub fn as_slice_mut(&mut self) -> &mut [f32] {
        &mut self.buf[self.start..self.start + self.rows * self.dims]
    }

    /// The matrix as an ndarray view, for linear algebra on the whole table (`None` only if
    /// `rows x dims` overflowed, which `zeros` would not have allocated).
    pub fn view(&self) -> Option<ArrayView2<'_, f32>> {
        ArrayView2::from_shape((self.rows, self.dims), self.as_slice()).ok()
    }

    /// Hints the CPU to load every cache line of row `i` (nothing for a row out of range).
    #[inline]
    pub fn prefetch(&self, i: usize) {
        if !self.hint || i >= self.rows || self.dims == 0 {
            return;
        }
        let at = self.start + i * self.dims;
        super::prefetch::prefetch(&self.buf[at]);
        // The first float of each further line the row reaches (rows start on lines relative to
        // `start`, which is itself on a line).
        let mut k = self.start + ((at - self.start) / PER_LINE + 1) * PER_LINE;
        while k < at + self.dims {
            super::prefetch::prefetch(&self.buf[k]);
            k += PER_LINE;
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() * std::mem::size_of::<f32>()
    }
}

impl Clone for Rows {
    fn clone(&self) -> Self {
        // A new buffer has its own alignment: copy the rows into a freshly aligned one.
        let mut out = Rows::zeros(self.rows, self.dims);
        out.as_slice_mut().copy_from_slice(self.as_slice());
        out
    }
}

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        self.dims == other.dims && self.rows == other.rows && self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("rows", &self.rows)
            .field("dims", &self.dims)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_start_on_a_line_and_round_trip() {
        for dims in [1usize, 3, 16, 20] {
            let mut m = Rows::zeros(37, dims);
            assert_eq!(m.row(0).as_ptr() as usize % LINE, 0, "dims {dims}");
            for i in 0..37 {
                for (k, x) in m.row_mut(i).iter_mut().enumerate() {
                    *x = (i * 100 + k) as f32;
                }
            }
            assert_eq!(m.row(36)[dims - 1], (3600 + dims - 1) as f32);
            assert_eq!(m.as_slice().len(), 37 * dims);
            let c = m.clone();
            assert_eq!(c, m);
            assert_eq!(c.row(0).as_ptr() as usize % LINE, 0);
            assert_eq!(
                m.view().expect("shape")[[5, dims - 1]],
                (500 + dims - 1) as f32
            );
            m.prefetch(36);
            m.prefetch(37);
            let big = Rows::zeros(CACHED_BYTES / 4 / dims + 1, dims);
            assert!(big.hint && !m.hint);
            big.prefetch(big.rows() - 1);
        }
        // 16 floats a row: every row is exactly one line.
        let m = Rows::zeros(8, 16);
        assert!((0..8).all(|i| (m.row(i).as_ptr() as usize).is_multiple_of(LINE)));
        let empty = Rows::zeros(0, 16);
        assert_eq!(empty.view().map(|v| v.nrows()), Some(0));
    }
}
