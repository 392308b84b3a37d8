//! The original's clocked dry run of the lowered schedule, which numbers
//! every action with a discrete step, and the steady phase read from it:
//! from the first step holding a backward (`B` or `I`) to the last step
//! holding a forward.
//!
//! Each step, ranks in order take their next action if it is ready (what
//! lower ranks took this step already counts) or idle; a second pass lets a
//! rank that idled take its action if a later rank unblocked it in the same
//! step.

use std::collections::VecDeque;

use super::compute_schedule::Shape;
use super::model::{Action, ActionIndex, ActionKind, ActionMap, ActionSet};
use crate::error::HeuristicError;

/// The steps of a lowered schedule.
pub(crate) struct AlignedSteps {
    /// Step of every action.
    pub step_of: ActionMap,
    /// Inclusive steady-phase window.
    pub steady: (usize, usize),
}

/// What each rank has run so far. Every action runs on the rank of its
/// stage, so "run on rank `r`" is "run, and its stage is on `r`".
struct DryRun<'a> {
    shape: &'a Shape,
    seen: ActionSet,
}

impl DryRun<'_> {
    fn on(&self, rank: usize, stage: usize, kind: ActionKind, mb: usize) -> bool {
        self.shape.rank_of(stage) == rank && self.seen.contains(&Action::new(stage, kind, mb))
    }

    /// The original's test: against what the rank of `a`'s stage has run,
    /// and for a receive, against what the sender's rank has run.
    fn ready(&self, a: &Action) -> bool {
        let (s, mb, last) = (a.stage, a.microbatch, self.shape.stages - 1);
        let own = self.shape.rank_of(s);
        let has = |stage, kind| self.on(own, stage, kind, mb);
        match a.kind {
            ActionKind::Forward => {
                s == 0 || has(s, ActionKind::RecvF) || has(s - 1, ActionKind::Forward)
            }
            ActionKind::FullBackward | ActionKind::BackwardInput => {
                s == last
                    || has(s, ActionKind::RecvB)
                    || has(s + 1, ActionKind::BackwardInput)
                    || has(s + 1, ActionKind::FullBackward)
            }
            ActionKind::BackwardWeight => true,
            ActionKind::SendF => has(s, ActionKind::Forward),
            ActionKind::RecvF => {
                s > 0 && self.on(self.shape.rank_of(s - 1), s - 1, ActionKind::SendF, mb)
            }
            ActionKind::SendB => {
                has(s, ActionKind::BackwardInput) || has(s, ActionKind::FullBackward)
            }
            ActionKind::RecvB => {
                s < last && self.on(self.shape.rank_of(s + 1), s + 1, ActionKind::SendB, mb)
            }
        }
    }

    fn take(&mut self, a: Action) {
        self.seen.insert(a);
    }
}

/// Runs the dry run over `lists` (the lowered schedule) and reads the steps.
pub(crate) fn aligned_steps(
    shape: &Shape,
    lists: &[Vec<Action>],
) -> Result<AlignedSteps, HeuristicError> {
    let ranks = lists.len();
    let mut pending: Vec<VecDeque<Action>> =
        lists.iter().map(|l| l.iter().copied().collect()).collect();
    let mut simulated: Vec<Vec<Option<Action>>> = vec![Vec::new(); ranks];
    let index = ActionIndex::covering(shape.stages, lists.iter().flatten());
    let mut run = DryRun {
        shape,
        seen: index.set(),
    };
    while pending.iter().any(|p| !p.is_empty()) {
        let mut progress = false;
        for rank in 0..ranks {
            let Some(&a) = pending[rank].front() else {
                continue;
            };
            if run.ready(&a) {
                simulated[rank].push(Some(a));
                run.take(a);
                pending[rank].pop_front();
                progress = true;
            } else {
                simulated[rank].push(None);
            }
        }
        for rank in 0..ranks {
            let idled = matches!(simulated[rank].last(), Some(None));
            let Some(&a) = pending[rank].front() else {
                continue;
            };
            if idled && run.ready(&a) {
                *simulated[rank].last_mut().expect("idled implies a slot") = Some(a);
                run.take(a);
                pending[rank].pop_front();
            }
        }
        if !progress {
            return Err(shape.error("the communication schedule is not progressing"));
        }
    }
    Ok(read_steps(&simulated, index))
}

fn read_steps(simulated: &[Vec<Option<Action>>], index: ActionIndex) -> AlignedSteps {
    let total = simulated.iter().map(Vec::len).max().unwrap_or(0);
    let mut step_of = index.map();
    let (mut first_backward, mut last_forward) = (None, None);
    for step in 0..total {
        for list in simulated {
            let Some(Some(a)) = list.get(step) else {
                continue;
            };
            if first_backward.is_none() && a.kind.is_input_backward() {
                first_backward = Some(step);
            }
            if a.kind == ActionKind::Forward {
                last_forward = Some(step);
            }
            step_of.insert(*a, step);
        }
    }
    let steady = match (first_backward, last_forward) {
        (Some(b), Some(f)) if b > f => (b, b),
        (Some(b), Some(f)) => (b, f),
        _ => (0, total.saturating_sub(1)),
    };
    AlignedSteps { step_of, steady }
}
