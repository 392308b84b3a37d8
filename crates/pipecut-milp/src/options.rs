//! Settings shared by both formulations and the common finishing steps.

use std::time::{Duration, Instant};

use pipecut_core::{Partition, Partitioner, Status};

use crate::backend::{Backend, Outcome};

/// Default wall-clock limit of one solve.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Knobs of a MILP solve.
#[derive(Debug, Clone, PartialEq)]
pub struct MilpOptions {
    /// Backend (default: HiGHS when compiled in, else microlp).
    pub backend: Backend,
    /// Wall-clock limit for the whole solve, warm start included
    /// (default [`DEFAULT_TIME_LIMIT`]; `None`: no limit).
    pub time_limit: Option<Duration>,
    /// Solver threads (default 1; microlp always uses one).
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
    /// `pipecut-heuristics`' `autopipe` for the step time, a local DP, the
    /// uniform split and a simulated descent) besides `warm_start` and the
    /// seeds added with `with_seed` (default on; off makes the solver find
    /// everything itself, which is what the cross-check tests want).
    pub default_starts: bool,
}

impl MilpOptions {
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
}

/// Time left of the limit (zero when spent).
pub(crate) fn remaining(limit: Option<Duration>, started: Instant) -> Option<Duration> {
    limit.map(|l| l.saturating_sub(started.elapsed()))
}

/// Absolute tolerance for comparing a solver's claimed objective with the
/// exact value of its rounded partition: feasibility and integrality
/// tolerances (about 1e-7 and 1e-6 of the unit scale) can add up along `terms`
/// row entries.
pub(crate) fn tolerance(scale: f64, terms: usize) -> f64 {
    1e-6 * scale * (terms as f64 + 10.0)
}

/// Status, bound and notes of a finished solve whose chosen partition has the
/// exact value `value`.
pub(crate) fn status_of(
    outcome: Option<&Outcome>,
    scale: f64,
    value: f64,
    limit: Option<Duration>,
    notes: &mut Vec<String>,
) -> (Status, Option<f64>) {
    match outcome {
        // Proven optimal (gap 0): the optimum is the exact value of the plan;
        // the solver's own bound differs from it only by rounding.
        Some(o) if o.optimal => (Status::Optimal, Some(value)),
        Some(o) => {
            let bound = o.bound.map(|b| (b * scale).min(value));
            let limit = limit.map_or(f64::INFINITY, |l| l.as_secs_f64());
            match bound {
                Some(b) if value > 0.0 => notes.push(format!(
                    "stopped by the time limit ({limit} s): gap {:.3}% to the best bound {b}",
                    100.0 * (value - b) / value
                )),
                _ => notes.push(format!(
                    "stopped by the time limit ({limit} s) with no proven bound"
                )),
            }
            (Status::Feasible, bound)
        }
        None => {
            notes.push(
                "the solver found nothing within the time limit; returning the warm start".into(),
            );
            (Status::Feasible, None)
        }
    }
}

/// Seed partitioners, with a manual `Debug` (trait objects have none).
#[derive(Default)]
pub(crate) struct Seeds(pub Vec<Box<dyn Partitioner>>);

impl std::fmt::Debug for Seeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| s.name()))
            .finish()
    }
}

/// The options, seeds and capability-trait plumbing shared by the MILP
/// partitioners: construction, the `Partitioner` impl (delegating to the
/// type's `solve_milp`) and `TimeLimited`, `WarmStartable`, `Threaded`.
macro_rules! milp_partitioner {
    ($ty:ident, name = $name:literal, bound_cut = $cut:expr, description = $desc:literal) => {
        impl Default for $ty {
            fn default() -> Self {
                $ty::new()
            }
        }

        impl $ty {
            /// Default options: default backend, 10 s, one thread, probe
            /// fixing on; the DP bound cut off for `milp`, on for
            /// `milp-steptime`.
            pub fn new() -> Self {
                $ty::with_options(MilpOptions::new($cut))
            }

            /// With these options.
            pub fn with_options(options: MilpOptions) -> Self {
                $ty {
                    options,
                    seeds: Seeds::default(),
                }
            }

            /// The current options.
            pub fn options(&self) -> &MilpOptions {
                &self.options
            }

            /// Mutable options.
            pub fn options_mut(&mut self) -> &mut MilpOptions {
                &mut self.options
            }

            /// Sets the backend (checked when solving: a backend not compiled
            /// in is [`MilpError::BackendNotCompiled`]).
            pub fn with_backend(mut self, backend: Backend) -> Self {
                self.options.backend = backend;
                self
            }

            /// Adds a partitioner whose plan is a warm-start candidate.
            pub fn with_seed(mut self, seed: Box<dyn Partitioner>) -> Self {
                self.seeds.0.push(seed);
                self
            }
        }

        impl Partitioner for $ty {
            fn name(&self) -> &str {
                $name
            }

            fn description(&self) -> &str {
                $desc
            }

            fn solve(&self, problem: &Problem) -> pipecut_core::Result<Plan> {
                self.solve_milp(problem).map_err(|e| e.into_core($name))
            }
        }

        impl TimeLimited for $ty {
            fn set_time_limit(&mut self, limit: Option<Duration>) {
                self.options.time_limit = limit;
            }
            fn time_limit(&self) -> Option<Duration> {
                self.options.time_limit
            }
        }

        impl WarmStartable for $ty {
            fn set_warm_start(&mut self, start: Option<Partition>) {
                self.options.warm_start = start;
            }
        }

        impl Threaded for $ty {
            fn set_threads(&mut self, threads: usize) {
                self.options.threads = threads.max(1);
            }
        }
    };
}
pub(crate) use milp_partitioner;
