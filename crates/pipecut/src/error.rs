//! The facade's typed error.

/// What the registry and the solver settings reject.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No partitioner has the requested name.
    #[error("unknown algorithm `{name}`; choose one of: {}", known.join(", "))]
    UnknownAlgorithm {
        /// The name asked for.
        name: String,
        /// Every known name.
        known: Vec<String>,
    },
    /// A solver setting is out of range.
    #[error("solver setting `{field}` = {value} is invalid: {reason}")]
    InvalidSetting {
        /// The field.
        field: &'static str,
        /// Its value, as given.
        value: String,
        /// What a valid value looks like.
        reason: String,
    },
}
