//! Times the living population of a scenario's first replicate and first arm, step by step,
//! without probes, panel or output files:
//!
//! ```sh
//! cargo run --release --example population_step -- scenarios/bench/population-1m.toml
//! cargo run --release --example population_step -- scenarios/bench/population-1m.toml --set steps=11
//! ```
//!
//! It prints, for each step, the time of the population step itself (every active account
//! served, engaging and following, in parallel), of the serial commit of its follows, and of
//! the platform's index rebuild when one is due; then the median, minimum and maximum step
//! time. Before that it serves each surface alone, on one thread, to `--requests N` ordinary
//! accounts (default 20,000; every 10th in the order the population serves them), so the cost
//! per request of each surface's policy can be read off (`benches/README.md` quotes both).

use driftlab::agents::population::Population;
use driftlab::experiment::{Surfaces, WorldSource};
use driftlab::internals::LiveGraph;
use driftlab::mitigation::{MitigationStack, Slate};
use driftlab::pipeline::Serving;
use driftlab::platform::{Labels, PlatformView, Viewer};
use driftlab::policy::{Scratch, Surface};
use driftlab::rng::{SeedTree, StreamId};
use driftlab::scenario::{Overrides, Scenario};
use driftlab::world::World;
use std::path::Path;
use std::time::Instant;

/// Huge pages for large worlds, as the `driftlab` binary uses.
#[global_allocator]
static ALLOC: driftlab::alloc::HugePages = driftlab::alloc::HugePages;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("population_step: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "scenarios/bench/population-1m.toml".into());
    let mut sets = Vec::new();
    let mut requests = 20_000;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--set" => sets.extend(args.next()),
            "--requests" => {
                requests = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--requests takes a number")?
            }
            other => return Err(format!("unexpected argument {other:?}").into()),
        }
    }
    let scenario = Scenario::load(
        Path::new(&path),
        &Overrides {
            sets,
            ..Overrides::default()
        },
    )?;
    let spec = scenario.spec();
    let threads = rayon::current_num_threads();
    let start = Instant::now();
    let world = WorldSource::prepare(&scenario)?.world(&scenario, 0);
    println!(
        "{path}: {} accounts, {} edges; world in {:.2} s; {threads} threads",
        world.accounts(),
        world.graph().edges(),
        start.elapsed().as_secs_f64()
    );
    let labels = Labels::none(world.accounts(), world.terms());
    let surfaces = Surfaces::build(&scenario)?;
    let plans = surfaces.plans();
    let none = MitigationStack::default();
    let tree = SeedTree::new(spec.seed);
    let population = Population::new(&world, tree.agents(0, StreamId::Population));

    // The platform's index: the world's graph, plus precomputed co-follow walk segments when
    // the scenario asks for them.
    let t = Instant::now();
    let segments = spec.surfaces.co_follow_segments() as usize;
    let mut live = LiveGraph::new().with_walks(&world, segments, tree.agents(0, StreamId::Walks));
    if segments > 0 {
        println!(
            "  co-follow walk segments: {segments} per account drawn in {:.3} s",
            t.elapsed().as_secs_f64()
        );
    }
    // Each surface alone, one thread, the first ordinary accounts (what the population serves).
    let view = PlatformView::new(&world, &labels).with_live_graph(&live);
    // Every 10th ordinary account in the order the population serves them (cluster by cluster),
    // as a 10% active share would pick them.
    let viewers: Vec<u32> = (0..world.accounts())
        .map(|p| world.member_at(p))
        .filter(|&a| !world.truth().is_flagged(a))
        .step_by(10)
        .take(requests)
        .map(|a| a.0)
        .collect();
    // REPEAT=k serves each surface k times over (a long, clean window for a profiler).
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    for plan in plans.iter().filter(|_| !viewers.is_empty()) {
        let mut micros = 0.0;
        for _ in 0..repeat.max(1) {
            micros = per_request(&world, &view, &population, plan, &none, &viewers);
        }
        println!(
            "  {:<20} {:<10} pool {:>4}: {micros:>7.2} µs per request (1 thread)",
            plan.surface.name(),
            plan.policy.name(),
            plan.pool
        );
    }

    if std::env::var("NOSTEPS").is_ok() {
        return Ok(());
    }
    let mut population = population;
    let refresh = scenario.derived().index_refresh;
    let mut step_seconds = Vec::new();
    for step in 1..=spec.steps {
        let view = PlatformView::new(&world, &labels).with_live_graph(&live);
        let t = Instant::now();
        population.step(step, &spec.population, &world, &view, &plans, &none);
        let served = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let stats = population.commit(&world, &mut live);
        let commit = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let rebuilt = step % refresh == 0 && live.pending();
        if step % refresh == 0 {
            live.rebuild(&world);
        }
        let rebuild = t.elapsed().as_secs_f64();
        println!(
            "step {step:>3}: {served:.3} s serving {} active accounts ({:.1} µs CPU each), \
             commit {commit:.3} s ({} follows){}",
            stats.active,
            served * threads as f64 * 1e6 / stats.active.max(1) as f64,
            stats.follows,
            if rebuilt {
                format!(", index rebuild {rebuild:.3} s")
            } else {
                String::new()
            }
        );
        step_seconds.push(served + commit + rebuild);
    }
    let mut sorted = step_seconds.clone();
    sorted.sort_by(f64::total_cmp);
    if let (Some(min), Some(max)) = (sorted.first(), sorted.last()) {
        let total: f64 = step_seconds.iter().sum();
        println!(
            "population step (serving + commit + rebuild when due): median {:.3} s (min {min:.3}, \
             max {max:.3}), mean {:.3} s over {} steps",
            sorted[sorted.len() / 2],
            total / step_seconds.len() as f64,
            step_seconds.len()
        );
    }
    Ok(())
}

/// Mean time to serve `plan` once to each of `viewers`, on this thread.
fn per_request(
    world: &World,
    view: &PlatformView<'_>,
    population: &Population,
    plan: &driftlab::pipeline::SurfacePlan<'_>,
    mitigation: &MitigationStack,
    viewers: &[u32],
) -> f64 {
    let tree = SeedTree::new(1);
    let (mut policy_rng, mut mitigation_rng) = (
        tree.stream(0, StreamId::Policy),
        tree.stream(0, StreamId::Mitigation),
    );
    let (mut scratch, mut slate) = (Scratch::default(), Slate::new());
    let mut shown = 0usize;
    let t = Instant::now();
    for &a in viewers {
        let a = driftlab::ids::AccountId(a);
        let followees = view.followees(a);
        let terms = world.community_terms(world.community(a));
        let query = (plan.surface == Surface::Search && !terms.is_empty())
            .then_some(driftlab::ids::TermId(terms.start));
        let viewer = Viewer {
            followees,
            last_followed: followees.last().copied(),
            estimate: population.estimate(a),
        };
        let serving = Serving {
            policy_rng: &mut policy_rng,
            mitigation_rng: &mut mitigation_rng,
            scratch: &mut scratch,
            slate: &mut slate,
        };
        plan.serve(view, mitigation, viewer, query, serving);
        shown += slate.items().len();
    }
    std::hint::black_box(shown);
    t.elapsed().as_secs_f64() * 1e6 / viewers.len() as f64
}
