//! The original's aligned compute schedules: per rank, a list of compute
//! actions and empty slots (`None`). The slots matter: the communication
//! lowering walks the ranks one slot per round, so they decide the order of
//! each rank's SEND/RECV stream.
//!
//! - `1F1B`: rank `r` idles `r` slots, runs `P - 1 - r` warm-up forwards,
//!   idles `P - 1 - r` slots, alternates `F`, `B`, and drains the remaining
//!   backwards each after one empty slot.
//! - interleaved: the 1F1B rank builder over local stages taken
//!   `micro-batches per round` at a time, forwards in chunk order and
//!   backwards in reverse; warm-up `(v - 1) * round + k * (P - 1 - r)`
//!   with `k = 2` (`Interleaved1F1B`) or `k = 1` (zero bubble, which also
//!   splits backwards into `I` and delayed `W` and then inserts bubbles
//!   before forwards whose input is not yet produced).

use super::model::{Action, ActionIndex, ActionKind, ActionSet, TorchtitanSchedule};
use crate::error::HeuristicError;

/// One rank's aligned actions.
pub type RankSlots = Vec<Option<Action>>;

/// The schedule's shape: what the original validates before building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub schedule: TorchtitanSchedule,
    pub stages: usize,
    pub ranks: usize,
    pub micro_batches: usize,
}

impl Shape {
    pub(crate) fn error(&self, reason: &'static str) -> HeuristicError {
        HeuristicError::TorchtitanSchedule {
            schedule: self.schedule.name(),
            ranks: self.ranks,
            stages: self.stages,
            micro_batches: self.micro_batches,
            reason,
        }
    }

    pub(crate) fn rank_of(&self, stage: usize) -> usize {
        stage % self.ranks
    }
}

/// Builds the aligned compute schedule, one list per rank, or the error the
/// original raises for this shape.
pub fn compute_schedule(
    schedule: TorchtitanSchedule,
    stages: usize,
    ranks: usize,
    micro_batches: usize,
) -> Result<Vec<RankSlots>, HeuristicError> {
    let shape = Shape {
        schedule,
        stages,
        ranks,
        micro_batches,
    };
    build(&shape)
}

pub(crate) fn build(shape: &Shape) -> Result<Vec<RankSlots>, HeuristicError> {
    if shape.ranks == 0 || shape.micro_batches == 0 {
        return Err(shape.error("ranks and micro-batches must be positive"));
    }
    match shape.schedule {
        TorchtitanSchedule::OneFOneB => one_f_one_b(shape),
        _ => interleaved(shape),
    }
}

fn one_f_one_b(shape: &Shape) -> Result<Vec<RankSlots>, HeuristicError> {
    let (p, m) = (shape.ranks, shape.micro_batches);
    if p != shape.stages {
        return Err(shape.error("1F1B simulation assumes one stage per rank"));
    }
    if m < p {
        return Err(shape.error("1F1B requires n_microbatches >= pp_group_size"));
    }
    let action = |r, kind, mb| Some(Action::new(r, kind, mb));
    let schedule = (0..p)
        .map(|r| {
            let warm = p - 1 - r;
            let mut slots: RankSlots = vec![None; r];
            slots.extend((0..warm).map(|mb| action(r, ActionKind::Forward, mb)));
            slots.extend(std::iter::repeat_n(None, warm));
            for k in 0..m - warm {
                slots.push(action(r, ActionKind::Forward, warm + k));
                slots.push(action(r, ActionKind::FullBackward, k));
            }
            for mb in m - warm..m {
                slots.push(None);
                slots.push(action(r, ActionKind::FullBackward, mb));
            }
            slots
        })
        .collect();
    Ok(schedule)
}

/// What one rank of an interleaved schedule needs.
struct RankPlan {
    rank: usize,
    ranks: usize,
    local_stages: usize,
    per_round: usize,
    warmup: usize,
    steady: usize,
    cooldown: usize,
    zero_bubble: bool,
}

impl RankPlan {
    fn forward_stage(&self, op: usize) -> usize {
        ((op / self.per_round) % self.local_stages) * self.ranks + self.rank
    }

    fn backward_stage(&self, op: usize) -> usize {
        let local =
            self.local_stages - 1 - ((op - self.warmup) / self.per_round) % self.local_stages;
        local * self.ranks + self.rank
    }
}

fn interleaved(shape: &Shape) -> Result<Vec<RankSlots>, HeuristicError> {
    let (p, s, m) = (shape.ranks, shape.stages, shape.micro_batches);
    if s % p != 0 || s == 0 {
        return Err(shape.error("num_stages must be a positive multiple of pp_group_size"));
    }
    let local_stages = s / p;
    let rounds = (m / p).max(1);
    let per_round = m / rounds;
    if m % rounds != 0 {
        return Err(shape.error("n_microbatches must be divisible by number_of_rounds = max(1, n_microbatches div pp_group_size)"));
    }
    let zero_bubble = shape.schedule.zero_bubble();
    let factor = if zero_bubble { 1 } else { 2 };
    let ops = local_stages * m;
    let mut schedule: Vec<RankSlots> = (0..p)
        .map(|rank| {
            let warmup = ((local_stages - 1) * per_round + factor * (p - 1 - rank)).min(ops);
            let plan = RankPlan {
                rank,
                ranks: p,
                local_stages,
                per_round,
                warmup,
                steady: ops - warmup,
                cooldown: warmup,
                zero_bubble,
            };
            rank_ops(&plan, s)
        })
        .collect();
    if zero_bubble {
        schedule = add_zero_bubble_bubbles(shape, &schedule)?;
    }
    Ok(schedule)
}

/// Per-stage micro-batch counters for one kind of action.
struct Counters(Vec<usize>);

impl Counters {
    fn next(&mut self, stage: usize) -> usize {
        let mb = self.0[stage];
        self.0[stage] += 1;
        mb
    }
}

/// The original's rank builder: warm-up forwards, a hold, forward/backward
/// pairs, cool-down backwards; for zero bubble, a `W` after each backward
/// once `rank` backwards are in flight, and the rest at the end.
fn rank_ops(plan: &RankPlan, stages: usize) -> RankSlots {
    let (rank, p) = (plan.rank, plan.ranks);
    let mut fwd = Counters(vec![0; stages]);
    let mut bwd = Counters(vec![0; stages]);
    let mut wgt = Counters(vec![0; stages]);
    let mut slots: RankSlots = vec![None; rank];
    let hold = if plan.zero_bubble {
        p - rank - 1
    } else {
        (plan.local_stages * p + 2 * (p - 1 - rank)).saturating_sub(plan.warmup + rank)
    };
    let backward_kind = if plan.zero_bubble {
        ActionKind::BackwardInput
    } else {
        ActionKind::FullBackward
    };
    let mut backward_ops: Vec<usize> = Vec::new();
    let mut weights_done = 0;
    let mut push_weight = |slots: &mut RankSlots, backward_ops: &[usize], done: &mut usize| {
        let stage = plan.backward_stage(backward_ops[*done]);
        slots.push(Some(Action::new(
            stage,
            ActionKind::BackwardWeight,
            wgt.next(stage),
        )));
        *done += 1;
    };
    let total = plan.warmup + plan.steady + plan.cooldown;
    for op in 0..total {
        let steady = op >= plan.warmup && op < plan.warmup + plan.steady;
        if op < plan.warmup || steady {
            let stage = plan.forward_stage(op);
            slots.push(Some(Action::new(
                stage,
                ActionKind::Forward,
                fwd.next(stage),
            )));
            if op + 1 == plan.warmup {
                slots.extend(std::iter::repeat_n(None, hold));
            }
            if !steady {
                continue;
            }
        } else if !plan.zero_bubble {
            slots.push(None);
        }
        let stage = plan.backward_stage(op);
        slots.push(Some(Action::new(stage, backward_kind, bwd.next(stage))));
        backward_ops.push(op);
        if plan.zero_bubble && op - plan.warmup >= rank {
            push_weight(&mut slots, &backward_ops, &mut weights_done);
        }
    }
    while plan.zero_bubble && weights_done < backward_ops.len() {
        push_weight(&mut slots, &backward_ops, &mut weights_done);
    }
    slots
}

/// Whether the original's bubble pass holds this action back: a forward
/// until the previous stage's forward of the micro-batch ran in an earlier
/// step, a full backward until the next stage's (or, on the last stage, its
/// own forward). Split backwards and weights never wait here.
fn needs_bubble(a: &Action, stages: usize, seen: &ActionSet) -> bool {
    match a.kind {
        ActionKind::Forward => {
            a.stage != 0 && !seen.contains(&Action::new(a.stage - 1, a.kind, a.microbatch))
        }
        ActionKind::FullBackward if a.stage == stages - 1 => {
            !seen.contains(&Action::new(a.stage, ActionKind::Forward, a.microbatch))
        }
        ActionKind::FullBackward => !seen.contains(&Action::new(a.stage + 1, a.kind, a.microbatch)),
        _ => false,
    }
}

/// The zero-bubble pass: step by step, each rank either takes its next slot
/// or, when that action must wait, idles; what ran in a step becomes visible
/// in the next. The original loops forever when no rank can move; this
/// returns an error instead.
fn add_zero_bubble_bubbles(
    shape: &Shape,
    actions: &[RankSlots],
) -> Result<Vec<RankSlots>, HeuristicError> {
    let index = ActionIndex::covering(shape.stages, actions.iter().flatten().flatten());
    let mut seen = index.set();
    let mut result: Vec<RankSlots> = vec![Vec::new(); actions.len()];
    let mut next = vec![0usize; actions.len()];
    loop {
        let mut ran: Vec<Action> = Vec::new();
        let (mut active, mut moved) = (false, false);
        for (rank, list) in actions.iter().enumerate() {
            let Some(&slot) = list.get(next[rank]) else {
                continue;
            };
            active = true;
            match slot {
                Some(a) if needs_bubble(&a, shape.stages, &seen) => result[rank].push(None),
                _ => {
                    result[rank].push(slot);
                    ran.extend(slot);
                    next[rank] += 1;
                    moved = true;
                }
            }
        }
        if !active {
            return Ok(result);
        }
        if !moved {
            return Err(shape.error("the zero-bubble bubble pass cannot make progress"));
        }
        ran.into_iter().for_each(|a| seen.insert(a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(slots: &RankSlots) -> String {
        slots
            .iter()
            .map(|s| match s {
                None => "-".to_string(),
                Some(a) => format!("s{}{}{}", a.stage, a.kind.label(), a.microbatch),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn one_f_one_b_two_ranks() {
        let s = compute_schedule(TorchtitanSchedule::OneFOneB, 2, 2, 3).unwrap();
        assert_eq!(labels(&s[0]), "s0F0 - s0F1 s0B0 s0F2 s0B1 - s0B2");
        assert_eq!(labels(&s[1]), "- s1F0 s1B0 s1F1 s1B1 s1F2 s1B2");
    }

    #[test]
    fn one_f_one_b_needs_enough_micro_batches() {
        let err = compute_schedule(TorchtitanSchedule::OneFOneB, 4, 4, 3).unwrap_err();
        assert!(
            err.to_string().contains("n_microbatches >= pp_group_size"),
            "{err}"
        );
    }

    #[test]
    fn interleaved_orders_match_the_original() {
        // Printed by the original's `generate_compute_schedule`.
        let cases: [(TorchtitanSchedule, usize, usize, usize, &[&str]); 3] = [
            (TorchtitanSchedule::Interleaved1F1B, 2, 1, 1, &["s0F0 - s1F0 s1B0 - s0B0"]),
            (
                TorchtitanSchedule::InterleavedZeroBubble,
                4,
                2,
                2,
                &[
                    "s0F0 s0F1 s2F0 - s2F1 s2I0 s2W0 s2I1 s2W1 s0I0 s0W0 s0I1 s0W1",
                    "- s1F0 s1F1 s3F0 s3I0 s3F1 s3I1 s3W0 s1I0 s3W1 s1I1 s1W0 s1W1",
                ],
            ),
            (
                TorchtitanSchedule::Interleaved1F1B,
                4,
                2,
                4,
                &[
                    "s0F0 s0F1 s2F0 s2F1 - - s0F2 s2B0 s0F3 s2B1 s2F2 s0B0 s2F3 s0B1 - s2B2 - s2B3 - s0B2 - s0B3",
                    "- s1F0 s1F1 - s3F0 s3B0 s3F1 s3B1 s1F2 s1B0 s1F3 s1B1 s3F2 s3B2 s3F3 s3B3 - s1B2 - s1B3",
                ],
            ),
        ];
        for (schedule, stages, ranks, m, want) in cases {
            let got = compute_schedule(schedule, stages, ranks, m).unwrap();
            let got: Vec<String> = got.iter().map(labels).collect();
            assert_eq!(got, want, "{schedule} S={stages} P={ranks} M={m}");
        }
    }
}
