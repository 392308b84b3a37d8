//! The typed error of `pipecut-heuristics`.

use thiserror::Error;

/// Everything a heuristic can reject. Every variant names the offending field
/// and value; [`HeuristicError::into_core`] turns it into a
/// [`pipecut_core::Error`] for the [`Partitioner`](pipecut_core::Partitioner)
/// interface.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HeuristicError {
    /// An option of a heuristic is out of range.
    #[error("`{field}` = {value} is invalid: {reason}")]
    InvalidOption {
        /// The option.
        field: &'static str,
        /// Its value.
        value: usize,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// The layer kinds are not `input*`, `block*`, `output*` in chain order, so
    /// "inputs with the first stage, outputs with the last" is not a split.
    #[error("layer `{name}` (index {index}) has kind `{kind}` out of order: torchtitan and megatron need the input layers first, then the blocks, then the output layers")]
    KindOrder {
        /// Index of the first misplaced layer.
        index: usize,
        /// Its name.
        name: String,
        /// Its kind.
        kind: &'static str,
    },
    /// torchtitan: more stages than effective layers (`P > E`). This also
    /// covers torchtitan's `layers_per_stage == 0` check, which holds exactly
    /// when `E < P`.
    #[error("torchtitan: `stages` = {stages} exceeds the effective layers E = blocks + input_weight + output_weight = {effective_layers}")]
    TorchtitanTooManyStages {
        /// Requested stages.
        stages: usize,
        /// `blocks + input_weight + output_weight`.
        effective_layers: usize,
    },
    /// torchtitan: a weight exceeds the layers per stage (`E / P`).
    #[error("torchtitan: `{field}` = {weight} exceeds the layers per stage E / P = {base}")]
    TorchtitanWeightExceedsBase {
        /// `input_weight` or `output_weight`.
        field: &'static str,
        /// The weight.
        weight: usize,
        /// `E / P`.
        base: usize,
    },
    /// megatron: the blocks do not split evenly over the stages.
    #[error("megatron: {blocks} blocks are not divisible by `stages` = {stages}")]
    MegatronNotDivisible {
        /// Block layers in the chain.
        blocks: usize,
        /// Requested stages.
        stages: usize,
    },
    /// megatron: no blocks to give to the middle stages.
    #[error(
        "megatron: the chain has no block layers, so `stages` = {stages} would leave stages empty"
    )]
    MegatronNoBlocks {
        /// Requested stages.
        stages: usize,
    },
    /// autopipe-reference: the costs are too large to time in floating point
    /// (after exact integer scaling was impossible).
    #[error("autopipe-reference: the total cost {total} is too large for the reference timing model (`forward`/`backward` sums overflow)")]
    CostRange {
        /// Sum of all `forward + backward`.
        total: f64,
    },
    /// The reference model needs one cost pair per layer.
    #[error("`forward` has {forward} entries but `backward` has {backward}")]
    CostLength {
        /// Forward entries.
        forward: usize,
        /// Backward entries.
        backward: usize,
    },
    /// A partition covers a different number of layers than the costs given.
    #[error("the partition covers {partition} layers but {layers} layer costs were given")]
    LayerCount {
        /// Layers the partition covers.
        partition: usize,
        /// Layer costs given.
        layers: usize,
    },
    /// autopipe, interleaved schedules with a memory cap: every stage fits on
    /// its own but no device-level fitting start was found (not proven
    /// infeasible).
    #[error("autopipe: no fitting start found: device {device} needs {required} bytes > `memory_capacity` = {capacity} (interleaved chunks share a device; not proven infeasible)")]
    NoFittingStart {
        /// Device over capacity in the last attempt.
        device: usize,
        /// Its memory.
        required: u64,
        /// The capacity.
        capacity: u64,
    },
    /// A partitioner does not model the problem's schedule.
    #[error("{algorithm}: schedule `{schedule}` is not supported (it models {supported})")]
    UnsupportedSchedule {
        /// The partitioner.
        algorithm: &'static str,
        /// The schedule asked for.
        schedule: String,
        /// The schedules it models.
        supported: &'static str,
    },
    /// autopipe-torchtitan: an input the torchtitan partitioner rejects.
    #[error("autopipe-torchtitan: `{field}` = {value} is invalid: {reason}")]
    TorchtitanInput {
        /// The input (as the original names it).
        field: &'static str,
        /// Its value.
        value: String,
        /// What the original requires.
        reason: String,
    },
    /// autopipe-torchtitan: the original's schedule construction cannot
    /// proceed (it raises, or would loop forever).
    #[error("autopipe-torchtitan: {schedule} with {ranks} ranks, {stages} stages and {micro_batches} micro-batches: {reason}")]
    TorchtitanSchedule {
        /// The schedule's name.
        schedule: &'static str,
        /// Physical ranks.
        ranks: usize,
        /// Logical stages.
        stages: usize,
        /// Micro-batches.
        micro_batches: usize,
        /// What went wrong.
        reason: &'static str,
    },
    /// A core error (partition validation, memory infeasibility).
    #[error(transparent)]
    Core(#[from] pipecut_core::Error),
    /// A simulator error.
    #[error(transparent)]
    Sim(#[from] pipecut_sim::SimError),
}

impl HeuristicError {
    /// Converts into the core error the [`Partitioner`](pipecut_core::Partitioner)
    /// interface returns: core and simulator errors pass through, the
    /// crate's own ones become [`pipecut_core::Error::Solver`] naming `algorithm`.
    pub fn into_core(self, algorithm: &str) -> pipecut_core::Error {
        match self {
            HeuristicError::Core(e) => e,
            HeuristicError::Sim(e) => e.into(),
            other => pipecut_core::Error::Solver {
                algorithm: algorithm.to_string(),
                source: Box::new(other),
            },
        }
    }
}
