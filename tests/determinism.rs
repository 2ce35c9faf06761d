//! Determinism is the product: the same scenario and seed give byte-identical results whatever
//! the thread count, in the library and through the binary.

use driftlab::experiment;
use driftlab::results::output;
use driftlab::scenario::{Overrides, Scenario};
use std::path::Path;
use std::process::Command;

fn smoke() -> Scenario {
    Scenario::load(Path::new("scenarios/smoke.toml"), &Overrides::default()).unwrap()
}

fn run_with_threads(scenario: &Scenario, threads: usize) -> experiment::ExperimentResult {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| experiment::run(scenario, &|| {}).unwrap())
}

#[test]
fn one_and_many_threads_agree_in_the_library() {
    let scenario = smoke();
    let one = run_with_threads(&scenario, 1);
    let four = run_with_threads(&scenario, 4);
    // Debug text: NaN (an empty metric) compares unequal to itself with `==`.
    assert_eq!(format!("{one:?}"), format!("{four:?}"));
    assert_eq!(output::steps_csv(&one), output::steps_csv(&four));
}

#[test]
fn rerun_is_identical_and_seed_matters() {
    let scenario = smoke();
    let a = run_with_threads(&scenario, 2);
    let b = run_with_threads(&scenario, 2);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let other = Scenario::load(
        Path::new("scenarios/smoke.toml"),
        &Overrides {
            seed: Some(2),
            ..Overrides::default()
        },
    )
    .unwrap();
    assert_ne!(
        format!("{:?}", run_with_threads(&other, 2)),
        format!("{a:?}"),
        "a different seed must change results"
    );
}

#[test]
fn arms_share_worlds_and_streams() {
    // Common random numbers: an arm whose mitigations never fire (no labels at all) must equal
    // the baseline exactly.
    let mut text = std::fs::read_to_string("scenarios/smoke.toml").unwrap();
    text.push_str("\n[moderation]\nrecall = 0.0\nterm_recall = 0.0\n");
    let scenario = Scenario::from_toml_str(
        &text,
        "smoke-no-labels",
        Path::new("."),
        &Overrides::default(),
    )
    .unwrap();
    let result = run_with_threads(&scenario, 2);
    for r in 0..result.runs.len() {
        assert_eq!(
            format!("{:?}", result.run(r, 0)),
            format!("{:?}", result.run(r, 1)),
            "replicate {r}"
        );
    }
}

fn run_binary(out: &Path, threads: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(["run", "scenarios/smoke.toml", "--threads", threads, "--out"])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every table (the Parquet copies too, where the build writes them) and report text is the
/// same for 1 and 2 threads, and for two runs with 2 threads.
#[test]
fn binary_output_is_byte_identical_for_1_and_2_threads() {
    let tmp = std::env::temp_dir().join(format!("driftlab-det-{}", std::process::id()));
    let (a, b, c) = (tmp.join("t1"), tmp.join("t2"), tmp.join("t2-again"));
    run_binary(&a, "1");
    run_binary(&b, "2");
    run_binary(&c, "2");
    let parquet: &[&str] = if cfg!(feature = "parquet") {
        &["steps.parquet", "probes.parquet"]
    } else {
        &[]
    };
    for file in [
        "steps.csv",
        "probes.csv",
        "summary.md",
        "scenario.resolved.toml",
    ]
    .iter()
    .chain(parquet)
    {
        let x = std::fs::read(a.join("smoke").join(file)).unwrap();
        let y = std::fs::read(b.join("smoke").join(file)).unwrap();
        let z = std::fs::read(c.join("smoke").join(file)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{file} differs between 1 and 2 threads");
        assert!(y == z, "{file} differs between two runs");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn walk_segments_with_a_living_population_agree_for_1_and_4_threads() {
    // Precomputed co-follow walk segments, redrawn at every index rebuild, while a living
    // population follows: the same results for any thread count, and not those of walking.
    let load = |segments: u32| {
        Scenario::load(
            Path::new("scenarios/smoke.toml"),
            &Overrides {
                sets: vec![
                    format!(
                        "surfaces.suggested_accounts.policy.components[0].policy.segments={segments}"
                    ),
                    "population.active_share=0.1".into(),
                    "surfaces.index_refresh=3".into(),
                    "replicates=2".into(),
                    "steps=12".into(),
                ],
                ..Overrides::default()
            },
        )
        .unwrap()
    };
    let with = load(8);
    let one = run_with_threads(&with, 1);
    let four = run_with_threads(&with, 4);
    assert_eq!(format!("{one:?}"), format!("{four:?}"));
    assert_eq!(output::steps_csv(&one), output::steps_csv(&four));
    let walked = run_with_threads(&load(0), 2);
    assert_ne!(output::steps_csv(&one), output::steps_csv(&walked));
}
