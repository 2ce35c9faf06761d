//! Criterion benches of the hot paths, all seeded: world generation, slate ranking per built-in
//! policy, the embedding scoring kernel (reported in flops), one probe step, one step of a
//! living population, and one replicate of the quickstart. `cargo bench --bench engine`; figures in `benches/README.md`.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use driftlab::agents::population::Population;
use driftlab::agents::probe::{Probe, ProbeStreams, StepConfig};
use driftlab::experiment::{self, Surfaces, WorldSource};
use driftlab::ids::{AccountId, CommunityId};
use driftlab::internals::LiveGraph;
use driftlab::mitigation::{MitigationStack, Slate};
use driftlab::pipeline::{serve, Request};
use driftlab::platform::{InterestEstimates, Labels, PlatformView, Viewer};
use driftlab::plugin::Registry;
use driftlab::policy::{Candidate, Context, Scratch, Surface};
use driftlab::rng::{SeedTree, StreamId};
use driftlab::scenario::spec::{
    CoFollowSpec, EmbeddingSpec, EmptySpec, HybridComponentSpec, HybridSpec, PolicySpec,
};
use driftlab::scenario::{Overrides, Scenario};
use driftlab::world::World;
use std::hint::black_box;
use std::path::Path;

fn quickstart() -> Scenario {
    Scenario::quickstart(&Overrides {
        replicates: Some(1),
        ..Overrides::default()
    })
    .expect("embedded quickstart is valid")
}

fn world_of(scenario: &Scenario) -> World {
    WorldSource::prepare(scenario)
        .expect("no import")
        .world(scenario, 0)
}

fn world_generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("world_generation");
    group.sample_size(10);
    let scenario = quickstart();
    let source = WorldSource::prepare(&scenario).expect("no import");
    group.bench_function("quickstart_20k", |b| {
        b.iter(|| black_box(source.world(&scenario, 0)))
    });
    let bench = Scenario::load(
        Path::new("scenarios/bench/100k.toml"),
        &Overrides::default(),
    )
    .expect("bench scenario is valid");
    let source = WorldSource::prepare(&bench).expect("no import");
    group.bench_function("bench_100k", |b| {
        b.iter(|| black_box(source.world(&bench, 0)))
    });
    group.finish();
}

/// The built-in policies, as a scenario would configure them.
fn policies() -> Vec<(&'static str, PolicySpec)> {
    vec![
        ("random", PolicySpec::Random(EmptySpec {})),
        ("popularity", PolicySpec::Popularity(EmptySpec {})),
        ("co_follow", PolicySpec::CoFollow(CoFollowSpec::default())),
        ("embedding", PolicySpec::Embedding(EmbeddingSpec::default())),
        (
            "hybrid",
            PolicySpec::Hybrid(HybridSpec {
                components: vec![
                    HybridComponentSpec {
                        weight: 1.0,
                        policy: PolicySpec::CoFollow(CoFollowSpec::default()),
                    },
                    HybridComponentSpec {
                        weight: 0.5,
                        policy: PolicySpec::Embedding(EmbeddingSpec::default()),
                    },
                ],
            }),
        ),
        (
            "uniform_followee",
            PolicySpec::UniformFollowee(EmptySpec {}),
        ),
    ]
}

/// A viewer who follows the first 10 members of community 0, with their mean content as the
/// platform's estimate.
fn viewer_of(world: &World) -> (Vec<AccountId>, Vec<f32>) {
    let followees: Vec<AccountId> = world.members(CommunityId(0))[..10].to_vec();
    let estimate = world.cluster_mean(CommunityId(0)).to_vec();
    (followees, estimate)
}

fn slate_ranking(c: &mut Criterion) {
    let scenario = quickstart();
    let world = world_of(&scenario);
    let labels = Labels::none(world.accounts(), world.terms());
    let view = PlatformView::new(&world, &labels);
    let (followees, estimate) = viewer_of(&world);
    let none = MitigationStack::default();
    let mut group = c.benchmark_group("slate_ranking_quickstart_world");
    for (name, spec) in policies() {
        let policy = Registry::new().build_policy(&spec).expect("a built-in");
        let request = Request {
            surface: Surface::SuggestedAccounts,
            viewer: Viewer {
                followees: &followees,
                last_followed: followees.last().copied(),
                estimate: &estimate,
            },
            query: None,
            pool: 100,
            slate: 10,
        };
        let tree = SeedTree::new(1);
        let (mut rng, mut mrng) = (
            tree.stream(0, StreamId::Policy),
            tree.stream(0, StreamId::Mitigation),
        );
        let (mut scratch, mut slate) = (Scratch::default(), Slate::new());
        group.bench_function(BenchmarkId::new("pool100_slate10", name), |b| {
            b.iter(|| {
                serve(
                    policy.as_ref(),
                    &none,
                    &view,
                    &request,
                    &mut rng,
                    &mut mrng,
                    &mut scratch,
                    &mut slate,
                );
                black_box(slate.len())
            })
        });
    }
    group.finish();
}

/// The embedding scoring kernel: the viewer's estimate dotted with 4,096 candidates' content
/// vectors, reported as floating-point operations per second (2 x dims per candidate).
fn scoring_kernel(c: &mut Criterion) {
    let mut group = c.benchmark_group("embedding_scoring_kernel");
    for (label, dims, path) in [
        ("quickstart_dims16", 16u64, None),
        (
            "peer_dims20",
            20,
            Some("benches/peer/trecs_equivalent.toml"),
        ),
        // Content rows gathered from a million-account world (64 MB of content): the case of
        // the living population at scale, bound by memory latency rather than arithmetic.
        ("bench_1m_dims16", 16, Some("scenarios/bench/1m.toml")),
    ] {
        let scenario = match path {
            None => quickstart(),
            Some(p) => Scenario::load(Path::new(p), &Overrides::default()).expect("valid"),
        };
        let world = world_of(&scenario);
        let labels = Labels::none(world.accounts(), world.terms());
        let view = PlatformView::new(&world, &labels);
        let (followees, estimate) = viewer_of(&world);
        let viewer = Viewer {
            followees: &followees,
            last_followed: None,
            estimate: &estimate,
        };
        let policy = Registry::new()
            .build_policy(&PolicySpec::Embedding(EmbeddingSpec::default()))
            .expect("a built-in");
        let n = 4096usize;
        // Random accounts (as sampled candidates are), fixed by the seed.
        let mut candidates: Vec<Candidate> = (0..n)
            .map(|i| Candidate {
                account: AccountId(((i as u64 * 2_654_435_761) % world.accounts() as u64) as u32),
                score: 0.0,
            })
            .collect();
        let mut rng = SeedTree::new(1).stream(0, StreamId::Policy);
        let mut scratch = Scratch::default();
        group.throughput(Throughput::Elements(2 * dims * n as u64));
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut cx = Context::new(&view, &viewer, Surface::Feed, n, &mut rng, &mut scratch);
                policy.score(&mut cx, &mut candidates);
                black_box(candidates[0].score)
            })
        });
        if label == "bench_1m_dims16" {
            // The other half of embedding retrieval: the estimate against every cluster's mean
            // (211 x 16, in L1), compute-bound, as the embedding policy does per request.
            let clusters = view.clusters();
            group.throughput(Throughput::Elements(2 * dims * clusters as u64));
            group.bench_function("cluster_similarity_211_dims16", |b| {
                b.iter(|| {
                    let mut best = f32::MIN;
                    for c in 0..clusters as u32 {
                        best = best.max(driftlab::world::dot(
                            black_box(&estimate),
                            view.cluster_mean(CommunityId(c)),
                        ));
                    }
                    black_box(best)
                })
            });
            // The same similarities as the policy computes them: the transposed centroid
            // table, in the widest registers the CPU has.
            let mut sims = Vec::with_capacity(clusters);
            group.bench_function("cluster_similarity_table_211_dims16", |b| {
                b.iter(|| {
                    sims.clear();
                    view.cluster_similarities(black_box(&estimate), &mut sims);
                    black_box(sims[0].0)
                })
            });
        }
    }
    group.finish();
}

fn probe_step(c: &mut Criterion) {
    let scenario = quickstart();
    let spec = scenario.spec();
    let world = world_of(&scenario);
    let labels = Labels::none(world.accounts(), world.terms());
    let view = PlatformView::new(&world, &labels);
    let surfaces = Surfaces::build(&scenario).expect("built-in policies");
    let plans = surfaces.plans();
    let none = MitigationStack::default();
    let starts = world
        .truth()
        .communities_of(driftlab::world::CommunityKind::Adjacent);
    let tree = SeedTree::new(spec.seed);
    let persona = &spec.probes[0];
    let config = StepConfig {
        drift_threshold: 0.5,
        report_prob: 0.0,
    };
    let steps = spec.steps;
    let mut group = c.benchmark_group("probe_step");
    // A fresh probe (setup, not timed) walks the scenario's horizon; throughput = probe-steps.
    group.throughput(Throughput::Elements(u64::from(steps)));
    group.bench_function("quickstart_all_surfaces_100_steps", |b| {
        b.iter_batched(
            || {
                let streams = ProbeStreams {
                    behaviour: tree.agents(0, StreamId::Probe).agent(0),
                    policy: tree.agents(0, StreamId::Policy).agent(0),
                    mitigation: tree.agents(0, StreamId::Mitigation).agent(0),
                };
                let probe = Probe::new(&world, persona, 0, &starts, 0.5, 5, streams);
                let estimate = InterestEstimates::initial(&world, 1, |_| probe.followees());
                (probe, estimate)
            },
            |(mut probe, mut estimate)| {
                let row = estimate.row_mut(0);
                for step in 1..=steps {
                    black_box(
                        probe.step(row, step, persona, &world, &view, &plans, &none, &config),
                    );
                }
                probe
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// One step of a living population: the population-1m benchmark scenario (10% of ordinary
/// accounts active, suggestions from a co-follow + embedding hybrid) scaled down to 100,000
/// accounts so that the bench stays quick; throughput = active accounts served.
fn population_step(c: &mut Criterion) {
    let scenario = Scenario::load(
        Path::new("scenarios/bench/population-1m.toml"),
        &Overrides {
            sets: vec![
                "world.accounts=100000".into(),
                "world.flagged_fraction=0.01".into(),
            ],
            ..Overrides::default()
        },
    )
    .expect("bench scenario is valid");
    let spec = scenario.spec();
    let world = world_of(&scenario);
    let labels = Labels::none(world.accounts(), world.terms());
    let surfaces = Surfaces::build(&scenario).expect("built-in policies");
    let plans = surfaces.plans();
    let none = MitigationStack::default();
    let tree = SeedTree::new(spec.seed);
    let mut population = Population::new(&world, tree.agents(0, StreamId::Population));
    let walks = spec.surfaces.co_follow_segments() as usize;
    let mut live = LiveGraph::new().with_walks(&world, walks, tree.agents(0, StreamId::Walks));
    let active = (world.accounts() as f64 * spec.population.active_share) as u64;
    let mut group = c.benchmark_group("population_step");
    group.sample_size(10);
    group.throughput(Throughput::Elements(active));
    let mut step = 0;
    group.bench_function("bench_100k_10pct_active_hybrid", |b| {
        b.iter(|| {
            step += 1;
            let view = PlatformView::new(&world, &labels).with_live_graph(&live);
            population.step(step, &spec.population, &world, &view, &plans, &none);
            black_box(population.commit(&world, &mut live))
        })
    });
    // A rebuild in steady state: the arm already has its own copy of the graph (the first
    // rebuild's copy is not timed), and one step of follows is waiting.
    group.bench_function("index_rebuild_one_step_of_follows", |b| {
        b.iter_batched(
            || {
                let mut live =
                    LiveGraph::new().with_walks(&world, walks, tree.agents(0, StreamId::Walks));
                for s in 1..=2 {
                    let view = PlatformView::new(&world, &labels).with_live_graph(&live);
                    population.step(s, &spec.population, &world, &view, &plans, &none);
                    population.commit(&world, &mut live);
                    if s == 1 {
                        live.rebuild(&world);
                    }
                }
                live
            },
            |mut live| {
                live.rebuild(&world);
                live
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
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

criterion_group!(
    name = benches;
    // No plots: criterion's plotting backend needs system fonts this machine may lack.
    config = Criterion::default().without_plots();
    targets = world_generation,
    slate_ranking,
    scoring_kernel,
    probe_step,
    population_step,
    one_replicate
);
criterion_main!(benches);
