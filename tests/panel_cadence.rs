//! `panel.every = k`: the collateral panel is served on every k-th step counted back from the
//! last; the probes' numbers do not change, the panel's columns are empty between, and the
//! summary still has the panel's figures.

use driftlab::experiment::Experiment;
use driftlab::scenario::{Overrides, Scenario};
use std::path::Path;

fn run(every: u32) -> (Vec<Vec<String>>, driftlab::experiment::ExperimentResult) {
    let overrides = Overrides {
        sets: vec![format!("panel.every={every}"), "replicates=2".into()],
        ..Overrides::default()
    };
    let scenario = Scenario::load(Path::new("scenarios/smoke.toml"), &overrides).unwrap();
    let result = Experiment::new(scenario.clone())
        .threads(2)
        .run_in_memory()
        .unwrap();
    let csv = driftlab::results::output::steps_csv(&result);
    let rows = csv
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (rows, result)
}

#[test]
fn a_sparser_panel_leaves_the_probes_alone_and_serves_the_last_step() {
    let (dense, _) = run(1);
    let (sparse, result) = run(4);
    let header = &dense[0];
    let panel: Vec<usize> = (0..header.len())
        .filter(|&i| header[i].starts_with("panel_"))
        .collect();
    assert_eq!(panel.len(), 4, "{header:?}");
    let step = header.iter().position(|h| h == "step").unwrap();
    let steps = result.runs[0][0].steps.len() as u32;
    for (d, s) in dense.iter().zip(&sparse).skip(1) {
        for i in 0..header.len() {
            if !panel.contains(&i) {
                assert_eq!(d[i], s[i], "{} differs", header[i]);
            }
        }
        let t: u32 = s[step].parse().unwrap();
        let due = (steps - t).is_multiple_of(4);
        for &i in &panel {
            assert_eq!(
                s[i].is_empty(),
                !due,
                "step {t}: {} = {:?}",
                header[i],
                s[i]
            );
        }
    }
}
