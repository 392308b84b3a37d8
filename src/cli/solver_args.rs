//! Solver flags shared by `plan`, `compare`, `harness` and `bench`.

use clap::Args;
use pipecut::{SolverConfig, SolverSettings};

use super::CliError;

/// Options of the solvers that take them.
#[derive(Debug, Args, Clone)]
pub struct SolverArgs {
    /// Time limit per MILP solve, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub time_limit: f64,
    /// MILP backend (`microlp`, or `highs` when built with `--features highs`) [default: best compiled].
    #[arg(long, value_name = "NAME")]
    pub milp_backend: Option<String>,
    /// Threads for solvers that can use several.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub threads: usize,
}

impl SolverArgs {
    /// The checked settings (the library validates; the CLI only maps flags).
    pub fn settings(&self) -> Result<SolverSettings, CliError> {
        let config = SolverConfig {
            time_limit_seconds: Some(self.time_limit),
            milp_backend: self.milp_backend.clone(),
            threads: self.threads,
        };
        Ok(config.check()?)
    }
}
