//! The original's lowering of a compute schedule into compute plus
//! communication: rounds over the ranks in order; a rank whose next slot is
//! ready takes it (an empty slot is always ready and leaves nothing), and a
//! compute action crossing to another rank appends its `SEND_*` to its own
//! list and the matching `RECV_*` to the peer's list at once. The order of
//! the `SEND`/`RECV` entries in each list is what the timing graph
//! serialises on the rank's communication stream.

use std::collections::VecDeque;

use super::compute_schedule::{RankSlots, Shape};
use super::model::{Action, ActionIndex, ActionKind, ActionSet};
use crate::error::HeuristicError;

/// Whether `a` sends to another rank, and if so its (send, receive) pair.
pub(crate) fn comms_of(a: &Action, shape: &Shape) -> Option<(Action, Action)> {
    let rank = shape.rank_of(a.stage);
    let (send, recv, peer) = match a.kind {
        ActionKind::Forward if a.stage + 1 < shape.stages => {
            (ActionKind::SendF, ActionKind::RecvF, a.stage + 1)
        }
        k if k.is_input_backward() && a.stage > 0 => {
            (ActionKind::SendB, ActionKind::RecvB, a.stage - 1)
        }
        _ => return None,
    };
    (shape.rank_of(peer) != rank).then(|| {
        (
            Action::new(a.stage, send, a.microbatch),
            Action::new(peer, recv, a.microbatch),
        )
    })
}

/// The lowering's readiness test, against what `rank` has already listed.
/// Every action is only ever listed on the rank of its stage, so "listed on
/// `rank`" is "listed, and its stage is on `rank`".
fn ready(slot: &Option<Action>, rank: usize, seen: &ActionSet, shape: &Shape) -> bool {
    let Some(a) = slot else {
        return true;
    };
    let has = |stage: usize, kind| {
        shape.rank_of(stage) == rank && seen.contains(&Action::new(stage, kind, a.microbatch))
    };
    match a.kind {
        ActionKind::Forward if a.stage != 0 => {
            has(a.stage, ActionKind::RecvF) || has(a.stage - 1, ActionKind::Forward)
        }
        k if k.is_input_backward() && a.stage != shape.stages - 1 => {
            has(a.stage, ActionKind::RecvB)
                || has(a.stage + 1, ActionKind::BackwardInput)
                || has(a.stage + 1, ActionKind::FullBackward)
        }
        _ => true,
    }
}

/// Lowers `compute` (one aligned list per rank) into one action list per
/// rank with the SEND/RECV actions inserted.
pub(crate) fn add_send_recv(
    shape: &Shape,
    compute: &[RankSlots],
) -> Result<Vec<Vec<Action>>, HeuristicError> {
    let ranks = compute.len();
    let mut lists: Vec<Vec<Action>> = vec![Vec::new(); ranks];
    let mut seen = ActionIndex::covering(shape.stages, compute.iter().flatten().flatten()).set();
    let mut pending: Vec<VecDeque<Option<Action>>> = compute
        .iter()
        .map(|slots| slots.iter().copied().collect())
        .collect();
    if pending.iter().any(VecDeque::is_empty) {
        return Err(shape.error("a rank has no actions"));
    }
    while pending.iter().any(|p| !p.is_empty()) {
        let mut progress = false;
        for rank in 0..ranks {
            let Some(slot) = pending[rank].front().copied() else {
                continue;
            };
            if !ready(&slot, rank, &seen, shape) {
                continue;
            }
            if let Some(a) = slot {
                lists[rank].push(a);
                seen.insert(a);
                if let Some((send, recv)) = comms_of(&a, shape) {
                    lists[rank].push(send);
                    seen.insert(send);
                    let peer = shape.rank_of(recv.stage);
                    lists[peer].push(recv);
                    seen.insert(recv);
                }
            }
            pending[rank].pop_front();
            progress = true;
        }
        if !progress {
            return Err(shape.error("malformed schedule: adding SEND/RECV makes no progress"));
        }
    }
    Ok(lists)
}

#[cfg(test)]
mod tests {
    use super::super::compute_schedule::build;
    use super::super::model::TorchtitanSchedule;
    use super::*;

    #[test]
    fn receives_are_listed_when_the_sender_runs() {
        // Printed by the original's `_add_send_recv`.
        let shape = Shape {
            schedule: TorchtitanSchedule::OneFOneB,
            stages: 2,
            ranks: 2,
            micro_batches: 2,
        };
        let lists = add_send_recv(&shape, &build(&shape).unwrap()).unwrap();
        let text = |l: &[Action]| {
            l.iter()
                .map(|a| format!("{}{}", a.kind.label(), a.microbatch))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            text(&lists[0]),
            "F0 SEND_F0 F1 SEND_F1 RECV_B0 B0 RECV_B1 B1"
        );
        assert_eq!(
            text(&lists[1]),
            "RECV_F0 F0 RECV_F1 B0 SEND_B0 F1 B1 SEND_B1"
        );
    }
}
