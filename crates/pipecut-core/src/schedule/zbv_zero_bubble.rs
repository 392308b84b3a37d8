//! PyTorch's V-shaped zero-bubble schedule (`ScheduleZBVZeroBubble`).

use super::{fwd_bwd_op, Op, OpKind, ScheduleRules, StageLayout};

/// PyTorch's `ScheduleZBVZeroBubble` rules (ZB-V): two stages per device in
/// V placement (device `r` runs stages `r` and `2D - 1 - r`), every backward
/// split into its input- and weight-gradient parts. Device `r` warms up with
/// `2 (D - r) - 1` forwards of its first stage, then `r` pairs of forwards,
/// then `D - r` forward / backward rounds of its second stage, runs both
/// stages one forward and one split backward at a time, and drains the
/// weight-gradient parts last. The order is laid out for at least `2D - 1`
/// micro-batches; with fewer, the missing ones are left out. Any `M >= 1`
/// runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZbvZeroBubble;

/// Per-chunk micro-batch counters of one kind.
#[derive(Default)]
struct Counts([usize; 2]);

impl Counts {
    fn next(&mut self, chunk: usize) -> usize {
        self.0[chunk] += 1;
        self.0[chunk] - 1
    }
}

impl ScheduleRules for ZbvZeroBubble {
    fn layout(&self) -> StageLayout {
        StageLayout::V
    }

    fn op_kinds(&self) -> &'static [OpKind] {
        &[
            OpKind::Forward,
            OpKind::BackwardInput,
            OpKind::BackwardWeight,
        ]
    }

    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op> {
        let (d, r) = (stages / 2, device);
        let laid_out = micro_batches.max(2 * d - 1);
        let (mut f, mut i, mut w) = (Counts::default(), Counts::default(), Counts::default());
        let mut order = Vec::with_capacity(6 * laid_out);
        let mut push = |kind, mb, chunk| order.push(fwd_bwd_op(kind, mb, chunk));
        let (forward, input, weight) = (
            OpKind::Forward,
            OpKind::BackwardInput,
            OpKind::BackwardWeight,
        );
        for _ in 0..2 * (d - r) - 1 {
            push(forward, f.next(0), 0);
        }
        for _ in 0..r {
            push(forward, f.next(1), 1);
            push(forward, f.next(0), 0);
        }
        for _ in 0..d - r {
            push(forward, f.next(1), 1);
            let mb = i.next(1);
            push(input, mb, 1);
            push(weight, w.next(1), 1);
        }
        while f.0[1] < f.0[0] || f.0[0] < laid_out {
            if f.0[0] < laid_out {
                push(forward, f.next(0), 0);
            }
            push(input, i.next(0), 0);
            push(weight, w.next(0), 0);
            push(forward, f.next(1), 1);
            push(input, i.next(1), 1);
            push(weight, w.next(1), 1);
        }
        for _ in 0..r {
            push(input, i.next(0), 0);
            push(input, i.next(1), 1);
        }
        for _ in 0..d - r {
            push(input, i.next(0), 0);
            push(weight, w.next(0), 0);
        }
        while w.0[1] < i.0[1] {
            push(weight, w.next(1), 1);
        }
        while w.0[0] < i.0[0] {
            push(weight, w.next(0), 0);
        }
        order.retain(|op| op.micro_batch < micro_batches);
        order
    }
}
