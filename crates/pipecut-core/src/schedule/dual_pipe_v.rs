//! PyTorch's DualPipeV (`ScheduleDualPipeV`).

use std::collections::VecDeque;

use super::{fwd_bwd_op, Op, OpKind, ScheduleRules, StageLayout};
use crate::error::{Error, Result};

/// PyTorch's `ScheduleDualPipeV` rules (DeepSeek's DualPipe folded onto a V):
/// two stages per device in V placement (device `r` runs stages `r` and
/// `2D - 1 - r`). After a warm-up, each device pairs the forward of one of
/// its stages with the full backward of the other; PyTorch's runtime runs a
/// pair's two parts back to back unless the model supplies an overlap
/// function, and so does this order (the forward first). The cool-down
/// switches to split backwards whose weight-gradient parts fill the tail.
/// `M` must be at least the number of stages `2D`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DualPipeV;

/// The order of one device, built as PyTorch builds it: per-(chunk, kind)
/// micro-batch counters and a queue of pending weight-gradient parts.
struct Builder {
    order: Vec<Op>,
    forward: [usize; 2],
    /// Next backward micro-batch per chunk (full or input-gradient).
    backward: [usize; 2],
    pending_weights: VecDeque<(usize, usize)>,
    /// Position of the forward of every overlapped pair.
    pairs: Vec<usize>,
}

impl Builder {
    fn forward(&mut self, chunk: usize) {
        self.order
            .push(fwd_bwd_op(OpKind::Forward, self.forward[chunk], chunk));
        self.forward[chunk] += 1;
    }

    /// A full backward, or its input-gradient part (whose weight-gradient
    /// part is queued) when `split`.
    fn backward(&mut self, chunk: usize, split: bool) {
        let mb = self.backward[chunk];
        let kind = if split {
            self.pending_weights.push_back((chunk, mb));
            OpKind::BackwardInput
        } else {
            OpKind::Backward
        };
        self.order.push(fwd_bwd_op(kind, mb, chunk));
        self.backward[chunk] += 1;
    }

    /// A forward of `forward_chunk` paired with a full backward of the other.
    fn pair(&mut self, forward_chunk: usize) {
        self.pairs.push(self.order.len());
        self.forward(forward_chunk);
        self.backward(1 - forward_chunk, false);
    }

    fn pending_weight(&mut self) {
        if let Some((chunk, mb)) = self.pending_weights.pop_front() {
            self.order
                .push(fwd_bwd_op(OpKind::BackwardWeight, mb, chunk));
        }
    }
}

impl ScheduleRules for DualPipeV {
    fn layout(&self) -> StageLayout {
        StageLayout::V
    }

    fn check(&self, stages: usize, micro_batches: usize) -> Result<()> {
        self.layout().check(stages)?;
        if micro_batches < stages {
            return Err(Error::TooFewMicroBatches {
                micro_batches,
                least: stages,
                schedule: "DualPipeV",
                rule: "at least as many micro-batches as stages",
            });
        }
        Ok(())
    }

    fn op_kinds(&self) -> &'static [OpKind] {
        &[
            OpKind::Forward,
            OpKind::Backward,
            OpKind::BackwardInput,
            OpKind::BackwardWeight,
        ]
    }

    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        build(stages, micro_batches, device).order
    }

    fn overlapped_pairs(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<usize> {
        build(stages, micro_batches, device).pairs
    }

    fn has_overlapped_pairs(&self) -> bool {
        true
    }
}

/// `device`'s order and its pairs, built as PyTorch builds them.
fn build(stages: usize, micro_batches: usize, device: usize) -> Builder {
    let (d, r, m) = (stages / 2, device, micro_batches);
    let mut b = Builder {
        order: Vec::with_capacity(6 * m),
        forward: [0; 2],
        backward: [0; 2],
        pending_weights: VecDeque::new(),
        pairs: Vec::new(),
    };
    for _ in 0..2 * (d - r - 1) {
        b.forward(0);
    }
    for _ in 0..r + 1 {
        b.forward(0);
        b.forward(1);
    }
    for _ in 0..d - r - 1 {
        b.backward(1, true);
        b.pending_weight();
        b.forward(1);
    }
    for i in 0..(m + r + 1).saturating_sub(2 * d) {
        if i == 0 && r == d - 1 {
            b.forward(0);
            b.backward(1, false);
        } else {
            b.pair(0);
        }
        b.pair(1);
    }
    for _ in 0..d - r - 1 {
        b.backward(1, false);
        b.pair(1);
    }
    // Split backwards from the middle of this phase on (odd devices
    // switch one operation earlier than even ones).
    let mut split = false;
    let middle = r.div_ceil(2); // (r + 1) div 2: the middle of r + 1 steps
    for i in 0..r + 1 {
        split |= i == middle && r % 2 == 1;
        b.backward(1, split);
        split |= i == middle && r % 2 == 0;
        b.backward(0, split);
    }
    for _ in 0..d - r - 1 {
        b.pending_weight();
        b.backward(0, split);
    }
    for _ in 0..r + 1 {
        b.pending_weight();
    }
    b
}
