//! Warm starts: the best known partition before the MILP runs.
//!
//! Candidates come from the caller's warm start, the caller's seed
//! partitioners (e.g. `pipecut-exact`'s DP, `pipecut-heuristics`' AutoPipe),
//! and two local methods that need nothing else: an `O(P N^2)` bottleneck DP
//! with per-stage memory caps, cut costs and speeds, and a simulated
//! boundary-move descent for the step time. The best candidate that fits the
//! memory capacity wins.

use std::time::Instant;

use pipecut_core::{evaluate_with, Partition, Partitioner, Prefix, Problem};
use pipecut_sim::Simulator;

use crate::options::MilpOptions;

/// Largest `P N^2` the local DP runs for.
const LOCAL_DP_MAX_CELLS: u128 = 50_000_000;

/// What a candidate is worth under one objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Goal {
    Bottleneck,
    StepTime,
}

/// The chosen warm start.
#[derive(Debug, Clone)]
pub(crate) struct Incumbent {
    pub partition: Partition,
    pub value: f64,
    pub source: String,
}

/// The unit the models scale their objective by: the incumbent's value, else
/// `fallback` (an estimate of the objective), else 1; always finite and > 0 so
/// that scaled coefficients stay near 1.
pub(crate) fn objective_scale(incumbent: Option<&Incumbent>, fallback: f64) -> f64 {
    let scale = incumbent
        .map(|i| i.value)
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(fallback);
    if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    }
}

/// Minimum bottleneck over partitions whose stages each fit the memory
/// capacity on their own (device sums are checked by the caller). `stage_time`
/// gives the time of stage `k` holding `first..end`. Ties keep the first
/// (smallest) split point, so the result is deterministic.
pub(crate) fn bottleneck_dp(
    problem: &Problem,
    prefix: &Prefix,
    stage_time: impl Fn(usize, usize, usize) -> f64,
) -> Option<(Partition, f64)> {
    let n = problem.layers();
    let p = problem.stages();
    let in_flight = problem.peak_in_flight();
    let cap = problem.memory_capacity();
    let fits = |k: usize, i: usize, j: usize| {
        cap.is_none_or(|c| prefix.stage_memory(in_flight[k], i, j) <= c)
    };
    // best[k][j]: stages 0..=k cover layers 0..j.
    let mut best = vec![vec![f64::INFINITY; n + 1]; p];
    let mut arg = vec![vec![0usize; n + 1]; p];
    for (j, cell) in best[0].iter_mut().enumerate().take(n - (p - 1) + 1).skip(1) {
        if fits(0, 0, j) {
            *cell = stage_time(0, 0, j);
        }
    }
    for k in 1..p {
        for j in k + 1..=n - (p - 1 - k) {
            for i in k..j {
                let prev = best[k - 1][i];
                if prev.is_finite() && prev < best[k][j] && fits(k, i, j) {
                    let v = prev.max(stage_time(k, i, j));
                    if v < best[k][j] {
                        best[k][j] = v;
                        arg[k][j] = i;
                    }
                }
            }
        }
    }
    let value = best[p - 1][n];
    if !value.is_finite() {
        return None;
    }
    let mut starts = vec![0; p];
    let mut end = n;
    for k in (1..p).rev() {
        starts[k] = arg[k][end];
        end = starts[k];
    }
    Partition::new(starts, n).ok().map(|part| (part, value))
}

/// The least bottleneck over partitions whose stages each fit the memory on
/// their own (a lower bound for both models), with or without the cut costs:
/// the local DP when `P N^2` is small, else `pipecut-exact`'s `exact` on the
/// same problem (without its link when `with_comm` is false).
pub(crate) fn least_bottleneck(problem: &Problem, prefix: &Prefix, with_comm: bool) -> Option<f64> {
    let (n, p) = (problem.layers() as u128, problem.stages() as u128);
    if p * n * n <= LOCAL_DP_MAX_CELLS {
        return bottleneck_dp(problem, prefix, |k, i, j| {
            if with_comm {
                prefix.stage_time(problem.speed(k), i, j)
            } else {
                problem.speed(k) * prefix.work(i, j)
            }
        })
        .map(|(_, v)| v);
    }
    let mut spec = problem.spec().clone();
    if !with_comm {
        spec.link = None;
    }
    // `exact` proves its optimum; without a proof there is no bound.
    let plan = pipecut_exact::Exact::default()
        .solve(&spec.check().ok()?)
        .ok()?;
    (plan.status == pipecut_core::Status::Optimal).then_some(plan.bottleneck)
}

/// Layer counts as equal as possible, the first `N mod P` stages one larger.
pub(crate) fn uniform(problem: &Problem) -> Option<Partition> {
    let (n, p) = (problem.layers(), problem.stages());
    let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
    Partition::from_sizes(&sizes).ok()
}

/// Value of a partition under `goal`, `None` when it breaks the memory cap.
pub(crate) fn value_of(
    problem: &Problem,
    prefix: &Prefix,
    sim: &Simulator,
    goal: Goal,
    partition: &Partition,
) -> Option<f64> {
    if partition.stages() != problem.stages() || partition.layers() != problem.layers() {
        return None;
    }
    let eval = evaluate_with(problem, prefix, partition);
    if !eval.fits_memory {
        return None;
    }
    match goal {
        Goal::Bottleneck => Some(eval.bottleneck),
        Goal::StepTime => sim.step_time(problem, prefix, partition).ok(),
    }
}

/// Best-improvement descent on the simulated step time, moving one stage
/// boundary by one layer at a time (at most `rounds` moves, none after
/// `deadline`).
pub(crate) fn descend(
    problem: &Problem,
    prefix: &Prefix,
    sim: &Simulator,
    start: Partition,
    start_value: f64,
    rounds: usize,
    deadline: Option<Instant>,
) -> (Partition, f64) {
    let (mut cur, mut cur_value) = (start, start_value);
    for _ in 0..rounds {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let mut best: Option<(Partition, f64)> = None;
        let starts = cur.starts().to_vec();
        for k in 1..starts.len() {
            for up in [false, true] {
                let mut s = starts.clone();
                s[k] = if up { s[k] + 1 } else { s[k] - 1 };
                let Ok(cand) = Partition::new(s, problem.layers()) else {
                    continue;
                };
                if let Some(v) = value_of(problem, prefix, sim, Goal::StepTime, &cand) {
                    if v < best.as_ref().map_or(cur_value, |b| b.1) {
                        best = Some((cand, v));
                    }
                }
            }
        }
        match best {
            Some((p, v)) => {
                cur = p;
                cur_value = v;
            }
            None => break,
        }
    }
    (cur, cur_value)
}

/// The best warm start among every source (strictly smaller wins, so the
/// earlier source keeps ties). `None` when no candidate fits the memory.
pub(crate) fn best_start(
    problem: &Problem,
    prefix: &Prefix,
    goal: Goal,
    options: &MilpOptions,
    seeds: &[Box<dyn Partitioner>],
    deadline: Option<Instant>,
    notes: &mut Vec<String>,
) -> Option<Incumbent> {
    let warm = options.warm_start.as_ref();
    let default_starts = options.default_starts;
    let expired = || deadline.is_some_and(|d| Instant::now() >= d);
    let sim = Simulator::new(problem);
    let mut best: Option<Incumbent> = None;
    let offer = |partition: Partition, source: String, best: &mut Option<Incumbent>| {
        if let Some(value) = value_of(problem, prefix, &sim, goal, &partition) {
            if best.as_ref().is_none_or(|b| value < b.value) {
                *best = Some(Incumbent {
                    partition,
                    value,
                    source,
                });
            }
        }
    };
    if let Some(w) = warm {
        offer(w.clone(), "the given warm start".into(), &mut best);
    }
    // True when the seed produced a partition (fitting or not).
    let mut try_seed = |seed: &dyn Partitioner, best: &mut Option<Incumbent>| match seed
        .solve(problem)
        .and_then(|plan| plan.partition())
    {
        Ok(part) => {
            offer(part, format!("`{}`", seed.name()), best);
            true
        }
        Err(e) => {
            notes.push(format!("warm-start seed `{}` failed: {e}", seed.name()));
            false
        }
    };
    for seed in seeds {
        try_seed(seed.as_ref(), &mut best);
    }
    if !default_starts {
        return best;
    }
    let exact_ran = try_seed(&pipecut_exact::Exact::default(), &mut best);
    if goal == Goal::StepTime && !expired() {
        try_seed(&pipecut_heuristics::AutoPipe::default(), &mut best);
    }
    // The local DP only backs up `exact` (it is O(P N^2)).
    let (n, p) = (problem.layers() as u128, problem.stages() as u128);
    if !exact_ran && !expired() && p * n * n <= LOCAL_DP_MAX_CELLS {
        let dp = bottleneck_dp(problem, prefix, |k, i, j| {
            prefix.stage_time(problem.speed(k), i, j)
        });
        if let Some((part, _)) = dp {
            offer(part, "the local bottleneck DP".into(), &mut best);
        }
    }
    if let Some(part) = uniform(problem) {
        offer(part, "the uniform split".into(), &mut best);
    }
    if goal == Goal::StepTime {
        if let Some(b) = best.clone() {
            let (part, value) = descend(
                problem,
                prefix,
                &sim,
                b.partition,
                b.value,
                4 * problem.layers(),
                deadline,
            );
            if value < b.value {
                best = Some(Incumbent {
                    partition: part,
                    value,
                    source: format!("{} improved by simulated descent", b.source),
                });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{synthetic, ProblemSpec};

    fn brute(problem: &Problem, prefix: &Prefix) -> f64 {
        let n = problem.layers();
        let p = problem.stages();
        let mut best = f64::INFINITY;
        let mut starts = vec![0; p];
        fn rec(k: usize, starts: &mut Vec<usize>, n: usize, f: &mut dyn FnMut(&[usize])) {
            if k == starts.len() {
                f(starts);
                return;
            }
            for s in starts[k - 1] + 1..=n - (starts.len() - k) {
                starts[k] = s;
                rec(k + 1, starts, n, f);
            }
        }
        let mut f = |s: &[usize]| {
            let part = Partition::new(s.to_vec(), n).unwrap();
            let e = evaluate_with(problem, prefix, &part);
            if e.fits_memory {
                best = best.min(e.bottleneck);
            }
        };
        if p == 1 {
            f(&starts);
        } else {
            rec(1, &mut starts, n, &mut f);
        }
        best
    }

    #[test]
    fn local_dp_matches_brute_force_with_links_speeds_and_memory() {
        for seed in 0..12 {
            let chain = synthetic::generate(synthetic::Family::Transformer, 9, seed);
            let p = 2 + (seed as usize % 3);
            let speeds: Vec<f64> = (0..p)
                .map(|k| 1.0 + 0.25 * ((k + seed as usize) % 3) as f64)
                .collect();
            let problem = ProblemSpec::new(chain, p)
                .with_micro_batches(4)
                .with_link(0.01, 1e8)
                .with_speeds(speeds)
                .with_memory_capacity(2_400_000_000)
                .check()
                .unwrap();
            let prefix = Prefix::new(&problem);
            let want = brute(&problem, &prefix);
            let got = bottleneck_dp(&problem, &prefix, |k, i, j| {
                prefix.stage_time(problem.speed(k), i, j)
            });
            match got {
                Some((part, v)) => {
                    assert_eq!(v, want);
                    assert_eq!(evaluate_with(&problem, &prefix, &part).bottleneck, v);
                }
                None => assert!(want.is_infinite()),
            }
        }
    }
}
