//! Results on disk: the parts every finished (arm, replicate) is saved as while a run goes on
//! (so an interrupted run loses nothing and `--resume` recomputes only what is missing), the
//! identity a resume must match, and the final tables (`steps.csv`, `probes.csv`), resolved
//! scenario and manifest assembled from the parts in job order.

pub mod identity;
pub mod lock;
pub mod output;
pub mod parts;
