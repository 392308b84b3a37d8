//! The error type of `pipecut-core`, shared by every partitioner through the
//! [`Partitioner`](crate::Partitioner) trait.

use thiserror::Error;

/// Everything that can be wrong with a chain, a problem, a partition or a solve.
///
/// Each variant names the offending field and its value so that a user can fix
/// the input without reading the source.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The chain has no layers.
    #[error("chain `{chain}` has no layers")]
    EmptyChain {
        /// Name of the chain.
        chain: String,
    },
    /// A layer has an empty name.
    #[error("layer {index} has an empty name")]
    EmptyLayerName {
        /// Index of the layer in the chain.
        index: usize,
    },
    /// A chain name, layer name or unit that outputs could not carry safely.
    #[error("{}`{field}` = \"{value}\"{}: {reason}", layer.map(|i| format!("layer {i}: ")).unwrap_or_default(), if value.len() >= 40 { "..." } else { "" })]
    InvalidText {
        /// `name` or `unit`.
        field: &'static str,
        /// The layer's index, for a layer name.
        layer: Option<usize>,
        /// The start of the offending text, escaped.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// Two layers share a name.
    #[error("duplicate layer name `{name}` at indices {first} and {second}")]
    DuplicateLayerName {
        /// The repeated name.
        name: String,
        /// Index of its first occurrence.
        first: usize,
        /// Index of the repeat.
        second: usize,
    },
    /// A layer cost is NaN, infinite or negative.
    #[error("layer `{layer}` (index {index}): `{field}` = {value} must be finite and >= 0")]
    InvalidCost {
        /// Name of the layer.
        layer: String,
        /// Index of the layer.
        index: usize,
        /// `forward`, `backward` or `backward_weight`.
        field: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A layer's weight-gradient share is larger than its whole backward.
    #[error(
        "layer `{layer}` (index {index}): `backward_weight` = {value} must be at most `backward` = {backward}"
    )]
    BackwardWeightExceedsBackward {
        /// Name of the layer.
        layer: String,
        /// Index of the layer.
        index: usize,
        /// The rejected value.
        value: f64,
        /// The layer's backward.
        backward: f64,
    },
    /// `stages` is zero.
    #[error("`stages` = 0: at least one pipeline stage is needed")]
    ZeroStages,
    /// More stages than layers.
    #[error(
        "`stages` = {stages} exceeds the number of layers ({layers}); every stage needs a layer"
    )]
    TooManyStages {
        /// Requested stages.
        stages: usize,
        /// Layers in the chain.
        layers: usize,
    },
    /// `micro_batches` is zero.
    #[error("`micro_batches` = 0: at least one micro-batch is needed")]
    ZeroMicroBatches,
    /// A schedule name nobody knows (the reason lists every known name), or a
    /// stages-per-device count the named schedule does not run.
    #[error("`{field}` = {value}: {reason}")]
    InvalidSchedule {
        /// The argument that named or sized the schedule.
        field: String,
        /// Its value, as given.
        value: String,
        /// What is wrong, and what would be accepted.
        reason: String,
    },
    /// `virtual_stages` is zero.
    #[error("`virtual_stages` = 0: interleaved schedules need at least one chunk per device")]
    ZeroVirtualStages,
    /// `virtual_stages` does not divide the number of stages.
    #[error("`virtual_stages` = {virtual_stages} does not divide `stages` = {stages} (stages = devices x virtual stages)")]
    VirtualStagesMismatch {
        /// Requested stages.
        stages: usize,
        /// Requested chunks per device.
        virtual_stages: usize,
    },
    /// Interleaved 1F1B needs `micro_batches` to be a multiple of the device count.
    #[error("`micro_batches` = {micro_batches} is not a multiple of the device count {devices} (interleaved 1F1B)")]
    MicroBatchesNotMultiple {
        /// Requested micro-batches.
        micro_batches: usize,
        /// Devices (`stages / virtual_stages`).
        devices: usize,
    },
    /// PyTorch's interleaved schedules run micro-batches in
    /// `rounds = max(1, M div D)` equal rounds, so `M` must be a multiple of
    /// that.
    #[error("`micro_batches` = {micro_batches} is not a multiple of the {rounds} rounds ({schedule}: rounds = max(1, micro-batches div {devices} devices))")]
    MicroBatchesNotMultipleOfRounds {
        /// Requested micro-batches.
        micro_batches: usize,
        /// `max(1, M div D)`.
        rounds: usize,
        /// Devices.
        devices: usize,
        /// The schedule's name.
        schedule: &'static str,
    },
    /// The schedule needs more micro-batches.
    #[error("`micro_batches` = {micro_batches} is too few for {schedule}: it needs {rule} (at least {least})")]
    TooFewMicroBatches {
        /// Requested micro-batches.
        micro_batches: usize,
        /// The least the schedule runs.
        least: usize,
        /// The schedule's name.
        schedule: &'static str,
        /// The rule, in words.
        rule: &'static str,
    },
    /// A link parameter is invalid.
    #[error("link `{field}` = {value} is invalid: latency must be finite and >= 0, bandwidth finite and > 0")]
    InvalidLink {
        /// `latency` or `bandwidth`.
        field: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// The speed vector has the wrong length.
    #[error("`speeds` has {got} entries but there are {expected} stages")]
    SpeedCount {
        /// Number of stages.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// A speed factor is not finite and positive.
    #[error("`speeds[{stage}]` = {value} must be finite and > 0")]
    InvalidSpeed {
        /// Stage index.
        stage: usize,
        /// The rejected value.
        value: f64,
    },
    /// Byte totals would overflow 64 bits.
    #[error("memory totals overflow 64 bits: `{field}` sums are too large")]
    ByteOverflow {
        /// The byte field whose total overflows.
        field: &'static str,
    },
    /// A partition has the wrong number of stages.
    #[error("partition has {got} stage starts but the problem has {expected} stages")]
    PartitionLength {
        /// Expected stage count.
        expected: usize,
        /// Starts given.
        got: usize,
    },
    /// The first stage does not start at layer 0.
    #[error("partition `starts[0]` = {value} must be 0")]
    PartitionFirst {
        /// The rejected first start.
        value: usize,
    },
    /// The starts are not strictly increasing.
    #[error("partition `starts[{index}]` = {value} is not greater than `starts[{}]` = {previous} (stages must be non-empty)", index - 1)]
    PartitionNotIncreasing {
        /// Index into `starts`.
        index: usize,
        /// `starts[index - 1]`.
        previous: usize,
        /// `starts[index]`.
        value: usize,
    },
    /// A start lies outside the chain.
    #[error(
        "partition `starts[{index}]` = {value} is out of range: the chain has {layers} layers"
    )]
    PartitionOutOfRange {
        /// Index into `starts`.
        index: usize,
        /// The rejected start.
        value: usize,
        /// Layers in the chain.
        layers: usize,
    },
    /// No partition meets the memory capacity.
    #[error("no partition fits `memory_capacity` = {capacity} bytes: stage {stage} cannot fit (it needs at least {required} bytes)")]
    MemoryInfeasible {
        /// The first stage (0-based) that cannot be placed.
        stage: usize,
        /// The smallest memory that stage would need.
        required: u64,
        /// The capacity per device.
        capacity: u64,
    },
    /// An algorithm cannot handle this problem (its own documented restriction).
    #[error("algorithm `{algorithm}` cannot solve this problem: {reason}")]
    Unsupported {
        /// Algorithm name.
        algorithm: String,
        /// Why, naming the field and value.
        reason: String,
    },
    /// `pair_overlap` is set on a schedule whose orders have no overlapped
    /// forward/backward pairs.
    #[error(
        "`pair_overlap` = {value} needs a schedule with overlapped forward/backward pairs \
         (DualPipeV); `{schedule}` has none"
    )]
    PairOverlapWithoutPairs {
        /// The value given.
        value: &'static str,
        /// The schedule.
        schedule: String,
    },
    /// An algorithm-specific failure, carrying the crate's own typed error.
    #[error("algorithm `{algorithm}` failed: {source}")]
    Solver {
        /// Algorithm name.
        algorithm: String,
        /// The typed error of the crate that implements the algorithm.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// Malformed JSON (syntax, unknown field, wrong type).
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Result alias for `pipecut-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
