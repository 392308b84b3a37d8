//! The per-stage memory model `dp` and `exact` share with one stage per
//! device, and the problems it cannot express: stage `k` needs `params +
//! in_flight[k] * activations` bytes and must fit the cap alone, which holds
//! only when every device runs one stage. (With several stages per device
//! the bottleneck solvers switch to the device-load search, which adds a
//! device's stages up; only the surrogate DP still needs this refusal.)

use pipecut_core::{Error, Problem};

/// Refuses a memory cap when the schedule puts several stages on a device:
/// its memory is then their sum, which neither solver models.
pub(crate) fn check_memory_model(problem: &Problem, algorithm: &str) -> Result<(), Error> {
    let schedule = problem.schedule();
    let stages_per_device = schedule.virtual_stages();
    match problem.memory_capacity() {
        Some(capacity) if stages_per_device > 1 => Err(Error::Unsupported {
            algorithm: algorithm.to_string(),
            reason: format!(
                "`memory_capacity` = {capacity} with schedule `{schedule}`: each device holds \
                 {stages_per_device} stages and its memory is their sum, which a per-stage \
                 model cannot express; use the MILP (`milp`), or drop the cap"
            ),
        }),
        _ => Ok(()),
    }
}
