//! `autopipe`: the AutoPipe search idea driven by the real simulator.
//!
//! Differences from [`autopipe-reference`](crate::autopipe_reference):
//! - every candidate is timed by [`pipecut_sim::Simulator`] with the
//!   problem's own `M`, schedule, link delays and per-stage speeds; the
//!   critical stage is the simulator's;
//! - the DP behind the start and the re-splits is the one bottleneck DP
//!   ([`pipecut_core::dp::BottleneckTables`]) over real stage times
//!   (`speed[k] * (F + B) + comm`, [`pipecut_core::Prefix::stage_time`]),
//!   with memory-infeasible stages excluded when there is a capacity;
//! - besides the reference move (the first layer of the critical stage `c`
//!   goes to the stages before it, which are re-split by the prefix DP) it
//!   tries the mirror move: the last layer of `c` goes to the stages after
//!   it, which are re-split by the suffix DP (the stage next to `c` gets as
//!   many layers as the optimum allows, mirroring the reference's tie-break);
//! - a move that would empty a stage is skipped;
//! - the search is bounded by [`AutoPipe::max_evaluations`] simulations.
//!
//! **Memory.** The search starts from the bottleneck-DP partition if it fits
//! the capacity, otherwise from the memory-aware DP's partition, and only
//! ever enqueues partitions that fit, so the result fits whenever the start
//! does. When each device holds one stage the memory-aware DP is exact: when
//! it finds nothing, no partition fits and the error is
//! [`pipecut_core::Error::MemoryInfeasible`] (from
//! [`pipecut_core::memory_infeasible`]). When a device holds several stages
//! (interleaving) the per-stage caps are tightened on over-full devices for
//! up to [`INTERLEAVED_CAP_ROUNDS`] rounds, then tried uniformly on a grid of
//! [`INTERLEAVED_CAP_GRID`] steps, and problems with at most
//! [`ENUMERATION_LIMIT`] partitions are enumerated (exact: the fitting one
//! with the least bottleneck, or `MemoryInfeasible`). Only larger problems
//! can end in [`HeuristicError::NoFittingStart`](crate::HeuristicError::NoFittingStart)
//! (not proven infeasible).
//!
//! Files: `initial_partition` (the start), `memory_fit` (device overflow,
//! capped DP rounds, cap grid), `enumeration` (small problems), `search`
//! (the critical-stage search and its moves).

mod enumeration;
mod initial_partition;
mod memory_fit;
mod search;

pub use enumeration::ENUMERATION_LIMIT;
pub use initial_partition::autopipe_start;
pub use memory_fit::{INTERLEAVED_CAP_GRID, INTERLEAVED_CAP_ROUNDS};
pub use search::{autopipe_search, autopipe_search_from, AutoPipeSearch};

use pipecut_core::format::number;
use pipecut_core::{Objective, Partitioner, Problem, Result, Solution};

/// Default [`AutoPipe::max_evaluations`].
pub const DEFAULT_MAX_EVALUATIONS: usize = 1000;

/// `autopipe`: the simulator-driven AutoPipe, see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct AutoPipe {
    /// Most simulations per solve (default [`DEFAULT_MAX_EVALUATIONS`]; the
    /// start is always simulated, so 0 acts as 1); the search stops there
    /// and says so in a note.
    pub max_evaluations: usize,
}

impl AutoPipe {
    /// Name on the command line.
    pub const NAME: &'static str = "autopipe";
    /// What it does.
    pub const DESCRIPTION: &'static str = "AutoPipe's critical-stage search on the real simulator (M, schedule, link, speeds, memory), moves both ways, bounded";
}

impl Default for AutoPipe {
    fn default() -> Self {
        AutoPipe {
            max_evaluations: DEFAULT_MAX_EVALUATIONS,
        }
    }
}

impl Partitioner for AutoPipe {
    pipecut_core::partitioner_names!();
    fn solve(&self, problem: &Problem) -> Result<Solution> {
        let r =
            autopipe_search(problem, self.max_evaluations).map_err(|e| e.into_core(Self::NAME))?;
        let mut notes = vec![format!(
            "simulated step time: start {} -> {} after {} simulation(s)",
            number(r.start_step_time),
            number(r.best_step_time),
            r.evaluations
        )];
        if r.limit_hit {
            notes.push(format!(
                "stopped at max_evaluations = {} with candidates left",
                self.max_evaluations
            ));
        }
        notes.extend(r.start_note);
        Ok(Solution::heuristic(r.best, Objective::StepTime).with_notes(notes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{Chain, ProblemSpec, Schedule};
    use pipecut_sim::PlanExt;

    /// Layers with `F = c`, `B = 2c` and `activation` bytes each.
    fn chain(costs: &[f64], activation: u64) -> Chain {
        pipecut_testkit::layers(costs.iter().map(|&c| (c, 2.0 * c, 0, activation, 0)))
    }

    #[test]
    fn single_layer_critical_stage_gives_a_valid_partition() {
        let mut costs = vec![1.0; 7];
        costs.push(10.0);
        let problem = pipecut_testkit::problem(chain(&costs, 0), 4, 8);
        let solution = AutoPipe::default().solve(&problem).unwrap();
        let part = &solution.partition;
        assert_eq!(part.range(3), 7..8, "the heavy layer is a stage of its own");
        assert_eq!(solution.objective, Objective::StepTime);
        assert_eq!(solution.status, pipecut_core::Status::Heuristic);
    }

    #[test]
    fn memory_forces_a_fitting_start() {
        // 1F1B, P = 2, M = 4: in-flight [2, 1]; 10 activation bytes per layer.
        // The time DP start [0, 2] needs 2 * 20 = 40 bytes on stage 0 > 30;
        // [0, 1] needs 20 and 30: the only fitting split.
        let problem = ProblemSpec::new(chain(&[1.0; 4], 10), 2)
            .with_micro_batches(4)
            .with_memory_capacity(30)
            .check()
            .unwrap();
        let r = autopipe_search(&problem, 100).unwrap();
        assert_eq!(r.start.starts(), &[0, 1]);
        assert_eq!(r.best.starts(), &[0, 1]);
        assert!(r.start_note.is_some());
        let plan = AutoPipe::default().plan(&problem).unwrap();
        assert!(plan.fits_memory());
        assert_eq!(plan.notes.len(), 2, "{:?}", plan.notes);
    }

    #[test]
    fn memory_infeasible_names_the_stage() {
        let spec = ProblemSpec::new(chain(&[1.0; 4], 10), 2).with_micro_batches(4);
        // Capacity 15: stage 0 holds 2 micro-batches, so even one layer
        // needs 20. Capacity 25: stage 0 takes one layer at most, leaving 3
        // layers (30 bytes) for stage 1.
        for (capacity, stage, required) in [(15, 0, 20), (25, 1, 30)] {
            let p = spec.clone().with_memory_capacity(capacity).check().unwrap();
            let err = AutoPipe::default().solve(&p);
            assert!(
                matches!(err, Err(pipecut_core::Error::MemoryInfeasible { stage: s, required: r, capacity: c })
                    if (s, r, c) == (stage, required, capacity)),
                "{err:?}"
            );
        }
    }

    #[test]
    fn interleaved_speeds_and_link_are_simulated() {
        let costs: Vec<f64> = (0..12).map(|i| 1.0 + (i % 3) as f64).collect();
        let problem = ProblemSpec::new(chain(&costs, 0), 4)
            .with_schedule(Schedule::Interleaved { virtual_stages: 2 })
            .with_micro_batches(4)
            .with_link(0.5, 1.0)
            .with_speeds(vec![1.0, 2.0, 1.0, 2.0])
            .check()
            .unwrap();
        let r = autopipe_search(&problem, 50).unwrap();
        assert!(r.best_step_time <= r.start_step_time);
        let sim = pipecut_sim::simulate(&problem, &r.best, false).unwrap();
        assert_eq!(sim.step_time, r.best_step_time);
        let plan = AutoPipe::default().plan(&problem).unwrap();
        assert_eq!(plan.step_time(), r.best_step_time);
    }

    #[test]
    fn evaluation_limit_is_honoured() {
        let costs: Vec<f64> = (0..40).map(|i| 1.0 + ((i * 7) % 5) as f64).collect();
        let problem = pipecut_testkit::problem(chain(&costs, 0), 6, 12);
        let r = autopipe_search(&problem, 1).unwrap();
        assert_eq!(r.evaluations, 1);
        assert_eq!(r.best, r.start);
        let full = autopipe_search(&problem, 10_000).unwrap();
        assert!(!full.limit_hit);
        assert!(full.best_step_time <= r.best_step_time);
        let limited = AutoPipe { max_evaluations: 1 }.solve(&problem).unwrap();
        assert!(
            r.limit_hit
                == limited
                    .notes
                    .iter()
                    .any(|n| n.contains("max_evaluations = 1"))
        );
        let zero = AutoPipe { max_evaluations: 0 }.solve(&problem).unwrap_err();
        assert!(zero.to_string().contains("max_evaluations"), "{zero}");
    }
}
