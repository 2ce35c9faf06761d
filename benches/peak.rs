//! The machine's peak single-precision throughput, to put the scoring kernel's figure in
//! proportion: a register-resident fused multiply-add loop (8 independent AVX accumulators, the
//! most a core can retire; again with AVX-512 registers where the CPU has them) and an L1-resident dot product, both with AVX2 + FMA when the CPU has
//! them (detected at run time), plus the same dot product as portable code (what driftlab's
//! `world::dot` compiles to for the default x86-64 target). Per core; `cargo bench --bench peak`.
//! Throughput is reported as elements/s = flops/s (2 flops per multiply-add).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// `iters` rounds of 8 independent FMAs on 8-lane registers: 128 flops a round.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma_registers(iters: u64, x: f32) -> f32 {
        let a = _mm256_set1_ps(x);
        let b = _mm256_set1_ps(0.999_999);
        let mut acc = [_mm256_setzero_ps(); 8];
        for _ in 0..iters {
            for r in acc.iter_mut() {
                *r = _mm256_fmadd_ps(*r, b, a);
            }
        }
        let mut s = _mm256_setzero_ps();
        for r in acc {
            s = _mm256_add_ps(s, r);
        }
        let mut out = [0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), s);
        out.iter().sum()
    }

    /// `iters` rounds of 8 independent FMAs on 16-lane registers: 256 flops a round.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn fma_registers_512(iters: u64, x: f32) -> f32 {
        let a = _mm512_set1_ps(x);
        let b = _mm512_set1_ps(0.999_999);
        let mut acc = [_mm512_setzero_ps(); 8];
        for _ in 0..iters {
            for r in acc.iter_mut() {
                *r = _mm512_fmadd_ps(*r, b, a);
            }
        }
        let mut s = _mm512_setzero_ps();
        for r in acc {
            s = _mm512_add_ps(s, r);
        }
        _mm512_reduce_add_ps(s)
    }

    /// Dot product with 4 AVX accumulators (32 lanes); lengths a multiple of 32.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let mut acc = [_mm256_setzero_ps(); 4];
        for (x, y) in a.chunks_exact(32).zip(b.chunks_exact(32)) {
            for (k, r) in acc.iter_mut().enumerate() {
                let xv = _mm256_loadu_ps(x.as_ptr().add(8 * k));
                let yv = _mm256_loadu_ps(y.as_ptr().add(8 * k));
                *r = _mm256_fmadd_ps(xv, yv, *r);
            }
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut out = [0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), s);
        out.iter().sum()
    }
}

fn peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("peak_f32_one_core");
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let iters = 100_000u64;
        group.throughput(Throughput::Elements(iters * 8 * 8 * 2));
        group.bench_function("fma_registers_avx2", |b| {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            b.iter(|| unsafe { avx::fma_registers(black_box(iters), black_box(1e-3)) })
        });
        if is_x86_feature_detected!("avx512f") {
            group.throughput(Throughput::Elements(iters * 8 * 16 * 2));
            group.bench_function("fma_registers_avx512", |b| {
                // SAFETY: the CPU supports AVX-512F (checked just above).
                b.iter(|| unsafe { avx::fma_registers_512(black_box(iters), black_box(1e-3)) })
            });
            group.throughput(Throughput::Elements(iters * 8 * 8 * 2));
        }
        let n = 2048usize; // two 8 KiB arrays: L1-resident
        let (x, y): (Vec<f32>, Vec<f32>) = (0..n)
            .map(|i| ((i as f32 * 0.1).sin(), (i as f32 * 0.3).cos()))
            .unzip();
        group.throughput(Throughput::Elements(2 * n as u64));
        group.bench_function("dot_l1_avx2_fma", |b| {
            // SAFETY: as above.
            b.iter(|| unsafe { avx::dot(black_box(&x), black_box(&y)) })
        });
    }
    let n = 2048usize;
    let (x, y): (Vec<f32>, Vec<f32>) = (0..n)
        .map(|i| ((i as f32 * 0.1).sin(), (i as f32 * 0.3).cos()))
        .unzip();
    group.throughput(Throughput::Elements(2 * n as u64));
    group.bench_function("dot_l1_portable_driftlab", |b| {
        b.iter(|| driftlab::world::dot(black_box(&x), black_box(&y)))
    });
    group.finish();
}

/// The machine's random-read throughput out of memory, the other ceiling a population step
/// meets: reads of `u32`s at random positions of a 512 MiB array (larger than any cache, like
/// the 1m world's ~400 MB of CSR), one read per index, the indices independent so the core can
/// keep as many misses in flight as it has buffers for. Once as plain loads, once through
/// `driftlab::internals::gather`, the software pipeline (hints 16 reads ahead) that
/// driftlab's embedding retrieval uses.
fn random_reads(c: &mut Criterion) {
    let mut group = c.benchmark_group("random_reads_512mib_one_core");
    let len = 128usize << 20; // 128 Mi u32 = 512 MiB
    let table: Vec<u32> = (0..len as u32).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let reads = 1usize << 16;
    let index: Vec<usize> = (0..reads)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % len as u64) as usize
        })
        .collect();
    group.throughput(Throughput::Elements(reads as u64));
    group.bench_function("loads", |b| {
        b.iter(|| {
            index
                .iter()
                .map(|&i| table[i])
                .fold(0u32, u32::wrapping_add)
        })
    });
    group.bench_function("gather_pipelined", |b| {
        b.iter(|| {
            let mut acc = 0u32;
            driftlab::internals::gather(
                &index,
                |i| driftlab::internals::prefetch(&table[i]),
                |i| acc = acc.wrapping_add(table[i]),
            );
            acc
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotting backend needs system fonts this machine may lack.
    config = Criterion::default().without_plots();
    targets = peak, random_reads
}
criterion_main!(benches);
