//! # pipecut-milp
//!
//! MILP models on [good_lp](https://docs.rs/good_lp): the cross-check for the
//! DP and the only exact method for the simulated step time itself.
//!
//! - [`MilpBottleneck`] (`milp`): exact minimum bottleneck `max_k t_k` by the
//!   staircase formulation, with memory caps (device memory summed over its
//!   chunks when interleaved), cut costs and per-stage speeds.
//! - [`MilpStepTime`] (`milp-steptime`): exact minimum simulated step time for
//!   the schedule's fixed operation order and dependencies, as the schedule's
//!   rules give them, link delays included; the solver's partition is
//!   re-simulated and checked against its objective.
//! - [`Backend`], [`available_backends`], [`BackendChoice`]: microlp (pure
//!   Rust, always) and HiGHS (cargo feature `highs`), chosen at run time.
//! - [`MilpOptions`] (checked into [`CheckedOptions`] by
//!   [`MilpOptions::check`] on every solve): backend, time limit (default
//!   10 s), threads (default 1), warm start, and the strengthenings (probe
//!   fixing, DP bound cut).
//! - [`MilpError`]: the typed error (infeasible, no solution within the
//!   limit, backend not compiled in, invalid option, objective mismatch, ...).
//!
//! Where things live: `model/` writes the variables and rows (`staircase`,
//! `windows`, `memory_rows`, `bottleneck`, `step_time`) into the
//! backend-neutral `linear_model`; `backend/` solves it (one file per
//! backend behind one trait); `warm_start` finds the incumbent,
//! `bottleneck_dp` runs the one bottleneck DP of `pipecut_core::dp` for it
//! and for the bound cut, `solve_context` holds what a solve knows before it
//! builds its model; `finish` checks the solver's answer exactly and
//! turns it into a [`Solution`](pipecut_core::Solution); `milp_bottleneck`
//! and `milp_step_time` are the partitioners, `partitioner` their shared
//! plumbing, `options` and `error` what the names say.
//!
//! **The staircase.** `u[i][k] = 1` when layer `i` sits in a stage after `k`
//! (one column per cut `k = 0..P-1`). Rows `u[i][k] <= u[i+1][k]` and
//! `u[i][k] <= u[i-1][k-1]` (stage `k` non-empty) are difference constraints,
//! so the assignment polytope is integral. Layer `i` is in stage `k` when
//! `u[i][k-1] - u[i][k] = 1` and cut `k` falls before layer `i` when
//! `u[i][k] - u[i-1][k] = 1`, so loads, memory and cut costs are linear.
//!
//! **Every solve** is warm-started from the best (fitting the memory) of: the
//! caller's warm start, the caller's seed partitioners (`with_seed`),
//! `pipecut-exact`'s `exact`, `pipecut-heuristics`' `autopipe` (step time
//! only), the bottleneck DP when `exact` fails, the uniform split, and for
//! the step time a simulated boundary-move descent from the best of them
//! (`MilpOptions::default_starts` turns the built-in ones off). The incumbent
//! is passed to the backend as a starting solution, caps the objective, and
//! fixes every staircase cell outside the stage-start windows that greedy
//! probes allow for any solution at least as good (`probe_fixing`). MIP gap
//! 0, one thread unless asked otherwise.
//!
//! **Results.** `Status::Optimal` with `bound` = the proven optimum;
//! `Status::Feasible` when the time limit stopped the search, with the
//! backend's best bound in `bound` (when it reports one) and the gap in
//! `notes`; [`MilpError::Infeasible`] when no partition fits the memory;
//! [`MilpError::NoSolution`] when the limit expired with no partition known.
//!
//! **Time limits.** HiGHS gets its `time_limit` option. microlp (through
//! good_lp's `with_time_limit`) checks its limit inside the simplex and the
//! branch and bound, so it stops within a few pivots of the limit; model
//! construction and the warm start count towards the limit too.
//!
//! ```
//! use pipecut_core::{Chain, Layer, Partitioner, ProblemSpec, Status};
//! use pipecut_milp::{Backend, MilpBottleneck, MilpStepTime};
//! use pipecut_sim::PlanExt;
//!
//! let costs = [1.0, 3.0, 2.0, 2.0, 1.0, 4.0];
//! let layers = costs.iter().enumerate().map(|(i, &c)| Layer::new(format!("l{i}"), c, 2.0 * c)).collect();
//! let problem = ProblemSpec::new(Chain::new("toy", "s", layers)?, 2).with_micro_batches(4).check()?;
//!
//! let solution = MilpBottleneck::new().with_backend(Backend::Microlp).solve(&problem)?;
//! assert_eq!(solution.status, Status::Optimal);
//! assert_eq!(solution.partition.starts(), &[0, 3]); // 6 + 7 units of F, times 3
//! assert_eq!(solution.bound, Some(21.0));
//!
//! // A plan (timed, evaluated and simulated once) from the step-time MILP.
//! let plan = MilpStepTime::new().with_backend(Backend::Microlp).plan(&problem)?;
//! assert_eq!(plan.status, Status::Optimal);
//! assert_eq!(plan.bound, Some(plan.step_time()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod backend;
mod bottleneck_dp;
mod error;
mod finish;
mod linear_model;
mod milp_bottleneck;
mod milp_step_time;
mod model;
mod options;
mod partitioner;
mod solve_context;
mod warm_start;

pub use backend::{available_backends, Backend};
pub use error::MilpError;
pub use milp_bottleneck::MilpBottleneck;
pub use milp_step_time::MilpStepTime;
pub use options::{CheckedOptions, MilpOptions, DEFAULT_TIME_LIMIT};
pub use partitioner::BackendChoice;
