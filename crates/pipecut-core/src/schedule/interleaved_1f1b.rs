//! PyTorch's interleaved 1F1B (`ScheduleInterleaved1F1B`).

use super::depth_first::DepthFirst;
use super::{Op, ScheduleRules, StageLayout};
use crate::error::{Error, Result};

/// PyTorch's `ScheduleInterleaved1F1B` rules with `virtual_stages` chunks per
/// device and loop placement. Micro-batches go through the chunks in
/// `rounds = max(1, M div D)` rounds of `M / rounds`, so `M` must be a
/// multiple of `rounds` (not of `D`); device `d` warms up with
/// `(v - 1) M / rounds + 2 (D - 1 - d)` forwards. Where `D` divides `M` the
/// order is Megatron's ([`Interleaved`](super::Interleaved)).
#[derive(Debug, Clone, Copy)]
pub struct Interleaved1F1B {
    /// Chunks per device, `v >= 1`.
    pub virtual_stages: usize,
}

/// PyTorch's rounds of its interleaved schedules: `max(1, M div D)`, and the
/// micro-batches per round, checked to divide `M`.
pub(super) fn torch_rounds(
    devices: usize,
    micro_batches: usize,
    schedule: &'static str,
) -> Result<usize> {
    let rounds = (micro_batches / devices.max(1)).max(1);
    if micro_batches % rounds != 0 {
        return Err(Error::MicroBatchesNotMultipleOfRounds {
            micro_batches,
            rounds,
            devices,
            schedule,
        });
    }
    Ok(micro_batches / rounds)
}

/// PyTorch's depth-first order for `v` chunks per device: rounds of
/// `M / max(1, M div D)` micro-batches.
pub(super) fn torch_depth_first(v: usize, stages: usize, micro_batches: usize) -> DepthFirst {
    let devices = stages / v.max(1);
    let rounds = (micro_batches / devices.max(1)).max(1);
    DepthFirst {
        chunks: v,
        devices,
        micro_batches,
        per_round: micro_batches / rounds,
    }
}

impl ScheduleRules for Interleaved1F1B {
    fn layout(&self) -> StageLayout {
        StageLayout::Looped(self.virtual_stages)
    }

    fn check(&self, stages: usize, micro_batches: usize) -> Result<()> {
        let devices = self.layout().check(stages)?;
        torch_rounds(devices, micro_batches, "Interleaved1F1B").map(|_| ())
    }

    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        let order = torch_depth_first(self.virtual_stages, stages, micro_batches);
        order.order(order.warmup(device, 2))
    }
}
