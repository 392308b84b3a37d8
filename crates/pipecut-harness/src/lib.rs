//! # pipecut-harness
//!
//! Runs every partitioner on suites of problems and reports how they compare
//! (DESIGN section 7): which algorithm to trust and how much throughput the
//! framework default leaves on the table.
//!
//! - [`suite`]: [`Suite`] (named, ordered problems), [`Grid`] (chain ->
//!   problems over devices x micro-batches x schedules, rejected
//!   combinations counted) and the suites `presets`, `seed`, `random`
//!   ([`RandomOptions`]) and `chains` (a folder of user chains).
//! - [`runner`]: [`run_suite`] (parallel across problems, deterministic
//!   order, optional progress bar) and [`compare`] (one problem), with
//!   [`RunOptions`] (threads, size caps for MILP); per problem and algorithm
//!   an [`AlgorithmResult`] inside a [`ProblemResult`].
//! - [`stats`]: [`AlgorithmSummary`] per algorithm (mean / p95 / max gaps,
//!   how often optimal, how often better than the default).
//! - [`report`]: [`Report`] as Markdown, CSV, JSON and SVG charts
//!   ([`Format`], [`Report::write`]).
//! - [`error`]: the typed [`HarnessError`].
//!
//! ```
//! use pipecut_core::{Objective, Partition, Partitioner, Plan, Problem, SolveInfo};
//! use pipecut_core::synthetic::Family;
//! use pipecut_harness::{run_suite, Grid, RandomOptions, RunOptions, Suite};
//!
//! /// Equal layer counts, the first stages one layer longer.
//! struct Uniform;
//! impl Partitioner for Uniform {
//!     fn name(&self) -> &str { "uniform" }
//!     fn description(&self) -> &str { "equal layer counts" }
//!     fn solve(&self, problem: &Problem) -> pipecut_core::Result<Plan> {
//!         let (n, p) = (problem.layers(), problem.stages());
//!         let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
//!         let info = SolveInfo::heuristic("uniform", Objective::Rule, 0.0);
//!         Ok(pipecut_sim::make_plan(problem, &Partition::from_sizes(&sizes)?, info)
//!             .expect("a checked problem simulates"))
//!     }
//! }
//!
//! let suite = Suite::random(&RandomOptions {
//!     families: vec![Family::HeavyHead],
//!     sizes: vec![12],
//!     seeds: 1,
//!     grid: Grid::single(4, 8, pipecut_core::Schedule::OneFOneB),
//!     ..RandomOptions::default()
//! });
//! let algorithms: Vec<Box<dyn Partitioner>> = vec![Box::new(Uniform)];
//! let report = run_suite(&suite, &algorithms, &RunOptions::default());
//! assert_eq!(report.problems.len(), 1);
//! // The only plan is the best one and the default (uniform is the fallback
//! // reference when torchtitan is absent): no gap, no gain.
//! let r = &report.problems[0].results[0];
//! assert_eq!((r.step_gap, r.gain), (Some(0.0), Some(0.0)));
//! assert!(report.to_markdown().contains("| uniform |"));
//! ```
#![deny(missing_docs)]

pub mod error;
pub mod report;
pub mod runner;
pub mod stats;
pub mod suite;
mod svg;

pub use error::{HarnessError, Result};
pub use report::{problem_markdown, Format, Report};
pub use runner::{
    compare, run_suite, AlgorithmResult, ProblemResult, RunOptions, RunState, SizeCap,
    DEFAULT_REFERENCE, EPS, FALLBACK_REFERENCE,
};
pub use stats::{summarize, AlgorithmSummary, Stats};
pub use suite::{Case, Grid, MicroBatches, RandomOptions, SkippedCase, Suite, SUITES};
