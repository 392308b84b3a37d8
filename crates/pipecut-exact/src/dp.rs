//! The DP oracle over (stage, prefix): simple, obviously right, and the
//! reference the other algorithms are tested against.

use std::time::Instant;

use pipecut_core::{
    evaluate_with, Error, Objective, Partition, Partitioner, Plan, Prefix, Problem, SolveInfo,
    Status,
};

use crate::error::ExactError;
use crate::support;

/// Default for [`Dp::max_cells`]: `P * N^2` up to two billion, about a
/// second or two for the bottleneck in release builds.
pub const DEFAULT_MAX_CELLS: u64 = 2_000_000_000;

/// Which objective a [`Dp`] minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DpObjective {
    /// `max_k t_k`.
    Bottleneck,
    /// `sum_k t_k + (M - 1) max_k t_k`.
    Surrogate,
}

/// The `O(P N^2)` dynamic programme over (stage, prefix).
///
/// `f[k][b]` is the best value of layers `0..b` split into stages `0..=k`;
/// stage `k` holding `a..b` costs `Prefix::stage_time(speed[k], a, b)` (compute
/// times its speed plus the link's cut costs, the very arithmetic plans use)
/// and must fit `memory_capacity` with its own in-flight count from
/// `Problem::peak_in_flight` (stage `k`'s memory is
/// `params + in_flight[k] * activations`). Memory is `O(P N)`: two value rows
/// and one argument table for the reconstruction.
///
/// - **Bottleneck** ([`Dp::bottleneck`], name `dp`): `f[k][b] = min_a
///   max(f[k-1][a], t_k(a, b))`. `O(P N^2)` time in the worst case; the scan
///   over `a` stops as soon as the stage's compute alone reaches the best value
///   found for `b` (or its memory the cap), which makes typical chains far
///   cheaper.
/// - **Surrogate** ([`Dp::surrogate`], name `dp-surrogate`): the objective
///   `S + (M - 1) T` (sum `S`, maximum `T`) does not decompose over stages, so
///   the DP minimises the sum under a cap on every stage time, `g_T[k][b] =
///   min_a g_T[k-1][a] + t_k(a, b)` with `t_k <= T`, and sweeps the cap down the
///   Pareto staircase of (maximum, minimum sum): first `T = inf` (the smallest
///   sum `S_inf`) and `T = T*` (the bottleneck optimum, the smallest maximum),
///   then from the largest `T` with `S_inf + (M - 1) T` below the best objective
///   so far, each time to just under the maximum of the partition found, until
///   `T <= T*`. Every partition is dominated (smaller or equal sum and
///   maximum) by one the sweep visits or is provably no better, so the result
///   is exact. Time `O((K + 3) P N^2)` with `K` the Pareto points in that
///   window; `K = 0` when `M = 1` (the sum alone), and small when speeds are
///   equal and there is no link (the sum is then the total work, up to
///   rounding, so the window around `T*` is a few units in the last place).
///
/// Interleaved schedules with a memory cap are refused
/// ([`Error::Unsupported`] naming `memory_capacity` and the schedule): a
/// device then holds several stages, whose memory the DP cannot add up; the
/// MILP handles that case. Problems with `P N^2 > max_cells` are refused with
/// [`ExactError::TooLarge`], which points to `exact`.
///
/// ```
/// use pipecut_core::{Chain, Layer, Partitioner, ProblemSpec};
/// use pipecut_exact::Dp;
///
/// let chain = Chain::new("c", "s", [3.0, 1.0, 1.0, 1.0, 2.0]
///     .iter().enumerate().map(|(i, &c)| Layer::new(format!("l{i}"), c, 0.0)).collect())?;
/// let problem = ProblemSpec::new(chain, 2).with_micro_batches(4).check()?;
/// let plan = Dp::bottleneck().solve(&problem)?;
/// assert_eq!(plan.starts, vec![0, 2]);
/// assert_eq!(plan.bottleneck, 4.0);
/// # Ok::<(), pipecut_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dp {
    /// What is minimised.
    pub objective: DpObjective,
    /// Largest `P * N^2` the DP accepts.
    pub max_cells: u64,
}

/// What the DP returns besides a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct DpSolution {
    /// An optimal partition.
    pub partition: Partition,
    /// Its objective value (bottleneck or surrogate step time), bit for bit
    /// what `pipecut_core::evaluate` reports for it.
    pub value: f64,
    /// Constrained DP passes run (1 for the bottleneck).
    pub passes: usize,
}

impl Default for Dp {
    fn default() -> Self {
        Dp::bottleneck()
    }
}

const NONE: usize = usize::MAX;

impl Dp {
    /// The bottleneck DP (`dp`).
    pub fn bottleneck() -> Self {
        Dp {
            objective: DpObjective::Bottleneck,
            max_cells: DEFAULT_MAX_CELLS,
        }
    }

    /// The surrogate step-time DP (`dp-surrogate`).
    pub fn surrogate() -> Self {
        Dp {
            objective: DpObjective::Surrogate,
            max_cells: DEFAULT_MAX_CELLS,
        }
    }

    /// Sets [`Dp::max_cells`].
    pub fn with_max_cells(mut self, max_cells: u64) -> Self {
        self.max_cells = max_cells;
        self
    }

    fn algorithm(&self) -> &'static str {
        match self.objective {
            DpObjective::Bottleneck => "dp",
            DpObjective::Surrogate => "dp-surrogate",
        }
    }

    /// `P * N^2` for a problem.
    pub fn cells(problem: &Problem) -> u128 {
        let n = problem.layers() as u128;
        problem.stages() as u128 * n * n
    }

    /// Whether the problem is within [`Dp::max_cells`].
    pub fn accepts(&self, problem: &Problem) -> bool {
        Dp::cells(problem) <= self.max_cells as u128
    }

    /// Solves and returns the optimal partition with its value.
    pub fn solution(&self, problem: &Problem) -> Result<DpSolution, Error> {
        let algorithm = self.algorithm();
        support::check_memory_model(problem, algorithm)?;
        if !self.accepts(problem) {
            return Err(ExactError::TooLarge {
                layers: problem.layers(),
                stages: problem.stages(),
                cells: Dp::cells(problem),
                max_cells: self.max_cells,
            }
            .into_core(algorithm));
        }
        let prefix = Prefix::new(problem);
        let total = prefix.work[prefix.len()];
        if !total.is_finite() {
            return Err(ExactError::NonFiniteTotal { total }.into_core(algorithm));
        }
        let table = Table::new(problem, &prefix);
        let infeasible = || support::memory_infeasible(problem);
        match self.objective {
            DpObjective::Bottleneck => {
                let starts = table.run(Mode::Max).ok_or_else(infeasible)?;
                let partition = Partition::for_problem(starts, problem)?;
                let value = evaluate_with(problem, &prefix, &partition).bottleneck;
                Ok(DpSolution {
                    partition,
                    value,
                    passes: 1,
                })
            }
            DpObjective::Surrogate => surrogate(problem, &prefix, &table, infeasible),
        }
    }
}

fn surrogate(
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
    let first = table
        .run(Mode::Sum(f64::INFINITY))
        .ok_or_else(&infeasible)?;
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
    let bottleneck = table.run(Mode::Max).ok_or_else(&infeasible)?;
    let (_, t_star, _, _) = eval(bottleneck)?;
    let mut cap = t_star;
    let mut upper = f64::INFINITY;
    loop {
        passes += 1;
        // Every cap >= the bottleneck optimum admits a partition.
        let starts = table.run(Mode::Sum(cap)).ok_or_else(&infeasible)?;
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
pub(crate) fn next_down(x: f64) -> f64 {
    if x <= 0.0 {
        x
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Minimise the maximum stage time.
    Max,
    /// Minimise the sum of stage times, each at most the given cap.
    Sum(f64),
}

struct Table<'p> {
    prefix: &'p Prefix,
    speed: Vec<f64>,
    in_flight: Vec<usize>,
    capacity: Option<u64>,
    stages: usize,
}

impl<'p> Table<'p> {
    fn new(problem: &Problem, prefix: &'p Prefix) -> Self {
        let stages = problem.stages();
        Table {
            prefix,
            speed: (0..stages).map(|k| problem.speed(k)).collect(),
            in_flight: problem.peak_in_flight(),
            capacity: problem.memory_capacity(),
            stages,
        }
    }

    /// Runs the DP; `None` when no partition meets the constraints.
    fn run(&self, mode: Mode) -> Option<Vec<usize>> {
        let n = self.prefix.len();
        let p = self.stages;
        let width = n + 1;
        let mut prev = vec![f64::INFINITY; width];
        let mut cur = vec![f64::INFINITY; width];
        let mut arg = vec![NONE; p * width];
        // Zero stages cover zero layers at no cost; `0 + t` and `max(0, t)` are
        // exactly `t` for the non-negative stage times.
        prev[0] = 0.0;
        for k in 0..p {
            let speed = self.speed[k];
            let in_flight = self.in_flight[k];
            cur.fill(f64::INFINITY);
            let row = &mut arg[k * width..(k + 1) * width];
            for b in k + 1..=n - (p - 1 - k) {
                let mut best = f64::INFINITY;
                let mut best_a = NONE;
                let a_hi = if k == 0 { 0 } else { b - 1 };
                for a in (k..=a_hi).rev() {
                    if let Some(cap) = self.capacity {
                        // Memory only grows as the stage starts earlier.
                        if self.prefix.stage_memory(in_flight, a, b) > cap {
                            break;
                        }
                    }
                    // The stage time is at least its compute, which only
                    // grows as the stage starts earlier.
                    let compute = speed * self.prefix.work(a, b);
                    let value = match mode {
                        Mode::Max => {
                            if compute >= best {
                                break;
                            }
                            if prev[a] == f64::INFINITY {
                                continue;
                            }
                            let t = self.prefix.stage_time(speed, a, b);
                            if t > prev[a] {
                                t
                            } else {
                                prev[a]
                            }
                        }
                        Mode::Sum(limit) => {
                            if compute > limit {
                                break;
                            }
                            if prev[a] == f64::INFINITY {
                                continue;
                            }
                            let t = self.prefix.stage_time(speed, a, b);
                            if t > limit {
                                continue;
                            }
                            prev[a] + t
                        }
                    };
                    if value < best {
                        best = value;
                        best_a = a;
                    }
                }
                cur[b] = best;
                row[b] = best_a;
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        if prev[n] == f64::INFINITY {
            return None;
        }
        let mut starts = vec![0usize; p];
        let mut end = n;
        for k in (0..p).rev() {
            let a = arg[k * width + end];
            starts[k] = a;
            end = a;
        }
        Some(starts)
    }
}

impl Partitioner for Dp {
    fn name(&self) -> &str {
        self.algorithm()
    }

    fn description(&self) -> &str {
        match self.objective {
            DpObjective::Bottleneck => {
                "O(P N^2) DP over (stage, prefix): proven minimum bottleneck, with speeds, \
                 memory caps and cut costs (reference oracle)"
            }
            DpObjective::Surrogate => {
                "DP sweep over (stage, prefix): proven minimum of sum t_k + (M-1) max t_k, \
                 with speeds, memory caps and cut costs"
            }
        }
    }

    fn solve(&self, problem: &Problem) -> Result<Plan, Error> {
        let started = Instant::now();
        let solution = self.solution(problem)?;
        let solve_seconds = started.elapsed().as_secs_f64();
        let objective = match self.objective {
            DpObjective::Bottleneck => Objective::Bottleneck,
            DpObjective::Surrogate => Objective::Surrogate,
        };
        let mut notes = Vec::new();
        if solution.passes > 1 {
            notes.push(format!(
                "{} constrained DP passes over the (maximum, sum) staircase",
                solution.passes
            ));
        }
        let info = SolveInfo {
            algorithm: self.algorithm().to_string(),
            status: Status::Optimal,
            objective,
            bound: Some(solution.value),
            solve_seconds,
            notes,
        };
        Ok(pipecut_sim::make_plan(problem, &solution.partition, info)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{Chain, Layer, ProblemSpec};

    fn chain(costs: &[f64]) -> Chain {
        Chain::new(
            "c",
            "s",
            costs
                .iter()
                .enumerate()
                .map(|(i, &c)| Layer::new(format!("l{i}"), c, 2.0 * c))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn refuses_above_max_cells_pointing_to_exact() {
        let problem = ProblemSpec::new(chain(&[1.0; 10]), 2).check().unwrap();
        assert_eq!(Dp::cells(&problem), 200);
        let err = Dp::bottleneck()
            .with_max_cells(199)
            .solution(&problem)
            .unwrap_err();
        let Error::Solver { algorithm, source } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(algorithm, "dp");
        let inner = source.downcast_ref::<ExactError>().unwrap();
        assert!(matches!(
            inner,
            ExactError::TooLarge {
                layers: 10,
                stages: 2,
                cells: 200,
                max_cells: 199
            }
        ));
        assert!(err.to_string().contains("`exact`"));
        assert!(Dp::bottleneck()
            .with_max_cells(200)
            .solution(&problem)
            .is_ok());
    }

    #[test]
    fn surrogate_trades_sum_against_maximum() {
        // Two stages, the second twice as slow: the bottleneck optimum and the
        // surrogate optimum differ once M is small.
        let problem = ProblemSpec::new(chain(&[1.0, 1.0, 1.0, 1.0]), 2)
            .with_speeds(vec![1.0, 2.0])
            .with_micro_batches(1)
            .check()
            .unwrap();
        let b = Dp::bottleneck().solution(&problem).unwrap();
        let s = Dp::surrogate().solution(&problem).unwrap();
        // Bottleneck: stage 1 gets 1 layer (6) vs stage 0 with 3 (9) or 2/2 (12).
        assert_eq!(b.partition.starts(), &[0, 3]);
        assert_eq!(b.value, 9.0);
        // M = 1: only the sum matters, and the fast stage should take all it can.
        assert_eq!(s.partition.starts(), &[0, 3]);
        assert_eq!(s.value, 15.0);
    }

    #[test]
    fn largest_below_is_the_exact_boundary() {
        let x = largest_below(10.0, 3.0, 22.0).unwrap();
        assert!(10.0 + 3.0 * x < 22.0);
        assert!(10.0 + 3.0 * f64::from_bits(x.to_bits() + 1) >= 22.0);
        assert_eq!(largest_below(10.0, 3.0, 10.0), None);
    }
}
