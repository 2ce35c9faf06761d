//! Fuzzes the scenario loader: any text must give a scenario or an error, never a panic, a
//! hang or an unbounded allocation. An accepted scenario is also checked and estimated, the way
//! `driftlab validate` does.
#![no_main]

use driftlab::experiment::Experiment;
use driftlab::plugin::Registry;
use driftlab::scenario::{Overrides, Scenario};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::from_toml_str(
        text,
        "fuzz.toml",
        Path::new("/nonexistent-fuzz-dir"),
        &Overrides::default(),
    ) else {
        return;
    };
    let _ = scenario.resolved_toml();
    let _ = driftlab::estimate::CostEstimate::of(&scenario, 2);
    let _ = Experiment::new(scenario).registry(Registry::new()).check();
});
