//! The two formulations, as variables and rows of a
//! [`LinearModel`](crate::linear_model::LinearModel) and nothing else (no
//! solving, no warm starts, no finishing):
//!
//! - `staircase`: the 0/1 encoding of a partition both share;
//! - `windows`: the stage-start windows that fix staircase cells, and the
//!   greedy probes that compute them;
//! - `memory_rows`: the device-memory rows both share;
//! - `bottleneck`: `milp`'s model (`T >=` every stage time);
//! - `step_time`: `milp-steptime`'s model (start times over the schedule's
//!   fixed orders and dependencies).

pub(crate) mod bottleneck;
pub(crate) mod memory_rows;
pub(crate) mod staircase;
pub(crate) mod step_time;
pub(crate) mod windows;

use pipecut_core::{Prefix, Problem};

use windows::Windows;

/// What either model is built from.
pub(crate) struct ModelInput<'a> {
    pub problem: &'a Problem,
    pub prefix: &'a Prefix,
    /// The stage-start windows that fix staircase cells.
    pub windows: Windows,
    /// The objective's unit (model objective times `scale` is in the chain's
    /// time unit).
    pub scale: f64,
    /// The objective's range `(least, largest worth finding)`, scaled.
    pub range: (f64, f64),
}

#[cfg(test)]
impl<'a> ModelInput<'a> {
    /// The objective unbounded above and below by zero.
    pub fn unbounded(
        problem: &'a Problem,
        prefix: &'a Prefix,
        windows: Windows,
        scale: f64,
    ) -> Self {
        ModelInput {
            problem,
            prefix,
            windows,
            scale,
            range: (0.0, f64::INFINITY),
        }
    }
}
