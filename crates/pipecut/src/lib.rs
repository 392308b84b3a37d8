//! # pipecut
//!
//! Finds the split of a neural network's layers into pipeline-parallel stages
//! that minimises the training step time. This crate is the library facade:
//! it re-exports the workspace crates and holds the algorithm registry, the
//! checked solver settings and the framework export formats. The `pipecut`
//! command-line tool (the `pipecut-cli` package at the repository root) is
//! built on it.
//!
//! - [`core`]: chains, problems, schedules (rule files), partitions,
//!   evaluation, solutions, plans, traits.
//! - [`sim`]: the schedule simulator and the [`sim::Executor`] that turns a
//!   partitioner's solution into a [`core::Plan`].
//! - [`cost`]: analytic (Llama 3, DeepSeek-V3), hardware and measured cost models.
//! - [`heuristics`]: framework baselines and AutoPipe.
//! - [`exact`]: the DP oracle and the fast exact bottleneck solver.
//! - [`milp`]: MILP models on good_lp (microlp; HiGHS with `--features highs`).
//! - [`harness`]: suites, comparison runs and reports.
//! - [`portfolio`]: `auto`, the default: the least simulated step time of
//!   the exact optimum, AutoPipe and torchtitan's split, with a lower bound.
//! - [`registry`]: every partitioner by name in one static table;
//!   [`SolverConfig`] -> [`SolverSettings`]: checked solver settings;
//!   [`export`]: torchtitan, Megatron and DeepSpeed output and the text plan.
//! - [`Error`]: this crate's typed error.
//!
//! ```
//! use pipecut::core::{Chain, Layer, LayerKind, ProblemSpec};
//! use pipecut::sim::Executor;
//!
//! let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2).with_kind(LayerKind::Input)];
//! layers.extend((0..8).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
//! layers.push(Layer::new("output", 2.5, 5.0).with_kind(LayerKind::Output));
//! let problem = ProblemSpec::new(Chain::new("toy", "ms", layers)?, 4).with_micro_batches(8).check()?;
//!
//! let settings = pipecut::SolverConfig::default().check()?;
//! let run = Executor::new(&problem);
//! let exact = run.run(&*pipecut::registry::build("exact", &settings)?)?;
//! let default = run.run(&*pipecut::registry::build("torchtitan", &settings)?)?;
//! assert!(exact.bottleneck() <= default.bottleneck());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub use pipecut_core as core;
pub use pipecut_cost as cost;
pub use pipecut_exact as exact;
pub use pipecut_harness as harness;
pub use pipecut_heuristics as heuristics;
pub use pipecut_milp as milp;
pub use pipecut_sim as sim;

mod config;
mod error;
pub mod export;
pub mod portfolio;
pub mod registry;

pub use config::{SolverConfig, SolverSettings, MAX_TIME_LIMIT_SECONDS};
pub use error::Error;
