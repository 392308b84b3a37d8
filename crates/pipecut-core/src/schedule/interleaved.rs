//! Interleaved 1F1B: Megatron's virtual-pipeline order, PyTorch's
//! `ScheduleInterleaved1F1B`.

use super::{fwd_bwd_op, warmup_steady_drain, Op, OpKind, Placement, ScheduleRules};
use crate::error::{Error, Result};

/// Interleaved 1F1B's rules with `virtual_stages` chunks per device and loop
/// placement: global stage `g` runs on device `g mod D` as chunk `g div D`.
/// Device `d` warms up with `2 (D - d - 1) + (v - 1) D` forwards (Megatron's
/// formula), then alternates; micro-batches go through the chunks in groups
/// of `D`, so `M` must be a multiple of `D`.
#[derive(Debug, Clone, Copy)]
pub struct Interleaved {
    /// Chunks per device, `v >= 1`.
    pub virtual_stages: usize,
}

impl ScheduleRules for Interleaved {
    fn stages_per_device(&self) -> usize {
        self.virtual_stages
    }

    fn check(&self, stages: usize, micro_batches: usize) -> Result<()> {
        let v = self.virtual_stages;
        if v == 0 {
            return Err(Error::ZeroVirtualStages);
        }
        if stages % v != 0 {
            return Err(Error::VirtualStagesMismatch {
                stages,
                virtual_stages: v,
            });
        }
        let devices = stages / v;
        if micro_batches % devices != 0 {
            return Err(Error::MicroBatchesNotMultiple {
                micro_batches,
                devices,
            });
        }
        Ok(())
    }

    fn placement(&self, stage: usize, stages: usize) -> Placement {
        let devices = (stages / self.virtual_stages.max(1)).max(1);
        Placement {
            device: stage % devices,
            chunk: stage / devices,
        }
    }

    fn stage_at(&self, device: usize, chunk: usize, stages: usize) -> usize {
        chunk * (stages / self.virtual_stages.max(1)) + device
    }

    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        let v = self.virtual_stages;
        let d = stages / v;
        let total = micro_batches * v;
        let warmup = ((d - device - 1) * 2 + (v - 1) * d).min(total);
        let mb = |i: usize| (i / (d * v)) * d + i % d;
        warmup_steady_drain(
            warmup,
            total,
            |i| fwd_bwd_op(OpKind::Forward, mb(i), (i / d) % v),
            |i| fwd_bwd_op(OpKind::Backward, mb(i), v - 1 - (i / d) % v),
        )
    }
}
