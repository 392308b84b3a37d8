//! The error type of `pipecut-sim`.

use pipecut_core::OpKind;
use thiserror::Error;

/// What can go wrong in a simulation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SimError {
    /// A core validation error (partition against problem).
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
    /// The simulator was built for another schedule, stage or micro-batch count.
    #[error("the simulator was built for a different schedule, `stages` or `micro_batches` than this problem")]
    ScheduleMismatch,
    /// Raw stage times of the wrong length.
    #[error("stage times need {expected} entries each; got forward {forward}, backward {backward}, delay {delay}")]
    StageTimesLength {
        /// Stages of the simulator.
        expected: usize,
        /// Forward entries given.
        forward: usize,
        /// Backward entries given.
        backward: usize,
        /// Delay entries given.
        delay: usize,
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
