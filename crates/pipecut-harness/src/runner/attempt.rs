//! One partitioner on one problem: size cap, timed solve (panics caught),
//! a check that the partition belongs to the problem, the plan from the
//! executor, and the plan's figures copied into an [`AlgorithmResult`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use pipecut_core::{Partition, Partitioner, Plan, Problem};
use pipecut_sim::Executor;

use super::RunOptions;
use crate::results::{AlgorithmResult, RunState};

/// Runs `partitioner` on `problem` unless a size cap rules it out.
///
/// The solve and the assembly are the two halves of `Executor::run`, taken
/// one at a time so that a failing solver and an unusable partition get
/// different messages.
pub(super) fn attempt(
    problem: &Problem,
    partitioner: &dyn Partitioner,
    options: &RunOptions,
) -> AlgorithmResult {
    let name = partitioner.name();
    if let Some(cap) = options.cap_of(name) {
        if problem.layers() > cap {
            let why = format!("size cap: {} layers > max_layers = {cap}", problem.layers());
            return unsolved(name, RunState::Skipped, why, 0.0);
        }
    }
    let executor = Executor::new(problem);
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| executor.timed_solve(partitioner)));
    let failed = |message: String| {
        let wall = started.elapsed().as_secs_f64();
        unsolved(name, RunState::Failed, message, wall)
    };
    let (solution, seconds) = match outcome {
        Ok(Ok(solved)) => solved,
        Ok(Err(e)) => return failed(e.to_string()),
        Err(payload) => {
            return failed(format!("panicked: {}", panic_message(payload.as_ref())));
        }
    };
    let starts = solution.partition.starts();
    if let Err(e) = Partition::for_problem(starts.to_vec(), problem) {
        return failed(format!("returned an invalid partition {starts:?}: {e}"));
    }
    match executor.assemble(name, solution, seconds) {
        Ok(plan) => solved(plan),
        Err(e) => failed(format!("its partition cannot be evaluated: {e}")),
    }
}

/// A result without a plan.
fn unsolved(algorithm: &str, state: RunState, message: String, seconds: f64) -> AlgorithmResult {
    AlgorithmResult {
        algorithm: algorithm.to_string(),
        state,
        message: Some(message),
        starts: Vec::new(),
        bottleneck: None,
        step_time: None,
        gain: None,
        step_gap: None,
        bottleneck_gap: None,
        peak_memory_bytes: None,
        fits_memory: None,
        solve_seconds: seconds,
        status: None,
        objective: None,
        notes: Vec::new(),
    }
}

/// A plan's figures; gains and gaps are filled in once every algorithm has
/// run.
fn solved(plan: Plan) -> AlgorithmResult {
    AlgorithmResult {
        starts: plan.starts().to_vec(),
        bottleneck: Some(plan.bottleneck()),
        step_time: Some(plan.step_time()),
        gain: None,
        step_gap: None,
        bottleneck_gap: None,
        peak_memory_bytes: Some(plan.peak_memory_bytes()),
        fits_memory: Some(plan.fits_memory()),
        solve_seconds: plan.solve_seconds,
        status: Some(plan.status),
        objective: Some(plan.objective),
        state: RunState::Solved,
        message: None,
        algorithm: plan.algorithm,
        notes: plan.notes,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
