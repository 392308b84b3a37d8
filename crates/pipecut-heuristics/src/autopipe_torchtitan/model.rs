//! The original's vocabulary: its three schedules, its actions, and its
//! inputs with their validation and hardware normalisation
//! (`time = flops / throughput`, `time = bytes / bandwidth`).

use pipecut_core::format::number;

use crate::error::HeuristicError;

/// The schedules the torchtitan partitioner models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TorchtitanSchedule {
    /// `1F1B`: one stage per rank.
    OneFOneB,
    /// `Interleaved1F1B`: several stages per rank, loop placement.
    Interleaved1F1B,
    /// `InterleavedZeroBubble`: interleaved with split backwards.
    InterleavedZeroBubble,
}

impl TorchtitanSchedule {
    /// Every schedule, in the original's order.
    pub const ALL: [TorchtitanSchedule; 3] = [
        TorchtitanSchedule::OneFOneB,
        TorchtitanSchedule::Interleaved1F1B,
        TorchtitanSchedule::InterleavedZeroBubble,
    ];

    /// The original's name (`1F1B`, `Interleaved1F1B`, `InterleavedZeroBubble`).
    pub fn name(self) -> &'static str {
        match self {
            TorchtitanSchedule::OneFOneB => "1F1B",
            TorchtitanSchedule::Interleaved1F1B => "Interleaved1F1B",
            TorchtitanSchedule::InterleavedZeroBubble => "InterleavedZeroBubble",
        }
    }

    /// Parses a name as the original does: trimmed, case-insensitive.
    pub fn parse(text: &str) -> Result<Self, HeuristicError> {
        let lower = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|s| s.name().to_ascii_lowercase() == lower)
            .ok_or_else(|| HeuristicError::TorchtitanInput {
                field: "schedule_type",
                value: format!("'{text}'"),
                reason: "supported values: 1F1B, Interleaved1F1B, InterleavedZeroBubble".into(),
            })
    }

    /// Whether backwards are split into input and weight parts.
    pub(crate) fn zero_bubble(self) -> bool {
        self == TorchtitanSchedule::InterleavedZeroBubble
    }

    /// The original's default stages per rank: 1 for `1F1B`; for the
    /// interleaved schedules 2 when there are at least two layers per rank,
    /// else 1.
    pub fn default_stages_per_rank(self, layers: usize, ranks: usize) -> usize {
        if self == TorchtitanSchedule::OneFOneB || layers < 2 * ranks {
            1
        } else {
            2
        }
    }
}

impl std::fmt::Display for TorchtitanSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind of one action of the original's schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    /// `F`.
    Forward,
    /// `B`: a full backward.
    FullBackward,
    /// `I`: the input-gradient part of a split backward.
    BackwardInput,
    /// `W`: the weight-gradient part of a split backward.
    BackwardWeight,
    /// `SEND_F`: activations to the next stage's rank.
    SendF,
    /// `RECV_F`.
    RecvF,
    /// `SEND_B`: gradients to the previous stage's rank.
    SendB,
    /// `RECV_B`.
    RecvB,
}

impl ActionKind {
    /// The original's label (`F`, `B`, `I`, `W`, `SEND_F`, ...).
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Forward => "F",
            ActionKind::FullBackward => "B",
            ActionKind::BackwardInput => "I",
            ActionKind::BackwardWeight => "W",
            ActionKind::SendF => "SEND_F",
            ActionKind::RecvF => "RECV_F",
            ActionKind::SendB => "SEND_B",
            ActionKind::RecvB => "RECV_B",
        }
    }

    /// Whether it runs on the rank's compute stream (else its communication stream).
    pub fn is_compute(self) -> bool {
        matches!(
            self,
            ActionKind::Forward
                | ActionKind::FullBackward
                | ActionKind::BackwardInput
                | ActionKind::BackwardWeight
        )
    }

    /// `B` or `I`: a backward that produces the previous stage's gradient.
    pub(crate) fn is_input_backward(self) -> bool {
        matches!(self, ActionKind::FullBackward | ActionKind::BackwardInput)
    }
}

/// One action: a kind on a logical stage for a micro-batch. A `RECV_*`
/// names the receiving stage, a `SEND_*` the sending one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Action {
    /// Logical stage.
    pub stage: usize,
    /// What it does.
    pub kind: ActionKind,
    /// Micro-batch.
    pub microbatch: usize,
}

impl Action {
    pub(crate) fn new(stage: usize, kind: ActionKind, microbatch: usize) -> Self {
        Action {
            stage,
            kind,
            microbatch,
        }
    }
}

impl ActionKind {
    /// Number of kinds.
    const COUNT: usize = 8;

    fn index(self) -> usize {
        self as usize
    }
}

/// A dense index over the actions of a schedule (stages x kinds x
/// micro-batches), for sets and maps without hashing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActionIndex {
    stages: usize,
    micro_batches: usize,
}

impl ActionIndex {
    /// An index over the actions whose micro-batches appear in `actions`.
    pub(crate) fn covering<'a>(
        stages: usize,
        actions: impl IntoIterator<Item = &'a Action>,
    ) -> Self {
        let micro_batches = actions
            .into_iter()
            .map(|a| a.microbatch + 1)
            .max()
            .unwrap_or(0);
        ActionIndex {
            stages,
            micro_batches,
        }
    }

    fn len(&self) -> usize {
        self.stages * ActionKind::COUNT * self.micro_batches
    }

    /// `None` for an action outside the index (never seen, never stored).
    fn of(&self, a: &Action) -> Option<usize> {
        (a.stage < self.stages && a.microbatch < self.micro_batches).then(|| {
            (a.stage * ActionKind::COUNT + a.kind.index()) * self.micro_batches + a.microbatch
        })
    }

    pub(crate) fn set(self) -> ActionSet {
        ActionSet {
            bits: vec![false; self.len()],
            index: self,
        }
    }

    pub(crate) fn map(self) -> ActionMap {
        ActionMap {
            values: vec![None; self.len()],
            index: self,
        }
    }
}

/// A set of actions.
pub(crate) struct ActionSet {
    bits: Vec<bool>,
    index: ActionIndex,
}

impl ActionSet {
    pub(crate) fn insert(&mut self, a: Action) {
        if let Some(k) = self.index.of(&a) {
            self.bits[k] = true;
        }
    }

    pub(crate) fn contains(&self, a: &Action) -> bool {
        self.index.of(a).is_some_and(|k| self.bits[k])
    }
}

/// A map from actions to numbers (node ids, steps); a later insert replaces.
pub(crate) struct ActionMap {
    values: Vec<Option<usize>>,
    index: ActionIndex,
}

impl ActionMap {
    pub(crate) fn insert(&mut self, a: Action, value: usize) {
        if let Some(k) = self.index.of(&a) {
            self.values[k] = Some(value);
        }
    }

    pub(crate) fn get(&self, a: &Action) -> Option<usize> {
        self.index.of(a).and_then(|k| self.values[k])
    }
}

/// Communication volume: one number for every boundary, or one per boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum Communication {
    /// The same volume at every boundary.
    Uniform(f64),
    /// One volume per boundary (`N - 1` for layers, `S - 1` for stages).
    PerBoundary(Vec<f64>),
}

impl Default for Communication {
    /// No communication (the original's `auto_partition` default).
    fn default() -> Self {
        Communication::Uniform(0.0)
    }
}

/// Rejects a negative or non-finite amount (the original's
/// "must be >= 0"; it takes integers, this reproduction any finite number).
pub(crate) fn check_amount(value: f64, field: &'static str) -> Result<(), HeuristicError> {
    if value.is_finite() && value >= 0.0 {
        return Ok(());
    }
    Err(HeuristicError::TorchtitanInput {
        field,
        value: number(value),
        reason: "must be finite and >= 0".into(),
    })
}

pub(crate) fn check_amounts(values: &[f64], field: &'static str) -> Result<(), HeuristicError> {
    values.iter().try_for_each(|&v| check_amount(v, field))
}

/// The original's "must be > 0" for throughput and bandwidth.
pub(crate) fn check_positive(value: f64, field: &'static str) -> Result<(), HeuristicError> {
    if value.is_finite() && value > 0.0 {
        return Ok(());
    }
    Err(HeuristicError::TorchtitanInput {
        field,
        value: number(value),
        reason: "must be finite and > 0".into(),
    })
}

pub(crate) fn length_error(field: &'static str, got: usize, want: usize) -> HeuristicError {
    HeuristicError::TorchtitanInput {
        field,
        value: format!("a list of {got}"),
        reason: format!("must have {want} entries"),
    }
}

/// An input the original rejects: `field` holds the count `value`.
pub(crate) fn invalid(field: &'static str, value: usize, reason: String) -> HeuristicError {
    HeuristicError::TorchtitanInput {
        field,
        value: value.to_string(),
        reason,
    }
}

/// The original's "must be positive" for the micro-batch count.
pub(crate) fn check_micro_batches(n_microbatches: usize) -> Result<(), HeuristicError> {
    if n_microbatches == 0 {
        return Err(invalid("n_microbatches", 0, "must be positive".into()));
    }
    Ok(())
}

/// Physical ranks must be in `[1, stages]`, one stage or more each.
pub(crate) fn check_ranks(ranks: usize, stages: usize) -> Result<(), HeuristicError> {
    if ranks == 0 || ranks > stages {
        return Err(invalid(
            "pp_group_size",
            ranks,
            format!("must be in [1, {stages}]"),
        ));
    }
    Ok(())
}

/// The optional backward-input and backward-weight lists, when given, hold
/// one amount per entry of the `n` layers or stages.
pub(crate) fn check_backward_splits(
    input: &Option<Vec<f64>>,
    weight: &Option<Vec<f64>>,
    n: usize,
) -> Result<(), HeuristicError> {
    for (field, split) in [
        ("backward_input_flops", input),
        ("backward_weight_flops", weight),
    ] {
        if let Some(v) = split {
            if v.len() != n {
                return Err(length_error(field, v.len(), n));
            }
            check_amounts(v, field)?;
        }
    }
    Ok(())
}

/// The original's split of a stage's backward into input and weight parts,
/// in FLOPs: neither given, `I = floor(B / 2)` and `W = B - I`; one given,
/// the other is the rest of `B`; both given, taken as they are. A negative
/// part is an error.
pub(crate) fn backward_split(
    backward: &[f64],
    input: Option<&[f64]>,
    weight: Option<&[f64]>,
) -> Result<(Vec<f64>, Vec<f64>), HeuristicError> {
    let (i, w): (Vec<f64>, Vec<f64>) = match (input, weight) {
        (None, None) => backward
            .iter()
            .map(|&b| {
                let i = (b / 2.0).floor();
                (i, b - i)
            })
            .unzip(),
        (None, Some(w)) => (
            backward.iter().zip(w).map(|(b, w)| b - w).collect(),
            w.to_vec(),
        ),
        (Some(i), None) => (
            i.to_vec(),
            backward.iter().zip(i).map(|(b, i)| b - i).collect(),
        ),
        (Some(i), Some(w)) => (i.to_vec(), w.to_vec()),
    };
    if let Some(k) = (0..i.len()).find(|&k| i[k] < 0.0 || w[k] < 0.0) {
        return Err(HeuristicError::TorchtitanInput {
            field: "backward_input_flops/backward_weight_flops",
            value: format!("({}, {}) at stage {k}", number(i[k]), number(w[k])),
            reason: "backward split FLOPs must be non-negative".into(),
        });
    }
    Ok((i, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_like_the_original() {
        for s in TorchtitanSchedule::ALL {
            assert_eq!(
                TorchtitanSchedule::parse(&format!("  {} ", s.name().to_uppercase())).unwrap(),
                s
            );
        }
        let err = TorchtitanSchedule::parse("GPipe").unwrap_err().to_string();
        assert!(err.contains("'GPipe'"), "{err}");
    }

    #[test]
    fn default_split_floors_the_input_half() {
        let (i, w) = backward_split(&[7.0, 8.0, 0.0], None, None).unwrap();
        assert_eq!(i, [3.0, 4.0, 0.0]);
        assert_eq!(w, [4.0, 4.0, 0.0]);
        let (i, w) = backward_split(&[7.0], None, Some(&[5.0])).unwrap();
        assert_eq!((i[0], w[0]), (2.0, 5.0));
        assert!(backward_split(&[7.0], Some(&[9.0]), None).is_err());
    }

    #[test]
    fn default_stages_per_rank_rule() {
        use TorchtitanSchedule::*;
        assert_eq!(OneFOneB.default_stages_per_rank(100, 4), 1);
        assert_eq!(Interleaved1F1B.default_stages_per_rank(8, 4), 2);
        assert_eq!(InterleavedZeroBubble.default_stages_per_rank(7, 4), 1);
    }
}
