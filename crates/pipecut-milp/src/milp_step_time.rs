//! `milp-steptime`: the step-time MILP as a partitioner.

use pipecut_core::{Problem, Solution};
use pipecut_sim::Simulator;

use crate::error::MilpError;
use crate::finish::Finish;
use crate::model::step_time::StepTimeModel;
use crate::options::MilpOptions;
use crate::partitioner::{milp_partitioner, Seeds};
use crate::solve_context::SolveContext;
use crate::warm_start::Goal;

/// Exact minimum simulated step time by a MILP over the staircase assignment
/// and one start-time variable per operation, for the problem's schedule in
/// the order [`Schedule::device_order`](pipecut_core::Schedule::device_order)
/// gives, with the dependencies
/// [`Schedule::inputs`](pipecut_core::Schedule::inputs) gives.
///
/// Rows: each device runs its operations in order (`S_next >= S_prev +
/// duration`); each operation starts after every input has finished plus the
/// link delay of the boundary between them when they run on different
/// devices; the makespan `C` is at least the end of every device's last
/// operation. Durations and delays are linear in the staircase variables.
/// For a fixed assignment the least `C` is the longest path of this
/// precedence graph, which is exactly what the simulator computes, so the
/// optimum is the minimum simulated step time. The returned partition is
/// re-simulated and a disagreement with the solver's objective is an error.
#[derive(Debug)]
pub struct MilpStepTime {
    options: MilpOptions,
    seeds: Seeds,
}

impl MilpStepTime {
    /// Solves, keeping this crate's typed error.
    pub fn solve_milp(&self, problem: &Problem) -> Result<Solution, MilpError> {
        let mut ctx = SolveContext::new(problem, &self.options, Goal::StepTime, &self.seeds)?;
        let m = problem.micro_batches() as f64;
        // Every device runs all M forwards and backwards of its stages, so a
        // partition at least as good as the incumbent has every stage's
        // compute at most incumbent / M; and the step time is at least M
        // times the least compute bottleneck.
        let cap_value = ctx.cap_value;
        let mut built = StepTimeModel::build(&ctx.model_input(cap_value / m, m, false)?)?;
        let sim = Simulator::new(problem);
        if let Some(i) = &ctx.incumbent {
            built.start_from(problem, &ctx.prefix, &sim, &i.partition)?;
        }
        Finish {
            model: &built.model,
            stair: &built.stair,
            terms: problem.layers() + built.operations,
        }
        .run(ctx, |prefix, part, _| {
            Ok(sim.step_time(problem, prefix, part)?)
        })
    }
}

milp_partitioner!(
    MilpStepTime,
    name = "milp-steptime",
    bound_cut = true,
    description =
        "MILP over the schedule's fixed operation order: exact minimum simulated step time"
);
