//! The error type of `pipecut-sim`.

use pipecut_core::{Op, OpKind, Schedule};
use thiserror::Error;

/// What can go wrong in a simulation or a chart.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SimError {
    /// A core validation error (partition against problem, schedule fields).
    #[error(transparent)]
    Core(#[from] pipecut_core::Error),
    /// The partition covers a different number of layers than the chain.
    #[error("partition covers {partition} layers but the chain has {chain}")]
    LayerCount {
        /// Layers the partition covers.
        partition: usize,
        /// Layers in the chain.
        chain: usize,
    },
    /// The prefix sums were built for another chain.
    #[error("prefix sums cover {prefix} layers but the chain has {chain}")]
    PrefixLength {
        /// Layers the prefix sums cover.
        prefix: usize,
        /// Layers in the chain.
        chain: usize,
    },
    /// The simulator was built for another schedule, stage or micro-batch count.
    #[error("the simulator was built for `schedule` = {simulator}, `stages` = {simulator_stages}, `micro_batches` = {simulator_micro_batches}, but the problem has {problem}, {problem_stages}, {problem_micro_batches}")]
    ScheduleMismatch {
        /// Schedule of the simulator.
        simulator: Schedule,
        /// Schedule of the problem.
        problem: Schedule,
        /// Stages of the simulator.
        simulator_stages: usize,
        /// Stages of the problem.
        problem_stages: usize,
        /// Micro-batches of the simulator.
        simulator_micro_batches: usize,
        /// Micro-batches of the problem.
        problem_micro_batches: usize,
    },
    /// Raw stage times of the wrong length.
    #[error("stage times need {expected} entries each; got forward {forward}, backward {backward}, backward_weight {backward_weight}, delay {delay}")]
    StageTimesLength {
        /// Stages of the simulator.
        expected: usize,
        /// Forward entries given.
        forward: usize,
        /// Backward entries given.
        backward: usize,
        /// Weight-gradient entries given.
        backward_weight: usize,
        /// Delay entries given.
        delay: usize,
    },
    /// A raw stage time is NaN, infinite or negative (or a weight-gradient
    /// part larger than its backward).
    #[error("stage times `{field}[{stage}]` = {value} must be finite and >= 0 (`backward_weight` at most `backward`)")]
    InvalidStageTime {
        /// `forward`, `backward`, `backward_weight` or `delay`.
        field: &'static str,
        /// Stage index.
        stage: usize,
        /// The rejected value.
        value: f64,
    },
    /// `2 * stages * micro_batches` operations exceed what one simulation holds.
    #[error("`stages` = {stages} x `micro_batches` = {micro_batches} gives more than {limit} operations to simulate")]
    TooManyOperations {
        /// Stages requested.
        stages: usize,
        /// Micro-batches requested.
        micro_batches: usize,
        /// Largest number of operations accepted.
        limit: usize,
    },
    /// Custom orders: not one order per device.
    #[error("expected one operation order per device ({expected}), got {got}")]
    DeviceCount {
        /// Devices of the schedule.
        expected: usize,
        /// Orders given.
        got: usize,
    },
    /// Custom orders: a device's order has the wrong number of operations.
    #[error("device {device}'s order has {got} operations; it must run {expected} (forward and backward of every micro-batch of every chunk)")]
    OrderLength {
        /// Device.
        device: usize,
        /// Operations it must run.
        expected: usize,
        /// Operations given.
        got: usize,
    },
    /// Custom orders: an operation out of range or repeated.
    #[error("device {device}'s order, position {position}: {op:?}: {reason}")]
    OrderOp {
        /// Device.
        device: usize,
        /// Index in the device's order.
        position: usize,
        /// The offending operation.
        op: Op,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The operation orders wait on each other (never for the built-in schedules).
    #[error("schedule deadlock: device {device} waits forever on {kind:?} of micro-batch {micro_batch} (chunk {chunk})")]
    Deadlock {
        /// Device that cannot proceed.
        device: usize,
        /// Kind of its next operation.
        kind: OpKind,
        /// Micro-batch of its next operation.
        micro_batch: usize,
        /// Chunk of its next operation.
        chunk: usize,
    },
    /// The schedule's rules give an operation more than one input, which the
    /// timing pass does not support.
    #[error("schedule rules give {kind:?} of micro-batch {micro_batch} (chunk {chunk}) on device {device} several inputs; the simulator times one")]
    TooManyInputs {
        /// Device of the operation.
        device: usize,
        /// Its kind.
        kind: pipecut_core::OpKind,
        /// Its micro-batch.
        micro_batch: usize,
        /// Its chunk.
        chunk: usize,
    },
    /// A Gantt chart needs the timeline: simulate with `timeline = true`.
    #[error("the simulation result has no timeline: simulate with `timeline = true` to draw a Gantt chart")]
    NoTimeline,
    /// A Gantt chart option is out of range.
    #[error("Gantt option `{field}` = {value} is invalid: {reason}")]
    GanttOption {
        /// The option.
        field: &'static str,
        /// Its value, as given.
        value: String,
        /// The accepted range.
        reason: &'static str,
    },
}

impl From<SimError> for pipecut_core::Error {
    fn from(e: SimError) -> Self {
        match e {
            SimError::Core(c) => c,
            other => pipecut_core::Error::Solver {
                algorithm: "simulator".into(),
                source: Box::new(other),
            },
        }
    }
}
