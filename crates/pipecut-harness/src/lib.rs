//! # pipecut-harness
//!
//! Runs every partitioner on suites of problems and reports how they
//! compare: which algorithm to trust, and how much throughput the framework
//! default (torchtitan's split) leaves on the table.
//!
//! - [`suite`]: [`Suite`] (named, ordered problems), [`Grid`] (chain ->
//!   problems over devices x micro-batches x schedules, rejected
//!   combinations counted) and the suites `presets`, `seed`, `random`
//!   ([`RandomOptions`]) and `chains` (a folder of user chains).
//! - [`runner`]: [`Runner`] (every plan from `pipecut_sim::Executor`;
//!   problems in parallel on a rayon pool, results in suite order;
//!   optional progress callback) with [`RunOptions`] (threads, size caps for
//!   slow solvers). [`Runner::compare`] runs one problem.
//! - [`results`]: the data a run produces, and nothing else:
//!   [`AlgorithmResult`] inside [`ProblemResult`], [`AlgorithmSummary`],
//!   [`Report`].
//! - [`stats`]: [`Stats::of`] a sample (mean / p95 / max) and
//!   [`summarize`] (gaps, how often optimal, how often better than the
//!   default, per algorithm).
//! - [`report`]: Markdown ([`problem_markdown`], [`Report::to_markdown`]),
//!   CSV, JSON and the files of each [`Format`] ([`Report::write`]).
//! - `charts`: the SVG charts ([`Report::charts`]), drawn with
//!   `pipecut_sim::svg`.
//! - [`error`]: the typed [`HarnessError`].
//!
//! Modules depend one way, with no cycle: `results` (plain data) is written
//! by `runner` and read by `stats`, `report` and `charts`; `runner` also
//! calls `stats` (the report's summary) and reads `suite`; `report` writes
//! the `charts` files; `charts` uses `Stats::of`.
//!
//! ```
//! use pipecut_core::{Objective, Partition, Partitioner, Problem, Solution};
//! use pipecut_core::synthetic::Family;
//! use pipecut_harness::{Grid, RandomOptions, Runner, Suite};
//!
//! /// Equal layer counts, the first stages one layer longer.
//! struct Uniform;
//! impl Partitioner for Uniform {
//!     fn name(&self) -> &str { "uniform" }
//!     fn description(&self) -> &str { "equal layer counts" }
//!     fn solve(&self, problem: &Problem) -> pipecut_core::Result<Solution> {
//!         let (n, p) = (problem.layers(), problem.stages());
//!         let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
//!         Ok(Solution::heuristic(Partition::from_sizes(&sizes)?, Objective::Rule))
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
//! let report = Runner::new(&algorithms).run_suite(&suite)?;
//! assert_eq!(report.problems.len(), 1);
//! // The only plan is the best one and the default (uniform is the fallback
//! // reference when torchtitan is absent): no gap, no gain.
//! let r = &report.problems[0].results[0];
//! assert_eq!((r.step_gap, r.gain), (Some(0.0), Some(0.0)));
//! assert!(report.to_markdown().contains("| uniform |"));
//! # Ok::<(), pipecut_harness::HarnessError>(())
//! ```
#![deny(missing_docs)]

mod charts;
pub mod error;
pub mod report;
pub mod results;
pub mod runner;
pub mod stats;
pub mod suite;

pub use error::{HarnessError, Result};
pub use report::{problem_markdown, schedules_markdown, Format};
pub use results::{AlgorithmResult, AlgorithmSummary, ProblemResult, Report, RunState, Stats, EPS};
pub use runner::{RunOptions, Runner, SizeCap, DEFAULT_REFERENCE, FALLBACK_REFERENCE};
pub use stats::summarize;
pub use suite::{Case, Grid, MicroBatches, RandomOptions, SkippedCase, Suite, SUITES};
