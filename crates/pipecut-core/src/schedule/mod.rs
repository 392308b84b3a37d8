//! Pipeline schedules as rule files: which stage runs on which device, which
//! operations each device runs in which order, what each operation waits for,
//! and how many micro-batches each stage holds at once.
//!
//! [`Schedule`] names a schedule (it is what Problem JSON and the command line
//! carry); [`ScheduleRules`] is what a schedule *is*. Each schedule is one file
//! in this module implementing that trait, registered once in
//! [`with_rules!`](Schedule::rules). Everything else — the simulator, the
//! step-time MILP, evaluation and memory accounting — asks the rules, so
//! nothing outside this module matches on schedule variants or computes
//! placement.
//!
//! The order is a property of the schedule alone, so the peak number of
//! micro-batches a stage holds at once (and with it the stage's memory) is
//! known before any timing is simulated.

mod depth_first;
mod dual_pipe_v;
mod gpipe;
mod interleaved;
mod interleaved_1f1b;
mod interleaved_zero_bubble;
mod layout;
mod looped_bfs;
mod name;
mod one_f_one_b;
mod zbv_zero_bubble;

pub use dual_pipe_v::DualPipeV;
pub use gpipe::GPipe;
pub use interleaved::Interleaved;
pub use interleaved_1f1b::Interleaved1F1B;
pub use interleaved_zero_bubble::InterleavedZeroBubble;
pub use layout::StageLayout;
pub use looped_bfs::LoopedBfs;
pub use name::{known_names, ScheduleFamily, ScheduleName};
pub use one_f_one_b::OneFOneB;
pub use zbv_zero_bubble::ZbvZeroBubble;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A pipeline schedule, by name (see [`ScheduleRules`] for what each does).
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
    /// PyTorch's interleaved 1F1B (`ScheduleInterleaved1F1B`) with
    /// `virtual_stages` chunks per device, loop placement: Megatron's order
    /// where `D | M`, and PyTorch's rounds otherwise.
    #[serde(rename = "interleaved-1f1b")]
    Interleaved1F1B {
        /// Chunks (model parts) per device, `v >= 1`.
        virtual_stages: usize,
    },
    /// PyTorch's interleaved zero-bubble schedule
    /// (`ScheduleInterleavedZeroBubble`) with `virtual_stages` chunks per
    /// device, loop placement, backwards split into input- and
    /// weight-gradient operations.
    #[serde(rename = "interleaved-zero-bubble")]
    InterleavedZeroBubble {
        /// Chunks (model parts) per device, `v >= 1`.
        virtual_stages: usize,
    },
    /// PyTorch's V-shaped zero-bubble schedule (`ScheduleZBVZeroBubble`): two
    /// stages per device, device `r` holding stages `r` and `2D - 1 - r`.
    #[serde(rename = "zbv-zero-bubble")]
    ZbvZeroBubble,
    /// PyTorch's DualPipeV (`ScheduleDualPipeV`): V placement, forward /
    /// full-backward pairs of a device's two stages, split backwards in the
    /// cool-down; `M >= 2D`.
    #[serde(rename = "dualpipev")]
    DualPipeV,
    /// Breadth-first looped schedule (PyTorch's `ScheduleLoopedBFS`) with
    /// `virtual_stages` chunks per device, loop placement.
    #[serde(rename = "looped-bfs")]
    LoopedBfs {
        /// Chunks (model parts) per device, `v >= 1`.
        virtual_stages: usize,
    },
}

/// Runs `$body` with `$r` bound to the rules of `$schedule`: the one place
/// that maps a [`Schedule`] to its rule file (one line per schedule), without
/// allocating.
macro_rules! with_rules {
    ($schedule:expr, |$r:ident| $body:expr) => {
        match $schedule {
            Schedule::GPipe => {
                let $r = &GPipe;
                $body
            }
            Schedule::OneFOneB => {
                let $r = &OneFOneB;
                $body
            }
            Schedule::Interleaved { virtual_stages } => {
                let $r = &Interleaved { virtual_stages };
                $body
            }
            Schedule::Interleaved1F1B { virtual_stages } => {
                let $r = &Interleaved1F1B { virtual_stages };
                $body
            }
            Schedule::InterleavedZeroBubble { virtual_stages } => {
                let $r = &InterleavedZeroBubble { virtual_stages };
                $body
            }
            Schedule::LoopedBfs { virtual_stages } => {
                let $r = &LoopedBfs { virtual_stages };
                $body
            }
            Schedule::ZbvZeroBubble => {
                let $r = &ZbvZeroBubble;
                $body
            }
            Schedule::DualPipeV => {
                let $r = &DualPipeV;
                $body
            }
        }
    };
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::GPipe => write!(f, "gpipe"),
            Schedule::OneFOneB => write!(f, "1f1b"),
            Schedule::Interleaved { virtual_stages } => {
                write!(f, "interleaved(v={virtual_stages})")
            }
            Schedule::Interleaved1F1B { virtual_stages } => {
                write!(f, "interleaved-1f1b(v={virtual_stages})")
            }
            Schedule::InterleavedZeroBubble { virtual_stages } => {
                write!(f, "interleaved-zero-bubble(v={virtual_stages})")
            }
            Schedule::LoopedBfs { virtual_stages } => {
                write!(f, "looped-bfs(v={virtual_stages})")
            }
            Schedule::ZbvZeroBubble => write!(f, "zbv-zero-bubble"),
            Schedule::DualPipeV => write!(f, "dualpipev"),
        }
    }
}

/// The kind of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OpKind {
    /// A forward pass of one micro-batch through one stage.
    Forward,
    /// A full backward pass of one micro-batch through one stage.
    Backward,
    /// The input-gradient part of a backward (zero-bubble schedules): what the
    /// stage before needs.
    BackwardInput,
    /// The weight-gradient part of a backward (zero-bubble schedules), after
    /// the input-gradient part of the same micro-batch.
    BackwardWeight,
}

impl OpKind {
    /// Number of operation kinds (the simulator's per-stage duration slots).
    pub const COUNT: usize = 4;

    /// Every kind, in [`OpKind::index`] order.
    pub const ALL: [OpKind; OpKind::COUNT] = [
        OpKind::Forward,
        OpKind::Backward,
        OpKind::BackwardInput,
        OpKind::BackwardWeight,
    ];

    /// Dense index `0..COUNT`.
    #[inline]
    pub fn index(self) -> usize {
        match self {
            OpKind::Forward => 0,
            OpKind::Backward => 1,
            OpKind::BackwardInput => 2,
            OpKind::BackwardWeight => 3,
        }
    }

    /// How the operation changes the activations its stage holds: a forward
    /// stores one micro-batch's activations; a full backward frees them, and
    /// so does a weight-gradient backward (the input-gradient part keeps them:
    /// the weight gradient still reads them).
    pub fn activation_delta(self) -> isize {
        match self {
            OpKind::Forward => 1,
            OpKind::Backward | OpKind::BackwardWeight => -1,
            OpKind::BackwardInput => 0,
        }
    }

    /// Duration of the operation on a stage whose forward, full backward and
    /// weight-gradient part of one micro-batch take `forward`, `backward`
    /// and `backward_weight` (the input-gradient part is the rest).
    #[inline]
    pub fn duration(self, forward: f64, backward: f64, backward_weight: f64) -> f64 {
        match self {
            OpKind::Forward => forward,
            OpKind::Backward => backward,
            OpKind::BackwardInput => (backward - backward_weight).max(0.0),
            OpKind::BackwardWeight => backward_weight,
        }
    }

    /// The kinds whose output this operation produces: an input-gradient
    /// backward passes upstream what a full backward would, so an operation
    /// waiting for the [`OpKind::Backward`] of a micro-batch is also served by
    /// its [`OpKind::BackwardInput`] (a stage runs one or the other).
    pub fn provides(self) -> &'static [OpKind] {
        match self {
            OpKind::Forward => &[OpKind::Forward],
            OpKind::Backward => &[OpKind::Backward],
            OpKind::BackwardInput => &[OpKind::BackwardInput, OpKind::Backward],
            OpKind::BackwardWeight => &[OpKind::BackwardWeight],
        }
    }

    /// Lower-case name (`forward`, `backward`, `backward input`, `backward weight`).
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Forward => "forward",
            OpKind::Backward => "backward",
            OpKind::BackwardInput => "backward input",
            OpKind::BackwardWeight => "backward weight",
        }
    }

    /// PyTorch's letter for the kind: `F`, `B`, `I`, `W`.
    pub fn letter(self) -> char {
        match self {
            OpKind::Forward => 'F',
            OpKind::Backward => 'B',
            OpKind::BackwardInput => 'I',
            OpKind::BackwardWeight => 'W',
        }
    }
}

/// How a device runs an overlapped forward/backward pair (DualPipeV's
/// `OVERLAP_F_B`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairOverlap {
    /// One part after the other, the forward first: what PyTorch's runtime
    /// does unless the model supplies an overlap function.
    #[default]
    Sequential,
    /// Both parts at once: the backward may start as soon as the forward
    /// has started (and its own input is there), and the device is free when
    /// both have ended. A pair whose inputs are ready together takes the
    /// longer of its two parts: the best an overlap function can reach.
    Perfect,
}

impl PairOverlap {
    /// Lower-case name (`sequential`, `perfect`).
    pub fn as_str(self) -> &'static str {
        match self {
            PairOverlap::Sequential => "sequential",
            PairOverlap::Perfect => "perfect",
        }
    }
}

/// One operation in a device's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Op {
    /// What the operation does.
    pub kind: OpKind,
    /// Micro-batch index, `0..M`.
    pub micro_batch: usize,
    /// Chunk index on the device, `0..v` (always 0 with one stage per device).
    pub chunk: usize,
}

fn fwd_bwd_op(kind: OpKind, micro_batch: usize, chunk: usize) -> Op {
    Op {
        kind,
        micro_batch,
        chunk,
    }
}

/// The one-forward-one-backward shape 1F1B and interleaved 1F1B share:
/// `warmup` forwards, then alternately the next forward and the oldest
/// backward, then the remaining backwards; `forward(i)` / `backward(i)` is
/// the `i`-th of `total` of each.
fn warmup_steady_drain(
    warmup: usize,
    total: usize,
    forward: impl Fn(usize) -> Op,
    backward: impl Fn(usize) -> Op,
) -> Vec<Op> {
    let warmup = warmup.min(total);
    let mut order = Vec::with_capacity(2 * total);
    order.extend((0..warmup).map(&forward));
    for i in 0..total - warmup {
        order.push(forward(warmup + i));
        order.push(backward(i));
    }
    order.extend((total - warmup..total).map(backward));
    order
}

/// Where a global stage runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Placement {
    /// Device index, `0..D`.
    pub device: usize,
    /// Chunk index on that device, `0..stages_per_device`.
    pub chunk: usize,
}

/// An operation another one waits for: `kind` of `micro_batch` on `stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dependency {
    /// Global stage of the producer.
    pub stage: usize,
    /// Kind of the producer.
    pub kind: OpKind,
    /// Micro-batch of the producer.
    pub micro_batch: usize,
}

/// The inputs of one operation (at most [`Inputs::CAPACITY`]), without
/// allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inputs {
    items: [Dependency; Inputs::CAPACITY],
    len: usize,
}

impl Inputs {
    /// Most inputs one operation can have.
    pub const CAPACITY: usize = 4;

    /// No inputs (the first stage's forward).
    #[inline]
    pub fn none() -> Self {
        let filler = Dependency {
            stage: 0,
            kind: OpKind::Forward,
            micro_batch: 0,
        };
        Inputs {
            items: [filler; Inputs::CAPACITY],
            len: 0,
        }
    }

    /// One input.
    #[inline]
    pub fn one(dependency: Dependency) -> Self {
        let mut inputs = Inputs::none();
        inputs.push(dependency);
        inputs
    }

    /// Adds an input (ignored beyond [`Inputs::CAPACITY`], which no rule needs).
    #[inline]
    pub fn push(&mut self, dependency: Dependency) {
        if self.len < Inputs::CAPACITY {
            self.items[self.len] = dependency;
            self.len += 1;
        }
    }

    /// The inputs as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[Dependency] {
        &self.items[..self.len]
    }
}

/// The pipeline-chain dependencies every schedule here uses: a forward of
/// micro-batch `m` on stage `k > 0` needs the forward of `m` on `k - 1`; a
/// backward (full or input-gradient) on `k < P - 1` needs the input gradient
/// of `m` from `k + 1` (its [`OpKind::Backward`], which an
/// [`OpKind::BackwardInput`] also provides); the last stage's backward needs
/// its own forward; a weight-gradient backward needs the input-gradient
/// backward of the same micro-batch on the same stage.
#[inline]
pub fn chain_inputs(stage: usize, stages: usize, op: Op) -> Inputs {
    let dep = |stage, kind| {
        Inputs::one(Dependency {
            stage,
            kind,
            micro_batch: op.micro_batch,
        })
    };
    match op.kind {
        OpKind::Forward if stage == 0 => Inputs::none(),
        OpKind::Forward => dep(stage - 1, OpKind::Forward),
        OpKind::Backward | OpKind::BackwardInput if stage + 1 >= stages => {
            dep(stage, OpKind::Forward)
        }
        OpKind::Backward | OpKind::BackwardInput => dep(stage + 1, OpKind::Backward),
        OpKind::BackwardWeight => dep(stage, OpKind::BackwardInput),
    }
}

/// What a schedule is. One implementation per file in this module; callers
/// reach it through [`Schedule`]'s methods or [`Schedule::rules`].
///
/// Methods take `stages` (global stages `P`) and `micro_batches` (`M`) that
/// [`ScheduleRules::check`] has accepted; [`Schedule`]'s wrappers check first
/// and never panic.
pub trait ScheduleRules: std::fmt::Debug + Send + Sync {
    /// Where the stages run (default: one stage per device).
    fn layout(&self) -> StageLayout {
        StageLayout::OnePerDevice
    }

    /// Stages (chunks) each device runs (default: the layout's).
    fn stages_per_device(&self) -> usize {
        self.layout().stages_per_device()
    }

    /// Rejects stage and micro-batch counts the schedule cannot run (beyond
    /// `P >= 1`, `M >= 1`, which every schedule needs; default: the stages
    /// must fill whole devices).
    fn check(&self, stages: usize, micro_batches: usize) -> Result<()> {
        let _ = micro_batches;
        self.layout().check(stages).map(|_| ())
    }

    /// Device and chunk of global stage `stage` (default: the layout's).
    fn placement(&self, stage: usize, stages: usize) -> Placement {
        self.layout().placement(stage, stages)
    }

    /// Global stage of `chunk` on `device`, the inverse of `placement`
    /// (default: the layout's).
    fn stage_at(&self, device: usize, chunk: usize, stages: usize) -> usize {
        self.layout().stage_at(device, chunk, stages)
    }

    /// The operation kinds this schedule's orders use (default: forward and
    /// full backward).
    fn op_kinds(&self) -> &'static [OpKind] {
        &[OpKind::Forward, OpKind::Backward]
    }

    /// The order in which `device` runs its operations.
    fn order(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<Op>;

    /// Positions `i` in `device`'s order where operations `i` and `i + 1`
    /// form an overlapped pair (PyTorch's `OVERLAP_F_B`), ascending
    /// (default: none).
    fn overlapped_pairs(&self, stages: usize, micro_batches: usize, device: usize) -> Vec<usize> {
        let _ = (stages, micro_batches, device);
        Vec::new()
    }

    /// Whether the orders contain overlapped pairs (default: no).
    fn has_overlapped_pairs(&self) -> bool {
        false
    }

    /// What `op`, run on global stage `stage`, waits for (besides the
    /// operation before it on its device).
    #[inline]
    fn inputs(&self, stage: usize, stages: usize, op: Op) -> Inputs {
        chain_inputs(stage, stages, op)
    }

    /// Peak number of micro-batches whose activations each stage holds at
    /// once, one entry per global stage: the running sum of
    /// [`OpKind::activation_delta`] along each device's order. Rule files
    /// with a closed form override this.
    fn peak_in_flight(&self, stages: usize, micro_batches: usize) -> Vec<usize> {
        let devices = stages / self.stages_per_device().max(1);
        let orders: Vec<Vec<Op>> = (0..devices)
            .map(|d| self.order(stages, micro_batches, d))
            .collect();
        in_flight_peaks(stages, &orders, |d, chunk| self.stage_at(d, chunk, stages))
    }
}

/// Peak number of micro-batches each stage holds at once along per-device
/// `orders`: the running sum of [`OpKind::activation_delta`] (never below 0),
/// `stage_at(device, chunk)` placing the operations. The one in-flight count
/// every crate uses, for a schedule's own orders and for custom ones.
pub fn in_flight_peaks(
    stages: usize,
    orders: &[Vec<Op>],
    stage_at: impl Fn(usize, usize) -> usize,
) -> Vec<usize> {
    let mut peaks = vec![0usize; stages];
    let mut live = vec![0isize; stages];
    for (device, order) in orders.iter().enumerate() {
        for op in order {
            let stage = stage_at(device, op.chunk);
            let (Some(held), Some(peak)) = (live.get_mut(stage), peaks.get_mut(stage)) else {
                continue;
            };
            *held = (*held + op.kind.activation_delta()).max(0);
            *peak = (*peak).max(*held as usize);
        }
    }
    peaks
}

impl Schedule {
    /// Every schedule, the looped ones with `stages_per_device` chunks per
    /// device (registered here once, next to the `with_rules!` table).
    pub fn all(stages_per_device: usize) -> Vec<Schedule> {
        let v = stages_per_device;
        vec![
            Schedule::GPipe,
            Schedule::OneFOneB,
            Schedule::Interleaved { virtual_stages: v },
            Schedule::Interleaved1F1B { virtual_stages: v },
            Schedule::InterleavedZeroBubble { virtual_stages: v },
            Schedule::LoopedBfs { virtual_stages: v },
            Schedule::ZbvZeroBubble,
            Schedule::DualPipeV,
        ]
    }

    /// The rules of this schedule, as a trait object.
    pub fn rules(&self) -> Box<dyn ScheduleRules> {
        with_rules!(*self, |r| Box::new(*r))
    }

    /// Checks that the schedule can run `stages` stages with `micro_batches`
    /// micro-batches (the checks [`Problem`](crate::Problem) makes).
    pub fn check(&self, stages: usize, micro_batches: usize) -> Result<()> {
        if stages == 0 {
            return Err(Error::ZeroStages);
        }
        if micro_batches == 0 {
            return Err(Error::ZeroMicroBatches);
        }
        with_rules!(*self, |r| r.check(stages, micro_batches))
    }

    /// Chunks per device (1 unless interleaved).
    pub fn virtual_stages(&self) -> usize {
        with_rules!(*self, |r| r.stages_per_device())
    }

    /// Devices for `stages` pipeline stages.
    pub fn devices(&self, stages: usize) -> usize {
        stages / self.virtual_stages().max(1)
    }

    /// Device and chunk of global stage `stage`.
    pub fn placement(&self, stage: usize, stages: usize) -> Placement {
        with_rules!(*self, |r| r.placement(stage, stages))
    }

    /// Device that runs global stage `stage`.
    pub fn device_of(&self, stage: usize, stages: usize) -> usize {
        self.placement(stage, stages).device
    }

    /// Chunk index of global stage `stage` on its device.
    pub fn chunk_of(&self, stage: usize, stages: usize) -> usize {
        self.placement(stage, stages).chunk
    }

    /// Global stage of `chunk` on `device`.
    pub fn stage_of(&self, device: usize, chunk: usize, stages: usize) -> usize {
        with_rules!(*self, |r| r.stage_at(device, chunk, stages))
    }

    /// The operation kinds the schedule uses.
    pub fn op_kinds(&self) -> &'static [OpKind] {
        with_rules!(*self, |r| r.op_kinds())
    }

    /// Whether the schedule runs backwards as input- and weight-gradient
    /// parts (so a layer's `backward_weight` matters).
    pub fn splits_backward(&self) -> bool {
        self.op_kinds()
            .iter()
            .any(|k| matches!(k, OpKind::BackwardInput | OpKind::BackwardWeight))
    }

    /// What `op` on global stage `stage` waits for.
    #[inline]
    pub fn inputs(&self, stage: usize, stages: usize, op: Op) -> Inputs {
        with_rules!(*self, |r| r.inputs(stage, stages, op))
    }

    /// The order in which `device` runs its operations, for `stages` stages and
    /// `micro_batches` micro-batches.
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
        if !self.runs(stages, micro_batches) || device >= self.devices(stages) {
            return Vec::new();
        }
        with_rules!(*self, |r| r.order(stages, micro_batches, device))
    }

    /// Positions `i` in `device`'s order where operations `i` and `i + 1`
    /// form an overlapped forward/backward pair (DualPipeV); empty for other
    /// schedules and for inputs [`Schedule::device_order`] rejects.
    pub fn overlapped_pairs(
        &self,
        stages: usize,
        micro_batches: usize,
        device: usize,
    ) -> Vec<usize> {
        if !self.runs(stages, micro_batches) || device >= self.devices(stages) {
            return Vec::new();
        }
        with_rules!(*self, |r| r.overlapped_pairs(stages, micro_batches, device))
    }

    /// Whether the schedule's orders contain overlapped pairs, which
    /// [`PairOverlap`] decides how to run.
    pub fn has_overlapped_pairs(&self) -> bool {
        with_rules!(*self, |r| r.has_overlapped_pairs())
    }

    /// Peak number of micro-batches whose activations each stage holds at
    /// once (forward done, backward not yet done), one entry per global stage.
    ///
    /// 1F1B gives `min(P - k, M)`, GPipe gives `M`.
    pub fn peak_in_flight(&self, stages: usize, micro_batches: usize) -> Vec<usize> {
        if !self.runs(stages, micro_batches) {
            return vec![0; stages];
        }
        with_rules!(*self, |r| r.peak_in_flight(stages, micro_batches))
    }

    /// Whether the rules accept `stages` and `micro_batches`, ignoring the
    /// interleaved `D | M` rule (orders are well defined without it).
    fn runs(&self, stages: usize, micro_batches: usize) -> bool {
        let v = self.virtual_stages();
        stages > 0 && micro_batches > 0 && v > 0 && stages % v == 0
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

    /// Every schedule's rules agree with themselves: placement and
    /// `stage_at` are inverse, orders use only the declared kinds and run
    /// every operation once, every input is an operation some device runs,
    /// and a closed-form in-flight count equals the walked one.
    #[test]
    fn rules_are_consistent() {
        let shapes = [
            (Schedule::GPipe, 5, 7),
            (Schedule::OneFOneB, 6, 4),
            (Schedule::OneFOneB, 3, 9),
            (Schedule::Interleaved { virtual_stages: 1 }, 3, 6),
            (Schedule::Interleaved { virtual_stages: 2 }, 6, 6),
            (Schedule::Interleaved { virtual_stages: 3 }, 6, 4),
        ];
        for (schedule, p, m) in shapes {
            schedule.check(p, m).unwrap();
            let mut run = std::collections::HashSet::new();
            for k in 0..p {
                let at = schedule.placement(k, p);
                assert_eq!(
                    schedule.stage_of(at.device, at.chunk, p),
                    k,
                    "{schedule} stage {k}"
                );
            }
            for d in 0..schedule.devices(p) {
                for op in schedule.device_order(p, m, d) {
                    assert!(schedule.op_kinds().contains(&op.kind));
                    let stage = schedule.stage_of(d, op.chunk, p);
                    assert!(
                        run.insert((stage, op.kind, op.micro_batch)),
                        "{schedule}: {op:?} twice"
                    );
                }
            }
            assert_eq!(run.len(), p * m * schedule.op_kinds().len());
            for &(stage, kind, micro_batch) in &run {
                let op = Op {
                    kind,
                    micro_batch,
                    chunk: schedule.chunk_of(stage, p),
                };
                for dep in schedule.inputs(stage, p, op).as_slice() {
                    assert!(
                        run.contains(&(dep.stage, dep.kind, dep.micro_batch)),
                        "{schedule}: {dep:?}"
                    );
                }
            }
            let orders: Vec<Vec<Op>> = (0..schedule.devices(p))
                .map(|d| schedule.device_order(p, m, d))
                .collect();
            let walked = in_flight_peaks(p, &orders, |d, c| schedule.stage_of(d, c, p));
            assert_eq!(schedule.peak_in_flight(p, m), walked, "{schedule}");
        }
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
