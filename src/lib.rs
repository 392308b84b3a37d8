//! # pipecut
//!
//! Finds the split of a neural network's layers into pipeline-parallel stages
//! that minimises the training step time. This crate is the facade: it
//! re-exports the workspace crates and holds the algorithm registry and the
//! framework export formats used by the `pipecut` binary.
//!
//! - [`core`]: chains, problems, partitions, plans, evaluation, traits.
//! - [`sim`]: the schedule simulator (GPipe, 1F1B, interleaved 1F1B).
//! - [`cost`]: analytic (Llama 3, DeepSeek-V3), hardware and measured cost models.
//! - [`heuristics`]: framework baselines and AutoPipe.
//! - [`exact`]: the DP oracle and the fast exact bottleneck solver.
//! - [`milp`]: MILP models on good_lp (microlp; HiGHS with `--features highs`).
//! - [`harness`]: suites, comparison runs and reports.
//! - [`registry`]: every partitioner by name; [`export`]: torchtitan, Megatron
//!   and DeepSpeed output.
//!
//! ```
//! use pipecut::core::{Chain, Layer, LayerKind, ProblemSpec};
//!
//! let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2).with_kind(LayerKind::Input)];
//! layers.extend((0..8).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
//! layers.push(Layer::new("output", 2.5, 5.0).with_kind(LayerKind::Output));
//! let problem = ProblemSpec::new(Chain::new("toy", "ms", layers)?, 4).with_micro_batches(8).check()?;
//!
//! let options = pipecut::registry::RegistryOptions::default();
//! let exact = pipecut::registry::by_name("exact", &options)?.solve(&problem)?;
//! let default = pipecut::registry::by_name("torchtitan", &options)?.solve(&problem)?;
//! assert!(exact.bottleneck <= default.bottleneck);
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

pub mod export;
pub mod registry;
