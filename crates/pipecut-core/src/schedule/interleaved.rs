//! Interleaved 1F1B: Megatron's virtual-pipeline order, PyTorch's
//! `ScheduleInterleaved1F1B`.

use super::depth_first::DepthFirst;
use super::{Op, ScheduleRules, StageLayout};
use crate::error::{Error, Result};

/// Interleaved 1F1B's rules with `virtual_stages` chunks per device and loop
/// placement: global stage `g` runs on device `g mod D` as chunk `g div D`.
/// Device `d` warms up with `2 (D - d - 1) + (v - 1) D` forwards (Megatron's
/// formula), then alternates; micro-batches go through the chunks in groups
/// of `D`, so `M` must be a multiple of `D`. With `M = D` every device runs
/// all its forwards first, as Megatron does.
#[derive(Debug, Clone, Copy)]
pub struct Interleaved {
    /// Chunks per device, `v >= 1`.
    pub virtual_stages: usize,
}

impl ScheduleRules for Interleaved {
    fn layout(&self) -> StageLayout {
        StageLayout::Looped(self.virtual_stages)
    }

    fn check(&self, stages: usize, micro_batches: usize) -> Result<()> {
        let devices = self.layout().check(stages)?;
        if micro_batches % devices != 0 {
            return Err(Error::MicroBatchesNotMultiple {
                micro_batches,
                devices,
            });
        }
        Ok(())
    }

    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        let devices = stages / self.virtual_stages;
        let order = DepthFirst {
            chunks: self.virtual_stages,
            devices,
            micro_batches,
            per_round: devices,
        };
        // Megatron runs every forward first when there are exactly as many
        // micro-batches as devices.
        let warmup = if micro_batches == devices {
            micro_batches * self.virtual_stages
        } else {
            order.warmup(device, 2)
        };
        order.order(warmup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::OpKind;

    #[test]
    fn m_equal_d_runs_every_forward_first() {
        let rules = Interleaved { virtual_stages: 2 };
        for device in 0..3 {
            let order = rules.order(6, 3, device);
            let kinds: Vec<OpKind> = order.iter().map(|op| op.kind).collect();
            assert_eq!(kinds[..6], [OpKind::Forward; 6]);
            assert_eq!(kinds[6..], [OpKind::Backward; 6]);
            // Backwards start from the last chunk, micro-batches in order.
            let first_backwards: Vec<(usize, usize)> = order[6..9]
                .iter()
                .map(|op| (op.chunk, op.micro_batch))
                .collect();
            assert_eq!(first_backwards, [(1, 0), (1, 1), (1, 2)]);
        }
    }
}
