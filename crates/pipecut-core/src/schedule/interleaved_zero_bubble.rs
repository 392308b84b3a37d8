//! PyTorch's interleaved zero-bubble schedule (`ScheduleInterleavedZeroBubble`).

use super::interleaved_1f1b::{torch_depth_first, torch_rounds};
use super::{Op, OpKind, ScheduleRules, StageLayout};
use crate::error::Result;

/// PyTorch's `ScheduleInterleavedZeroBubble` rules (ZB-H1 style) with
/// `virtual_stages` chunks per device and loop placement. The order is
/// PyTorch's interleaved 1F1B with a warm-up of
/// `(v - 1) M / rounds + (D - 1 - d)` forwards on device `d`, every backward
/// split into its
/// input-gradient part (which the stage before waits for) and its
/// weight-gradient part; device `d` runs its first weight-gradient part after
/// `d` steady steps and then one per step, in backward order, so the weight
/// work fills the bubbles. `M` must be a multiple of
/// `rounds = max(1, M div D)`.
#[derive(Debug, Clone, Copy)]
pub struct InterleavedZeroBubble {
    /// Chunks per device, `v >= 1`.
    pub virtual_stages: usize,
}

impl ScheduleRules for InterleavedZeroBubble {
    fn layout(&self) -> StageLayout {
        StageLayout::Looped(self.virtual_stages)
    }

    fn check(&self, stages: usize, micro_batches: usize) -> Result<()> {
        let devices = self.layout().check(stages)?;
        torch_rounds(devices, micro_batches, "InterleavedZeroBubble").map(|_| ())
    }

    fn op_kinds(&self) -> &'static [OpKind] {
        &[
            OpKind::Forward,
            OpKind::BackwardInput,
            OpKind::BackwardWeight,
        ]
    }

    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        let order = torch_depth_first(self.virtual_stages, stages, micro_batches);
        order.zero_bubble_order(order.warmup(device, 1), device)
    }
}
