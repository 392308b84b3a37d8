//! `exact-steptime`: the least *simulated* step time, proven, by
//! branch-and-bound over stage boundaries on the simulator itself.
//!
//! Stages are placed first to last; a node fixes the ends of stages
//! `0..k`. Its lower bound on every completion (see `bounds`) combines the
//! placed stages' stage, drain and device bounds with a bound on the layers
//! still to place (the least possible largest stage cost of the rest, from
//! tables built once in `O(P N log N)`). Nodes whose bound reaches the
//! incumbent are pruned, and since a longer stage only raises the placed
//! bounds, the first such stage end cuts off all longer ones. A complete
//! partition is simulated (same arithmetic as every plan), so the optimum is
//! the simulator's, up to a relative `1e-12`: a bound within that of the
//! incumbent prunes, so that rounding of equal sums cannot force a search
//! of every tie, and the proven bound is the incumbent less that slack. Memory: a device whose placed stages overflow
//! the capacity cuts the branch. Links, per-stage speeds and every schedule
//! (the bounds hold for any placement) are respected.
//!
//! The incumbent starts from the warm start (when given) or from `exact`'s
//! bottleneck optimum. At a node budget or time limit the search returns its
//! best partition with status `feasible` and the least bound over what it
//! left open. Deterministic for a node budget; a time limit depends on the
//! machine.

mod bounds;
mod search;

use std::time::{Duration, Instant};

use pipecut_core::format::number;
use pipecut_core::{
    Objective, Partition, Partitioner, Prefix, Problem, Result, Solution, Status, TimeLimited,
    WarmStartable,
};

use crate::error::ExactError;
use crate::exact::Exact;
use search::{Search, Stop, PRUNE_SLACK};

/// Default [`ExactStepTime::max_nodes`].
pub const DEFAULT_MAX_NODES: u64 = 20_000_000;

/// Largest `layers x stages` the rest tables are built for.
pub const MAX_TABLE_CELLS: usize = 1 << 24;

/// `exact-steptime`: see the module docs.
#[derive(Debug, Clone)]
pub struct ExactStepTime {
    /// Most search nodes before it stops with the best partition so far.
    pub max_nodes: u64,
    /// Wall-clock limit of the search (none by default).
    pub time_limit: Option<Duration>,
    /// The partition the incumbent starts from (else `exact`'s optimum).
    pub warm_start: Option<Partition>,
}

impl Default for ExactStepTime {
    fn default() -> Self {
        ExactStepTime {
            max_nodes: DEFAULT_MAX_NODES,
            time_limit: None,
            warm_start: None,
        }
    }
}

impl ExactStepTime {
    /// Name on the command line.
    pub const NAME: &'static str = "exact-steptime";
    /// What it does.
    pub const DESCRIPTION: &'static str = "branch-and-bound over stage ends on the simulator: the least simulated step time, proven (every schedule, memory caps, links, speeds); feasible with a bound at its node or time limit";
}

impl TimeLimited for ExactStepTime {
    fn set_time_limit(&mut self, limit: Option<Duration>) {
        self.time_limit = limit;
    }

    fn time_limit(&self) -> Option<Duration> {
        self.time_limit
    }
}

impl WarmStartable for ExactStepTime {
    fn set_warm_start(&mut self, start: Option<Partition>) {
        self.warm_start = start;
    }
}

impl Partitioner for ExactStepTime {
    pipecut_core::partitioner_names!();

    fn solve(&self, problem: &Problem) -> Result<Solution> {
        let clock = Instant::now();
        let cells = problem.layers().saturating_mul(problem.stages());
        if cells > MAX_TABLE_CELLS {
            return Err(ExactError::StepTimeTooLarge {
                layers: problem.layers(),
                stages: problem.stages(),
                cells,
                max_cells: MAX_TABLE_CELLS,
            }
            .into_core(Self::NAME));
        }
        let start = match &self.warm_start {
            Some(start) => Partition::for_problem(start.starts().to_vec(), problem)?,
            None => Exact::default().solve(problem)?.partition,
        };
        let prefix = Prefix::new(problem);
        let deadline = self.time_limit.map(|limit| clock + limit);
        let search = Search::new(problem, &prefix, &start, self.max_nodes, deadline)
            .map_err(|e| ExactError::Simulation(e.to_string()).into_core(Self::NAME))?;
        let root_bound = search.root_bound();
        let out = search.run();
        let partition = Partition::new(out.starts, problem.layers())?;
        let mut solution = Solution::heuristic(partition, Objective::StepTime);
        // Pruning at `bound >= incumbent (1 - slack)` proves the optimum is at
        // least `incumbent (1 - slack)`, not the incumbent itself.
        let proven = out
            .bound
            .max(root_bound)
            .min(out.step_time * (1.0 - PRUNE_SLACK));
        solution.bound = Some(proven);
        solution.status = match out.stopped {
            None => Status::Optimal,
            Some(_) => Status::Feasible,
        };
        let mut notes = vec![format!(
            "branch-and-bound: {} node(s), {} complete partition(s) simulated; root bound {}",
            out.nodes,
            out.leaves,
            number(root_bound)
        )];
        if let Some(stop) = out.stopped {
            notes.push(format!(
                "stopped at its {} with a gap of {}%",
                match stop {
                    Stop::Time => "time limit",
                    Stop::Nodes => "node budget (max_nodes)",
                },
                number(100.0 * (out.step_time / out.bound.max(root_bound) - 1.0))
            ));
        }
        Ok(solution.with_notes(notes))
    }
}
