//! Pipeline schedules: which operations every device runs, in which order.
//!
//! The order is a property of the schedule alone, so the peak number of
//! micro-batches a stage holds at once (and with it the stage's memory) is
//! known before any timing is simulated. `pipecut-sim` times these orders.

use serde::{Deserialize, Serialize};

/// A pipeline schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Schedule {
    /// All forwards, then all backwards (GPipe).
    #[serde(rename = "gpipe")]
    GPipe,
    /// PipeDream-flush 1F1B (Megatron's non-interleaved order, PyTorch's
    /// `Schedule1F1B`).
    #[default]
    #[serde(rename = "1f1b")]
    OneFOneB,
    /// Megatron's interleaved 1F1B with `virtual_stages` chunks per device,
    /// loop placement: global stage `g` runs on device `g mod D`.
    #[serde(rename = "interleaved")]
    Interleaved {
        /// Chunks (model parts) per device, `v >= 1`.
        virtual_stages: usize,
    },
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::GPipe => write!(f, "gpipe"),
            Schedule::OneFOneB => write!(f, "1f1b"),
            Schedule::Interleaved { virtual_stages } => {
                write!(f, "interleaved(v={virtual_stages})")
            }
        }
    }
}

/// Forward or backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// A forward pass of one micro-batch through one stage.
    Forward,
    /// A backward pass of one micro-batch through one stage.
    Backward,
}

/// One operation in a device's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Op {
    /// Forward or backward.
    pub kind: OpKind,
    /// Micro-batch index, `0..M`.
    pub micro_batch: usize,
    /// Chunk index on the device, `0..v` (always 0 without interleaving).
    pub chunk: usize,
}

impl Schedule {
    /// Chunks per device (1 unless interleaved).
    pub fn virtual_stages(&self) -> usize {
        match self {
            Schedule::Interleaved { virtual_stages } => *virtual_stages,
            _ => 1,
        }
    }

    /// Devices for `stages` pipeline stages.
    pub fn devices(&self, stages: usize) -> usize {
        stages / self.virtual_stages().max(1)
    }

    /// Device that runs global stage `stage`.
    pub fn device_of(&self, stage: usize, stages: usize) -> usize {
        stage % self.devices(stages).max(1)
    }

    /// Chunk index of global stage `stage` on its device.
    pub fn chunk_of(&self, stage: usize, stages: usize) -> usize {
        stage / self.devices(stages).max(1)
    }

    /// Global stage of `chunk` on `device`.
    pub fn stage_of(&self, device: usize, chunk: usize, stages: usize) -> usize {
        chunk * self.devices(stages) + device
    }

    /// The order in which `device` runs its operations, for `stages` stages and
    /// `micro_batches` micro-batches (inputs assumed checked, as in a
    /// [`Problem`](crate::Problem)).
    ///
    /// ```
    /// use pipecut_core::{Schedule, OpKind};
    /// // 1F1B, 4 stages, 4 micro-batches: stage 1 warms up with 2 forwards.
    /// let order = Schedule::OneFOneB.device_order(4, 4, 1);
    /// let kinds: Vec<_> = order.iter().map(|op| (op.kind == OpKind::Forward, op.micro_batch)).collect();
    /// assert_eq!(kinds, vec![(true, 0), (true, 1), (true, 2), (false, 0), (true, 3), (false, 1), (false, 2), (false, 3)]);
    /// ```
    ///
    /// Inputs a checked problem would reject (no stages, no micro-batches, no
    /// chunks, `v` not dividing `stages`, a device out of range) give an empty
    /// order rather than a panic.
    pub fn device_order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        let v = self.virtual_stages();
        if stages == 0 || micro_batches == 0 || v == 0 || stages % v != 0 || device >= stages / v {
            return Vec::new();
        }
        let m = micro_batches;
        let fwd = |mb| Op {
            kind: OpKind::Forward,
            micro_batch: mb,
            chunk: 0,
        };
        let bwd = |mb| Op {
            kind: OpKind::Backward,
            micro_batch: mb,
            chunk: 0,
        };
        match *self {
            Schedule::GPipe => (0..m).map(fwd).chain((0..m).map(bwd)).collect(),
            Schedule::OneFOneB => {
                let warmup = (stages - device - 1).min(m);
                let mut order = Vec::with_capacity(2 * m);
                order.extend((0..warmup).map(fwd));
                for i in 0..m - warmup {
                    order.push(fwd(warmup + i));
                    order.push(bwd(i));
                }
                order.extend((m - warmup..m).map(bwd));
                order
            }
            Schedule::Interleaved { virtual_stages: v } => {
                let d = stages / v;
                let total = m * v;
                let warmup = ((d - device - 1) * 2 + (v - 1) * d).min(total);
                let mb = |i: usize| (i / (d * v)) * d + i % d;
                let f = |i: usize| Op {
                    kind: OpKind::Forward,
                    micro_batch: mb(i),
                    chunk: (i / d) % v,
                };
                let b = |i: usize| Op {
                    kind: OpKind::Backward,
                    micro_batch: mb(i),
                    chunk: v - 1 - (i / d) % v,
                };
                let mut order = Vec::with_capacity(2 * total);
                order.extend((0..warmup).map(f));
                for i in 0..total - warmup {
                    order.push(f(warmup + i));
                    order.push(b(i));
                }
                order.extend((total - warmup..total).map(b));
                order
            }
        }
    }

    /// Peak number of micro-batches whose activations each stage holds at
    /// once (forward done, backward not yet done), one entry per global stage.
    ///
    /// 1F1B gives `min(P - k, M)`, GPipe gives `M`.
    pub fn peak_in_flight(&self, stages: usize, micro_batches: usize) -> Vec<usize> {
        let v = self.virtual_stages();
        if v == 0 || stages % v != 0 {
            return vec![0; stages];
        }
        let devices = self.devices(stages);
        let mut peaks = vec![0; stages];
        for device in 0..devices {
            let mut live = vec![0usize; v];
            for op in self.device_order(stages, micro_batches, device) {
                let stage = self.stage_of(device, op.chunk, stages);
                match op.kind {
                    OpKind::Forward => {
                        live[op.chunk] += 1;
                        peaks[stage] = peaks[stage].max(live[op.chunk]);
                    }
                    OpKind::Backward => live[op.chunk] -= 1,
                }
            }
        }
        peaks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_f_one_b_in_flight_is_min_p_minus_k_m() {
        for p in 1..8 {
            for m in 1..12 {
                let peaks = Schedule::OneFOneB.peak_in_flight(p, m);
                let want: Vec<usize> = (0..p).map(|k| (p - k).min(m)).collect();
                assert_eq!(peaks, want, "P={p} M={m}");
                assert_eq!(Schedule::GPipe.peak_in_flight(p, m), vec![m; p]);
            }
        }
    }

    #[test]
    fn interleaved_orders_cover_every_operation_once() {
        for d in 1..5 {
            for v in 1..4 {
                for mult in 1..4 {
                    let m = d * mult;
                    let s = Schedule::Interleaved { virtual_stages: v };
                    for dev in 0..d {
                        let order = s.device_order(d * v, m, dev);
                        assert_eq!(order.len(), 2 * m * v);
                        let mut seen = std::collections::HashSet::new();
                        for op in &order {
                            assert!(op.chunk < v && op.micro_batch < m);
                            assert!(seen.insert(*op), "duplicate {op:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn invalid_inputs_give_empty_orders_not_panics() {
        let inter = |v| Schedule::Interleaved { virtual_stages: v };
        assert!(inter(0).device_order(4, 4, 0).is_empty());
        assert!(inter(3).device_order(4, 4, 0).is_empty());
        assert!(Schedule::OneFOneB.device_order(4, 4, 4).is_empty());
        assert!(Schedule::GPipe.device_order(0, 4, 0).is_empty());
        assert!(Schedule::OneFOneB.device_order(4, 0, 0).is_empty());
        assert_eq!(inter(0).peak_in_flight(4, 4), vec![0; 4]);
    }

    #[test]
    fn interleaved_follows_megatron_formula() {
        // D = 2, v = 2, M = 4: device 0 warms up with (2-0-1)*2 + 1*2 = 4 forwards.
        let s = Schedule::Interleaved { virtual_stages: 2 };
        let order = s.device_order(4, 4, 0);
        let head: Vec<_> = order[..4]
            .iter()
            .map(|o| (o.chunk, o.micro_batch))
            .collect();
        assert_eq!(head, vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
        assert_eq!(order[4].kind, OpKind::Forward);
        assert_eq!((order[4].chunk, order[4].micro_batch), (0, 2));
        assert_eq!(order[5].kind, OpKind::Backward);
        assert_eq!((order[5].chunk, order[5].micro_batch), (1, 0));
    }
}
