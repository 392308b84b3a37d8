//! `autopipe-torchtitan`: the schedule-aware rewrite of AutoPipe that
//! torchtitan's autopartition experiment calls (its
//! `experiments/autopartition/infra/_partition.py`, `auto_partition`),
//! reproduced with its own evaluation model, the way
//! [`autopipe-reference`](crate::autopipe_reference) reproduces the C++ one.
//!
//! 1. **Inputs** ([`LayerInputs`]): per-layer forward and backward FLOPs,
//!    device throughput and network bandwidth (`time = FLOPs / throughput`,
//!    `time = bytes / bandwidth`), communication as one volume or one per
//!    layer boundary, physical ranks, micro-batches, the schedule
//!    ([`TorchtitanSchedule`]: `1F1B`, `Interleaved1F1B`,
//!    `InterleavedZeroBubble`), stages per rank (default: 1 for `1F1B`, else
//!    2 when there are at least two layers per rank), optional backward-input
//!    / backward-weight FLOPs (default, per stage: `I = floor(B / 2)`,
//!    `W = B - I`).
//! 2. **Baseline** ([`autopipe_torchtitan_baseline`]): the compute-balanced
//!    min-max DP over all logical stages (file `dp`).
//! 3. **Simulator** ([`iteration_time`]): the aligned per-rank compute
//!    schedule with the zero-bubble bubble pass (`compute_schedule`), SEND and
//!    RECV actions on a per-rank communication stream (`comm_lowering`), the
//!    timing graph, the iteration time and one critical path
//!    (`action_graph`), and the steady phase from a clocked dry run
//!    (`aligned_steps`); `simulation` ties them together.
//! 4. **Search** ([`autopipe_torchtitan_search`], file `search`): the
//!    steady-phase critical stage, at most two neighbours per partition,
//!    breadth-first, enqueueing only when the critical stage does not move
//!    right, the best simulated partition winning; every tie-break as the
//!    original has it.
//!
//! **Deviations.** The original takes integer FLOPs and bytes; this takes
//! any finite non-negative numbers and does the same floating-point
//! operations in the same order, so on integers below 2^53 the results are
//! identical. Where the original would loop forever (a zero-bubble bubble
//! pass that cannot move) this returns an error, and it requires the
//! optional split lists to have exactly one entry per layer. One DP table
//! over the whole chain answers every prefix re-split (a prefix's table is
//! its top-left corner), each cell bisects for the start the original's
//! scan finds, and the schedule, its lowering and its graph are built once
//! per search: the same results, far fewer operations.
//!
//! **The partitioner** ([`AutoPipeTorchtitan`]) maps a [`Problem`] onto these
//! inputs: times as FLOPs with throughput 1, each boundary's transfer time
//! ([`Problem::boundary_time`]) as its volume with bandwidth 1, ranks = the
//! problem's devices, stages per rank = its virtual stages, the layers'
//! `backward_weight` when set. Speeds and memory are ignored, as the
//! original ignores them. Where the original raises (1F1B with fewer
//! micro-batches than ranks) it returns the original's DP baseline, with a
//! note.
//!
//! ```
//! use pipecut_heuristics::autopipe_torchtitan::{autopipe_torchtitan_search, LayerInputs, TorchtitanSchedule};
//! let f = vec![10.0, 20.0, 30.0, 15.0, 25.0, 35.0, 45.0, 40.0];
//! let inputs = LayerInputs::new(TorchtitanSchedule::OneFOneB, f.clone(), f, 4, 8);
//! let found = autopipe_torchtitan_search(&inputs)?;
//! // As the original: the DP baseline, then one better neighbour.
//! assert_eq!(found.base_starts, [0, 3, 6, 7]);
//! assert_eq!(found.best_starts, [0, 4, 6, 7]);
//! assert_eq!((found.base_iteration_time, found.best_iteration_time), (1390.0, 1375.0));
//! assert_eq!(found.explored_candidates, 3);
//! # Ok::<(), pipecut_heuristics::HeuristicError>(())
//! ```

mod action_graph;
mod aligned_steps;
mod comm_lowering;
mod compute_schedule;
mod dp;
mod model;
mod search;
mod simulation;

pub use compute_schedule::{compute_schedule, RankSlots};
pub use model::{Action, ActionKind, Communication, TorchtitanSchedule};
pub use search::{
    autopipe_torchtitan_baseline, autopipe_torchtitan_search, LayerInputs, TorchtitanSearch,
};
pub use simulation::{iteration_time, Simulation, StageInputs, SteadyCriticalStage, TimedAction};

use pipecut_core::format::number;
use pipecut_core::{Objective, Partition, Partitioner, Problem, Result, Schedule, Solution};

use crate::error::HeuristicError;
use crate::uniform_partition;

/// The schedules it models, for error messages.
const SUPPORTED: &str = "1f1b, interleaved-1f1b and interleaved-zero-bubble";

/// `autopipe-torchtitan`: the reproduction of torchtitan's schedule-aware
/// AutoPipe, see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoPipeTorchtitan;

impl AutoPipeTorchtitan {
    /// Name on the command line.
    pub const NAME: &'static str = "autopipe-torchtitan";
    /// What it does.
    pub const DESCRIPTION: &'static str = "the reproduction of torchtitan's schedule-aware AutoPipe (autopartition _partition.py): F+B DP, its own action-graph simulator, steady-phase critical-stage BFS; 1f1b, interleaved-1f1b, interleaved-zero-bubble";
}

/// The original's schedule, ranks and stages per rank for `schedule` on `stages` stages.
fn torchtitan_schedule(
    schedule: Schedule,
    stages: usize,
) -> Result<(TorchtitanSchedule, usize, usize), HeuristicError> {
    match schedule {
        Schedule::OneFOneB => Ok((TorchtitanSchedule::OneFOneB, stages, 1)),
        Schedule::Interleaved1F1B { virtual_stages: v } => {
            Ok((TorchtitanSchedule::Interleaved1F1B, stages / v, v))
        }
        Schedule::InterleavedZeroBubble { virtual_stages: v } => {
            Ok((TorchtitanSchedule::InterleavedZeroBubble, stages / v, v))
        }
        other => Err(HeuristicError::UnsupportedSchedule {
            algorithm: AutoPipeTorchtitan::NAME,
            schedule: other.to_string(),
            supported: SUPPORTED,
        }),
    }
}

/// The original's inputs for `problem` (see the module docs), or the
/// unsupported-schedule error.
pub fn layer_inputs(problem: &Problem) -> Result<LayerInputs, HeuristicError> {
    let (schedule, ranks, per_rank) = torchtitan_schedule(problem.schedule(), problem.stages())?;
    let chain = problem.chain();
    let n = chain.len();
    let communication = match problem.link() {
        None => Communication::Uniform(0.0),
        Some(_) => {
            Communication::PerBoundary((0..n - 1).map(|l| problem.boundary_time(l)).collect())
        }
    };
    let layers = chain.layers();
    // Layers without a stated split get the original's per-layer default.
    let weights = layers.iter().any(|l| l.backward_weight.is_some()).then(|| {
        layers
            .iter()
            .map(|l| {
                l.backward_weight
                    .unwrap_or(l.backward - (l.backward / 2.0).floor())
            })
            .collect()
    });
    Ok(LayerInputs {
        communication_volume: communication,
        virtual_stages_per_rank: Some(per_rank),
        backward_weight_flops: weights,
        ..LayerInputs::new(
            schedule,
            chain.forwards(),
            chain.backwards(),
            ranks,
            problem.micro_batches(),
        )
    })
}

/// Notes on what the mapping leaves out.
fn ignored_inputs(problem: &Problem) -> Vec<String> {
    let mut notes = Vec::new();
    if problem.speeds().is_some() {
        notes.push("per-stage speeds ignored: the original models identical devices".to_string());
    }
    if problem.memory_capacity().is_some() {
        notes.push("memory capacity ignored: the original does not model memory".to_string());
    }
    let chain = problem.chain();
    let fractional = chain.layers().iter().any(|l| l.backward.fract() != 0.0);
    if matches!(problem.schedule(), Schedule::InterleavedZeroBubble { .. })
        && !chain.layers().iter().any(|l| l.backward_weight.is_some())
        && fractional
    {
        notes.push(
            "no layer states backward_weight: the original splits each stage's backward as I = floor(B / 2), which on times that are not whole numbers leaves little or nothing to I; state backward_weight or use integer units"
                .to_string(),
        );
    }
    notes
}

impl Partitioner for AutoPipeTorchtitan {
    pipecut_core::partitioner_names!();
    fn solve(&self, problem: &Problem) -> Result<Solution> {
        let inputs = layer_inputs(problem).map_err(|e| e.into_core(Self::NAME))?;
        let n = problem.layers();
        let mut notes = ignored_inputs(problem);
        let starts = match autopipe_torchtitan_search(&inputs) {
            Ok(found) => {
                notes.insert(
                    0,
                    format!(
                        "objective: the original's own simulator ({}, {} ranks x {} stages, M = {}): DP baseline {} -> {} after {} simulations",
                        inputs.schedule,
                        inputs.pp_group_size,
                        found.stages_per_rank,
                        inputs.n_microbatches,
                        number(found.base_iteration_time),
                        number(found.best_iteration_time),
                        found.explored_candidates
                    ),
                );
                found.best_starts
            }
            Err(error) => {
                match autopipe_torchtitan_baseline(&inputs) {
                    Ok(base) => {
                        notes.insert(0, format!("the original raises ({error}); this is its DP baseline, unsimulated"));
                        base
                    }
                    Err(_) => {
                        notes.insert(0, format!("the original raises ({error}) before its DP baseline; this is the uniform split"));
                        uniform_partition(problem).into_starts()
                    }
                }
            }
        };
        let partition = Partition::new(starts, n)?;
        Ok(Solution::heuristic(partition, Objective::StepTime).with_notes(notes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::ProblemSpec;
    use pipecut_testkit::{problem, uniform};

    #[test]
    fn unsupported_schedules_name_themselves() {
        let p = ProblemSpec::new(uniform(8, 1.0, 2.0), 4)
            .with_micro_batches(8)
            .with_schedule(Schedule::GPipe)
            .check()
            .unwrap();
        let err = AutoPipeTorchtitan.solve(&p).unwrap_err().to_string();
        assert!(
            err.contains("gpipe") && err.contains("autopipe-torchtitan"),
            "{err}"
        );
    }

    #[test]
    fn too_few_micro_batches_fall_back_to_the_baseline() {
        let p = problem(uniform(8, 1.0, 2.0), 4, 2);
        let s = AutoPipeTorchtitan.solve(&p).unwrap();
        assert_eq!(s.partition.starts(), [0, 2, 4, 6]);
        assert!(
            s.notes[0].contains("n_microbatches >= pp_group_size"),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn interleaved_problems_map_to_ranks_and_chunks() {
        let p = ProblemSpec::new(uniform(12, 1.0, 2.0), 6)
            .with_micro_batches(6)
            .with_schedule(Schedule::InterleavedZeroBubble { virtual_stages: 2 })
            .with_link(0.5, 4.0)
            .check()
            .unwrap();
        let i = layer_inputs(&p).unwrap();
        assert_eq!((i.pp_group_size, i.virtual_stages_per_rank), (3, Some(2)));
        assert_eq!(
            i.communication_volume,
            Communication::PerBoundary(vec![0.5; 11])
        );
        assert!(i.backward_weight_flops.is_none());
        let s = AutoPipeTorchtitan.solve(&p).unwrap();
        assert_eq!(s.partition.stages(), 6);
    }

    #[test]
    fn fractional_times_without_a_split_get_a_note() {
        let zero_bubble = |backward: f64| {
            let p = ProblemSpec::new(uniform(8, 0.25, backward), 4)
                .with_micro_batches(4)
                .with_schedule(Schedule::InterleavedZeroBubble { virtual_stages: 2 })
                .check()
                .unwrap();
            AutoPipeTorchtitan.solve(&p).unwrap().notes
        };
        assert!(zero_bubble(0.5).iter().any(|n| n.contains("floor(B / 2)")));
        assert!(!zero_bubble(2.0).iter().any(|n| n.contains("floor(B / 2)")));
    }
}
