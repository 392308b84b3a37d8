//! The one place a [`Plan`] is made: time the solve, evaluate and simulate
//! the partition once, put it all together. Partitioners never time
//! themselves or build plans; the harness and the CLI never simulate a plan
//! again.

use std::time::Instant;

use pipecut_core::{
    evaluate_with, Objective, Partition, Partitioner, Plan, Prefix, Problem, Result, Solution,
};

use crate::engine::Simulator;

/// Runs partitioners on one problem and assembles their plans.
///
/// ```
/// use pipecut_core::{Chain, Layer, Partition, Partitioner, Problem, ProblemSpec, Result, Solution, Objective};
/// use pipecut_sim::Executor;
///
/// /// Splits after the first layer.
/// struct FirstCut;
/// impl Partitioner for FirstCut {
///     fn name(&self) -> &str { "first-cut" }
///     fn description(&self) -> &str { "one layer, then the rest" }
///     fn solve(&self, problem: &Problem) -> Result<Solution> {
///         Ok(Solution::heuristic(Partition::for_problem(vec![0, 1], problem)?, Objective::Rule))
///     }
/// }
///
/// let chain = Chain::new("u", "s", (0..4).map(|i| Layer::new(format!("l{i}"), 1.0, 2.0)).collect())?;
/// let problem = ProblemSpec::new(chain, 2).with_micro_batches(4).check()?;
/// let plan = Executor::new(&problem).run(&FirstCut)?;
/// assert_eq!(plan.algorithm, "first-cut");
/// assert_eq!(plan.bottleneck(), 9.0);
/// assert!(plan.simulation.timeline.is_none());
/// # Ok::<(), pipecut_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Executor<'p> {
    problem: &'p Problem,
    timeline: bool,
}

impl<'p> Executor<'p> {
    /// An executor for `problem`, without timelines.
    pub fn new(problem: &'p Problem) -> Self {
        Executor {
            problem,
            timeline: false,
        }
    }

    /// Whether plans carry the simulated timeline (for Gantt charts).
    pub fn with_timeline(mut self, timeline: bool) -> Self {
        self.timeline = timeline;
        self
    }

    /// Solves with `partitioner` (timed), then assembles the plan.
    pub fn run<P: Partitioner + ?Sized>(&self, partitioner: &P) -> Result<Plan> {
        let (solution, seconds) = self.timed_solve(partitioner)?;
        self.assemble(partitioner.name(), solution, seconds)
    }

    /// Only the timed solve: the solution and the wall-clock seconds it took
    /// (what `pipecut bench` repeats).
    pub fn timed_solve<P: Partitioner + ?Sized>(&self, partitioner: &P) -> Result<(Solution, f64)> {
        let started = Instant::now();
        let solution = partitioner.solve(self.problem)?;
        Ok((solution, started.elapsed().as_secs_f64()))
    }

    /// The plan of a solution found elsewhere: evaluated and simulated once.
    pub fn assemble(
        &self,
        algorithm: &str,
        solution: Solution,
        solve_seconds: f64,
    ) -> Result<Plan> {
        let problem = self.problem;
        let prefix = Prefix::new(problem);
        // Simulating first also checks that the partition fits the problem.
        let simulation = Simulator::new(problem).run_with(
            problem,
            &prefix,
            &solution.partition,
            self.timeline,
        )?;
        let evaluation = evaluate_with(problem, &prefix, &solution.partition);
        Ok(Plan::assemble(
            problem,
            algorithm,
            solution,
            evaluation,
            simulation,
            solve_seconds,
        ))
    }

    /// The plan of a split the user gives (`pipecut simulate`): algorithm
    /// `given`, no objective.
    pub fn given(&self, partition: Partition) -> Result<Plan> {
        self.assemble(
            "given",
            Solution::heuristic(partition, Objective::Rule),
            0.0,
        )
    }
}

/// `partitioner.plan(&problem)`: [`Executor::run`] as a method of every
/// partitioner.
pub trait PlanExt: Partitioner {
    /// Solves `problem` and assembles the plan.
    fn plan(&self, problem: &Problem) -> Result<Plan> {
        Executor::new(problem).run(self)
    }
}

impl<T: Partitioner + ?Sized> PlanExt for T {}
