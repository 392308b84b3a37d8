//! Where stages run: the placements the schedules share.

use super::Placement;
use crate::error::{Error, Result};

/// How a schedule places global stages on devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageLayout {
    /// Stage `k` alone on device `k`.
    OnePerDevice,
    /// Loop placement with `v` stages per device: global stage `g` runs on
    /// device `g mod D` as chunk `g div D`.
    Looped(usize),
    /// V placement, two stages per device: device `r` runs stage `r` as
    /// chunk 0 and stage `2D - 1 - r` as chunk 1, so the first and last
    /// stages share device 0.
    V,
}

impl StageLayout {
    /// Stages each device runs.
    pub fn stages_per_device(self) -> usize {
        match self {
            StageLayout::OnePerDevice => 1,
            StageLayout::Looped(v) => v,
            StageLayout::V => 2,
        }
    }

    /// Checks that the stages fill whole devices; returns the device count.
    pub fn check(self, stages: usize) -> Result<usize> {
        let v = self.stages_per_device();
        if v == 0 {
            return Err(Error::ZeroVirtualStages);
        }
        if stages % v != 0 {
            return Err(Error::VirtualStagesMismatch {
                stages,
                virtual_stages: v,
            });
        }
        Ok(stages / v)
    }

    fn devices(self, stages: usize) -> usize {
        (stages / self.stages_per_device().max(1)).max(1)
    }

    /// Device and chunk of global stage `stage`.
    pub fn placement(self, stage: usize, stages: usize) -> Placement {
        let d = self.devices(stages);
        match self {
            StageLayout::OnePerDevice => Placement {
                device: stage,
                chunk: 0,
            },
            StageLayout::Looped(_) => Placement {
                device: stage % d,
                chunk: stage / d,
            },
            StageLayout::V if stage < d => Placement {
                device: stage,
                chunk: 0,
            },
            StageLayout::V => Placement {
                device: (2 * d - 1).saturating_sub(stage),
                chunk: 1,
            },
        }
    }

    /// Global stage of `chunk` on `device`, the inverse of
    /// [`StageLayout::placement`].
    pub fn stage_at(self, device: usize, chunk: usize, stages: usize) -> usize {
        let d = self.devices(stages);
        match self {
            StageLayout::OnePerDevice => device,
            StageLayout::Looped(_) => chunk * d + device,
            StageLayout::V if chunk == 0 => device,
            StageLayout::V => (2 * d - 1).saturating_sub(device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_and_stage_at_are_inverse() {
        for layout in [
            StageLayout::OnePerDevice,
            StageLayout::Looped(3),
            StageLayout::V,
        ] {
            let stages = 6 * layout.stages_per_device();
            for stage in 0..stages {
                let at = layout.placement(stage, stages);
                assert_eq!(layout.stage_at(at.device, at.chunk, stages), stage);
            }
        }
        // V: device 0 holds the first and the last stage.
        assert_eq!(StageLayout::V.stage_at(0, 1, 8), 7);
        assert_eq!(StageLayout::V.placement(4, 8).device, 3);
    }
}
