//! Looped breadth-first: PyTorch's `ScheduleLoopedBFS`.

use super::{fwd_bwd_op, Op, OpKind, ScheduleRules, StageLayout};

/// Looped BFS's rules with `virtual_stages` chunks per device and loop
/// placement (global stage `g` on device `g mod D` as chunk `g div D`). Each
/// device runs every forward of its first chunk, then of its next chunk, and
/// so on; then every backward of its last chunk, then of the chunk before,
/// each chunk's backwards from the last micro-batch to the first. Every stage
/// holds all `M` micro-batches at its peak. Any `M >= 1` runs.
#[derive(Debug, Clone, Copy)]
pub struct LoopedBfs {
    /// Chunks per device, `v >= 1`.
    pub virtual_stages: usize,
}

impl ScheduleRules for LoopedBfs {
    fn layout(&self) -> StageLayout {
        StageLayout::Looped(self.virtual_stages)
    }

    fn order(&self, _stages: usize, micro_batches: usize, _device: usize) -> Vec<Op> {
        let v = self.virtual_stages;
        let forwards = (0..v)
            .flat_map(|c| (0..micro_batches).map(move |mb| fwd_bwd_op(OpKind::Forward, mb, c)));
        let backwards = (0..v).rev().flat_map(|c| {
            (0..micro_batches)
                .rev()
                .map(move |mb| fwd_bwd_op(OpKind::Backward, mb, c))
        });
        forwards.chain(backwards).collect()
    }

    fn peak_in_flight(&self, stages: usize, micro_batches: usize) -> Vec<usize> {
        vec![micro_batches; stages]
    }
}
