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
        self.build(warmup, None)
    }

    /// The zero-bubble variant: each backward is its input-gradient part,
    /// and the weight-gradient parts follow in the same order, the first one
    /// after `weight_delay` steady or cool-down steps (PyTorch's
    /// `InterleavedZeroBubble`), the rest at the end.
    pub fn zero_bubble_order(&self, warmup: usize, weight_delay: usize) -> Vec<Op> {
        self.build(warmup, Some(weight_delay))
    }

    fn build(&self, warmup: usize, weight_delay: Option<usize>) -> Vec<Op> {
        let (v, per_round) = (self.chunks, self.per_round.max(1));
        let total = v * self.micro_batches;
        let warmup = warmup.min(total);
        let mut next = [vec![0usize; v], vec![0usize; v], vec![0usize; v]];
        let mut take = |slot: usize, kind, chunk: usize| {
            let mb = next[slot][chunk];
            next[slot][chunk] += 1;
            fwd_bwd_op(kind, mb, chunk)
        };
        let backward = match weight_delay {
            Some(_) => OpKind::BackwardInput,
            None => OpKind::Backward,
        };
        let mut order = Vec::with_capacity(3 * total);
        let mut backward_chunks = Vec::with_capacity(total);
        let mut weights_done = 0;
        for step in 0..total + warmup {
            if step < total {
                order.push(take(0, OpKind::Forward, (step / per_round) % v));
            }
            if step < warmup {
                continue;
            }
            let chunk = v - 1 - ((step - warmup) / per_round) % v;
            order.push(take(1, backward, chunk));
            backward_chunks.push(chunk);
            if weight_delay.is_some_and(|delay| step - warmup >= delay) {
                order.push(take(
                    2,
                    OpKind::BackwardWeight,
                    backward_chunks[weights_done],
                ));
                weights_done += 1;
            }
        }
        if weight_delay.is_some() {
            for &chunk in &backward_chunks[weights_done..] {
                order.push(take(2, OpKind::BackwardWeight, chunk));
            }
        }
        order
    }
}
