//! Analysis of a results directory: read the CSVs back, compute statistics across replicates,
//! and compare two result sets (the CI gate). Nothing here runs the simulation or writes a
//! report (that is [`crate::report`]); the engine never depends on this module.

pub mod compare;
pub mod input;
pub mod summary;
pub mod tables;
