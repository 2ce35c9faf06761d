//! Golden results for the tiny smoke scenario: the per-step and per-probe outputs of the library
//! must match the committed reference results in `results/reference/smoke/` (the same files the
//! CI gate in `.ci/run` compares byte for byte through the binary). Numbers are compared with a tolerance of 1e-5 (libm's `exp`/`ln` are not
//! guaranteed bit-identical across platforms); everything else must match exactly.
//! Regenerate after an intended change with `.ci/update-reference`.

use driftlab::experiment;
use driftlab::results::output;
use driftlab::scenario::{Overrides, Scenario};
use std::path::Path;

fn same_within_tolerance(expected: &str, got: &str) -> Result<(), String> {
    let (e, g): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), got.lines().collect());
    if e.len() != g.len() {
        return Err(format!("{} lines expected, {} produced", e.len(), g.len()));
    }
    for (n, (le, lg)) in e.iter().zip(&g).enumerate() {
        let (fe, fg): (Vec<&str>, Vec<&str>) = (le.split(',').collect(), lg.split(',').collect());
        let ok = fe.len() == fg.len()
            && fe.iter().zip(&fg).all(|(a, b)| {
                a == b
                    || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() <= 1e-5)
            });
        if !ok {
            return Err(format!("line {}:\n  expected {le}\n  produced {lg}", n + 1));
        }
    }
    Ok(())
}

#[test]
fn smoke_scenario_matches_golden_results() {
    let scenario =
        Scenario::load(Path::new("scenarios/smoke.toml"), &Overrides::default()).unwrap();
    let result = experiment::run(&scenario, &|| {}).unwrap();
    let files = [
        ("steps.csv", output::steps_csv(&result)),
        ("probes.csv", output::probes_csv(&scenario, &result)),
    ];
    let dir = Path::new("results/reference/smoke");
    for (name, got) in files {
        let path = dir.join(name);
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run .ci/update-reference to create it)",
                path.display()
            )
        });
        if let Err(diff) = same_within_tolerance(&expected, &got) {
            panic!("{name} differs from {}: {diff}", path.display());
        }
    }
}

#[test]
fn tolerance_compare_catches_real_differences() {
    assert!(same_within_tolerance("a,1.000000", "a,1.000004").is_ok());
    assert!(same_within_tolerance("a,1.000000", "a,1.000100").is_err());
    assert!(same_within_tolerance("a,1", "b,1").is_err());
    assert!(same_within_tolerance("a\\nb", "a").is_err());
}
