//! Results on disk: the parts every finished (arm, replicate) is saved as while a run goes on
//! (so an interrupted run loses nothing and `--resume` recomputes only what is missing), the
//! identity a resume must match, and the final tables (`steps.csv`, `probes.csv`), resolved
//! scenario and manifest assembled from the parts in job order, streamed to disk part by part
//! ([`output::TableWriter`]; with the `parquet` feature, Parquet copies of the tables too:
//! `parquet_files`).

pub mod identity;
pub mod lock;
pub mod output;
#[cfg(feature = "parquet")]
pub mod parquet_files;
pub mod parts;
