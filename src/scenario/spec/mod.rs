//! The scenario file as written: serde types that mirror the TOML one to one. Every struct denies
//! unknown keys, every optional key has a documented default, and nothing here is trusted until
//! [`crate::scenario::Scenario`] has validated it.

mod accounts;
mod arms;
mod platform;
mod policy;
mod probes;
mod world;

pub use accounts::*;
pub use arms::*;
pub use platform::*;
pub use policy::*;
pub use probes::*;
pub use world::*;

use serde::{Deserialize, Serialize};

/// A whole experiment: one world, the surfaces and their policies, the probes, and the arms
/// (mitigation stacks) compared on shared random numbers.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Name of the scenario; results go to `<out>/<name>/`. Letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// Free text shown in the summary.
    #[serde(default)]
    pub description: String,
    /// Master seed of the seed tree (mandatory: a run is always reproducible).
    pub seed: u64,
    /// Steps each probe takes after its seed actions (1 ..= 100000; default 100).
    #[serde(default = "default_steps")]
    pub steps: u32,
    /// Independent replicates, each with its own world (1 ..= 100000; default 20).
    #[serde(default = "default_replicates")]
    pub replicates: u32,
    /// The world: accounts, communities, graph, terms.
    pub world: WorldSpec,
    /// The moderation classifier whose labels the mitigations act on.
    #[serde(default)]
    pub moderation: ModerationSpec,
    /// The platform's surfaces and the policy serving each.
    #[serde(default)]
    pub surfaces: SurfacesSpec,
    /// Groups of sock-puppet probes (`[[probes]]`); default: one group of 100 starting in adjacent
    /// communities.
    #[serde(default = "default_probes")]
    pub probes: Vec<ProbeGroupSpec>,
    /// Drift metric parameters.
    #[serde(default)]
    pub metrics: MetricsSpec,
    /// The panel of ordinary accounts on which the collateral cost of mitigations is measured.
    #[serde(default)]
    pub panel: PanelSpec,
    /// How the flagged cluster adapts to moderation (lexical evasion, ban evasion, bridges).
    #[serde(default)]
    pub adversary: AdversarySpec,
    /// The living population: ordinary accounts that act every step.
    #[serde(default)]
    pub population: PopulationSpec,
    /// The arms to compare (`[[arms]]`), each a named mitigation stack; at least one.
    pub arms: Vec<ArmSpec>,
    /// Parameter grid (`[sweep]`): each key is a `--set` path, each value the list of values to
    /// try, e.g. `"world.flagged_fraction" = [0.005, 0.01]`. Every combination is run as its own
    /// scenario `p000`, `p001`, ... (first key varies slowest). Empty: no sweep.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sweep: std::collections::BTreeMap<String, Vec<toml::Value>>,
}

fn default_steps() -> u32 {
    100
}
fn default_replicates() -> u32 {
    20
}
fn default_probes() -> Vec<ProbeGroupSpec> {
    vec![ProbeGroupSpec::default()]
}
