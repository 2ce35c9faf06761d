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
pub use sweep::{point_json, read_sweep_points, rewrite_sweep_report, write_sweep_summary};

/// `x` with `decimals` decimals, without the sign of a value that rounds to zero: a reduction of
/// `-0.0` (two identical arms) or `-0.00004` prints `0.0`, not `-0.0`.
fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_drops_the_sign_of_a_rounded_zero() {
        assert_eq!(super::fixed(-0.0, 1), "0.0");
        assert_eq!(super::fixed(-0.00004, 2), "0.00");
        assert_eq!(super::fixed(-0.05, 1), "-0.1");
        assert_eq!(super::fixed(-1.25, 2), "-1.25");
        assert_eq!(super::fixed(12.0, 0), "12");
        assert_eq!(super::fixed(-0.4, 0), "0");
        assert_eq!(super::fixed(f64::NAN, 1), "NaN");
    }
}
