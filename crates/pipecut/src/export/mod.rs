//! What a user pastes into their framework, and the readable plan table.
//!
//! - [`torchtitan_toml`]: `[parallelism]` with `module_fqns_per_model_part`.
//! - [`megatron_layout`]: a `pipeline_model_parallel_layout` string.
//! - [`deepspeed_parts`]: DeepSpeed's part boundary list.
//! - [`plan_table`] and [`layer_span`]: the text report of `pipecut plan`.

mod deepspeed;
mod megatron;
mod text;
mod torchtitan;

pub use deepspeed::deepspeed_parts;
pub use megatron::megatron_layout;
pub use text::{layer_span, plan_table};
pub use torchtitan::torchtitan_toml;
