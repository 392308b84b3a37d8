//! # pipecut-cost
//!
//! Where per-layer costs come from: analytic transformer models on a
//! hardware roofline, or measured profiles.
//!
//! - [`analytic`]: analytic transformer models, Llama 3 ([`Llama3Config`]:
//!   GQA, SwiGLU, RMSNorm, untied head and loss) and DeepSeek-V3
//!   ([`DeepSeekV3Config`]: multi-head latent attention, dense first blocks,
//!   mixture-of-experts blocks); [`AnalyticModel`] implements
//!   [`pipecut_core::CostModel`]; [`LayerCost`] exposes FLOPs, traffic and
//!   parameter counts per layer, and the weight-gradient part of the
//!   backward that every chain layer states as `backward_weight`.
//! - [`checkpointing`]: [`Checkpointing`] (`none` | `full` | `selective:K`).
//! - [`hardware`]: the roofline [`HardwareSpec`], its presets
//!   ([`hardware_presets`]) and the `flops` mode ([`Hardware`]).
//! - [`mod@presets`]: published model dimensions ([`presets()`]) and
//!   [`ModelOptions`] -> [`build_chain`], the main entry point.
//! - [`profile`]: measured profiles, Chain JSON or CSV ([`load_chain`],
//!   [`chain_from_csv`], [`chain_to_csv`], [`ProfileFile`]).
//! - [`error`]: the typed [`CostError`].
//!
//! ```
//! use pipecut_cost::{build_chain, chain_from_csv, chain_to_csv, Checkpointing, ModelOptions};
//!
//! // Llama 3 8B on H100s, seq 8192, micro-batch 1, every 2nd block recomputed.
//! let chain = build_chain(&ModelOptions {
//!     preset: "llama3-8b".into(),
//!     activation_checkpointing: Some("selective:2".parse()?),
//!     ..ModelOptions::default()
//! })?;
//! assert_eq!(chain.len(), 1 + 32 + 2);
//! assert_eq!(chain.layers()[0].name, "tok_embeddings");
//! assert_eq!(chain.unit(), "s");
//! // layers.1 recomputes its forward, layers.0 does not.
//! let (b0, b1) = (&chain.layers()[1], &chain.layers()[2]);
//! assert!(b1.backward > b0.backward && b1.activation_bytes < b0.activation_bytes);
//! // The output head of a 128K vocabulary costs about two blocks.
//! let head = chain.layers().last().unwrap();
//! assert!(head.forward > 1.5 * b0.forward);
//! // Weight gradients: about half of the head's backward, all of the embedding's.
//! assert!((head.backward_weight() / head.backward - 0.5).abs() < 0.01);
//! assert_eq!(chain.layers()[0].backward_weight, Some(chain.layers()[0].backward));
//!
//! // Editable CSV that reads back identically.
//! assert_eq!(chain_from_csv(&chain_to_csv(&chain))?, chain);
//! # let _ = Checkpointing::Full;
//! # Ok::<(), pipecut_cost::CostError>(())
//! ```
#![deny(missing_docs)]

pub mod analytic;
pub mod checkpointing;
pub mod error;
pub mod hardware;
pub mod presets;
pub mod profile;

pub use analytic::{
    AnalyticModel, Architecture, DeepSeekV3Config, LayerCost, Llama3Config, Workload,
    ACTIVATION_ELEMENT_BYTES, DEFAULT_BYTES_PER_PARAM,
};
pub use checkpointing::Checkpointing;
pub use error::CostError;
pub use hardware::{hardware_presets, Hardware, HardwareInfo, HardwareSpec, DEFAULT_HARDWARE};
pub use presets::{build_chain, presets, ModelOptions, PresetInfo};
pub use profile::{
    chain_from_csv, chain_to_csv, load_chain, ProfileFile, CSV_BACKWARD_WEIGHT_COLUMN, CSV_COLUMNS,
};
