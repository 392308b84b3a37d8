//! Model presets with published dimensions, and the options that turn a
//! preset into a chain ([`build_chain`]).

use pipecut_core::{Chain, CostModel};

use crate::analytic::{
    AnalyticModel, Architecture, DeepSeekV3Config, Llama3Config, Workload, DEFAULT_BYTES_PER_PARAM,
};
use crate::checkpointing::Checkpointing;
use crate::error::CostError;
use crate::hardware::Hardware;

/// Everything a user can choose on the command line; `None` keeps the
/// preset's value.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    /// Preset name (see [`presets`]).
    pub preset: String,
    /// Tokens per sequence.
    pub seq_len: Option<usize>,
    /// Sequences per micro-batch.
    pub micro_batch_size: Option<usize>,
    /// Number of transformer blocks (DeepSeek keeps `min(n_dense, layers)`
    /// dense blocks).
    pub layers: Option<usize>,
    /// Model width. Heads stay; Llama's `head_dim = dim / heads` and its FFN
    /// width follow the Llama formula; DeepSeek's dense and expert FFN widths
    /// scale by `dim / preset dim` (rounded up) while its MLA ranks and head
    /// widths stay as configured (they do not depend on `dim` in any
    /// published DeepSeek config).
    pub dim: Option<usize>,
    /// Vocabulary size.
    pub vocab: Option<usize>,
    /// `Some(false)`: DeepSeek-V3 with dense FFNs in every block.
    pub moe: Option<bool>,
    /// A hardware preset, `flops`, or `NAME,key=value..` (see
    /// [`crate::HardwareSpec`]'s `FromStr`); default `h100-sxm`.
    pub hardware: Option<String>,
    /// Activation checkpointing; default none.
    pub activation_checkpointing: Option<Checkpointing>,
    /// Bytes per parameter for weights, gradients and optimizer state
    /// (default 16, mixed-precision Adam).
    pub bytes_per_param: Option<u64>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            preset: "llama3-debug".to_string(),
            seq_len: None,
            micro_batch_size: None,
            layers: None,
            dim: None,
            vocab: None,
            moe: None,
            hardware: None,
            activation_checkpointing: None,
            bytes_per_param: None,
        }
    }
}

impl ModelOptions {
    /// Options for a preset with everything else at its default.
    pub fn preset(name: impl Into<String>) -> Self {
        ModelOptions {
            preset: name.into(),
            ..ModelOptions::default()
        }
    }
}

/// A preset as listed by `pipecut models`.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetInfo {
    /// Name accepted by `--model`.
    pub name: &'static str,
    /// `llama3` or `deepseek_v3`.
    pub family: &'static str,
    /// One line, with the source of the dimensions.
    pub description: String,
    /// Model width.
    pub dim: usize,
    /// Transformer blocks.
    pub n_layers: usize,
    /// Attention heads.
    pub n_heads: usize,
    /// Key-value heads (DeepSeek's MLA: equal to `n_heads`).
    pub n_kv_heads: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Dense FFN hidden width.
    pub ffn_hidden_dim: usize,
    /// Routed experts per MoE block (0: dense model).
    pub experts: usize,
    /// Routed experts per token (0: dense model).
    pub top_k: usize,
    /// Default sequence length.
    pub seq_len: usize,
    /// Default micro-batch size.
    pub micro_batch_size: usize,
    /// Total parameters.
    pub params: u64,
    /// Parameters activated per token.
    pub active_params: u64,
}

struct Preset {
    name: &'static str,
    aliases: &'static [&'static str],
    description: &'static str,
    arch: Architecture,
    seq_len: usize,
    micro_batch_size: usize,
}

fn llama(
    dim: usize,
    n_layers: usize,
    n_heads: usize,
    n_kv_heads: usize,
    vocab_size: usize,
    ffn_dim_multiplier: Option<f64>,
    multiple_of: usize,
) -> Architecture {
    Architecture::Llama3(Llama3Config {
        dim,
        n_layers,
        n_heads,
        n_kv_heads,
        vocab_size,
        ffn_dim_multiplier,
        multiple_of,
    })
}

fn all_presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "llama3-debug",
            aliases: &["llama3-debugmodel", "debugmodel"],
            description: "torchtitan llama3 `debugmodel` (dim 256, 6 layers, 16 heads, vocab 2048)",
            arch: llama(256, 6, 16, 16, 2048, None, 256),
            seq_len: 2048,
            micro_batch_size: 1,
        },
        Preset {
            name: "llama3-8b",
            aliases: &["llama3-8B"],
            description: "Llama 3 8B (Llama 3 paper table 3; torchtitan `8B`)",
            arch: llama(4096, 32, 32, 8, 128256, Some(1.3), 1024),
            seq_len: 8192,
            micro_batch_size: 1,
        },
        Preset {
            name: "llama3-70b",
            aliases: &["llama3-70B"],
            description: "Llama 3 70B (Llama 3 paper table 3; torchtitan `70B`)",
            arch: llama(8192, 80, 64, 8, 128256, Some(1.3), 4096),
            seq_len: 8192,
            micro_batch_size: 1,
        },
        Preset {
            name: "llama3-405b",
            aliases: &["llama3-405B"],
            description: "Llama 3.1 405B (Llama 3 paper table 3; torchtitan `405B`)",
            arch: llama(16384, 126, 128, 8, 128256, Some(1.2), 4096),
            seq_len: 8192,
            micro_batch_size: 1,
        },
        Preset {
            name: "deepseek-v3-debug",
            aliases: &["deepseek-v3-debugmodel", "deepseek_v3-debug"],
            description: "torchtitan deepseek_v3 `debugmodel` (dim 256, 6 layers, 1 dense, 8 experts top-3, 2 shared, vocab 2048)",
            // pytorch/torchtitan torchtitan/models/deepseek_v3/__init__.py, `_debugmodel`
            // (it keeps the full model's latent-attention head dimensions)
            arch: Architecture::DeepSeekV3(DeepSeekV3Config {
                dim: 256,
                n_layers: 6,
                n_dense_layers: 1,
                n_heads: 16,
                vocab_size: 2048,
                q_lora_rank: 0,
                inter_dim: 1024,
                moe_inter_dim: 256,
                n_routed_experts: 8,
                n_shared_experts: 2,
                top_k: 3,
                ..DEEPSEEK_V3_671B
            }),
            seq_len: 2048,
            micro_batch_size: 1,
        },
        Preset {
            name: "deepseek-v3-671b",
            aliases: &["deepseek-v3", "deepseek-v3-671B"],
            description: "DeepSeek-V3 671B (technical report section 4.2; HF config.json)",
            arch: Architecture::DeepSeekV3(DEEPSEEK_V3_671B),
            seq_len: 4096,
            micro_batch_size: 1,
        },
    ]
}

/// DeepSeek-V3 671B (technical report section 4.2; HF config.json).
const DEEPSEEK_V3_671B: DeepSeekV3Config = DeepSeekV3Config {
    dim: 7168,
    n_layers: 61,
    n_dense_layers: 3,
    n_heads: 128,
    vocab_size: 129280,
    q_lora_rank: 1536,
    kv_lora_rank: 512,
    qk_nope_head_dim: 128,
    qk_rope_head_dim: 64,
    v_head_dim: 128,
    inter_dim: 18432,
    moe_inter_dim: 2048,
    n_routed_experts: 256,
    n_shared_experts: 1,
    top_k: 8,
    moe: true,
};

fn find_preset(name: &str) -> Result<Preset, CostError> {
    let wanted = name.trim();
    all_presets()
        .into_iter()
        .find(|p| {
            p.name.eq_ignore_ascii_case(wanted)
                || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
        })
        .ok_or_else(|| CostError::UnknownPreset {
            name: name.to_string(),
            known: all_presets()
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Every preset with its key dimensions and parameter counts.
pub fn presets() -> Vec<PresetInfo> {
    all_presets()
        .into_iter()
        .map(|p| {
            let model = AnalyticModel {
                name: p.name.to_string(),
                arch: p.arch.clone(),
                workload: Workload {
                    seq_len: p.seq_len,
                    micro_batch_size: p.micro_batch_size,
                    ..Workload::default()
                },
                hardware: Hardware::Flops,
            };
            let costs = model.layer_costs().expect("presets are valid");
            let (n_kv_heads, ffn_hidden_dim, experts, top_k) = match &p.arch {
                Architecture::Llama3(c) => (c.n_kv_heads, c.ffn_hidden_dim(), 0, 0),
                Architecture::DeepSeekV3(c) => {
                    (c.n_heads, c.inter_dim, c.n_routed_experts, c.top_k)
                }
            };
            PresetInfo {
                name: p.name,
                family: match p.arch {
                    Architecture::Llama3(_) => "llama3",
                    Architecture::DeepSeekV3(_) => "deepseek_v3",
                },
                description: p.description.to_string(),
                dim: p.arch.dim(),
                n_layers: p.arch.n_layers(),
                n_heads: p.arch.n_heads(),
                n_kv_heads,
                vocab_size: p.arch.vocab_size(),
                ffn_hidden_dim,
                experts,
                top_k,
                seq_len: p.seq_len,
                micro_batch_size: p.micro_batch_size,
                params: costs.iter().map(|l| l.params).sum(),
                active_params: costs.iter().map(|l| l.active_params).sum(),
            }
        })
        .collect()
}

/// `width * new / old`, rounded up.
fn scale_width(width: usize, new: usize, old: usize) -> usize {
    let scaled = (width as u128 * new as u128).div_ceil(old.max(1) as u128);
    usize::try_from(scaled).unwrap_or(usize::MAX)
}

impl AnalyticModel {
    /// Builds the model a set of options describes, validated.
    ///
    /// The chain name is the preset's, with `-L{layers}`, `-d{dim}`,
    /// `-v{vocab}` and `-dense` appended for architecture overrides.
    pub fn from_options(opts: &ModelOptions) -> Result<AnalyticModel, CostError> {
        let preset = find_preset(&opts.preset)?;
        let mut name = preset.name.to_string();
        let mut arch = preset.arch.clone();
        let preset_dim = arch.dim();
        if let Some(layers) = opts.layers {
            name.push_str(&format!("-L{layers}"));
            match &mut arch {
                Architecture::Llama3(c) => c.n_layers = layers,
                Architecture::DeepSeekV3(c) => {
                    c.n_layers = layers;
                    c.n_dense_layers = c.n_dense_layers.min(layers);
                }
            }
        }
        if let Some(dim) = opts.dim {
            name.push_str(&format!("-d{dim}"));
            match &mut arch {
                Architecture::Llama3(c) => c.dim = dim,
                Architecture::DeepSeekV3(c) => {
                    c.dim = dim;
                    c.inter_dim = scale_width(c.inter_dim, dim, preset_dim);
                    c.moe_inter_dim = scale_width(c.moe_inter_dim, dim, preset_dim);
                }
            }
        }
        if let Some(vocab) = opts.vocab {
            name.push_str(&format!("-v{vocab}"));
            match &mut arch {
                Architecture::Llama3(c) => c.vocab_size = vocab,
                Architecture::DeepSeekV3(c) => c.vocab_size = vocab,
            }
        }
        match (opts.moe, &mut arch) {
            (Some(true), Architecture::Llama3(_)) => {
                return Err(CostError::option(
                    "moe",
                    true,
                    format!("preset `{}` is a dense llama3 model", preset.name),
                ))
            }
            (Some(false), Architecture::DeepSeekV3(c)) => {
                name.push_str("-dense");
                c.moe = false;
            }
            _ => {}
        }
        let hardware = match &opts.hardware {
            Some(h) => h.parse()?,
            None => Hardware::default_gpu(),
        };
        let model = AnalyticModel {
            name,
            arch,
            workload: Workload {
                seq_len: opts.seq_len.unwrap_or(preset.seq_len),
                micro_batch_size: opts.micro_batch_size.unwrap_or(preset.micro_batch_size),
                checkpointing: opts.activation_checkpointing.unwrap_or_default(),
                bytes_per_param: opts.bytes_per_param.unwrap_or(DEFAULT_BYTES_PER_PARAM),
            },
            hardware,
        };
        model.validate()?;
        Ok(model)
    }
}

/// The chain a set of options describes: the main entry point.
///
/// ```
/// use pipecut_cost::{build_chain, Checkpointing, ModelOptions};
/// let chain = build_chain(&ModelOptions {
///     preset: "deepseek-v3-debug".into(),
///     layers: Some(12),
///     dim: Some(2048),
///     moe: Some(false),
///     activation_checkpointing: Some(Checkpointing::Selective { every: 2 }),
///     ..ModelOptions::default()
/// })?;
/// assert_eq!(chain.len(), 12 + 3);
/// assert_eq!(chain.unit(), "s");
/// # Ok::<(), pipecut_cost::CostError>(())
/// ```
pub fn build_chain(opts: &ModelOptions) -> Result<Chain, CostError> {
    AnalyticModel::from_options(opts)?.chain()
}
