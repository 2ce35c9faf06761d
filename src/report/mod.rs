//! Reports and plots built from results (being written).
