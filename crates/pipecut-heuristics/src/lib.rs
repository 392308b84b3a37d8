//! # pipecut-heuristics
//!
//! The partitioners without optimality proofs: what the frameworks ship
//! today, and AutoPipe.
//!
//! - [`baselines`]: `uniform`, `torchtitan` (its default split with its
//!   errors), `megatron`, `deepspeed` (the shipped `parameters` method) and
//!   `greedy`, each a plain function returning a [`Partition`](pipecut_core::Partition) and a
//!   [`Partitioner`] struct.
//! - [`reference`](mod@reference): `autopipe-reference`, the reference AutoPipe on exact
//!   integer arithmetic, its timing model and DP.
//! - [`autopipe`]: `autopipe`, the same search on the real simulator, with
//!   memory caps and a bounded search.
//! - [`all`]: every partitioner with defaults, in that order.
//! - [`HeuristicError`]: the crate's typed error.
//!
//! ```
//! use pipecut_core::{Chain, Layer, LayerKind, Partitioner, ProblemSpec};
//!
//! let mut layers = vec![Layer::new("tok_embeddings", 0.1, 0.2).with_kind(LayerKind::Input)];
//! layers.extend((0..12).map(|i| Layer::new(format!("layers.{i}"), 1.0, 2.0)));
//! layers.push(Layer::new("norm", 0.01, 0.02).with_kind(LayerKind::Output));
//! layers.push(Layer::new("output", 3.0, 6.0).with_kind(LayerKind::Output));
//! let chain = Chain::new("llama-ish", "ms", layers)?;
//! let problem = ProblemSpec::new(chain, 4).with_micro_batches(8).check()?;
//!
//! let titan = pipecut_heuristics::Torchtitan::default().solve(&problem)?;
//! assert_eq!(titan.starts, vec![0, 4, 8, 11]);
//! let auto = pipecut_heuristics::AutoPipe::default().solve(&problem)?;
//! assert!(auto.step_time < titan.step_time);
//! # Ok::<(), pipecut_core::Error>(())
//! ```
#![deny(missing_docs)]

pub mod autopipe;
pub mod baselines;
mod error;
pub mod reference;

pub use autopipe::{
    autopipe_search, autopipe_start, AutoPipe, AutoPipeSearch, DEFAULT_MAX_EVALUATIONS,
};
pub use baselines::{
    deepspeed_balanced, deepspeed_partition, greedy_partition, kind_groups, megatron_partition,
    torchtitan_partition, uniform_partition, DeepSpeed, Greedy, KindGroups, Megatron, Torchtitan,
    Uniform,
};
pub use error::HeuristicError;
pub use reference::{
    autopipe_reference_search, reference_step_time, AutoPipeReference, ReferenceSearch,
};

use pipecut_core::Partitioner;

/// Every partitioner of this crate with its defaults, in the order
/// `uniform`, `torchtitan`, `megatron`, `deepspeed`, `greedy`,
/// `autopipe-reference`, `autopipe`.
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
