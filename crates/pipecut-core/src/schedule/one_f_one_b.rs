//! 1F1B (PipeDream-flush): Megatron's non-interleaved order, PyTorch's
//! `Schedule1F1B`.

use super::{fwd_bwd_op, Op, OpKind, Placement, ScheduleRules};

/// 1F1B's rules: one stage per device; device `d` warms up with
/// `min(P - d - 1, M)` forwards, then alternates one forward and one
/// backward, then drains the remaining backwards. Stage `k` holds
/// `min(P - k, M)` micro-batches at its peak.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneFOneB;

impl ScheduleRules for OneFOneB {
    fn stages_per_device(&self) -> usize {
        1
    }

    fn placement(&self, stage: usize, _stages: usize) -> Placement {
        Placement {
            device: stage,
            chunk: 0,
        }
    }

    fn stage_at(&self, device: usize, _chunk: usize, _stages: usize) -> usize {
        device
    }

    fn op_kinds(&self) -> &'static [OpKind] {
        &[OpKind::Forward, OpKind::Backward]
    }

    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        let m = micro_batches;
        let f = |mb| fwd_bwd_op(OpKind::Forward, mb, 0);
        let b = |mb| fwd_bwd_op(OpKind::Backward, mb, 0);
        let warmup = (stages - device - 1).min(m);
        let mut order = Vec::with_capacity(2 * m);
        order.extend((0..warmup).map(f));
        for i in 0..m - warmup {
            order.push(f(warmup + i));
            order.push(b(i));
        }
        order.extend((m - warmup..m).map(b));
        order
    }

    fn peak_in_flight(&self, stages: usize, micro_batches: usize) -> Vec<usize> {
        (0..stages)
            .map(|k| (stages - k).min(micro_batches))
            .collect()
    }
}
