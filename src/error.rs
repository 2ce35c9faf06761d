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
    /// A plug-in could not be registered, or a scenario names an unknown kind or gives a
    /// plug-in a bad parameter.
    #[error(transparent)]
    Plugins(#[from] crate::plugin::PluginError),
    /// A plug-in's factory refused its parameters when the experiment was built.
    #[error("plug-in: {0}")]
    Plugin(String),
    /// A batched plug-in (a Python ranker or mitigation) failed during the run: the run
    /// stopped, and the (arm, replicate) parts finished before are kept for `--resume`.
    #[error("{0}")]
    PluginFailed(Box<crate::batch::PluginFailure>),
    /// The run was refused before it started (too little memory, a bad option).
    #[error("{0}")]
    Refused(String),
    /// Parts of an earlier run cannot be used.
    #[error(transparent)]
    Parts(#[from] crate::results::identity::PartsError),
    /// The results could not be summarised or plotted.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// The results directory is in use by another run.
    #[error(transparent)]
    Lock(#[from] crate::results::lock::LockError),
    /// Results could not be written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Whether the error is the user's input (a scenario, an import, a plug-in's parameters,
    /// an option, unusable parts, malformed results files): the CLI exits with 2 for these, 1
    /// otherwise.
    pub fn is_input(&self) -> bool {
        match self {
            Self::Io(_) | Self::PluginFailed(_) => false,
            Self::Report(e) => e.is_input(),
            _ => true,
        }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
