//! Solve options: [`MilpOptions`] is what callers set (public fields, no
//! silent clamps); [`MilpOptions::check`] turns it into [`CheckedOptions`],
//! the only form a solve runs with.

use std::time::{Duration, Instant};

use pipecut_core::Partition;

use crate::backend::Backend;
use crate::error::MilpError;

/// Default wall-clock limit of one solve.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Knobs of a MILP solve (unchecked: see [`MilpOptions::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MilpOptions {
    /// Backend (default: HiGHS when compiled in, else microlp).
    pub backend: Backend,
    /// Wall-clock limit for the whole solve, warm start included
    /// (default [`DEFAULT_TIME_LIMIT`]; `None`: no limit).
    pub time_limit: Option<Duration>,
    /// Solver threads, at least 1 (default 1; microlp always uses one).
    pub threads: usize,
    /// A partition to start from, besides the built-in heuristics.
    pub warm_start: Option<Partition>,
    /// Fix every staircase cell outside the stage-start windows that the
    /// greedy probes allow for a solution at least as good as the incumbent
    /// (default on).
    pub probe_fixing: bool,
    /// Add the DP lower bound as a cut on the objective (`milp`: the optimum
    /// bottleneck of the per-stage-memory relaxation; `milp-steptime`:
    /// `M` times the optimum compute-only bottleneck). Default off for `milp`
    /// (it would pin the objective to the DP's value and make the MILP a mere
    /// feasibility check of it) and on for `milp-steptime`.
    pub bound_cut: bool,
    /// Use the built-in warm starts (`pipecut-exact`'s `exact`,
    /// `pipecut-heuristics`' `autopipe` for the step time, the bottleneck DP,
    /// the uniform split and a simulated descent) besides `warm_start` and the
    /// seeds added with `with_seed` (default on; off makes the solver find
    /// everything itself, which is what the cross-check tests want).
    pub default_starts: bool,
}

impl MilpOptions {
    /// Default backend, [`DEFAULT_TIME_LIMIT`], one thread, probe fixing on,
    /// built-in warm starts on, and the DP bound cut as given.
    pub(crate) fn new(bound_cut: bool) -> Self {
        MilpOptions {
            backend: Backend::default(),
            time_limit: Some(DEFAULT_TIME_LIMIT),
            threads: 1,
            warm_start: None,
            probe_fixing: true,
            bound_cut,
            default_starts: true,
        }
    }

    /// Validates every field: the backend must be compiled in
    /// ([`MilpError::BackendNotCompiled`]) and `threads` at least 1
    /// ([`MilpError::InvalidOption`]).
    ///
    /// ```
    /// use pipecut_milp::{MilpBottleneck, MilpError};
    /// let mut options = MilpBottleneck::new().options().clone();
    /// options.threads = 0;
    /// assert!(matches!(options.check(), Err(MilpError::InvalidOption { field: "threads", .. })));
    /// options.threads = 2;
    /// assert_eq!(options.check()?.threads, 2);
    /// # Ok::<(), MilpError>(())
    /// ```
    pub fn check(&self) -> Result<CheckedOptions, MilpError> {
        self.backend.ensure_available()?;
        if self.threads == 0 {
            return Err(MilpError::InvalidOption {
                field: "threads",
                value: "0".into(),
                reason: "at least one thread is needed",
            });
        }
        Ok(CheckedOptions(self.clone()))
    }
}

/// Options that passed [`MilpOptions::check`]: read them through `Deref`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedOptions(MilpOptions);

impl std::ops::Deref for CheckedOptions {
    type Target = MilpOptions;

    fn deref(&self) -> &MilpOptions {
        &self.0
    }
}

impl CheckedOptions {
    /// When the limit of a solve that began at `started` expires.
    pub(crate) fn deadline(&self, started: Instant) -> Option<Instant> {
        self.time_limit.map(|l| started + l)
    }

    /// Time left of the limit of a solve that began at `started` (zero when
    /// spent, `None` without a limit).
    pub(crate) fn time_left(&self, started: Instant) -> Option<Duration> {
        self.time_limit.map(|l| l.saturating_sub(started.elapsed()))
    }

    /// The limit in seconds, for notes and errors (infinite without one).
    pub(crate) fn limit_seconds(&self) -> f64 {
        self.time_limit.map_or(f64::INFINITY, |l| l.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_rejects_zero_threads_and_missing_backends() {
        let mut o = MilpOptions::new(true);
        assert_eq!(o.check().unwrap().threads, 1);
        o.threads = 0;
        assert!(matches!(
            o.check(),
            Err(MilpError::InvalidOption {
                field: "threads",
                ..
            })
        ));
        o.threads = 1;
        o.backend = Backend::Highs;
        assert_eq!(o.check().is_ok(), cfg!(feature = "highs"));
    }
}
