//! GPipe: every forward, then every backward.

use super::{fwd_bwd_op, Op, OpKind, ScheduleRules};

/// GPipe's rules: one stage per device, all `M` forwards then all `M`
/// backwards, so every stage holds all `M` micro-batches at its peak.
#[derive(Debug, Clone, Copy, Default)]
pub struct GPipe;

impl ScheduleRules for GPipe {
    fn order(&self, _stages: usize, micro_batches: usize, _device: usize) -> Vec<Op> {
        let f = |mb| fwd_bwd_op(OpKind::Forward, mb, 0);
        let b = |mb| fwd_bwd_op(OpKind::Backward, mb, 0);
        (0..micro_batches)
            .map(f)
            .chain((0..micro_batches).map(b))
            .collect()
    }

    fn peak_in_flight(&self, stages: usize, micro_batches: usize) -> Vec<usize> {
        vec![micro_batches; stages]
    }
}
