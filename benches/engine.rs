//! Criterion benches of the hot paths, all seeded: world generation and one arm of the
//! quickstart's probes on a generated world.

use criterion::{criterion_group, criterion_main, Criterion};
use driftlab::experiment::{self, WorldSource};
use driftlab::scenario::{Overrides, Scenario};
use std::hint::black_box;

fn quickstart() -> Scenario {
    Scenario::quickstart(&Overrides {
        replicates: Some(1),
        ..Overrides::default()
    })
    .expect("embedded quickstart is valid")
}

fn world_generation(c: &mut Criterion) {
    let scenario = quickstart();
    let source = WorldSource::prepare(&scenario).expect("no import");
    c.bench_function("world_generation_quickstart_20k", |b| {
        b.iter(|| black_box(source.world(&scenario, 0)))
    });
}

fn one_replicate(c: &mut Criterion) {
    let scenario = quickstart();
    let mut group = c.benchmark_group("experiment");
    group.sample_size(10);
    group.bench_function("quickstart_one_replicate_three_arms", |b| {
        b.iter(|| black_box(experiment::run(&scenario, &|| {}).expect("runs")))
    });
    group.finish();
}

criterion_group!(benches, world_generation, one_replicate);
criterion_main!(benches);
