//! The typed error of `pipecut-cost`.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while building or loading a chain.
///
/// Every variant names the offending option, field or line, and the value.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CostError {
    /// No model preset has this name.
    #[error("unknown model preset `{name}` (known: {known})")]
    UnknownPreset {
        /// The requested name.
        name: String,
        /// Comma-separated known names.
        known: String,
    },
    /// No hardware preset has this name.
    #[error("unknown hardware `{name}` (known: {known}, or `custom,peak=..,bandwidth=..`)")]
    UnknownHardware {
        /// The requested name.
        name: String,
        /// Comma-separated known names.
        known: String,
    },
    /// A model, workload or hardware option is out of range.
    #[error("option `{field}` = {value} is invalid: {reason}")]
    InvalidOption {
        /// The option, e.g. `seq_len`, `dim`, `hardware.efficiency`.
        field: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What the option must satisfy.
        reason: String,
    },
    /// An activation-checkpointing spec is not `none`, `full` or `selective:K`.
    #[error(
        "activation checkpointing `{value}` is invalid: expected `none`, `full` or `selective:K` with K >= 1"
    )]
    InvalidCheckpointing {
        /// The rejected text.
        value: String,
    },
    /// A byte total does not fit in 64 bits.
    #[error("`{field}` of layer `{layer}` overflows 64 bits")]
    Overflow {
        /// The layer.
        layer: String,
        /// `param_bytes`, `activation_bytes` or `output_bytes`.
        field: &'static str,
    },
    /// The CSV header is missing or wrong.
    #[error("CSV line {line}: bad header: {reason}")]
    CsvHeader {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A CSV row has a bad field.
    #[error("CSV line {line}, field `{field}`: {reason} (got `{value}`)")]
    CsvField {
        /// 1-based line number.
        line: usize,
        /// Column name (or `row` for a wrong field count).
        field: String,
        /// The rejected text.
        value: String,
        /// What the field must satisfy.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file has an extension the loader does not know.
    #[error("cannot tell the format of `{path}`: expected a `.json` or `.csv` extension")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The chain itself is invalid (JSON syntax, unknown field, bad cost, ...).
    #[error(transparent)]
    Chain(#[from] pipecut_core::Error),
}

impl CostError {
    pub(crate) fn option(
        field: &'static str,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        CostError::InvalidOption {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

impl From<CostError> for pipecut_core::Error {
    /// Keeps core errors as they are; wraps the rest as a solver-side failure of
    /// the `cost-model` stage so callers of `Partitioner` APIs can use `?`.
    fn from(err: CostError) -> Self {
        match err {
            CostError::Chain(inner) => inner,
            other => pipecut_core::Error::Solver {
                algorithm: "cost-model".to_string(),
                source: Box::new(other),
            },
        }
    }
}
