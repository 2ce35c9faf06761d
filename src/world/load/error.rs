//! Why an import could not be loaded: the error every step of [`super`] returns.

use std::path::PathBuf;

/// Why an imported world could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file cannot be used as a whole: missing, not a regular file, too large.
    #[error("{message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong (naming the file) and what to give instead.
        message: String,
    },
    /// A line of a file is malformed or inconsistent.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// A value of the scenario's `[world.import]` contradicts the files (a flagged or adjacent
    /// community no account has); the runner reports it at the key's line of the scenario.
    #[error("{message}")]
    Value {
        /// Key path, e.g. `world.import.flagged_community`.
        key: String,
        /// What is wrong (naming the key and the file), and how to fix it.
        message: String,
    },
}
