//! The harness's typed error.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while building a suite, running it or writing
/// a report.
///
/// A partitioner that fails on a problem is not an error of the harness: its
/// message is recorded in the results instead.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// A file or folder could not be read or written.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A user chain file is not a valid chain.
    #[error("chain file `{path}` is invalid: {source}")]
    Chain {
        /// The chain file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A chain folder holds no `.json` or `.csv` chain.
    #[error("folder `{path}` holds no `.json` or `.csv` chain files")]
    EmptyFolder {
        /// The folder.
        path: PathBuf,
    },
    /// A suite name that the harness does not know.
    #[error("unknown suite `{name}` (expected one of: {expected})")]
    UnknownSuite {
        /// The rejected name.
        name: String,
        /// The known names, comma separated.
        expected: String,
    },
    /// A report format name that the harness does not know.
    #[error("unknown report format `{name}` (expected markdown, csv, json or svg)")]
    UnknownFormat {
        /// The rejected name.
        name: String,
    },
    /// An option value that cannot be used.
    #[error("option `{field}` = {value} is invalid: {reason}")]
    InvalidOption {
        /// The option.
        field: &'static str,
        /// The rejected value, as text.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// The worker threads of a suite run could not be started.
    #[error("cannot start {threads} worker threads: {source}")]
    ThreadPool {
        /// The thread count asked for (0: one per core).
        threads: usize,
        /// Why the pool could not be built.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// A model preset could not be built by the cost model.
    #[error("model `{model}` cannot be built: {source}")]
    Model {
        /// The preset or variant name.
        model: String,
        /// The cost model's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl From<HarnessError> for pipecut_core::Error {
    fn from(e: HarnessError) -> Self {
        pipecut_core::Error::Solver {
            algorithm: "harness".into(),
            source: Box::new(e),
        }
    }
}

/// Result alias for the harness.
pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
