//! The depth-first looped order that interleaved 1F1B (Megatron's and
//! PyTorch's) is built on: micro-batches go through a device's chunks in
//! rounds of `per_round`, a warm-up of forwards, then one forward and one
//! backward at a time, then the remaining backwards.

use super::{fwd_bwd_op, Op, OpKind};

/// One device's depth-first order.
#[derive(Debug, Clone, Copy)]
pub(super) struct DepthFirst {
    /// Chunks per device `v`.
    pub chunks: usize,
    /// Devices `D`.
    pub devices: usize,
    /// Micro-batches `M`.
    pub micro_batches: usize,
    /// Micro-batches that go through one chunk before the next chunk starts.
    pub per_round: usize,
}

impl DepthFirst {
    /// Forwards before the first backward on `device`: `(v - 1) per_round`
    /// for the last device, plus `factor` more per device before it, at most
    /// `v M`.
    pub fn warmup(&self, device: usize, factor: usize) -> usize {
        let last = (self.chunks - 1) * self.per_round;
        (last + factor * (self.devices - 1 - device)).min(self.chunks * self.micro_batches)
    }

    /// The order of `device` with `warmup` warm-up forwards. The `i`-th
    /// forward runs chunk `(i / per_round) mod v`, the `i`-th backward chunk
    /// `v - 1 - (i / per_round) mod v`; each chunk takes its micro-batches in
    /// order.
    pub fn order(&self, warmup: usize) -> Vec<Op> {
        let (v, per_round) = (self.chunks, self.per_round.max(1));
        let total = v * self.micro_batches;
        let warmup = warmup.min(total);
        let mut next_forward = vec![0usize; v];
        let mut next_backward = vec![0usize; v];
        let take = |counters: &mut Vec<usize>, kind, chunk: usize| {
            let mb = counters[chunk];
            counters[chunk] += 1;
            fwd_bwd_op(kind, mb, chunk)
        };
        let forward_chunk = |i: usize| (i / per_round) % v;
        let backward_chunk = |i: usize| v - 1 - (i / per_round) % v;
        let mut order = Vec::with_capacity(2 * total);
        for i in 0..total {
            order.push(take(&mut next_forward, OpKind::Forward, forward_chunk(i)));
            if i >= warmup {
                let b = backward_chunk(i - warmup);
                order.push(take(&mut next_backward, OpKind::Backward, b));
            }
        }
        for i in total - warmup..total {
            let b = backward_chunk(i);
            order.push(take(&mut next_backward, OpKind::Backward, b));
        }
        order
    }
}
