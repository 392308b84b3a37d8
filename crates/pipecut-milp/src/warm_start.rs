//! Warm starts: the best known partition before the MILP runs.
//!
//! Candidates come from the caller's warm start, the caller's seed
//! partitioners, and (unless `default_starts` is off) `pipecut-exact`'s
//! `exact`, `pipecut-heuristics`' `autopipe` (step time only), the bottleneck
//! DP when `exact` fails, the uniform split, and for the step time a
//! simulated boundary-move descent from the best of them. The best candidate
//! that fits the memory capacity wins; the earlier source keeps ties.

use std::time::Instant;

use pipecut_core::format::number;
use pipecut_core::{evaluate_with, Objective, Partition, Partitioner, Prefix, Problem};
use pipecut_sim::Simulator;

use crate::bottleneck_dp::{dp_partition, dp_runs};
use crate::options::CheckedOptions;

/// What a candidate is worth under one objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Goal {
    Bottleneck,
    StepTime,
}

impl Goal {
    /// The objective's name in notes.
    fn name(self) -> &'static str {
        match self {
            Goal::Bottleneck => "bottleneck",
            Goal::StepTime => "step time",
        }
    }

    /// What the exact check recomputes, for [`MilpError::ObjectiveMismatch`](crate::MilpError::ObjectiveMismatch).
    pub fn what(self) -> &'static str {
        match self {
            Goal::Bottleneck => "bottleneck",
            Goal::StepTime => "simulated step time",
        }
    }

    /// The objective a solution reports.
    pub fn objective(self) -> Objective {
        match self {
            Goal::Bottleneck => Objective::Bottleneck,
            Goal::StepTime => Objective::StepTime,
        }
    }
}

/// The chosen warm start.
#[derive(Debug, Clone)]
pub(crate) struct Incumbent {
    pub partition: Partition,
    pub value: f64,
    pub source: String,
}

impl Incumbent {
    /// The note saying where the warm start came from.
    pub fn note(&self, goal: Goal) -> String {
        format!(
            "warm start: {} ({} {})",
            self.source,
            goal.name(),
            number(self.value)
        )
    }
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

/// Layer counts as equal as possible, the first `N mod P` stages one larger.
fn uniform(problem: &Problem) -> Option<Partition> {
    let (n, p) = (problem.layers(), problem.stages());
    let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
    Partition::from_sizes(&sizes).ok()
}

/// Values candidates under one goal and keeps the best.
struct Candidates<'a> {
    problem: &'a Problem,
    prefix: &'a Prefix,
    sim: Simulator,
    goal: Goal,
    best: Option<Incumbent>,
}

impl Candidates<'_> {
    /// Value of a partition under the goal, `None` when it breaks the memory
    /// cap (or does not fit the problem).
    fn value_of(&self, partition: &Partition) -> Option<f64> {
        let problem = self.problem;
        if partition.stages() != problem.stages() || partition.layers() != problem.layers() {
            return None;
        }
        let eval = evaluate_with(problem, self.prefix, partition);
        if !eval.fits_memory {
            return None;
        }
        match self.goal {
            Goal::Bottleneck => Some(eval.bottleneck),
            Goal::StepTime => self.sim.step_time(problem, self.prefix, partition).ok(),
        }
    }

    /// Keeps `partition` if it fits and is strictly better than the best.
    fn offer(&mut self, partition: Partition, source: String) {
        if let Some(value) = self.value_of(&partition) {
            if self.best.as_ref().is_none_or(|b| value < b.value) {
                self.best = Some(Incumbent {
                    partition,
                    value,
                    source,
                });
            }
        }
    }

    /// Offers the seed's partition; true when the seed produced one (fitting
    /// or not), else notes its failure.
    fn try_seed(&mut self, seed: &dyn Partitioner, notes: &mut Vec<String>) -> bool {
        match seed.solve(self.problem) {
            Ok(solution) => {
                self.offer(solution.partition, format!("`{}`", seed.name()));
                true
            }
            Err(e) => {
                notes.push(format!("warm-start seed `{}` failed: {e}", seed.name()));
                false
            }
        }
    }

    /// Best-improvement descent on the simulated step time from the best
    /// candidate, moving one stage boundary by one layer at a time (at most
    /// `rounds` moves, none after `deadline`).
    fn descend(&mut self, rounds: usize, deadline: Option<Instant>) {
        let Some(start) = self.best.clone() else {
            return;
        };
        let (mut cur, mut cur_value) = (start.partition.clone(), start.value);
        for _ in 0..rounds {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let Some((next, value)) = self.best_move(&cur, cur_value) else {
                break;
            };
            cur = next;
            cur_value = value;
        }
        if cur_value < start.value {
            self.best = Some(Incumbent {
                partition: cur,
                value: cur_value,
                source: format!("{} improved by simulated descent", start.source),
            });
        }
    }

    /// The best strictly improving single-boundary move from `cur`.
    fn best_move(&self, cur: &Partition, cur_value: f64) -> Option<(Partition, f64)> {
        let mut best: Option<(Partition, f64)> = None;
        let starts = cur.starts();
        for k in 1..starts.len() {
            for up in [false, true] {
                let mut s = starts.to_vec();
                s[k] = if up { s[k] + 1 } else { s[k] - 1 };
                let Ok(cand) = Partition::new(s, self.problem.layers()) else {
                    continue;
                };
                if let Some(v) = self.value_of(&cand) {
                    if v < best.as_ref().map_or(cur_value, |b| b.1) {
                        best = Some((cand, v));
                    }
                }
            }
        }
        best
    }
}

/// The best warm start among every source. `None` when no candidate fits the
/// memory.
pub(crate) fn best_start(
    problem: &Problem,
    prefix: &Prefix,
    goal: Goal,
    options: &CheckedOptions,
    seeds: &[Box<dyn Partitioner>],
    deadline: Option<Instant>,
    notes: &mut Vec<String>,
) -> Option<Incumbent> {
    let mut c = Candidates {
        problem,
        prefix,
        sim: Simulator::new(problem),
        goal,
        best: None,
    };
    if let Some(w) = &options.warm_start {
        c.offer(w.clone(), "the given warm start".into());
    }
    for seed in seeds {
        c.try_seed(seed.as_ref(), notes);
    }
    if !options.default_starts {
        return c.best;
    }
    let expired = || deadline.is_some_and(|d| Instant::now() >= d);
    let exact_ran = c.try_seed(&pipecut_exact::Exact::default(), notes);
    if goal == Goal::StepTime && !expired() {
        c.try_seed(&pipecut_heuristics::AutoPipe::default(), notes);
    }
    // The DP only backs up `exact`.
    if !exact_ran && !expired() && dp_runs(problem) {
        if let Some(part) = dp_partition(problem, prefix) {
            c.offer(part, "the bottleneck DP".into());
        }
    }
    if let Some(part) = uniform(problem) {
        c.offer(part, "the uniform split".into());
    }
    if goal == Goal::StepTime {
        c.descend(4 * problem.layers(), deadline);
    }
    c.best
}
