//! driftlab: how fast does a platform's recommender pull an ordinary account toward a harmful
//! cluster, and which mitigation slows it down, at what cost?
//!
//! Everything here is synthetic and abstract: numbered accounts, a "flagged cluster", "flagged
//! terms". The README describes the model; this page is the map of the crate.
//!
//! # The step loop
//!
//! An [`experiment::Experiment`] runs every (replicate, arm) of a [`scenario::Scenario`]. A
//! replicate generates (or imports) its [`world::World`] and the classifier's labels once; each
//! arm then runs the same steps on that world with the same random numbers, and its own
//! mitigation stack. One step ([`engine::run_arm`]):
//!
//! ```text
//! moderate   labels come due, user reports are applied          platform::Labels
//! adapt      the flagged cluster evades, returns, bridges        adversary
//! serve      for each agent, each surface:                       agents::serve_and_respond
//!              candidates -> Policy (yours or built-in)          policy::Policy      <- plug-in
//!              -> dedup -> rank -> pool cut                      pipeline
//!              -> Mitigation stack (yours or built-in)           mitigation::Mitigation <- plug-in
//!              -> slate cut
//! respond    the agent chooses (logit), the platform's estimate  agents::{probe, panel,
//!            learns, it may follow (friction, bans)                population}
//! measure    probes' drift, the panel's collateral, labels       engine -> steps.csv
//! rebuild    every few steps, the platform's follow index        (co-follow, popularity)
//! ```
//!
//! Policies and mitigations see only a [`platform::PlatformView`] (what a platform could
//! observe: the follow graph, content, tags, labels, its own estimate of the viewer), never
//! latent interests or true flags; agents choose on ground truth, and metrics measure it.
//!
//! # Bring your own recommender
//!
//! Implement [`policy::Policy`] (or [`mitigation::Mitigation`]), register it under a name with
//! typed parameters ([`experiment::Experiment::policy`], [`plugin::Registry`]), and name it in
//! a scenario file like a built-in: `policy = { kind = "my_ranker", alpha = 0.3 }`. The run is
//! the CLI's own: parallel jobs, paired arms, resumable parts, CSVs, manifest, report, sweeps.
//! `examples/custom_policy.rs` is a complete user program. A ranker or mitigation that works on
//! whole batches (one call per step and surface, with every request's candidates as
//! flat columns; how Python plug-ins run) implements [`batch::BatchPolicy`] or
//! [`batch::BatchMitigation`] instead; the step loop then serves probes and the panel surface
//! by surface (`agents::batched`), with the same numbers as the per-agent loop.
//!
//! # Determinism
//!
//! One generator (ChaCha8), a seed tree with one stream per (replicate, subsystem, agent), no
//! thread RNG, no hash-map order in results, serial reductions in job order: the same scenario
//! and seed give byte-identical results on any number of threads, plug-ins included (they draw
//! only from the streams they are handed).
#![warn(missing_docs)]

pub mod adversary;
#[doc(hidden)]
pub mod agents;
#[doc(hidden)]
pub mod alloc;
pub mod analysis;
mod atomic;
pub mod batch;
pub mod catalog;
pub mod engine;
pub mod error;
pub mod estimate;
pub mod experiment;
pub mod ids;
mod live_graph;
mod memory;
pub mod metrics;
pub mod mitigation;
pub mod pipeline;
pub mod platform;
pub mod plugin;
pub mod policy;
pub mod report;
pub mod results;
pub mod rng;
pub mod scenario;
pub mod slate;
pub mod stats;
pub mod world;

pub use error::{Error, Result};

/// Internals that the project's own benchmarks and tools reach: not part of the public API,
/// with no stability promise (hash tables, memory hints, the live follow graph, chunk sizes).
#[doc(hidden)]
pub mod internals {
    pub use crate::agents::population::CHUNK;
    pub use crate::live_graph::LiveGraph;
    pub use crate::world::prefetch::{gather, prefetch, AHEAD};
}
