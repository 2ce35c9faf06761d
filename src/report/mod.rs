//! Writing results for people: the report of a results directory (`summary.md`,
//! `summary.json` and its charts), the summary of a sweep (`sweep.md`, `sweep.json` and its
//! charts), and the charts themselves (PNG and SVG, drawn from plain data). The statistics come
//! from [`crate::analysis`]; this module only lays them out. The engine never depends on it.

use crate::analysis::tables::TableError;
use plot::PlotError;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub mod plot;
mod results;
mod sweep;

pub use results::write_report;
pub use sweep::write_sweep_summary;

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A results file (a table, the manifest) is missing, malformed or does not agree with the
    /// manifest, or an output file cannot be replaced: bad input ([`Self::is_input`]).
    #[error(transparent)]
    Table(#[from] TableError),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl ReportError {
    /// Whether the error is in the results given (missing, malformed, inconsistent or hostile
    /// files): the CLI exits with 2 for these, 1 otherwise (a failed write).
    pub fn is_input(&self) -> bool {
        matches!(self, Self::Table(_))
    }
}

/// Reads `manifest.json` of a results directory: refused unread when it is not a regular file or
/// is larger than [`crate::analysis::input::MAX_MANIFEST_BYTES`], and when it is not JSON.
pub fn read_manifest(dir: &Path) -> Result<Value, ReportError> {
    Ok(crate::analysis::input::read_manifest_text(dir)?.0)
}
