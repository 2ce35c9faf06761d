//! Analysis of a results directory: read the CSVs back, compute statistics across replicates,
//! write the report, and compare two result sets (the CI gate). Nothing here runs the
//! simulation; the engine never depends on this module.

pub mod compare;
pub mod report;
pub mod summary;
pub mod sweep;
pub mod tables;
