//! A global allocator for large worlds: the system allocator, asking Linux for transparent huge
//! pages on large blocks.
//!
//! A million-account world is hundreds of megabytes of graph and content rows read at random
//! positions. With 4 KiB pages every such read also misses the TLB, and under virtualisation
//! the page walk that follows costs about as much as the read itself; with 2 MiB pages the
//! TLB covers the whole world. Linux hands out huge pages only to memory marked with
//! `madvise(MADV_HUGEPAGE)` when transparent huge pages are in `madvise` mode (the usual
//! default), so this allocator marks every block of at least [`LARGE`] bytes before it is
//! first touched. Values, and so results, are the same with or without it; only the time to
//! reach them changes. On systems other than Linux it is the system allocator.
//!
//! The library does not install it: a binary opts in with
//!
//! ```
//! #[global_allocator]
//! static ALLOC: driftlab::alloc::HugePages = driftlab::alloc::HugePages;
//! # fn main() {}
//! ```

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, with huge pages asked for on large blocks.
#[derive(Clone, Copy, Debug, Default)]
pub struct HugePages;

/// Blocks of at least this many bytes are marked for huge pages (a huge page is 2 MiB; smaller
/// blocks would not hold an aligned one).
pub const LARGE: usize = 8 << 20;

#[cfg(target_os = "linux")]
fn advise(block: *mut u8, size: usize) {
    const HUGE: usize = 2 << 20;
    if block.is_null() || size < LARGE {
        return;
    }
    // Only whole, aligned huge pages inside the block can be huge.
    let start = (block as usize).next_multiple_of(HUGE);
    let end = (block as usize + size) & !(HUGE - 1);
    if end > start {
        // SAFETY: the range lies inside a block the allocator just handed out; the advice
        // changes how its pages are backed, never their contents. A failure (huge pages
        // disabled) leaves ordinary pages, which is fine.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_block: *mut u8, _size: usize) {}

// SAFETY: every call is forwarded to `System` with the same arguments; `advise` only adds a
// hint on memory `System` returned.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = unsafe { System.alloc_zeroed(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(block, layout, new_size) };
        if new_size > layout.size() {
            advise(moved, new_size);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_contents() {
        let a = HugePages;
        let layout = Layout::from_size_align(LARGE + 12345, 64).unwrap();
        unsafe {
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert!((0..layout.size()).step_by(4096).all(|i| *p.add(i) == 0));
            p.write_bytes(7, layout.size());
            let q = a.realloc(p, layout, 2 * layout.size());
            assert!(!q.is_null());
            assert!((0..layout.size()).step_by(4096).all(|i| *q.add(i) == 7));
            a.dealloc(q, Layout::from_size_align(2 * layout.size(), 64).unwrap());
            let small = Layout::from_size_align(16, 8).unwrap();
            let s = a.alloc(small);
            assert!(!s.is_null());
            a.dealloc(s, small);
        }
    }
}
