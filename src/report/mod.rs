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
    /// A results table is missing or malformed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The manifest is missing or malformed.
    #[error("{path}: {message}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
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

/// Reads `manifest.json` of a results directory.
pub fn read_manifest(dir: &Path) -> Result<Value, ReportError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| ReportError::Manifest {
        path: path.clone(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ReportError::Manifest {
        path,
        message: e.to_string(),
    })
}
