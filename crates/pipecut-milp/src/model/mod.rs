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
