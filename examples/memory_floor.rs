//! The machine's random-read floor: how many cache lines per second one and two cores can read
//! from memory at random positions, with fresh indices (never reused, so neither the caches nor
//! the TLB can serve a repeat), with 4 KiB pages and with 2 MiB huge pages, as plain independent
//! loads and software-pipelined (prefetch 16 reads ahead, as driftlab's gathers do).
//!
//! ```text
//! cargo run --release --example memory_floor [-- --mib 2048 --reads 50000000]
//! ```
//!
//! A step that must read N distinct random cache lines cannot take less than N divided by the
//! matching throughput: benches/README.md states each headline step against that floor.

use std::time::Instant;

/// A cheap, good-enough generator of read positions (xorshift64*), one stream per thread.
struct Positions(u64);

impl Positions {
    #[inline(always)]
    fn next(&mut self, lines: u64) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        // Multiply-shift onto 0..lines (uniform enough for a floor).
        ((u128::from(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)) * u128::from(lines)) >> 64)
            as usize
    }
}

/// A table of `bytes` bytes, its pages advised huge or not, every page touched.
fn table(bytes: usize, huge: bool) -> Vec<u64> {
    let mut t: Vec<u64> = Vec::with_capacity(bytes / 8);
    #[cfg(target_os = "linux")]
    {
        let advice = if huge {
            libc::MADV_HUGEPAGE
        } else {
            libc::MADV_NOHUGEPAGE
        };
        // SAFETY: the range is the vector's own allocation; the advice changes only how it is
        // backed, and it is untouched yet.
        unsafe {
            libc::madvise(t.as_mut_ptr().cast(), bytes, advice);
        }
    }
    t.extend((0..bytes as u64 / 8).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    t
}

/// `reads` reads of one u64 at fresh random line positions; returns a checksum.
fn plain(t: &[u64], reads: usize, seed: u64) -> u64 {
    let lines = (t.len() / 8) as u64;
    let mut p = Positions(seed | 1);
    let mut acc = 0u64;
    for _ in 0..reads {
        acc = acc.wrapping_add(t[p.next(lines) * 8]);
    }
    acc
}

/// The same reads, each prefetched 16 reads before it is used.
fn pipelined(t: &[u64], reads: usize, seed: u64) -> u64 {
    const AHEAD: usize = 16;
    let lines = (t.len() / 8) as u64;
    let mut p = Positions(seed | 1);
    let mut ring = [0usize; AHEAD];
    for slot in ring.iter_mut() {
        *slot = p.next(lines) * 8;
        driftlab::internals::prefetch(&t[*slot]);
    }
    let mut acc = 0u64;
    for i in 0..reads {
        let at = ring[i % AHEAD];
        let next = p.next(lines) * 8;
        driftlab::internals::prefetch(&t[next]);
        ring[i % AHEAD] = next;
        acc = acc.wrapping_add(t[at]);
    }
    acc
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut mib, mut reads) = (2048usize, 40_000_000usize);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (a.as_str(), value) {
            ("--mib", Some(v)) => mib = v,
            ("--reads", Some(v)) => reads = v,
            _ => {
                eprintln!("usage: memory_floor [--mib MIB] [--reads N]");
                std::process::exit(2);
            }
        }
    }
    println!("random reads of fresh 64-byte lines in a {mib} MiB table, {reads} reads per thread");
    println!("| pages | threads | loads | M lines/s | ns per line (per thread) |");
    println!("|---|---|---|---|---|");
    for huge in [false, true] {
        let t = table(mib << 20, huge);
        for threads in [1usize, 2] {
            for (name, f) in [
                ("plain", plain as fn(&[u64], usize, u64) -> u64),
                ("prefetched", pipelined),
            ] {
                let start = Instant::now();
                let sum: u64 = std::thread::scope(|s| {
                    let handles: Vec<_> = (0..threads)
                        .map(|k| {
                            let t = &t;
                            s.spawn(move || f(t, reads, 0x1234_5678 + k as u64 * 7919))
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("a reader"))
                        .fold(0, u64::wrapping_add)
                });
                let secs = start.elapsed().as_secs_f64();
                let total = (reads * threads) as f64;
                std::hint::black_box(sum);
                println!(
                    "| {} | {threads} | {name} | {:.0} | {:.1} |",
                    if huge { "2 MiB" } else { "4 KiB" },
                    total / secs / 1e6,
                    secs / reads as f64 * 1e9
                );
            }
        }
    }
}
