//! Steps 4 and 5: the critical-stage search from the DP partition, and the
//! entry points on per-layer costs.

use std::collections::{HashSet, VecDeque};

use pipecut_core::Partition;

use super::arithmetic::{exact_scale, ldexp, prefix_of, Arithmetic, Scalar};
use super::dp_table::DpTable;
use super::timing_model::reference_model;
use crate::error::HeuristicError;

/// What the reference search found.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceSearch {
    /// The DP partition (steps 1-2).
    pub start: Partition,
    /// Its model time, in the chain's unit.
    pub start_time: f64,
    /// The best partition found (step 5).
    pub best: Partition,
    /// Its model time.
    pub best_time: f64,
    /// Partitions timed.
    pub evaluations: usize,
    /// Moves skipped because the critical stage held a single layer.
    pub skipped_moves: usize,
    /// Partitions whose model found no idle-free stage (stage 0 was taken).
    pub no_idle_free_stage: usize,
    /// Exact or float.
    pub arithmetic: Arithmetic,
}

/// [`ReferenceSearch`] on one arithmetic, before conversion.
struct Outcome<T> {
    start: Vec<usize>,
    start_time: T,
    best: Vec<usize>,
    best_time: T,
    evaluations: usize,
    skipped_moves: usize,
    no_idle_free_stage: usize,
}

impl<T> Outcome<T> {
    fn map<U>(self, f: impl Fn(T) -> U) -> Outcome<U> {
        Outcome {
            start_time: f(self.start_time),
            best_time: f(self.best_time),
            start: self.start,
            best: self.best,
            evaluations: self.evaluations,
            skipped_moves: self.skipped_moves,
            no_idle_free_stage: self.no_idle_free_stage,
        }
    }
}

/// Per-stage sums of a quantity given by its prefix sums.
fn stage_sums<T: Scalar>(prefix: &[T], starts: &[usize], n: usize) -> Vec<T> {
    (0..starts.len())
        .map(|k| {
            let end = starts.get(k + 1).copied().unwrap_or(n);
            prefix[end] - prefix[starts[k]]
        })
        .collect()
}

/// Steps 1-4 on one arithmetic. `1 <= stages <= f.len() == b.len()`.
fn search<T: Scalar>(f: &[T], b: &[T], stages: usize) -> Outcome<T> {
    let n = f.len();
    let work: Vec<T> = f.iter().zip(b).map(|(&x, &y)| x + y).collect();
    let table = DpTable::new(&work, stages);
    let pf = prefix_of(f);
    let pb = prefix_of(b);
    let time = |starts: &[usize]| {
        reference_model(&stage_sums(&pf, starts, n), &stage_sums(&pb, starts, n))
    };
    // 1 <= stages <= n makes dp[n][stages] finite.
    let start = table
        .reconstruct(n, stages)
        .unwrap_or_else(|| (0..stages).collect());
    let mut out = Outcome {
        start_time: time(&start).step_time,
        start: start.clone(),
        best: start.clone(),
        best_time: T::ZERO,
        evaluations: 0,
        skipped_moves: 0,
        no_idle_free_stage: 0,
    };
    let mut best: Option<T> = None;
    let mut visited: HashSet<Vec<usize>> = HashSet::new();
    let mut queue = VecDeque::new();
    visited.insert(start.clone());
    queue.push_back(start);
    while let Some(cur) = queue.pop_front() {
        let mt = time(&cur);
        out.evaluations += 1;
        if !mt.idle_free {
            out.no_idle_free_stage += 1;
        }
        if best.is_none_or(|t| mt.step_time < t) {
            best = Some(mt.step_time);
            out.best = cur.clone();
        }
        let c = mt.critical_stage;
        if c == 0 {
            continue;
        }
        let end_c = cur.get(c + 1).copied().unwrap_or(n);
        if end_c - cur[c] < 2 {
            out.skipped_moves += 1;
            continue;
        }
        // Stages 0..c plus the first layer of stage c, re-split into c stages.
        let Some(mut next) = table.reconstruct(cur[c] + 1, c) else {
            continue;
        };
        next.push(cur[c] + 1);
        next.extend_from_slice(&cur[c + 1..]);
        if visited.insert(next.clone()) {
            queue.push_back(next);
        }
    }
    out.best_time = best.unwrap_or(out.start_time);
    out
}

fn check_lengths(forward: &[f64], backward: &[f64]) -> std::result::Result<(), HeuristicError> {
    if forward.len() != backward.len() {
        return Err(HeuristicError::CostLength {
            forward: forward.len(),
            backward: backward.len(),
        });
    }
    Ok(())
}

/// Runs steps 1-5 on per-layer costs (finite, `>= 0`) for `stages` stages
/// (`1 <= stages <= N`; invalid counts give the core error).
pub fn autopipe_reference_search(
    forward: &[f64],
    backward: &[f64],
    stages: usize,
) -> std::result::Result<ReferenceSearch, HeuristicError> {
    check_lengths(forward, backward)?;
    let n = forward.len();
    if stages == 0 {
        return Err(pipecut_core::Error::ZeroStages.into());
    }
    if stages > n {
        return Err(pipecut_core::Error::TooManyStages { stages, layers: n }.into());
    }
    let all: Vec<f64> = forward.iter().chain(backward).copied().collect();
    let (outcome, arithmetic) = match exact_scale(&all, stages) {
        Some((ints, e)) => (
            search(&ints[..n], &ints[n..], stages).map(|x| ldexp(x as f64, e)),
            Arithmetic::Exact { exponent: e },
        ),
        None => {
            let total: f64 = all.iter().sum();
            if !(total * (4.0 * stages as f64 + 4.0)).is_finite() {
                return Err(HeuristicError::CostRange { total });
            }
            (search(forward, backward, stages), Arithmetic::Float)
        }
    };
    Ok(ReferenceSearch {
        start: Partition::new(outcome.start, n)?,
        start_time: outcome.start_time,
        best: Partition::new(outcome.best, n)?,
        best_time: outcome.best_time,
        evaluations: outcome.evaluations,
        skipped_moves: outcome.skipped_moves,
        no_idle_free_stage: outcome.no_idle_free_stage,
        arithmetic,
    })
}

/// The reference model's time (step 3) of one partition of per-layer costs,
/// in the same arithmetic the search uses for these costs.
pub fn reference_step_time(
    forward: &[f64],
    backward: &[f64],
    partition: &Partition,
) -> std::result::Result<f64, HeuristicError> {
    check_lengths(forward, backward)?;
    let n = forward.len();
    if partition.layers() != n {
        return Err(HeuristicError::LayerCount {
            partition: partition.layers(),
            layers: n,
        });
    }
    let s = partition.stages();
    let all: Vec<f64> = forward.iter().chain(backward).copied().collect();
    match exact_scale(&all, s) {
        Some((ints, e)) => {
            let f = stage_sums(&prefix_of(&ints[..n]), partition.starts(), n);
            let b = stage_sums(&prefix_of(&ints[n..]), partition.starts(), n);
            Ok(ldexp(reference_model(&f, &b).step_time as f64, e))
        }
        None => {
            let f = stage_sums(&prefix_of(forward), partition.starts(), n);
            let b = stage_sums(&prefix_of(backward), partition.starts(), n);
            Ok(reference_model(&f, &b).step_time)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_search_by_hand() {
        // Layers F = [1, 1, 1], B = [3, 2, 3], S = 2: w = [4, 3, 4], W = [0, 4, 7, 11].
        // DP: dp[3][2] = min(max(4, 7), max(7, 4)) = 7; the smallest j attaining
        // it is 1, so the start is [0, 1]: stage sums F = [1, 2], B = [3, 5].
        // Model: Tb[1][0] = 3, Tb[0][0] = 8; k=1: Tf = [11, 8], Tb[1][1] = 10,
        // Tb[0][1] = 15; k=2: Tf[0][2] = 18, Tf[1][2] = max(12, 15) = 15,
        // Tb[1][2] = 17, Tb[0][2] = 22; k=3: Tf[1][3] = max(19, 22) = 22,
        // Tb[1][3] = 24. Stage 1 idle-free: c = 1; D[0][0] = 24; time 24 + 8 = 32.
        // Move: layers of stage 0 plus the first of stage 1 (0..2) re-split
        // into 1 stage, stage 1 keeps layer 2: [0, 2], F = [2, 1], B = [5, 3].
        // Model: Tb[1][0] = 3, Tb[0][0] = 6; k=1: Tf = [11, 6], Tb = [13, 7];
        // k=2: Tf[0][2] = 18, Tf[1][2] = max(13, 10) = 13 (stage 1 idles),
        // Tb[1][2] = 14, Tb[0][2] = 20; k=3: Tf[1][3] = 20, Tb[1][3] = 21.
        // c = 0; D[0][1] = 20, D[1][0] = 21, D[0][0] = max(25, 24) = 25;
        // time 25 + 5 = 30 < 32: the new best. c = 0 ends the search.
        let r = autopipe_reference_search(&[1.0, 1.0, 1.0], &[3.0, 2.0, 3.0], 2).unwrap();
        assert_eq!(r.start.starts(), &[0, 1]);
        assert_eq!(r.start_time, 32.0);
        assert_eq!(r.best.starts(), &[0, 2]);
        assert_eq!(r.best_time, 30.0);
        assert_eq!(r.evaluations, 2);
        assert_eq!(r.skipped_moves, 0);
        assert_eq!(r.arithmetic, Arithmetic::Exact { exponent: 0 });
        assert_eq!(
            reference_step_time(&[1.0, 1.0, 1.0], &[3.0, 2.0, 3.0], &r.best).unwrap(),
            30.0
        );
    }

    #[test]
    fn wide_ranges_run_on_f64() {
        let r = autopipe_reference_search(&[1e-300, 1e300, 1.0], &[0.0, 0.0, 0.0], 2).unwrap();
        assert_eq!(r.arithmetic, Arithmetic::Float);
        // dp[3][2] = 1e300 for j = 1 and j = 2; the smallest j wins.
        assert_eq!(r.start.starts(), &[0, 1]);
        assert!(r.best_time <= r.start_time);
        let err = autopipe_reference_search(&[1e-300, 1e308, 1e308], &[0.0; 3], 2).unwrap_err();
        assert!(matches!(err, HeuristicError::CostRange { .. }));
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert!(matches!(
            autopipe_reference_search(&[1.0], &[1.0, 2.0], 1),
            Err(HeuristicError::CostLength { .. })
        ));
        assert!(matches!(
            autopipe_reference_search(&[1.0], &[1.0], 2),
            Err(HeuristicError::Core(
                pipecut_core::Error::TooManyStages { .. }
            ))
        ));
        let part = Partition::new(vec![0], 2).unwrap();
        assert!(matches!(
            reference_step_time(&[1.0], &[1.0], &part),
            Err(HeuristicError::LayerCount { .. })
        ));
    }
}
