//! 1F1B (PipeDream-flush): Megatron's non-interleaved order, PyTorch's
//! `Schedule1F1B`.

use super::{fwd_bwd_op, warmup_steady_drain, Op, OpKind, ScheduleRules};

/// 1F1B's rules: one stage per device; device `d` warms up with
/// `min(P - d - 1, M)` forwards, then alternates one forward and one
/// backward, then drains the remaining backwards. Stage `k` holds
/// `min(P - k, M)` micro-batches at its peak.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneFOneB;

impl ScheduleRules for OneFOneB {
    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        warmup_steady_drain(
            stages - device - 1,
            micro_batches,
            |mb| fwd_bwd_op(OpKind::Forward, mb, 0),
            |mb| fwd_bwd_op(OpKind::Backward, mb, 0),
        )
    }

    fn peak_in_flight(&self, stages: usize, micro_batches: usize) -> Vec<usize> {
        (0..stages)
            .map(|k| (stages - k).min(micro_batches))
            .collect()
    }
}
