//! # pipecut-exact
//!
//! Provably optimal stage splits.
//!
//! - [`Exact`] (`exact`, module `exact`): the fast exact bottleneck solver.
//!   One pass of prefix sums, rigorous bounds, a probe that extends every
//!   stage as far as its time and memory allow (binary search on the prefix
//!   sums) and a search over values stages actually take, so the optimum is
//!   exact to the last bit. Per-stage speeds and memory caps; falls back to
//!   the DP when a link charges cut costs. Ties between optimal partitions go
//!   to the smaller simulated step time (within
//!   [`Exact::max_tie_break_operations`]). [`optimal_bottleneck`] returns the
//!   raw [`BottleneckSolution`] (bounds, probes, earliest/latest-cut optima).
//!   Its files: `stage_model` (speeds, in-flight counts, cap), `prefix_sums`,
//!   `dead_layers` (layers some stage cannot hold alone), `probe` (reachable
//!   stage ends), `cuts` (earliest/latest-cut partitions), `search` (bounds
//!   and bisection), `tie_break` (simulating the two extreme optima).
//! - [`Dp`] (`dp` and `dp-surrogate`, module `dp`): the `O(P N^2)`-time,
//!   `O(P N)`-memory oracle over (stage, prefix) for the bottleneck and for
//!   the surrogate step time `sum t_k + (M - 1) max t_k`, with memory caps,
//!   cut costs and speeds; refuses problems above [`Dp::max_cells`] with
//!   [`ExactError::TooLarge`]. Its files: `table` (the recursion) and
//!   `surrogate` (the sweep down the (maximum, sum) staircase).
//! - `device_load`: what both minimise when the schedule puts several
//!   stages on a device (`Schedule::virtual_stages() > 1`): the busiest
//!   device's load `max_d sum_{k on d} t_k`, exactly, under device memory
//!   caps (a device holds the sum of its stages' memory). A memoised search
//!   device by device; gives up with [`ExactError::DeviceSearchTooLarge`]
//!   past a state budget. With one stage per device nothing changes.
//! - `memory_model`: the per-stage memory model both share, and the
//!   surrogate DP's refusal of schedules that put several stages on a device
//!   under a cap.
//! - [`ExactStepTime`] (`exact-steptime`, module `steptime`): the least
//!   simulated step time, proven by branch-and-bound over stage ends on the
//!   simulator, with lower bounds every schedule's rules imply (`bounds`)
//!   and a depth-first search (`search`); `feasible` with the proven gap at
//!   its node or time limit.
//! - [`ExactError`]: this crate's typed errors; the solvers return them
//!   wrapped in [`pipecut_core::Error::Solver`]. A cap that no partition
//!   meets is [`pipecut_core::Error::MemoryInfeasible`], from
//!   [`pipecut_core::memory_infeasible`].
//!
//! Both return a [`pipecut_core::Solution`] (status optimal, bound = the
//! proven optimum); `pipecut_sim::Executor` (or [`pipecut_sim::PlanExt`])
//! turns it into a plan.
//!
//! ```
//! use pipecut_core::{Chain, Layer, Partitioner, ProblemSpec, Status};
//! use pipecut_exact::{Dp, Exact};
//! use pipecut_sim::PlanExt;
//!
//! // An embedding, six blocks and a heavy output head.
//! let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2)];
//! layers.extend((0..6).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
//! layers.push(Layer::new("output", 2.0, 4.0));
//! let problem = ProblemSpec::new(Chain::new("toy", "ms", layers)?, 4)
//!     .with_micro_batches(8)
//!     .check()?;
//!
//! let solution = Exact::default().solve(&problem)?;
//! assert_eq!(solution.status, Status::Optimal);
//! let plan = Exact::default().plan(&problem)?;
//! assert_eq!(plan.bound, Some(plan.bottleneck()));
//! assert_eq!(plan.bottleneck(), Dp::bottleneck().plan(&problem)?.bottleneck());
//! // The head needs a stage of its own: the embedding and two blocks, 6.3,
//! // is the best possible.
//! assert_eq!(plan.bottleneck(), 6.3);
//! assert_eq!(plan.starts(), &[0, 3, 5, 7]);
//! # Ok::<(), pipecut_core::Error>(())
//! ```
#![deny(missing_docs)]

mod device_load;
mod dp;
mod error;
mod exact;
mod memory_model;
mod steptime;

pub use dp::{Dp, DpObjective, DpSolution, DEFAULT_MAX_CELLS};
pub use error::ExactError;
pub use exact::{optimal_bottleneck, BottleneckSolution, Exact};
pub use steptime::{ExactStepTime, DEFAULT_MAX_NODES, MAX_TABLE_CELLS};
