//! The one bottleneck DP ([`pipecut_core::dp`]) as both models use it: a
//! warm-start candidate and the lower bound of the bound cut. Both respect
//! the memory capacity per stage only (device sums are the models' rows).

use pipecut_core::dp::{BottleneckTables, Tie};
use pipecut_core::{evaluate, Partition, Partitioner, Prefix, Problem, Status};

/// Largest `P N^2` the DP runs for (its worst case is `O(P N^2)`); above it
/// the lower bound comes from `pipecut-exact`'s `exact`.
const DP_MAX_CELLS: u128 = 50_000_000;

/// Whether the DP runs for `problem`.
pub(crate) fn dp_runs(problem: &Problem) -> bool {
    let (n, p) = (problem.layers() as u128, problem.stages() as u128);
    p * n * n <= DP_MAX_CELLS
}

/// The DP's tables with every stage capped at the memory capacity.
fn tables<'a>(problem: &Problem, prefix: &'a Prefix) -> BottleneckTables<'a> {
    let caps = problem
        .memory_capacity()
        .map(|cap| vec![cap; problem.stages()]);
    BottleneckTables::new(problem, prefix, caps)
}

/// A least-bottleneck partition whose stages each fit the memory on their
/// own (ties: the earliest cut of every stage, from the last stage back).
pub(crate) fn dp_partition(problem: &Problem, prefix: &Prefix) -> Option<Partition> {
    tables(problem, prefix).partition(Tie::Earliest)
}

/// The least bottleneck over partitions whose stages each fit the memory on
/// their own (a lower bound for both models), with or without the cut costs:
/// the DP when [`dp_runs`], else `pipecut-exact`'s `exact` on the same
/// problem. `None` when nothing is proven.
pub(crate) fn least_bottleneck(problem: &Problem, prefix: &Prefix, with_comm: bool) -> Option<f64> {
    let without_link;
    let (problem, prefix) = if with_comm || problem.link().is_none() {
        (problem, prefix)
    } else {
        let mut spec = problem.spec().clone();
        spec.link = None;
        let relaxed = spec.check().ok()?;
        let relaxed_prefix = Prefix::new(&relaxed);
        without_link = (relaxed, relaxed_prefix);
        (&without_link.0, &without_link.1)
    };
    if dp_runs(problem) {
        return tables(problem, prefix).optimum();
    }
    // `exact` proves its optimum; without a proof there is no bound.
    let solution = pipecut_exact::Exact::default().solve(problem).ok()?;
    (solution.status == Status::Optimal).then(|| evaluate(problem, &solution.partition).bottleneck)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{evaluate_with, synthetic, ProblemSpec};
    use pipecut_testkit::partitions;

    /// Least bottleneck over partitions whose stages each fit the capacity.
    fn brute(problem: &Problem, prefix: &Prefix, with_comm: bool) -> Option<f64> {
        let in_flight = problem.peak_in_flight();
        partitions(problem.layers(), problem.stages())
            .filter(|part| {
                part.ranges().enumerate().all(|(k, r)| {
                    problem
                        .memory_capacity()
                        .is_none_or(|c| prefix.stage_memory(in_flight[k], r.start, r.end) <= c)
                })
            })
            .map(|part| {
                let e = evaluate_with(problem, prefix, &part);
                e.stages
                    .iter()
                    .enumerate()
                    .map(|(k, s)| {
                        let t = problem.speed(k) * (s.forward + s.backward);
                        if with_comm {
                            s.time
                        } else {
                            t
                        }
                    })
                    .fold(0.0, f64::max)
            })
            .min_by(f64::total_cmp)
    }

    #[test]
    fn dp_matches_brute_force_with_links_speeds_and_memory() {
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
            let want = brute(&problem, &prefix, true);
            assert_eq!(least_bottleneck(&problem, &prefix, true), want);
            match dp_partition(&problem, &prefix) {
                Some(part) => {
                    assert_eq!(
                        Some(evaluate_with(&problem, &prefix, &part).bottleneck),
                        want
                    )
                }
                None => assert!(want.is_none()),
            }
            let compute_only = least_bottleneck(&problem, &prefix, false);
            let want = brute(&problem, &prefix, false);
            match (compute_only, want) {
                (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * b, "{a} {b}"),
                (a, b) => assert_eq!(a, b),
            }
        }
    }
}
