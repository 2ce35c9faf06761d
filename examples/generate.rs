//! Generates the worlds of a scenario's first replicate and prints the time, size and the
//! estimate, without simulating anything: `cargo run --release --example generate --
//! scenarios/bench/1m.toml` (used by `benches/README.md` to measure world generation at scale;
//! run it under `/usr/bin/time -v` for the peak memory).

use driftlab::estimate::CostEstimate;
use driftlab::experiment::WorldSource;
use driftlab::scenario::{Overrides, Scenario};
use std::path::Path;
use std::time::Instant;

/// Huge pages for large worlds, as the `driftlab` binary uses.
#[global_allocator]
static ALLOC: driftlab::alloc::HugePages = driftlab::alloc::HugePages;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "scenarios/bench/1m.toml".into());
    let scenario = Scenario::load(Path::new(&path), &Overrides::default())?;
    let threads = rayon::current_num_threads();
    let estimate = CostEstimate::of(&scenario, 1);
    let source = WorldSource::prepare(&scenario)?;
    let start = Instant::now();
    let world = source.world(&scenario, 0);
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{path}: {} accounts, {} edges, {:.1} MiB heap; generated in {seconds:.2} s on {threads} \
         threads",
        world.accounts(),
        world.graph().edges(),
        world.heap_bytes() as f64 / 1048576.0
    );
    println!("estimate (1 world): {estimate}");
    Ok(())
}
