//! driftlab: how fast does a platform's recommender pull an ordinary account toward a harmful
//! cluster, and which mitigation slows it down, at what cost?
//!
//! Everything here is synthetic and abstract: numbered accounts, a "flagged cluster", "flagged
//! terms". See the README for the model and the step loop.
#![warn(missing_docs)]

pub mod adversary;
pub mod alloc;
pub mod analysis;
pub mod atomic;
pub mod catalog;
pub mod engine;
pub mod error;
pub mod estimate;
pub mod experiment;
pub mod ids;
pub mod live_graph;
pub mod metrics;
pub mod mitigation;
pub mod panel;
pub mod platform;
pub mod plugin;
pub mod policy;
pub mod population;
pub mod probe;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod world;

pub use error::{Error, Result};
