//! The bindings' typed error, raised in Python as `pipecut.Error` (a
//! `ValueError`).

use pyo3::PyErr;

/// The Python exception class (`pipecut.Error`).
pub mod exception {
    pyo3::create_exception!(
        pipecut,
        Error,
        pyo3::exceptions::PyValueError,
        "Bad input to pipecut or a problem it cannot solve; the message names the field."
    );
}

/// Everything the Python bindings reject or fail on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument is out of range or of the wrong type.
    #[error("`{field}` = {value}: {reason}")]
    Invalid {
        /// The argument (with an index, e.g. `forward_flops[3]`).
        field: String,
        /// Its value, as given.
        value: String,
        /// What a valid value looks like.
        reason: String,
    },
    /// The chain, problem or partition was rejected.
    #[error(transparent)]
    Core(#[from] pipecut::core::Error),
    /// Unknown algorithm or bad solver setting.
    #[error(transparent)]
    Facade(#[from] pipecut::Error),
    /// A preset model or profile file was rejected.
    #[error(transparent)]
    Cost(#[from] pipecut::cost::CostError),
    /// The simulator refused a plan.
    #[error(transparent)]
    Sim(#[from] pipecut::sim::SimError),
    /// A harness suite failed.
    #[error(transparent)]
    Harness(#[from] pipecut::harness::HarnessError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl Error {
    /// An [`Error::Invalid`] for `field`.
    pub fn invalid(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            field: field.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        // One line, causes included, as the command line prints it.
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let text = s.to_string();
            if !msg.contains(&text) {
                msg.push_str(": ");
                msg.push_str(&text);
            }
            source = s.source();
        }
        exception::Error::new_err(msg.replace('\n', " "))
    }
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
