//! Statistics across replicates (being written).
