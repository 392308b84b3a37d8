//! Choosing among the optimal partitions: the earliest-cut and latest-cut
//! optima are simulated and the smaller step time wins.

use pipecut_core::{Error, Problem};
use pipecut_sim::{Scratch, Simulator, StageTimes};

use super::prefix_sums::Sums;
use super::stage_model::StageModel;

/// `K P M` (`K` operation kinds of the schedule): about the operations one
/// simulation of the problem runs.
pub(super) fn operations(problem: &Problem) -> usize {
    problem
        .schedule()
        .op_kinds()
        .len()
        .saturating_mul(problem.stages())
        .saturating_mul(problem.micro_batches())
}

/// Simulated step times of the earliest-cut and latest-cut partitions.
pub(super) fn simulate_both(
    problem: &Problem,
    sums: &Sums<'_>,
    model: &StageModel,
    earliest: &[usize],
    latest: &[usize],
) -> Result<(f64, f64), Error> {
    let sim = Simulator::new(problem);
    let mut scratch = Scratch::default();
    let split = problem.schedule().splits_backward();
    let mut step = |starts: &[usize]| -> Result<f64, Error> {
        let times = stage_times(sums, model, starts, split);
        Ok(sim.run_times_with(&mut scratch, &times)?)
    };
    Ok((step(earliest)?, step(latest)?))
}

/// Simulator input for a partition, equal to `StageTimes::from_partition`
/// (`Prefix::stage_compute` per stage) without building the full core prefix
/// arrays, which would cost more than the whole search on long chains. Every
/// transfer is zero on this path (a link that charges one sends the problem
/// to the DP), so there are no delays. The weight-gradient parts cost one
/// more pass over the chain, so they are summed only when the schedule
/// splits backwards (`split`); otherwise nothing reads them.
fn stage_times(sums: &Sums<'_>, model: &StageModel, starts: &[usize], split: bool) -> StageTimes {
    let n = sums.len();
    let p = starts.len();
    let ends = || (0..p).map(|k| starts.get(k + 1).copied().unwrap_or(n));
    let weights = if split {
        sums.backward_weight_at(ends())
    } else {
        vec![0.0; p]
    };
    let mut forward = Vec::with_capacity(p);
    let mut backward = Vec::with_capacity(p);
    let mut backward_weight = Vec::with_capacity(p);
    let mut at_start = (sums.forward_backward_at(0), 0.0);
    for (k, (end, w_end)) in ends().zip(weights).enumerate() {
        let at_end = (sums.forward_backward_at(end), w_end);
        let speed = model.speed[k];
        forward.push(speed * (at_end.0 .0 - at_start.0 .0));
        backward.push(speed * (at_end.0 .1 - at_start.0 .1));
        backward_weight.push(speed * (at_end.1 - at_start.1));
        at_start = at_end;
    }
    StageTimes {
        forward,
        backward,
        backward_weight,
        delay: vec![0.0; p],
    }
}
