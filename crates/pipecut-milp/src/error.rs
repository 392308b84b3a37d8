//! The error type of `pipecut-milp`.
//!
//! A leaf module: backends are named by their command-line name (what
//! [`Backend::as_str`](crate::Backend::as_str) gives), so every other module
//! may use this one and this one uses none of them.

use pipecut_core::format::number;
use thiserror::Error;

/// Everything that can go wrong while building or solving a MILP.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MilpError {
    /// `milp-backend` names a backend that this build does not contain.
    #[error("`milp-backend` = `{requested}` is not compiled in (available: {available}); rebuild with `--features highs`")]
    BackendNotCompiled {
        /// The backend asked for.
        requested: &'static str,
        /// The backends this build has, comma separated.
        available: String,
    },
    /// `milp-backend` is not a backend name at all.
    #[error("`milp-backend` = `{value}` is unknown (expected `microlp` or `highs`)")]
    UnknownBackend {
        /// The rejected name.
        value: String,
    },
    /// An option is out of its range (see [`MilpOptions::check`](crate::MilpOptions::check)).
    #[error("`{field}` = {value} is invalid: {reason}")]
    InvalidOption {
        /// The option's name.
        field: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What the option needs.
        reason: &'static str,
    },
    /// The model has no feasible point: no partition satisfies the memory
    /// capacity (the solver proved it, or the stage windows are already empty).
    #[error("no partition satisfies `memory_capacity` = {capacity:?} bytes ({reason})")]
    Infeasible {
        /// The capacity per device.
        capacity: Option<u64>,
        /// Where infeasibility was detected.
        reason: &'static str,
    },
    /// The time limit expired before any feasible partition was known.
    #[error(
        "`time_limit` = {} s expired before the solver found any feasible partition",
        number(*limit_seconds)
    )]
    NoSolution {
        /// The limit, in seconds.
        limit_seconds: f64,
    },
    /// The backend failed (a status that is neither a solution, infeasibility
    /// nor a limit).
    #[error("backend `{backend}` failed: {status}")]
    Backend {
        /// The backend's name.
        backend: &'static str,
        /// The backend's typed status, formatted.
        status: String,
    },
    /// The backend panicked; the panic was caught so the caller gets an error.
    #[error("backend `{backend}` panicked while solving")]
    BackendPanicked {
        /// The backend's name.
        backend: &'static str,
    },
    /// The schedule's rules name an operation its device orders never run
    /// (the step-time model cannot be written down).
    #[error("schedule rules are inconsistent: {reason}")]
    ScheduleRules {
        /// What is missing.
        reason: String,
    },
    /// The plan the solver returned does not achieve the objective it claims
    /// (a modelling or numerical error; never silently accepted).
    #[error(
        "objective mismatch: the solver claims {} but the {what} of its partition is {}",
        number(*claimed),
        number(*actual)
    )]
    ObjectiveMismatch {
        /// `bottleneck` or `simulated step time`.
        what: &'static str,
        /// The solver's objective value.
        claimed: f64,
        /// The value recomputed from the partition.
        actual: f64,
    },
    /// The solver's partition violates the memory capacity once rounded.
    #[error("the solver's partition {starts:?} needs {peak} bytes, above `memory_capacity` = {capacity} (numerical tolerance)")]
    MemoryViolated {
        /// Stage starts of the rejected partition.
        starts: Vec<usize>,
        /// Its peak device memory.
        peak: u64,
        /// The capacity.
        capacity: u64,
    },
    /// A core validation error (partition against problem).
    #[error(transparent)]
    Core(#[from] pipecut_core::Error),
    /// A simulation error.
    #[error(transparent)]
    Sim(#[from] pipecut_sim::SimError),
}

impl MilpError {
    /// Converts into the core error a [`Partitioner`](pipecut_core::Partitioner)
    /// returns: core errors pass through, the rest become
    /// [`pipecut_core::Error::Solver`] named after `algorithm`.
    pub fn into_core(self, algorithm: &str) -> pipecut_core::Error {
        match self {
            MilpError::Core(e) => e,
            MilpError::Sim(pipecut_sim::SimError::Core(e)) => e,
            other => pipecut_core::Error::Solver {
                algorithm: algorithm.to_string(),
                source: Box::new(other),
            },
        }
    }
}
