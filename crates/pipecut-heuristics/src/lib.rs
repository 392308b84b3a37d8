//! # pipecut-heuristics
//!
//! The partitioners without optimality proofs: what the frameworks ship
//! today, and AutoPipe. Each returns a [`Solution`](pipecut_core::Solution)
//! with status `heuristic`; `pipecut_sim::Executor` (or
//! [`pipecut_sim::PlanExt`]) turns it into a plan.
//!
//! | algorithm | file | what it guarantees |
//! |---|---|---|
//! | [`Uniform`] (`uniform`) | `uniform` | equal layer counts (first `N mod P` stages one more); ignores costs |
//! | [`Torchtitan`] (`torchtitan`) | `torchtitan` | torchtitan's default split by count, with its errors |
//! | [`Megatron`] (`megatron`) | `megatron` | Megatron-LM's even block split (blocks must divide), with its errors |
//! | [`DeepSpeed`] (`deepspeed`) | `deepspeed` | DeepSpeed's `parameters` method: its max-minus-min DP over `param_bytes`, faithfully (not optimal) |
//! | [`Greedy`] (`greedy`) | `greedy` | each stage filled up to its speed-aware share of `F + B`; no stage empty |
//! | [`AutoPipeReference`] (`autopipe-reference`) | `autopipe_reference/` | the reference AutoPipe on exact integers: its DP start, its own 1F1B model, never worse than the start in that model |
//! | [`AutoPipe`] (`autopipe`) | `autopipe/` | the same search on the real simulator with both moves: never worse than its start, fits the capacity whenever a partition does (exact for one stage per device and for small interleaved problems) |
//! | [`AutoPipeTorchtitan`] (`autopipe-torchtitan`) | `autopipe_torchtitan/` | torchtitan's schedule-aware AutoPipe rewrite, faithfully: F+B DP, its own action-graph simulator (1F1B, Interleaved1F1B, InterleavedZeroBubble), never worse than its DP baseline in that simulator |
//!
//! Shared by the framework rules: [`kind_groups`] (file `layer_groups`:
//! inputs, blocks, outputs). [`all`] builds every partitioner with defaults;
//! [`HeuristicError`] is the crate's typed error.
//!
//! ```
//! use pipecut_core::{Chain, Layer, LayerKind, Partitioner, ProblemSpec};
//! use pipecut_heuristics::{AutoPipe, Torchtitan};
//! use pipecut_sim::PlanExt;
//!
//! let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2).with_kind(LayerKind::Input)];
//! layers.extend((0..12).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
//! layers.push(Layer::new("norm", 0.01, 0.02).with_kind(LayerKind::Output));
//! layers.push(Layer::new("output", 3.0, 6.0).with_kind(LayerKind::Output));
//! let chain = Chain::new("llama-ish", "ms", layers)?;
//! let problem = ProblemSpec::new(chain, 4).with_micro_batches(8).check()?;
//!
//! let titan = Torchtitan::default().solve(&problem)?;
//! assert_eq!(titan.partition.starts(), &[0, 4, 8, 11]);
//! // Plans add the evaluation and the simulation.
//! let titan = Torchtitan::default().plan(&problem)?;
//! let auto = AutoPipe::default().plan(&problem)?;
//! assert!(auto.step_time() < titan.step_time());
//! # Ok::<(), pipecut_core::Error>(())
//! ```
#![deny(missing_docs)]

#[macro_use]
mod rule_partitioner;

pub mod autopipe;
pub mod autopipe_reference;
pub mod autopipe_torchtitan;
mod deepspeed;
mod error;
mod greedy;
mod layer_groups;
mod megatron;
mod torchtitan;
mod uniform;

pub use autopipe::{
    autopipe_search, autopipe_search_from, autopipe_start, AutoPipe, AutoPipeSearch,
    DEFAULT_MAX_EVALUATIONS,
};
pub use autopipe_reference::{
    autopipe_reference_search, reference_step_time, AutoPipeReference, ReferenceSearch,
};
pub use autopipe_torchtitan::AutoPipeTorchtitan;
pub use deepspeed::{deepspeed_balanced, deepspeed_partition, DeepSpeed};
pub use error::HeuristicError;
pub use greedy::{greedy_partition, Greedy};
pub use layer_groups::{kind_groups, KindGroups};
pub use megatron::{megatron_partition, Megatron};
pub use torchtitan::{torchtitan_partition, Torchtitan};
pub use uniform::{uniform_partition, Uniform};

use pipecut_core::Partitioner;

/// Every partitioner of this crate with its defaults, in the order
/// `uniform`, `torchtitan`, `megatron`, `deepspeed`, `greedy`,
/// `autopipe-reference`, `autopipe` (for tests and benches; the facade's
/// registry lists every algorithm with its metadata).
pub fn all() -> Vec<Box<dyn Partitioner>> {
    vec![
        Box::new(Uniform),
        Box::new(Torchtitan::default()),
        Box::new(Megatron),
        Box::new(DeepSpeed),
        Box::new(Greedy),
        Box::new(AutoPipeReference),
        Box::new(AutoPipe::default()),
    ]
}
