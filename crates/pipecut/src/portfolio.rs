//! `auto`: the default partitioner. It minimises the *simulated* step time
//! by running several methods and keeping the best of their splits:
//!
//! 1. `exact`: the proven bottleneck optimum (one stage per device) or the
//!    proven least busiest-device load (several stages per device);
//! 2. the simulator-driven AutoPipe search started from that optimum;
//! 3. the same search from its own bottleneck-DP start;
//! 4. torchtitan's default split, so that the answer is never slower than
//!    what the framework runs without pipecut.
//!
//! Every candidate is simulated with the problem's schedule, `M`, link and
//! speeds; candidates that overflow the memory capacity are dropped. The
//! first candidate with the least step time wins (ties keep the earlier one,
//! so a proven optimum is preferred).
//!
//! Then, where the problem is small enough ([`PROOF_MAX_WORK`]), the
//! branch-and-bound of `exact-steptime` starts from the winner with a node
//! budget ([`PROOF_NODE_BUDGET`], so the result is the same on every
//! machine): it either proves the winner (or a better split it finds)
//! optimal for the simulated step time, or returns its proven bound.
//!
//! **What it proves.** Every device runs the forward and the backward of
//! every micro-batch of each of its stages, one operation at a time, so the
//! step time is at least `M` times the busiest device's compute load, and
//! that load is at least `exact`'s proven optimum when no link charges
//! transfer time (the optimum then counts compute only). So without a link
//! the candidates carry the lower bound `M x optimum` and the status
//! `feasible` (`optimal` when the best split meets it); with a link, with
//! perfectly overlapped pairs (two operations at once), or when `exact`
//! cannot solve the problem, that bound is not claimed. The proof search's
//! bound holds in every case; the larger of the two is reported.

use pipecut_core::format::number;
use pipecut_core::{
    evaluate_with, Error as CoreError, Objective, PairOverlap, Partition, Partitioner, Prefix,
    Problem, Result, Solution, Status,
};
use pipecut_heuristics::{autopipe_search, autopipe_search_from, Torchtitan};
use pipecut_sim::Simulator;

use crate::exact::{Exact, ExactStepTime};

/// Largest `layers x stages` for which the AutoPipe candidates run: their
/// bottleneck-DP tables hold a few words per cell, so larger problems keep
/// only the other candidates (and say so in a note).
pub const AUTOPIPE_MAX_CELLS: usize = 1 << 22;

/// Largest `stages x layers^2` for which the proof search runs (its bound
/// tables cost that much to build).
pub const PROOF_MAX_WORK: usize = 1 << 22;

/// Nodes the proof search may visit (a few tenths of a second at most on
/// the problems it runs on).
pub const PROOF_NODE_BUDGET: u64 = 20_000;

/// Relative slack under which the best step time counts as meeting the
/// lower bound (rounding of equal sums).
const MEETS_BOUND: f64 = 1e-12;

/// `auto`: the best simulated step time of the candidates in the module docs.
#[derive(Debug, Clone, Copy)]
pub struct Auto {
    /// Most simulations of each AutoPipe search.
    pub max_evaluations: usize,
}

impl Default for Auto {
    fn default() -> Self {
        Auto {
            max_evaluations: pipecut_heuristics::DEFAULT_MAX_EVALUATIONS,
        }
    }
}

impl Auto {
    /// Name on the command line.
    pub const NAME: &'static str = "auto";
    /// What it does.
    pub const DESCRIPTION: &'static str = "least simulated step time among the exact optimum, AutoPipe from it and from its own start, and torchtitan's split, then a bounded branch-and-bound that proves it optimal or bounds the gap";
}

/// One split to compare, with where it came from.
struct Candidate {
    source: &'static str,
    partition: Partition,
    step_time: f64,
}

impl Partitioner for Auto {
    pipecut_core::partitioner_names!();

    fn solve(&self, problem: &Problem) -> Result<Solution> {
        let mut notes = Vec::new();
        let exact = match Exact::default().solve(problem) {
            Ok(s) => Some(s),
            // A proven "nothing fits" is the answer, not a reason to guess.
            Err(e @ CoreError::MemoryInfeasible { .. }) => return Err(e),
            Err(e) => {
                notes.push(format!("`exact` skipped: {e}"));
                None
            }
        };
        let splits = self.splits(problem, exact.as_ref(), &mut notes);
        let prefix = Prefix::new(problem);
        let simulator = Simulator::new(problem);
        let mut best: Option<Candidate> = None;
        for (source, partition) in splits {
            if !evaluate_with(problem, &prefix, &partition).fits_memory {
                continue;
            }
            let step_time = simulator
                .step_time(problem, &prefix, &partition)
                .map_err(|e| solver_error(e.into()))?;
            if best.as_ref().is_none_or(|b| step_time < b.step_time) {
                best = Some(Candidate {
                    source,
                    partition,
                    step_time,
                });
            }
        }
        let best =
            best.ok_or_else(|| solver_error("no candidate split fits the memory capacity".into()))?;
        notes.insert(
            0,
            format!(
                "best simulated step time {} from {}",
                number(best.step_time),
                best.source
            ),
        );
        let solution = with_bound(problem, best, exact.as_ref());
        Ok(prove(problem, solution, &mut notes).with_notes(notes))
    }
}

/// Runs the bounded proof search from `solution`'s split where the problem
/// is small enough, keeping whichever split and bound are better.
fn prove(problem: &Problem, solution: Solution, notes: &mut Vec<String>) -> Solution {
    let (n, p) = (problem.layers(), problem.stages());
    let work = p.saturating_mul(n).saturating_mul(n);
    if work > PROOF_MAX_WORK {
        return solution;
    }
    let search = ExactStepTime {
        max_nodes: PROOF_NODE_BUDGET,
        time_limit: None,
        warm_start: Some(solution.partition.clone()),
    };
    let proof = match search.solve(problem) {
        Ok(proof) => proof,
        Err(e) => {
            notes.push(format!("step-time proof skipped: {e}"));
            return solution;
        }
    };
    let bound = match (proof.bound, solution.bound) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if proof.partition != solution.partition {
        notes.push("branch-and-bound found a faster split than every candidate".into());
    }
    notes.push(match proof.status {
        Status::Optimal => "proven optimal for the simulated step time by branch-and-bound".into(),
        _ => format!(
            "branch-and-bound stopped at its budget of {PROOF_NODE_BUDGET} nodes; `exact-steptime` with a time limit searches further"
        ),
    });
    Solution {
        partition: proof.partition,
        status: proof.status,
        objective: Objective::StepTime,
        bound,
        notes: solution.notes,
    }
}

impl Auto {
    /// The candidate splits, in preference order; a method that fails adds
    /// a note instead.
    fn splits(
        &self,
        problem: &Problem,
        exact: Option<&Solution>,
        notes: &mut Vec<String>,
    ) -> Vec<(&'static str, Partition)> {
        let mut splits = Vec::new();
        if let Some(s) = exact {
            splits.push(("`exact`", s.partition.clone()));
        }
        if problem.layers().saturating_mul(problem.stages()) > AUTOPIPE_MAX_CELLS {
            notes.push(format!(
                "AutoPipe skipped: layers x stages = {} x {} exceeds {AUTOPIPE_MAX_CELLS}",
                problem.layers(),
                problem.stages()
            ));
        } else {
            if let Some(s) = exact {
                match autopipe_search_from(problem, &s.partition, self.max_evaluations) {
                    Ok(r) => splits.push(("AutoPipe from the `exact` optimum", r.best)),
                    Err(e) => notes.push(format!("AutoPipe from the optimum skipped: {e}")),
                }
            }
            match autopipe_search(problem, self.max_evaluations) {
                Ok(r) => splits.push(("`autopipe`", r.best)),
                Err(e) => notes.push(format!("`autopipe` skipped: {e}")),
            }
        }
        match Torchtitan::default().solve(problem) {
            Ok(s) => splits.push(("`torchtitan`", s.partition)),
            Err(e) => notes.push(format!("`torchtitan` skipped: {e}")),
        }
        splits
    }
}

/// The solution for the winning candidate: `feasible` (or `optimal`) with
/// the lower bound `M x optimum` when there is no link, else `heuristic`.
fn with_bound(problem: &Problem, best: Candidate, exact: Option<&Solution>) -> Solution {
    let bound = exact
        .filter(|s| s.status == Status::Optimal && problem.link().is_none())
        .filter(|_| problem.pair_overlap() == PairOverlap::Sequential)
        .and_then(|s| s.bound)
        .map(|b| problem.micro_batches() as f64 * b)
        .filter(|b| b.is_finite());
    let mut solution = Solution::heuristic(best.partition, Objective::StepTime);
    if let Some(bound) = bound {
        solution.bound = Some(bound);
        solution.status = if best.step_time <= bound * (1.0 + MEETS_BOUND) {
            Status::Optimal
        } else {
            Status::Feasible
        };
    }
    solution
}

fn solver_error(source: Box<dyn std::error::Error + Send + Sync>) -> CoreError {
    CoreError::Solver {
        algorithm: Auto::NAME.to_string(),
        source,
    }
}
