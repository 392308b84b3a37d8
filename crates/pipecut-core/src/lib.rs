//! # pipecut-core
//!
//! The data model every other pipecut crate builds on.
//!
//! - [`chain`]: [`Layer`], [`LayerKind`], validated [`Chain`] (Chain JSON).
//! - [`problem`]: [`ProblemSpec`] (unchecked) and [`Problem`] (checked: the only
//!   thing algorithms see), [`Link`].
//! - [`schedule`]: [`Schedule`] (GPipe, 1F1B, Megatron's interleaved 1F1B and
//!   PyTorch's Interleaved1F1B, LoopedBFS, InterleavedZeroBubble,
//!   ZBVZeroBubble, DualPipeV) and its rule file behind [`ScheduleRules`]:
//!   layout (one stage per device, loop or V), operation kinds (forward, full
//!   backward, its input- and weight-gradient parts), each device's operation
//!   order, dependencies, in-flight counts.
//! - [`partition`]: [`Partition`], the stage starts.
//! - [`eval`]: the one stage evaluator: stage times, bottleneck, surrogate
//!   step time, stage and device memory ([`evaluate`], [`Prefix`],
//!   [`device_memory`]).
//! - [`dp`]: the one bottleneck DP ([`dp::BottleneckTables`]): least
//!   bottleneck of every prefix and suffix, with speeds, cut costs and caps.
//! - [`solution`]: [`Solution`], what a partitioner returns, with its
//!   [`Status`] and [`Objective`].
//! - [`simulation`]: [`Simulation`] and [`TimelineOp`], what the simulator
//!   (`pipecut-sim`) reports, as data.
//! - [`plan`]: [`Plan`], a solution with its evaluation and simulation
//!   (assembled by `pipecut_sim::Executor`).
//! - [`traits`]: [`Partitioner`], [`CostModel`] and the capability traits
//!   [`TimeLimited`], [`WarmStartable`], [`Threaded`].
//! - [`memory`]: the one memory-infeasibility diagnosis ([`memory_infeasible`]).
//! - [`format`]: the number formatter for text people read.
//! - [`synthetic`]: seeded chain families for tests and benchmarks.
//! - [`error`]: the typed [`Error`].
//!
//! ```
//! use pipecut_core::{evaluate, Chain, Layer, LayerKind, Partition, ProblemSpec};
//!
//! let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2).with_kind(LayerKind::Input)];
//! layers.extend((0..6).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
//! layers.push(Layer::new("output", 2.0, 4.0).with_kind(LayerKind::Output));
//! let chain = Chain::new("toy", "ms", layers)?;
//!
//! let problem = ProblemSpec::new(chain, 4).with_micro_batches(8).check()?;
//! let split = Partition::for_problem(vec![0, 3, 5, 7], &problem)?;
//! let eval = evaluate(&problem, &split);
//! // Stage 0 holds the embedding and two blocks: 0.3 + 2 * 3.0.
//! assert!((eval.bottleneck - 6.3).abs() < 1e-12);
//! assert_eq!(eval.bottleneck_stage, 0);
//! # Ok::<(), pipecut_core::Error>(())
//! ```
#![deny(missing_docs)]

pub mod chain;
pub mod dp;
pub mod error;
pub mod eval;
pub mod format;
pub mod memory;
pub mod partition;
pub mod plan;
pub mod problem;
pub mod schedule;
pub mod simulation;
pub mod solution;
pub mod synthetic;
pub mod traits;

pub use chain::{
    Chain, ChainSpec, Layer, LayerKind, DEFAULT_WEIGHT_SHARE, MAX_NAME_CHARS, MAX_UNIT_CHARS,
};
pub use error::{Error, Result};
pub use eval::{
    bottleneck, device_memory, evaluate, evaluate_with, surrogate_step_time, Evaluation, Prefix,
    StageEval,
};
pub use memory::memory_infeasible;
pub use partition::Partition;
pub use plan::{Plan, StagePlan};
pub use problem::{Link, Problem, ProblemSpec};
pub use schedule::{
    Dependency, Inputs, Op, OpKind, PairOverlap, Placement, Schedule, ScheduleFamily, ScheduleName,
    ScheduleRules,
};
pub use simulation::{Simulation, TimelineOp};
pub use solution::{Objective, Solution, Status};
pub use traits::{CostModel, Partitioner, Threaded, TimeLimited, WarmStartable};
