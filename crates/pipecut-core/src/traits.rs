//! The traits algorithms and cost models implement.
//!
//! [`Partitioner`] is the one every algorithm implements. Solvers with extra
//! knobs say so through small capability traits ([`TimeLimited`],
//! [`WarmStartable`], [`Threaded`]) instead of one large trait, so a caller can
//! ask for exactly what it needs.

use std::time::Duration;

use crate::chain::Chain;
use crate::error::Result;
use crate::partition::Partition;
use crate::problem::Problem;
use crate::solution::Solution;

/// An algorithm that splits a checked problem into stages.
///
/// Implementations never panic on a checked problem, never print and never
/// time themselves: they return a [`Solution`] (partition, status, objective,
/// bound, notes) or a typed error, and the caller (`pipecut_sim::Executor`)
/// times the solve, simulates the result once and assembles the `Plan`.
pub trait Partitioner: Send + Sync {
    /// Short name used on the command line (`exact`, `torchtitan`, ...).
    fn name(&self) -> &str;

    /// One line saying what the algorithm does and what it guarantees.
    fn description(&self) -> &str;

    /// Solves the problem.
    fn solve(&self, problem: &Problem) -> Result<Solution>;
}

impl<T: Partitioner + ?Sized> Partitioner for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn description(&self) -> &str {
        (**self).description()
    }
    fn solve(&self, problem: &Problem) -> Result<Solution> {
        (**self).solve(problem)
    }
}

/// A solver that honours a wall-clock limit.
pub trait TimeLimited {
    /// Sets the limit (`None`: no limit).
    fn set_time_limit(&mut self, limit: Option<Duration>);
    /// The current limit.
    fn time_limit(&self) -> Option<Duration>;
}

/// A solver that can start from a known partition.
pub trait WarmStartable {
    /// Sets the starting partition (`None`: the solver picks its own).
    fn set_warm_start(&mut self, start: Option<Partition>);
}

/// A solver that can use several threads.
pub trait Threaded {
    /// Sets the thread count (at least 1).
    fn set_threads(&mut self, threads: usize);
}

/// Turns a model description (analytic, measured, ...) into a [`Chain`].
pub trait CostModel {
    /// The model's own error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// A short name for the model (used as the chain name).
    fn name(&self) -> String;

    /// Produces the chain of per-layer costs.
    fn chain(&self) -> std::result::Result<Chain, Self::Error>;
}

/// Writes the `name` and `description` methods of a [`Partitioner`] impl
/// from the type's `NAME` and `DESCRIPTION` constants (the ones the
/// registry table reads), so the two can never disagree.
///
/// ```
/// use pipecut_core::{Objective, Partition, Partitioner, Problem, Result, Solution};
/// struct Whole;
/// impl Whole {
///     const NAME: &'static str = "whole";
///     const DESCRIPTION: &'static str = "one stage";
/// }
/// impl Partitioner for Whole {
///     pipecut_core::partitioner_names!();
///     fn solve(&self, problem: &Problem) -> Result<Solution> {
///         Ok(Solution::heuristic(Partition::for_problem(vec![0], problem)?, Objective::Rule))
///     }
/// }
/// assert_eq!(Whole.name(), "whole");
/// ```
#[macro_export]
macro_rules! partitioner_names {
    () => {
        fn name(&self) -> &str {
            Self::NAME
        }
        fn description(&self) -> &str {
            Self::DESCRIPTION
        }
    };
}
