//! # pipecut-milp
//!
//! MILP models on [good_lp](https://docs.rs/good_lp): the cross-check for the
//! DP and the only exact method for the simulated step time itself.
//!
//! - [`MilpBottleneck`] (`milp`): exact minimum bottleneck `max_k t_k` by the
//!   staircase formulation, with memory caps (device memory summed over its
//!   chunks when interleaved), cut costs and per-stage speeds.
//! - [`MilpStepTime`] (`milp-steptime`): exact minimum simulated step time for
//!   the schedule's fixed operation order (GPipe, 1F1B, interleaved 1F1B),
//!   link delays included; its plan is re-simulated and checked.
//! - [`Backend`], [`available_backends`]: microlp (pure Rust, always) and HiGHS
//!   (cargo feature `highs`), chosen at run time.
//! - [`MilpOptions`]: backend, time limit (default 10 s), threads (default 1),
//!   warm start, and the strengthenings (probe fixing, DP bound cut).
//! - [`MilpError`]: the typed error (infeasible, no solution within the
//!   limit, backend not compiled in, objective mismatch, ...).
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
//! only), a local `O(P N^2)` bottleneck DP when `exact` fails, the uniform
//! split, and for the step time a simulated boundary-move descent from the
//! best of them (`MilpOptions::default_starts` turns the built-in ones off). The incumbent is
//! passed to the backend as a starting solution, caps the objective, and fixes
//! every staircase cell outside the stage-start windows that greedy probes
//! allow for any solution at least as good (`probe_fixing`). MIP gap 0, one
//! thread unless asked otherwise.
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
//!
//! let costs = [1.0, 3.0, 2.0, 2.0, 1.0, 4.0];
//! let layers = costs.iter().enumerate().map(|(i, &c)| Layer::new(format!("l{i}"), c, 2.0 * c)).collect();
//! let problem = ProblemSpec::new(Chain::new("toy", "s", layers)?, 2).with_micro_batches(4).check()?;
//!
//! let plan = MilpBottleneck::new().with_backend(Backend::Microlp).solve(&problem)?;
//! assert_eq!(plan.status, Status::Optimal);
//! assert_eq!(plan.starts, vec![0, 3]); // 6 + 7 units of F, times 3
//! assert_eq!(plan.bottleneck, 21.0);
//!
//! let plan = MilpStepTime::new().with_backend(Backend::Microlp).solve(&problem)?;
//! assert_eq!(plan.status, Status::Optimal);
//! assert_eq!(plan.bound, Some(plan.step_time));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod backend;
mod bottleneck;
mod error;
mod finish;
mod options;
mod staircase;
mod start;
mod steptime;

pub use backend::{available_backends, Backend};
pub use bottleneck::MilpBottleneck;
pub use error::MilpError;
pub use options::{MilpOptions, DEFAULT_TIME_LIMIT};
pub use steptime::MilpStepTime;
