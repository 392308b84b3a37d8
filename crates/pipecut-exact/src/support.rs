//! Checks and diagnostics shared by `dp` and `exact`.

use pipecut_core::{Error, Problem, Schedule};

use crate::reach::{Prober, StageModel, Sums};

/// Refuses a memory cap under an interleaved schedule: a device then holds
/// several stages, and its memory is their sum, which neither solver models.
pub(crate) fn check_memory_model(problem: &Problem, algorithm: &str) -> Result<(), Error> {
    if let (Some(capacity), Schedule::Interleaved { .. }) =
        (problem.memory_capacity(), problem.schedule())
    {
        return Err(Error::Unsupported {
            algorithm: algorithm.to_string(),
            reason: format!(
                "`memory_capacity` = {capacity} with schedule `{}`: each device holds {} stages \
                 and its memory is their sum, which a per-stage model cannot express; \
                 use the MILP (`milp`), or drop the cap",
                problem.schedule(),
                problem.schedule().virtual_stages()
            ),
        });
    }
    Ok(())
}

/// The typed error for a problem whose memory cap no partition meets, naming
/// the first stage that cannot be placed. Call only when that is known.
pub(crate) fn memory_infeasible(problem: &Problem) -> Error {
    let capacity = problem.memory_capacity().unwrap_or(u64::MAX);
    let model = StageModel::new(problem);
    let sums = Sums::new(problem, model.memory());
    let mut prober = Prober::new(&sums, &model, 0.0);
    let outcome = prober.probe(f64::INFINITY);
    let (stage, required) = if outcome.feasible {
        // Not expected: the caller saw no feasible partition. Report the
        // last stage rather than panic.
        (problem.stages() - 1, capacity)
    } else {
        (
            outcome.failed_stage,
            prober.required_memory(outcome.failed_stage),
        )
    };
    Error::MemoryInfeasible {
        stage,
        required,
        capacity,
    }
}
