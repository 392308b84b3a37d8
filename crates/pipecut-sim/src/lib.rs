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
//! - [`SimResult`]: step time, per-device busy time, bubble fraction,
//!   per-stage peak in-flight micro-batches and memory, critical stage,
//!   optional [`TimelineOp`] timeline.
//!   The semantics and the critical stage are defined in the [`Simulator`] docs.
//! - [`StageTimes`]: the raw per-stage input, for callers without a partition
//!   (e.g. a MILP assignment); [`Scratch`]: caller-owned buffers for the
//!   allocation-free hot paths [`Simulator::step_time_with`] and
//!   [`Simulator::run_times_with`] ([`Simulator::step_time`] and
//!   [`Simulator::run_times`] use per-thread buffers).
//! - [`gantt_svg`] with [`GanttOptions`]: an SVG Gantt chart of a timeline.
//! - [`simulate`], [`timing`], [`make_plan`]: one-call helpers; partitioners
//!   build their `Plan` with [`make_plan`].
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
//! assert_eq!(result.peak_in_flight, vec![4, 3, 2, 1]);
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
mod gantt;

pub use engine::{Scratch, SimResult, Simulator, StageTimes, TimelineOp, MAX_OPERATIONS};
pub use error::SimError;
pub use gantt::{gantt_svg, GanttOptions};

use pipecut_core::{Partition, Plan, Prefix, Problem, ScheduleTiming, SolveInfo};

/// Simulates one partition of a checked problem.
pub fn simulate(
    problem: &Problem,
    partition: &Partition,
    timeline: bool,
) -> Result<SimResult, SimError> {
    Simulator::new(problem).run(problem, partition, timeline)
}

/// The timing a [`Plan`] carries, for one partition.
pub fn timing(
    problem: &Problem,
    prefix: &Prefix,
    partition: &Partition,
) -> Result<ScheduleTiming, SimError> {
    let r = Simulator::new(problem).run_with(problem, prefix, partition, false)?;
    Ok(ScheduleTiming {
        step_time: r.step_time,
        bubble_fraction: r.bubble_fraction,
        critical_stage: r.critical_stage,
    })
}

/// Builds the [`Plan`] of a partition: analytic metrics plus simulated timing.
/// Every partitioner returns what this builds.
pub fn make_plan(
    problem: &Problem,
    partition: &Partition,
    info: SolveInfo,
) -> Result<Plan, SimError> {
    let prefix = Prefix::new(problem);
    let t = timing(problem, &prefix, partition)?;
    Ok(Plan::with_prefix(problem, &prefix, partition, info, t))
}
