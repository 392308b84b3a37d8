//! The surrogate step time `S + (M - 1) T` (sum `S`, maximum `T` of the
//! stage times) does not decompose over stages, so `dp-surrogate` sweeps a
//! cap on every stage time down the Pareto staircase of (maximum, minimum
//! sum), one constrained sum-DP per step (see [`Dp`](crate::Dp)).

use pipecut_core::{evaluate_with, Error, Partition, Prefix, Problem};

use super::table::Table;
use super::{bottleneck_partition, DpSolution};

/// The optimal surrogate partition; `infeasible` makes the error when no
/// partition fits the memory cap.
pub(super) fn sweep(
    problem: &Problem,
    prefix: &Prefix,
    table: &Table<'_>,
    infeasible: impl Fn() -> Error,
) -> Result<DpSolution, Error> {
    // (partition, maximum, sum, objective), all as `evaluate` computes them.
    let eval = |starts: Vec<usize>| -> Result<(Partition, f64, f64, f64), Error> {
        let partition = Partition::for_problem(starts, problem)?;
        let e = evaluate_with(problem, prefix, &partition);
        let sum: f64 = e.stages.iter().map(|s| s.time).sum();
        Ok((partition, e.bottleneck, sum, e.surrogate_step_time))
    };
    let mut passes = 1;
    let first = table.run(f64::INFINITY).ok_or_else(&infeasible)?;
    let (mut best, _, sum_inf, mut best_value) = eval(first)?;
    let m1 = problem.micro_batches() as f64 - 1.0;
    if m1 == 0.0 {
        // M = 1: the objective is the sum alone.
        return Ok(DpSolution {
            partition: best,
            value: best_value,
            passes,
        });
    }
    passes += 1;
    let bottleneck = bottleneck_partition(problem, prefix).ok_or_else(&infeasible)?;
    let t_star = evaluate_with(problem, prefix, &bottleneck).bottleneck;
    let mut cap = t_star;
    let mut upper = f64::INFINITY;
    loop {
        passes += 1;
        // Every cap >= the bottleneck optimum admits a partition.
        let starts = table.run(cap).ok_or_else(&infeasible)?;
        let (partition, max, _, value) = eval(starts)?;
        if value < best_value {
            best = partition;
            best_value = value;
        }
        // Partitions with a larger maximum were dominated by this one (on the
        // rounds after the first), and those above the window cannot beat
        // the best objective even with the smallest sum.
        if cap > t_star {
            upper = next_down(max);
        }
        match largest_below(sum_inf, m1, best_value) {
            Some(window) if window.min(upper) > t_star => cap = window.min(upper),
            _ => break,
        }
    }
    Ok(DpSolution {
        partition: best,
        value: best_value,
        passes,
    })
}

/// Largest non-negative `x` with `sum + m1 * x < best` (in `f64`
/// arithmetic, which is monotone in `x`), if any.
fn largest_below(sum: f64, m1: f64, best: f64) -> Option<f64> {
    let ok = |x: f64| sum + m1 * x < best;
    if !ok(0.0) {
        return None;
    }
    if ok(f64::MAX) {
        return Some(f64::MAX);
    }
    let (mut lo, mut hi) = (0u64, f64::MAX.to_bits());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(f64::from_bits(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(f64::from_bits(lo))
}

/// The largest float below a finite non-negative `x` (`x` itself at 0).
fn next_down(x: f64) -> f64 {
    if x <= 0.0 {
        x
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::largest_below;

    #[test]
    fn largest_below_is_the_exact_boundary() {
        let x = largest_below(10.0, 3.0, 22.0).unwrap();
        assert!(10.0 + 3.0 * x < 22.0);
        assert!(10.0 + 3.0 * f64::from_bits(x.to_bits() + 1) >= 22.0);
        assert_eq!(largest_below(10.0, 3.0, 10.0), None);
    }
}
