//! # pipecut-sim
//!
//! The schedule simulator: the ground truth for step time in every pipecut
//! report.
//!
//! - [`Simulator`]: builds each device's operation order once (GPipe, 1F1B,
//!   interleaved 1F1B, from `pipecut_core::Schedule`, or custom orders with
//!   [`Simulator::from_orders`], deadlocks detected) and resolves it into a
//!   timing order, so that each simulation is one linear pass over the
//!   `2 P M` operations; link delays on every cross-device dependency,
//!   forward and backward; per-stage speed factors.
//!   Operation kinds, dependencies and placement come from the schedule's
//!   rules (`pipecut_core::ScheduleRules`); the simulator knows no schedule.
//! - Results are `pipecut_core::Simulation`: step time, per-device busy
//!   time, bubble fraction, critical stage, optional timeline. The semantics
//!   and the critical stage are defined in the [`Simulator`] docs.
//! - [`StageTimes`]: the raw per-stage input, for callers without a partition
//!   (e.g. a MILP assignment); [`Scratch`]: caller-owned buffers for the
//!   allocation-free hot paths [`Simulator::step_time_with`] and
//!   [`Simulator::run_times_with`] ([`Simulator::step_time`] and
//!   [`Simulator::run_times`] use per-thread buffers).
//! - [`gantt_svg`] with [`GanttOptions`]: an SVG Gantt chart of a timeline.
//! - [`svg`]: the SVG syntax of every chart (document, elements, the one escape, axis steps).
//! - [`Executor`] (and [`PlanExt::plan`]): the one place a `Plan` is made:
//!   it times a partitioner's solve, evaluates and simulates the solution
//!   once and assembles the plan. [`simulate`]: one partition, one call.
//! - [`SimError`]: the typed errors (stage-time lengths, partition or
//!   schedule mismatches, deadlocked custom orders, chart options).
//!
//! ```
//! use pipecut_core::{Chain, Layer, Partition, ProblemSpec, Schedule};
//! use pipecut_sim::simulate;
//!
//! let chain = Chain::new("u", "s", (0..4).map(|i| Layer::new(format!("l{i}"), 1.0, 2.0)).collect())?;
//! let problem = ProblemSpec::new(chain, 4).with_micro_batches(8).check()?;
//! let result = simulate(&problem, &Partition::new(vec![0, 1, 2, 3], 4)?, false)?;
//! // Uniform stages: (M + P - 1) * (f + b).
//! assert_eq!(result.step_time, (8.0 + 4.0 - 1.0) * 3.0);
//! assert_eq!(result.critical_stage, 3);
//!
//! // A Gantt chart of the same step.
//! let result = simulate(&problem, &Partition::new(vec![0, 1, 2, 3], 4)?, true)?;
//! let svg = pipecut_sim::gantt_svg(&result, &pipecut_sim::GanttOptions::new("toy"))?;
//! assert!(svg.contains("device 3"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod engine;
mod error;
mod executor;
mod gantt;
pub mod svg;

pub use engine::{Scratch, Simulator, StageTimes, MAX_OPERATIONS};
pub use error::SimError;
pub use executor::{Executor, PlanExt};
pub use gantt::{gantt_svg, GanttOptions};

use pipecut_core::{Partition, Problem, Simulation};

/// Simulates one partition of a checked problem.
pub fn simulate(
    problem: &Problem,
    partition: &Partition,
    timeline: bool,
) -> Result<Simulation, SimError> {
    Simulator::new(problem).run(problem, partition, timeline)
}
