//! The critical-stage search on the simulator, from the initial partition.

use std::collections::{HashSet, VecDeque};

use pipecut_core::dp::{BottleneckTables, Tie};
use pipecut_core::{Partition, Prefix, Problem};
use pipecut_sim::{Simulator, StageTimes};

use super::initial_partition::{initial_partition, InitialPartition};
use super::memory_fit::over_capacity;
use crate::error::HeuristicError;

/// What the simulator-driven search found.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoPipeSearch {
    /// The start (see [`autopipe_start`](crate::autopipe_start)).
    pub start: Partition,
    /// Its simulated step time.
    pub start_step_time: f64,
    /// The best partition found (never worse than the start; fits the
    /// capacity when the start does).
    pub best: Partition,
    /// Its simulated step time.
    pub best_step_time: f64,
    /// Simulations run.
    pub evaluations: usize,
    /// Whether the evaluation limit stopped the search with candidates left.
    pub limit_hit: bool,
    /// Set when memory forced a start other than the bottleneck-DP one.
    pub start_note: Option<String>,
}

/// Runs the simulator-driven AutoPipe search with at most `max_evaluations`
/// simulations (at least the start is always simulated).
///
/// Breadth-first from the start with a visited set; each simulated
/// partition offers up to two moves around its critical stage (its first
/// layer to the stages before it, its last layer to the stages after it,
/// each side re-split by the bottleneck DP), and only partitions that fit
/// the capacity are enqueued. The first partition
/// with the least simulated step time wins.
pub fn autopipe_search(
    problem: &Problem,
    max_evaluations: usize,
) -> std::result::Result<AutoPipeSearch, HeuristicError> {
    let prefix = Prefix::new(problem);
    let start = initial_partition(problem, &prefix)?;
    search(problem, &prefix, start, max_evaluations)
}

/// The same search started from `start` instead of the bottleneck-DP
/// partition (for example from another solver's optimum, to improve its
/// simulated step time). The moves re-split with the unconstrained
/// bottleneck DP; only moves that fit the capacity are enqueued, so the
/// result fits whenever `start` does.
pub fn autopipe_search_from(
    problem: &Problem,
    start: &Partition,
    max_evaluations: usize,
) -> std::result::Result<AutoPipeSearch, HeuristicError> {
    let prefix = Prefix::new(problem);
    let start = InitialPartition {
        starts: start.starts().to_vec(),
        tables: BottleneckTables::new(problem, &prefix, None),
        note: None,
    };
    search(problem, &prefix, start, max_evaluations)
}

/// The breadth-first search from `start` (see [`autopipe_search`]).
fn search(
    problem: &Problem,
    prefix: &Prefix,
    start: InitialPartition<'_>,
    max_evaluations: usize,
) -> std::result::Result<AutoPipeSearch, HeuristicError> {
    if max_evaluations == 0 {
        return Err(HeuristicError::InvalidOption {
            field: "max_evaluations",
            value: 0,
            reason: "the search needs at least one simulation",
        });
    }
    let n = problem.layers();
    let sim = Simulator::new(problem);
    let in_flight = problem.peak_in_flight();
    let evaluate = |starts: &[usize]| -> std::result::Result<(f64, usize), HeuristicError> {
        let part = Partition::new(starts.to_vec(), n)?;
        let times = StageTimes::from_partition(problem, prefix, &part);
        let r = sim.run_times(&times, false)?;
        Ok((r.step_time, r.critical_stage))
    };
    let limit = max_evaluations;
    let mut visited: HashSet<Vec<usize>> = HashSet::new();
    let mut queue = VecDeque::new();
    visited.insert(start.starts.clone());
    queue.push_back(start.starts.clone());
    let mut best = start.starts.clone();
    let mut best_time = f64::INFINITY;
    let mut start_time = f64::INFINITY;
    let mut evaluations = 0;
    while let Some(cur) = queue.pop_front() {
        if evaluations >= limit {
            queue.push_front(cur);
            break;
        }
        let (t, c) = evaluate(&cur)?;
        evaluations += 1;
        if evaluations == 1 {
            start_time = t;
        }
        if t < best_time {
            best_time = t;
            best = cur.clone();
        }
        for next in moves(&start.tables, &cur, c) {
            if over_capacity(problem, prefix, &in_flight, &next).is_none()
                && visited.insert(next.clone())
            {
                queue.push_back(next);
            }
        }
    }
    Ok(AutoPipeSearch {
        start: Partition::new(start.starts, n)?,
        start_step_time: start_time,
        best: Partition::new(best, n)?,
        best_step_time: best_time,
        evaluations,
        limit_hit: !queue.is_empty(),
        start_note: start.note,
    })
}

/// The moves around critical stage `c` of `cur`: its first layer to the
/// stages before it (re-split by the prefix DP, smallest starts: the
/// reference's move), then its last layer to the stages after it (re-split
/// by the suffix DP, largest ends: the mirror). None when `c` holds a
/// single layer (either move would empty it).
fn moves(tables: &BottleneckTables, cur: &[usize], c: usize) -> Vec<Vec<usize>> {
    let (n, p) = (tables.layers(), tables.stages());
    let end_c = cur.get(c + 1).copied().unwrap_or(n);
    let mut candidates = Vec::with_capacity(2);
    if end_c - cur[c] < 2 {
        return candidates;
    }
    if c > 0 {
        if let Some(mut next) = tables.prefix_starts(cur[c] + 1, c, Tie::Earliest) {
            next.push(cur[c] + 1);
            next.extend_from_slice(&cur[c + 1..]);
            candidates.push(next);
        }
    }
    if c + 1 < p {
        if let Some(suffix) = tables.suffix_starts(end_c - 1, p - c - 1, Tie::Latest) {
            let mut next = cur[..=c].to_vec();
            next.extend(suffix);
            candidates.push(next);
        }
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_testkit::{chain, problem};

    #[test]
    fn moves_go_both_ways_and_never_empty_a_stage() {
        // Six unit layers, three stages [0 1][2 3 4][5], critical stage 1.
        let pr = problem(chain(&[(1.0, 2.0); 6]), 3, 6);
        let prefix = Prefix::new(&pr);
        let tables = BottleneckTables::new(&pr, &prefix, None);
        let got = moves(&tables, &[0, 2, 5], 1);
        // Layer 2 joins stage 0's side (layers 0..3 re-split into one
        // stage); layer 4 joins stage 2's side (layers 4..6, one stage).
        assert_eq!(got, vec![vec![0, 3, 5], vec![0, 2, 4]]);
        // A single-layer critical stage offers nothing.
        assert!(moves(&tables, &[0, 2, 5], 2).is_empty());
        // The first and last stages move one way only.
        assert_eq!(moves(&tables, &[0, 2, 5], 0), vec![vec![0, 1, 4]]);
    }
}
