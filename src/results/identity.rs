//! What a set of saved parts was computed from, and why parts could not be used.

use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::PathBuf;

/// What a set of parts was computed from; a resume must match it exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// driftlab version.
    pub version: String,
    /// Hash of the resolved scenario (seed and replicates included).
    pub scenario_hash: String,
}

impl RunIdentity {
    /// The identity of a run of `scenario` with this build.
    pub fn of(scenario: &Scenario) -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_hash: scenario.hash().to_string(),
        }
    }
}

/// Why parts could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PartsError {
    /// The parts on disk come from another scenario or version.
    #[error(
        "{dir} holds parts of a different run (scenario hash {found}, driftlab {found_version}; \
         this run: {expected}, driftlab {expected_version}); run again without --resume to start over"
    )]
    Mismatch {
        /// The parts directory.
        dir: PathBuf,
        /// Hash found on disk.
        found: String,
        /// Version found on disk.
        found_version: String,
        /// Hash of this run.
        expected: String,
        /// Version of this run.
        expected_version: String,
    },
    /// A file system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}
