//! Analytic transformer cost models: Llama 3 (GQA, SwiGLU, RMSNorm) and
//! DeepSeek-V3 (multi-head latent attention, dense first layers, MoE layers).
//!
//! Conventions used by every formula below (per micro-batch):
//! - `T = micro_batch_size * seq_len` tokens, `s = seq_len`;
//! - a linear layer `in -> out` costs `2 * T * in * out` forward FLOPs (one
//!   multiply and one add per weight per token; Kaplan et al. 2020, "Scaling
//!   Laws for Neural Language Models", section 2.1);
//! - causal attention computes half of the `s x s` score matrix:
//!   `QK^T` costs `2 * T * s * h * d_qk / 2` and `AV` costs `2 * T * s * h * d_v / 2`
//!   (as in Megatron's FLOPs accounting);
//! - elementwise ops are counted approximately: RMSNorm 4 FLOPs per element
//!   (square, mean, scale, weight), RoPE 3 per rotated element (a complex
//!   multiply per pair), SiLU-gate 5 per hidden element, cross-entropy 5 per
//!   logit (max, subtract, exp, sum, log);
//! - backward is 2x forward (gradients w.r.t. inputs and weights), plus 1x
//!   forward when the block's activations are recomputed;
//! - the backward's weight-gradient part (`backward_weight`, what zero-bubble
//!   schedules run as a separate op after the input gradient): a linear
//!   layer's weight gradient `dW = X^T dY` costs as much as its input
//!   gradient, so it is its forward FLOPs, half of its 2x backward; an
//!   RMSNorm's weight gradient (`sum over tokens of dY * x_hat`) is 2 of its
//!   8 backward FLOPs per element; the attention products (`QK^T`, scores x
//!   `V`), RoPE, activations, gates, residual adds, the loss and the
//!   recomputed forward have no weights and are input-gradient work only;
//!   the MoE router is a linear layer like the experts; the embedding's
//!   backward (a scatter-add into its table) is weight gradient only;
//! - activations are bf16 (2 bytes per element) unless stated; the stash
//!   estimate follows Korthikanti et al. 2022 ("Reducing Activation
//!   Recomputation in Large Transformer Models", section 4), adapted to
//!   FlashAttention (no `s^2` score tensor is kept, only a fp32 log-sum-exp
//!   per head and token), SwiGLU and GQA/MLA; under recomputation only the
//!   block input is kept;
//! - memory traffic for the roofline: a forward reads the weights it uses
//!   (bf16) and its input, writes its stash and its output; a backward moves
//!   twice that, three times when it recomputes (a first-order estimate: the
//!   roofline only needs to know which layers are bandwidth-bound, such as
//!   the embedding); the weight-gradient part of that traffic is its FLOP
//!   share of the backward (all of it for the embedding), which makes the
//!   roofline time split in the same share (see [`AnalyticModel`]'s chain).

use pipecut_core::format::number;
use pipecut_core::{Chain, CostModel, Layer, LayerKind};

use crate::checkpointing::Checkpointing;
use crate::error::CostError;
use crate::hardware::Hardware;

/// Bytes per activation element (bf16).
pub const ACTIVATION_ELEMENT_BYTES: u64 = 2;

/// Default bytes per parameter held by a stage: mixed-precision Adam keeps
/// bf16 weights (2) and gradients (2) plus fp32 master weights and two moments
/// (12), 16 in all (ZeRO paper, Rajbhandari et al. 2020, section 3.1).
pub const DEFAULT_BYTES_PER_PARAM: u64 = 16;

/// Llama 3 architecture (Meta, "The Llama 3 Herd of Models", 2024, table 3;
/// torchtitan `TransformerModelArgs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Llama3Config {
    /// Model width `d`.
    pub dim: usize,
    /// Transformer blocks.
    pub n_layers: usize,
    /// Query heads `h`; `head_dim = dim / n_heads`.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention); divides `n_heads`.
    pub n_kv_heads: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// `ffn_dim_multiplier` of the reference code (`None`: 1).
    pub ffn_dim_multiplier: Option<f64>,
    /// The FFN width is rounded up to a multiple of this.
    pub multiple_of: usize,
}

impl Llama3Config {
    /// Per-head width `dim / n_heads`.
    pub fn head_dim(&self) -> usize {
        self.dim / self.n_heads.max(1)
    }

    /// SwiGLU hidden width, exactly as Llama's reference `FeedForward`:
    /// `int(2 * 4d / 3)`, times `ffn_dim_multiplier` (truncated), rounded up to
    /// a multiple of `multiple_of` (8B: 14336, 70B: 28672, 405B: 53248).
    pub fn ffn_hidden_dim(&self) -> usize {
        let mut hidden = 2 * (4 * self.dim) / 3;
        if let Some(m) = self.ffn_dim_multiplier {
            hidden = (m * hidden as f64) as usize;
        }
        let multiple = self.multiple_of.max(1);
        hidden.div_ceil(multiple) * multiple
    }

    fn validate(&self) -> Result<(), CostError> {
        check_range("dim", self.dim, 1, MAX_DIM)?;
        check_range("layers", self.n_layers, 1, MAX_LAYERS)?;
        check_range("n_heads", self.n_heads, 1, MAX_DIM)?;
        check_range("vocab", self.vocab_size, 1, MAX_VOCAB)?;
        if self.dim % self.n_heads != 0 {
            return Err(CostError::option(
                "dim",
                self.dim,
                format!("must be a multiple of n_heads = {}", self.n_heads),
            ));
        }
        if self.n_kv_heads == 0 || self.n_heads % self.n_kv_heads != 0 {
            return Err(CostError::option(
                "n_kv_heads",
                self.n_kv_heads,
                format!("must be >= 1 and divide n_heads = {}", self.n_heads),
            ));
        }
        check_range("multiple_of", self.multiple_of, 1, MAX_DIM)?;
        if let Some(m) = self.ffn_dim_multiplier {
            if !(m.is_finite() && m > 0.0 && m <= 64.0) {
                return Err(CostError::option(
                    "ffn_dim_multiplier",
                    number(m),
                    "must be finite, > 0 and <= 64",
                ));
            }
        }
        Ok(())
    }
}

/// DeepSeek-V3 architecture (DeepSeek-AI, "DeepSeek-V3 Technical Report",
/// 2024, section 2 and 4.2; HF `config.json`; torchtitan `deepseek_v3`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeepSeekV3Config {
    /// Model width `d`.
    pub dim: usize,
    /// Transformer blocks.
    pub n_layers: usize,
    /// The first `n_dense_layers` blocks use a dense FFN.
    pub n_dense_layers: usize,
    /// Attention heads `h`.
    pub n_heads: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Query low-rank width (0: a full `d -> h * qk_head_dim` projection).
    pub q_lora_rank: usize,
    /// Compressed key-value width.
    pub kv_lora_rank: usize,
    /// Per-head query/key width without rotary embedding.
    pub qk_nope_head_dim: usize,
    /// Per-head query/key width with rotary embedding (the key part is shared
    /// across heads).
    pub qk_rope_head_dim: usize,
    /// Per-head value width.
    pub v_head_dim: usize,
    /// Dense FFN hidden width.
    pub inter_dim: usize,
    /// Hidden width of each expert (routed and shared).
    pub moe_inter_dim: usize,
    /// Routed experts per MoE layer.
    pub n_routed_experts: usize,
    /// Shared experts per MoE layer (one SwiGLU of width `n_shared * moe_inter_dim`).
    pub n_shared_experts: usize,
    /// Routed experts each token goes to.
    pub top_k: usize,
    /// `false`: every block uses the dense FFN (DeepSeek-V3 "without MoE").
    pub moe: bool,
}

impl DeepSeekV3Config {
    fn validate(&self) -> Result<(), CostError> {
        check_range("dim", self.dim, 1, MAX_DIM)?;
        check_range("layers", self.n_layers, 1, MAX_LAYERS)?;
        check_range("n_heads", self.n_heads, 1, MAX_DIM)?;
        check_range("vocab", self.vocab_size, 1, MAX_VOCAB)?;
        for (field, v) in [
            ("q_lora_rank", self.q_lora_rank),
            ("kv_lora_rank", self.kv_lora_rank),
            ("qk_nope_head_dim", self.qk_nope_head_dim),
            ("qk_rope_head_dim", self.qk_rope_head_dim),
            ("v_head_dim", self.v_head_dim),
            ("inter_dim", self.inter_dim),
            ("moe_inter_dim", self.moe_inter_dim),
            ("n_routed_experts", self.n_routed_experts),
            ("n_shared_experts", self.n_shared_experts),
        ] {
            check_range(field, v, 0, MAX_DIM)?;
        }
        check_range("kv_lora_rank", self.kv_lora_rank, 1, MAX_DIM)?;
        check_range("v_head_dim", self.v_head_dim, 1, MAX_DIM)?;
        check_range("inter_dim", self.inter_dim, 1, MAX_DIM)?;
        if self.moe && self.n_dense_layers < self.n_layers {
            check_range("moe_inter_dim", self.moe_inter_dim, 1, MAX_DIM)?;
            check_range("n_routed_experts", self.n_routed_experts, 1, MAX_DIM)?;
            check_range("top_k", self.top_k, 1, self.n_routed_experts)?;
        }
        Ok(())
    }

    fn is_moe_layer(&self, block: usize) -> bool {
        self.moe && block >= self.n_dense_layers
    }
}

/// A model architecture the analytic model can cost.
#[derive(Debug, Clone, PartialEq)]
pub enum Architecture {
    /// Llama 3 family.
    Llama3(Llama3Config),
    /// DeepSeek-V3 family.
    DeepSeekV3(DeepSeekV3Config),
}

impl Architecture {
    /// Model width.
    pub fn dim(&self) -> usize {
        match self {
            Architecture::Llama3(c) => c.dim,
            Architecture::DeepSeekV3(c) => c.dim,
        }
    }

    /// Number of transformer blocks.
    pub fn n_layers(&self) -> usize {
        match self {
            Architecture::Llama3(c) => c.n_layers,
            Architecture::DeepSeekV3(c) => c.n_layers,
        }
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        match self {
            Architecture::Llama3(c) => c.vocab_size,
            Architecture::DeepSeekV3(c) => c.vocab_size,
        }
    }

    /// Attention heads.
    pub fn n_heads(&self) -> usize {
        match self {
            Architecture::Llama3(c) => c.n_heads,
            Architecture::DeepSeekV3(c) => c.n_heads,
        }
    }

    fn validate(&self) -> Result<(), CostError> {
        match self {
            Architecture::Llama3(c) => c.validate(),
            Architecture::DeepSeekV3(c) => c.validate(),
        }
    }
}

/// What one micro-batch looks like and how a stage stores the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Tokens per sequence.
    pub seq_len: usize,
    /// Sequences per micro-batch.
    pub micro_batch_size: usize,
    /// Which blocks recompute their forward in backward.
    pub checkpointing: Checkpointing,
    /// Bytes per parameter for weights + gradients + optimizer state.
    pub bytes_per_param: u64,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            seq_len: 2048,
            micro_batch_size: 1,
            checkpointing: Checkpointing::None,
            bytes_per_param: DEFAULT_BYTES_PER_PARAM,
        }
    }
}

impl Workload {
    fn validate(&self) -> Result<(), CostError> {
        check_range("seq_len", self.seq_len, 1, MAX_SEQ)?;
        check_range(
            "micro_batch_size",
            self.micro_batch_size,
            1,
            MAX_MICRO_BATCH,
        )?;
        if !(1..=64).contains(&self.bytes_per_param) {
            return Err(CostError::option(
                "bytes_per_param",
                self.bytes_per_param,
                "must be in 1..=64",
            ));
        }
        self.checkpointing.validate()
    }

    /// Tokens per micro-batch, `T`.
    pub fn tokens(&self) -> usize {
        self.seq_len * self.micro_batch_size
    }
}

// Bounds that keep every intermediate product far inside u128 and f64's exact
// integer range for the counts that matter; they are generous for real models.
const MAX_DIM: usize = 1 << 20;
const MAX_LAYERS: usize = 1 << 14;
const MAX_VOCAB: usize = 1 << 24;
const MAX_SEQ: usize = 1 << 24;
const MAX_MICRO_BATCH: usize = 1 << 16;

fn check_range(field: &'static str, v: usize, lo: usize, hi: usize) -> Result<(), CostError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(CostError::option(
            field,
            v,
            format!("must be in {lo}..={hi}"),
        ))
    }
}

/// The modelled costs of one layer, before the hardware turns them into time.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerCost {
    /// torchtitan module name (`tok_embeddings`, `layers.0`, `norm`, `output`).
    pub name: String,
    /// Role in the chain.
    pub kind: LayerKind,
    /// Forward FLOPs per micro-batch.
    pub forward_flops: f64,
    /// Backward FLOPs per micro-batch (including recomputation).
    pub backward_flops: f64,
    /// The weight-gradient part of `backward_flops` (the rest computes input
    /// gradients, and recomputes the forward where `recomputed`).
    pub backward_weight_flops: f64,
    /// Forward memory traffic, bytes (weights read, activations read/written).
    pub forward_traffic: f64,
    /// Backward memory traffic, bytes (2x forward, plus 1x when recomputed).
    pub backward_traffic: f64,
    /// The weight-gradient part of `backward_traffic`: the same share as
    /// `backward_weight_flops` has of `backward_flops` (all of it for the
    /// embedding, which has no FLOPs).
    pub backward_weight_traffic: f64,
    /// Parameters held.
    pub params: u64,
    /// Parameters a single token uses (MoE: router, shared and `top_k` experts).
    pub active_params: u64,
    /// Whether this layer recomputes its forward in backward.
    pub recomputed: bool,
    /// `params * bytes_per_param`.
    pub param_bytes: u64,
    /// Bytes stashed per micro-batch for the backward pass.
    pub activation_bytes: u64,
    /// Bytes sent to the next layer per micro-batch.
    pub output_bytes: u64,
}

impl LayerCost {
    /// The weight-gradient share of the backward, in `[0, 1]`: of its FLOPs,
    /// or of its traffic when it has no FLOPs (the embedding).
    pub fn backward_weight_share(&self) -> f64 {
        let share = if self.backward_flops > 0.0 {
            self.backward_weight_flops / self.backward_flops
        } else if self.backward_traffic > 0.0 {
            self.backward_weight_traffic / self.backward_traffic
        } else {
            0.0
        };
        share.clamp(0.0, 1.0)
    }
}

/// An analytic transformer on some hardware: implements [`CostModel`].
///
/// ```
/// use pipecut_cost::{AnalyticModel, ModelOptions};
/// use pipecut_core::CostModel;
/// let model = AnalyticModel::from_options(&ModelOptions::default())?;
/// let chain = model.chain()?;
/// assert_eq!(chain.layers()[1].name, "layers.0");
/// # Ok::<(), pipecut_cost::CostError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticModel {
    /// Chain name.
    pub name: String,
    /// The architecture.
    pub arch: Architecture,
    /// Sequence, micro-batch, checkpointing, bytes per parameter.
    pub workload: Workload,
    /// FLOPs (unit `flop`) or a roofline (unit `s`).
    pub hardware: Hardware,
}

/// Per-layer quantities before checkpointing and hardware are applied; all
/// byte counts in u128 so that no intermediate overflows.
struct Raw {
    name: String,
    kind: LayerKind,
    block: Option<usize>,
    forward_flops: f64,
    /// What part of the backward (without recomputation) is weight gradient.
    weight_grad: WeightGrad,
    params: u128,
    active_params: u128,
    /// Weight bytes read by one forward pass.
    weight_traffic: u128,
    /// Bytes stashed without recomputation.
    stash: u128,
    input_bytes: u128,
    output_bytes: u128,
}

/// The weight-gradient part of a layer's backward.
#[derive(Clone, Copy)]
enum WeightGrad {
    /// These FLOPs, with the same share of the backward's traffic.
    Flops(f64),
    /// All of the backward, FLOPs and traffic (the embedding: no FLOPs to
    /// take a share of).
    Everything,
}

fn w(x: usize) -> u128 {
    x as u128
}

impl AnalyticModel {
    /// Checks the architecture, workload and hardware.
    pub fn validate(&self) -> Result<(), CostError> {
        self.arch.validate()?;
        self.workload.validate()?;
        if let Hardware::Roofline(spec) = &self.hardware {
            spec.validate()?;
        }
        Ok(())
    }

    /// Total parameters (all experts).
    pub fn param_count(&self) -> Result<u64, CostError> {
        Ok(self.layer_costs()?.iter().map(|l| l.params).sum())
    }

    /// Parameters one token activates (equals [`Self::param_count`] without MoE).
    pub fn active_param_count(&self) -> Result<u64, CostError> {
        Ok(self.layer_costs()?.iter().map(|l| l.active_params).sum())
    }

    /// Every layer's modelled costs, in chain order.
    pub fn layer_costs(&self) -> Result<Vec<LayerCost>, CostError> {
        self.validate()?;
        let raws = match &self.arch {
            Architecture::Llama3(c) => llama_layers(c, &self.workload),
            Architecture::DeepSeekV3(c) => deepseek_layers(c, &self.workload),
        };
        raws.into_iter().map(|r| self.finish(r)).collect()
    }

    /// Applies checkpointing and bytes-per-parameter to one layer.
    fn finish(&self, raw: Raw) -> Result<LayerCost, CostError> {
        let recomputed = raw
            .block
            .is_some_and(|b| self.workload.checkpointing.recomputes(b));
        let to_u64 = |field: &'static str, v: u128| {
            u64::try_from(v).map_err(|_| CostError::Overflow {
                layer: raw.name.clone(),
                field,
            })
        };
        // Under recomputation only the block input survives the forward pass.
        let stash = if recomputed {
            raw.input_bytes
        } else {
            raw.stash
        };
        let forward_traffic =
            (raw.weight_traffic + raw.stash + raw.input_bytes + raw.output_bytes) as f64;
        let recompute = if recomputed { 1.0 } else { 0.0 };
        let backward_flops = (2.0 + recompute) * raw.forward_flops;
        let backward_traffic = (2.0 + recompute) * forward_traffic;
        // The recomputed forward is input-gradient work: only the total grows.
        let (backward_weight_flops, backward_weight_traffic) = match raw.weight_grad {
            WeightGrad::Flops(flops) => {
                let flops = flops.clamp(0.0, backward_flops);
                let share = if backward_flops > 0.0 {
                    flops / backward_flops
                } else {
                    0.0
                };
                (flops, share * backward_traffic)
            }
            WeightGrad::Everything => (backward_flops, backward_traffic),
        };
        Ok(LayerCost {
            kind: raw.kind,
            forward_flops: raw.forward_flops,
            backward_flops,
            backward_weight_flops,
            forward_traffic,
            backward_traffic,
            backward_weight_traffic,
            params: to_u64("param_bytes", raw.params)?,
            active_params: to_u64("param_bytes", raw.active_params)?,
            recomputed,
            param_bytes: to_u64(
                "param_bytes",
                raw.params * u128::from(self.workload.bytes_per_param),
            )?,
            activation_bytes: to_u64("activation_bytes", stash)?,
            output_bytes: to_u64("output_bytes", raw.output_bytes)?,
            name: raw.name,
        })
    }
}

impl CostModel for AnalyticModel {
    type Error = CostError;

    fn name(&self) -> String {
        self.name.clone()
    }

    /// Forward and backward per layer through the hardware model, and the
    /// backward's weight-gradient part.
    ///
    /// `backward_weight` is the layer's weight share of the backward time.
    /// Weight-gradient FLOPs and traffic are the same share `a` of the
    /// backward's, and the roofline `max(F / peak, B / bandwidth)` scales
    /// with both, so `max(aF / peak, aB / bandwidth) = a * max(F / peak,
    /// B / bandwidth)`: the share is exact. The launch overhead is split in
    /// the same share (input- and weight-gradient ops each launch part of the
    /// kernels) rather than charged twice, so the two parts add up to
    /// `backward` and `backward_weight <= backward` holds by construction.
    fn chain(&self) -> Result<Chain, CostError> {
        let layers = self
            .layer_costs()?
            .into_iter()
            .map(|l| {
                let backward = self
                    .hardware
                    .pass_cost(l.backward_flops, l.backward_traffic);
                // `a * b <= b` for `a <= 1` in floating point too.
                let backward_weight = l.backward_weight_share() * backward;
                Layer::new(
                    l.name,
                    self.hardware.pass_cost(l.forward_flops, l.forward_traffic),
                    backward,
                )
                .with_backward_weight(backward_weight)
                .with_kind(l.kind)
                .with_bytes(l.param_bytes, l.activation_bytes, l.output_bytes)
            })
            .collect();
        Ok(Chain::new(self.name.clone(), self.hardware.unit(), layers)?)
    }
}

const E: u128 = ACTIVATION_ELEMENT_BYTES as u128;

/// Weight-gradient FLOPs of an RMSNorm per element: `dY * x_hat`, summed
/// over tokens. Small next to a block's linears, but the final `norm` is a
/// layer of its own, so it is counted rather than dropped.
const RMS_NORM_WEIGHT_GRAD_FLOPS: f64 = 2.0;

/// `tok_embeddings`: a table lookup, so no FLOPs (no multiply-adds), but it
/// reads `T` rows of `d` and writes `T x d` (bf16); it stashes the int64
/// token ids for the gradient scatter. Its input is integer ids, so its
/// backward (the scatter-add into the table) is all weight gradient.
fn embedding(d: usize, vocab: usize, wl: &Workload) -> Raw {
    let t = w(wl.tokens());
    let params = w(vocab) * w(d);
    Raw {
        name: "tok_embeddings".into(),
        kind: LayerKind::Input,
        block: None,
        forward_flops: 0.0,
        weight_grad: WeightGrad::Everything,
        params,
        active_params: params,
        weight_traffic: E * t * w(d),
        stash: 8 * t,
        input_bytes: 8 * t,
        output_bytes: E * t * w(d),
    }
}

/// `norm` (final RMSNorm, Zhang and Sennrich 2019): 4 FLOPs per element,
/// `d` weights; stashes its input.
fn final_norm(d: usize, wl: &Workload) -> Raw {
    let t = w(wl.tokens());
    let elements = t as f64 * d as f64;
    Raw {
        name: "norm".into(),
        kind: LayerKind::Output,
        block: None,
        forward_flops: 4.0 * elements,
        weight_grad: WeightGrad::Flops(RMS_NORM_WEIGHT_GRAD_FLOPS * elements),
        params: w(d),
        active_params: w(d),
        weight_traffic: E * w(d),
        stash: E * t * w(d),
        input_bytes: E * t * w(d),
        output_bytes: E * t * w(d),
    }
}

/// `output`: the untied head `d -> vocab` (`2 * T * d * V`) plus the
/// cross-entropy loss over the vocabulary (5 FLOPs per logit). Stashes its
/// input and the fp32 logits the loss keeps for its backward (`4 * T * V`,
/// torchtitan upcasts logits before `cross_entropy`); sends a fp32 scalar.
/// Weight gradient: the head matmul's `dW`, as much as its input gradient;
/// the loss has no weights.
fn output_head(d: usize, vocab: usize, wl: &Workload) -> Raw {
    let t = w(wl.tokens());
    let tf = t as f64;
    let params = w(d) * w(vocab);
    let matmul = 2.0 * tf * d as f64 * vocab as f64;
    Raw {
        name: "output".into(),
        kind: LayerKind::Output,
        block: None,
        forward_flops: matmul + 5.0 * tf * vocab as f64,
        weight_grad: WeightGrad::Flops(matmul),
        params,
        active_params: params,
        weight_traffic: E * params,
        stash: E * t * w(d) + 4 * t * w(vocab),
        input_bytes: E * t * w(d),
        output_bytes: 4,
    }
}

/// Accumulates a block's parts.
#[derive(Default)]
struct Parts {
    flops: f64,
    /// Weight-gradient FLOPs of the backward.
    weight_grad_flops: f64,
    params: u128,
    active_params: u128,
    /// Activation elements (bf16) stashed per token.
    stash_elems: u128,
    /// Extra fp32 values stashed per token.
    stash_fp32: u128,
    /// Expert weights actually read by a micro-batch (MoE), else = params.
    weight_read: u128,
}

impl Parts {
    /// A linear `inp -> out` without bias: `2 * T * inp * out` FLOPs, `inp * out`
    /// weights; its weight gradient costs as much as its forward.
    fn linear(&mut self, t: f64, inp: usize, out: usize) {
        let flops = 2.0 * t * inp as f64 * out as f64;
        self.flops += flops;
        self.weight_grad_flops += flops;
        self.params += w(inp) * w(out);
        self.active_params += w(inp) * w(out);
        self.weight_read += w(inp) * w(out);
    }

    /// An RMSNorm of width `n`: 4 FLOPs per element, `n` weights, keeps its
    /// input (the output is counted by whoever consumes it) and a fp32 rstd.
    fn rms_norm(&mut self, t: f64, n: usize) {
        self.flops += 4.0 * t * n as f64;
        self.weight_grad_flops += RMS_NORM_WEIGHT_GRAD_FLOPS * t * n as f64;
        self.params += w(n);
        self.active_params += w(n);
        self.weight_read += w(n);
        self.stash_elems += w(n);
        self.stash_fp32 += 1;
    }

    /// A SwiGLU FFN `d -> hidden -> d` (Shazeer 2020, "GLU Variants Improve
    /// Transformer"): three linears `w1, w3: d -> hidden`, `w2: hidden -> d`,
    /// plus SiLU and the gate product (5 FLOPs per hidden element). Stashes
    /// its input, `w1` and `w3` outputs, the SiLU output and the product.
    fn swiglu(&mut self, t: f64, d: usize, hidden: usize) {
        self.linear(t, d, hidden);
        self.linear(t, d, hidden);
        self.linear(t, hidden, d);
        self.flops += 5.0 * t * hidden as f64;
        self.stash_elems += w(d) + 4 * w(hidden);
    }

    fn into_raw(self, name: String, block: usize, d: usize, wl: &Workload) -> Raw {
        let t = w(wl.tokens());
        Raw {
            name,
            kind: LayerKind::Block,
            block: Some(block),
            forward_flops: self.flops,
            weight_grad: WeightGrad::Flops(self.weight_grad_flops),
            params: self.params,
            active_params: self.active_params,
            weight_traffic: E * self.weight_read,
            stash: t * (E * self.stash_elems + 4 * self.stash_fp32),
            input_bytes: E * t * w(d),
            output_bytes: E * t * w(d),
        }
    }
}

/// One Llama 3 block (Llama 3 paper, section 3.1; torchtitan `TransformerBlock`):
/// `x + attn(attention_norm(x))`, then `h + ffn(ffn_norm(h))`.
///
/// Attention (grouped-query, Ainslie et al. 2023): `wq: d -> h*hd`,
/// `wk, wv: d -> kv*hd`, `wo: h*hd -> d`; RoPE on q and k; causal
/// FlashAttention `2 * 2 * T * s * h * hd / 2`. Stash: q, k, v, the attention
/// output and a fp32 log-sum-exp per head.
fn llama_block(c: &Llama3Config, block: usize, wl: &Workload) -> Raw {
    let t = wl.tokens() as f64;
    let s = wl.seq_len as f64;
    let (d, h, kv, hd) = (c.dim, c.n_heads, c.n_kv_heads, c.head_dim());
    let mut p = Parts::default();
    p.rms_norm(t, d);
    p.linear(t, d, h * hd);
    p.linear(t, d, kv * hd);
    p.linear(t, d, kv * hd);
    p.flops += 3.0 * t * ((h + kv) * hd) as f64;
    p.flops += 2.0 * 2.0 * t * s * (h * hd) as f64 / 2.0;
    p.stash_elems += w(d) + w(h * hd) + 2 * w(kv * hd) + w(h * hd);
    p.stash_fp32 += w(h);
    p.linear(t, h * hd, d);
    p.rms_norm(t, d);
    p.swiglu(t, d, c.ffn_hidden_dim());
    // Two residual adds.
    p.flops += 2.0 * t * d as f64;
    p.into_raw(format!("layers.{block}"), block, d, wl)
}

/// Embedding, the blocks, the final norm and the output head.
fn decoder_layers(
    dim: usize,
    vocab_size: usize,
    blocks: impl Iterator<Item = Raw>,
    wl: &Workload,
) -> Vec<Raw> {
    let mut layers = vec![embedding(dim, vocab_size, wl)];
    layers.extend(blocks);
    layers.push(final_norm(dim, wl));
    layers.push(output_head(dim, vocab_size, wl));
    layers
}

fn llama_layers(c: &Llama3Config, wl: &Workload) -> Vec<Raw> {
    let blocks = (0..c.n_layers).map(|b| llama_block(c, b, wl));
    decoder_layers(c.dim, c.vocab_size, blocks, wl)
}

/// Multi-head latent attention (DeepSeek-V2 paper, Liu et al. 2024, section
/// 2.1; DeepSeek-V3 report section 2.1.1): queries `d -> q_lora -> h*(nope+rope)`
/// (or `d -> h*(nope+rope)` when `q_lora_rank = 0`), compressed key-values
/// `d -> kv_lora + rope`, `kv_norm`, `kv_lora -> h*(nope+v)`, output
/// `h*v -> d`; causal attention `T*s*h*(nope+rope)` for scores plus `T*s*h*v`
/// for values (half of the full products).
fn mla(c: &DeepSeekV3Config, p: &mut Parts, t: f64, s: f64) {
    let (d, h) = (c.dim, c.n_heads);
    let qk = c.qk_nope_head_dim + c.qk_rope_head_dim;
    p.rms_norm(t, d);
    if c.q_lora_rank > 0 {
        p.linear(t, d, c.q_lora_rank);
        p.rms_norm(t, c.q_lora_rank);
        p.linear(t, c.q_lora_rank, h * qk);
    } else {
        p.linear(t, d, h * qk);
    }
    p.linear(t, d, c.kv_lora_rank + c.qk_rope_head_dim);
    p.rms_norm(t, c.kv_lora_rank);
    p.linear(t, c.kv_lora_rank, h * (c.qk_nope_head_dim + c.v_head_dim));
    // RoPE on every head's query part and the shared key part.
    p.flops += 3.0 * t * ((h + 1) * c.qk_rope_head_dim) as f64;
    p.flops += t * s * (h * (qk + c.v_head_dim)) as f64;
    // q, the kv_a output, the kv_b output, full keys, attention output.
    p.stash_elems += w(h * qk)
        + w(c.kv_lora_rank + c.qk_rope_head_dim)
        + w(h * (c.qk_nope_head_dim + c.v_head_dim))
        + w(h * qk)
        + w(h * c.v_head_dim);
    p.stash_fp32 += w(h);
    // The normed block input feeds both query and key-value projections.
    p.stash_elems += w(d);
    p.linear(t, h * c.v_head_dim, d);
}

/// DeepSeekMoE layer (DeepSeek-V3 report section 2.1.2): router `d -> E`
/// (sigmoid/softmax scores, ~4 FLOPs per score for scoring and top-k), the
/// shared experts as one SwiGLU of width `n_shared * moe_inter`, and `top_k`
/// routed SwiGLU experts of width `moe_inter` per token, combined with a
/// weighted sum (2 FLOPs per element per expert). All experts count towards
/// parameters; only router, shared and `top_k` experts are active per token.
/// The router is a linear layer, so its weight gradient counts like the
/// experts' (0.3% of a 671B MoE block's weights; scoring and top-k are
/// input-gradient work).
/// A micro-batch reads the weights of `min(E, T * top_k)` experts.
fn moe(c: &DeepSeekV3Config, p: &mut Parts, t: f64, tokens: usize) {
    let (d, e, k, mi) = (c.dim, c.n_routed_experts, c.top_k, c.moe_inter_dim);
    p.linear(t, d, e);
    p.flops += 4.0 * t * e as f64;
    // The normed input feeds the router and the experts; the shared SwiGLU
    // already counts it when there is one.
    if c.n_shared_experts == 0 {
        p.stash_elems += w(d);
    }
    p.stash_fp32 += w(e);
    if c.n_shared_experts > 0 {
        p.swiglu(t, d, c.n_shared_experts * mi);
    }
    let expert = 3 * w(d) * w(mi);
    // Routed experts: FLOPs as k SwiGLUs per token; their linears' weight
    // gradients like any linear's.
    let expert_linears = k as f64 * 3.0 * 2.0 * t * d as f64 * mi as f64;
    p.flops += expert_linears + k as f64 * 5.0 * t * mi as f64;
    p.weight_grad_flops += expert_linears;
    p.flops += 2.0 * t * (k * d) as f64;
    p.params += w(e) * expert;
    p.active_params += w(k) * expert;
    p.weight_read += w(e.min(tokens.saturating_mul(k))) * expert;
    // Dispatched token copies, expert internals, expert outputs.
    p.stash_elems += w(k) * (2 * w(d) + 4 * w(mi));
}

fn deepseek_block(c: &DeepSeekV3Config, block: usize, wl: &Workload) -> Raw {
    let t = wl.tokens() as f64;
    let s = wl.seq_len as f64;
    let mut p = Parts::default();
    mla(c, &mut p, t, s);
    p.rms_norm(t, c.dim);
    if c.is_moe_layer(block) {
        moe(c, &mut p, t, wl.tokens());
    } else {
        p.swiglu(t, c.dim, c.inter_dim);
    }
    p.flops += 2.0 * t * c.dim as f64;
    p.into_raw(format!("layers.{block}"), block, c.dim, wl)
}

fn deepseek_layers(c: &DeepSeekV3Config, wl: &Workload) -> Vec<Raw> {
    let blocks = (0..c.n_layers).map(|b| deepseek_block(c, b, wl));
    decoder_layers(c.dim, c.vocab_size, blocks, wl)
}
