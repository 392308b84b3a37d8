//! What the simulator reports about one partition, as plain data (the
//! simulator itself is `pipecut-sim`).

use serde::{Deserialize, Serialize};

use crate::schedule::OpKind;

/// One executed operation, for Gantt charts and checks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimelineOp {
    /// Device that ran it.
    pub device: usize,
    /// Global stage.
    pub stage: usize,
    /// Chunk on the device.
    pub chunk: usize,
    /// Operation kind.
    pub kind: OpKind,
    /// Micro-batch.
    pub micro_batch: usize,
    /// Start time.
    pub start: f64,
    /// End time.
    pub end: f64,
}

/// A simulated training step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// Makespan: when the last operation ends.
    pub step_time: f64,
    /// Busy time of each device.
    pub device_busy: Vec<f64>,
    /// `1 - sum busy / (devices * step_time)` (0 when the step takes no time).
    pub bubble_fraction: f64,
    /// The stage whose idle-free chain of work sets the step time (defined in
    /// `pipecut_sim::Simulator`).
    pub critical_stage: usize,
    /// Every operation with its start and end, if requested: device by
    /// device, each in its execution order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineOp>>,
}
