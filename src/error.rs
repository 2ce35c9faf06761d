//! The crate's error type: one variant per stage that can fail on user input.

use crate::scenario::ScenarioError;
use crate::world::WorldError;

/// Anything that can go wrong running a scenario.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The scenario file is unreadable or invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// An imported world could not be loaded.
    #[error(transparent)]
    World(#[from] WorldError),
    /// Results could not be written.
    #[error("cannot write results: {0}")]
    Io(#[from] std::io::Error),
}

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
