//! Analysis of a results directory: read the CSVs back, compute statistics across replicates,
//! and compare two result sets (the CI gate). Nothing here runs the simulation or writes a
//! report (that is [`crate::report`]); the engine never depends on this module.

pub mod compare;
pub mod summary;
pub mod tables;

/// Moved to `report::`: `driftlab::report::{write_report, read_manifest, ReportError}`.
#[doc(hidden)]
pub mod report {
    // moved to report::
    pub use crate::report::{read_manifest, write_report, ReportError};
}

/// Moved to `report::`: `driftlab::report::write_sweep_summary`.
#[doc(hidden)]
pub mod sweep {
    // moved to report::
    pub use crate::report::write_sweep_summary;
}
