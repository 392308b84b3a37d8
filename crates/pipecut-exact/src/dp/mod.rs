//! The DP oracle over (stage, prefix): simple, obviously right, and the
//! reference the other algorithms are tested against.
//!
//! - the bottleneck recursion is core's one bottleneck DP
//!   ([`pipecut_core::dp::BottleneckTables`]);
//! - `table`: the constrained sum recursion of `dp-surrogate`;
//! - `surrogate`: its sweep down the (maximum, sum) staircase.

mod surrogate;
mod table;

use pipecut_core::dp::{BottleneckTables, Tie};
use pipecut_core::{
    evaluate_with, memory_infeasible, Error, Objective, Partition, Partitioner, Prefix, Problem,
    Solution,
};

use crate::device_load;
use crate::error::ExactError;
use crate::memory_model::check_memory_model;
use table::Table;

/// Default for [`Dp::max_cells`]: `P * N^2` up to two billion, the worst
/// case of the `O(P N^2)` recursions (pruning makes typical chains far
/// cheaper).
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
/// `params + in_flight[k] * activations`). Memory is `O(P N)`.
///
/// - **Bottleneck** ([`Dp::bottleneck`], name `dp`): `f[k][b] = min_a
///   max(f[k-1][a], t_k(a, b))`, core's one bottleneck DP
///   ([`pipecut_core::dp::BottleneckTables`], pruned, `O(P N^2)` in the worst
///   case). Of several optima it keeps, from the last stage back, the largest
///   start that attains the optimum ([`pipecut_core::dp::Tie::Latest`]).
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
/// With several stages per device (`Schedule::virtual_stages() > 1`) the
/// device, not the stage, limits the step: the bottleneck DP (`dp`) then
/// minimises the busiest device's load `max_d sum_{k on d} t_k` instead,
/// with device memory caps, by the same exact search as `exact` (the plan's
/// `bound` is that load; see the crate docs), and the problem size limit
/// below does not apply. The surrogate DP refuses such schedules under a
/// memory cap ([`Error::Unsupported`] naming `memory_capacity` and the
/// schedule): a device then holds several stages, whose memory its
/// recursion cannot add up; the MILP handles that case. Problems with
/// `P N^2 > max_cells` are refused with [`ExactError::TooLarge`], which
/// points to `exact`.
///
/// ```
/// use pipecut_core::{Chain, Layer, Partitioner, ProblemSpec};
/// use pipecut_exact::Dp;
///
/// let chain = Chain::new("c", "s", [3.0, 1.0, 1.0, 1.0, 2.0]
///     .iter().enumerate().map(|(i, &c)| Layer::new(format!("l{i}"), c, 0.0)).collect())?;
/// let problem = ProblemSpec::new(chain, 2).with_micro_batches(4).check()?;
/// let solution = Dp::bottleneck().solve(&problem)?;
/// assert_eq!(solution.partition.starts(), &[0, 2]);
/// assert_eq!(solution.bound, Some(4.0));
/// # Ok::<(), pipecut_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dp {
    /// What is minimised.
    pub objective: DpObjective,
    /// Largest `P * N^2` the DP accepts.
    pub max_cells: u64,
}

/// The DP's raw result.
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

    /// Name of the bottleneck DP.
    pub const BOTTLENECK_NAME: &'static str = "dp";
    /// What the bottleneck DP does.
    pub const BOTTLENECK_DESCRIPTION: &'static str =
        "O(P N^2) DP over (stage, prefix): proven minimum bottleneck, with speeds, \
         memory caps and cut costs (reference oracle); with several stages per device, the \
         least busiest-device load (exact search)";
    /// Name of the surrogate DP.
    pub const SURROGATE_NAME: &'static str = "dp-surrogate";
    /// What the surrogate DP does.
    pub const SURROGATE_DESCRIPTION: &'static str =
        "DP sweep over (stage, prefix): proven minimum of sum t_k + (M-1) max t_k, \
         with speeds, memory caps and cut costs";

    fn algorithm(&self) -> &'static str {
        match self.objective {
            DpObjective::Bottleneck => Self::BOTTLENECK_NAME,
            DpObjective::Surrogate => Self::SURROGATE_NAME,
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
        if self.objective == DpObjective::Bottleneck && problem.schedule().virtual_stages() > 1 {
            let found = device_load::solve_or_error(problem, algorithm)?;
            return Ok(DpSolution {
                partition: found.partition,
                value: found.value,
                passes: 1,
            });
        }
        check_memory_model(problem, algorithm)?;
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
        let infeasible = || memory_infeasible(problem, &prefix);
        match self.objective {
            DpObjective::Bottleneck => {
                let partition = bottleneck_partition(problem, &prefix).ok_or_else(infeasible)?;
                let value = evaluate_with(problem, &prefix, &partition).bottleneck;
                Ok(DpSolution {
                    partition,
                    value,
                    passes: 1,
                })
            }
            DpObjective::Surrogate => {
                let table = Table::new(problem, &prefix);
                surrogate::sweep(problem, &prefix, &table, infeasible)
            }
        }
    }
}

/// An optimal bottleneck partition from core's one bottleneck DP under the
/// problem's memory cap (`None` when nothing fits). Of several optima it
/// takes, from the last stage back, the largest start that attains the
/// optimum ([`Tie::Latest`]), the choice this solver always made.
fn bottleneck_partition(problem: &Problem, prefix: &Prefix) -> Option<Partition> {
    let caps = problem
        .memory_capacity()
        .map(|cap| vec![cap; problem.stages()]);
    BottleneckTables::new(problem, prefix, caps).partition(Tie::Latest)
}

impl Partitioner for Dp {
    fn name(&self) -> &str {
        self.algorithm()
    }

    fn description(&self) -> &str {
        match self.objective {
            DpObjective::Bottleneck => Self::BOTTLENECK_DESCRIPTION,
            DpObjective::Surrogate => Self::SURROGATE_DESCRIPTION,
        }
    }

    fn solve(&self, problem: &Problem) -> Result<Solution, Error> {
        if self.objective == DpObjective::Bottleneck && problem.schedule().virtual_stages() > 1 {
            let found = device_load::solve_or_error(problem, self.algorithm())?;
            let note = device_load::note(&found);
            return Ok(
                Solution::optimal(found.partition, Objective::DeviceLoad, found.value)
                    .with_note(note),
            );
        }
        let solution = self.solution(problem)?;
        let objective = match self.objective {
            DpObjective::Bottleneck => Objective::Bottleneck,
            DpObjective::Surrogate => Objective::Surrogate,
        };
        let passes = solution.passes;
        let result = Solution::optimal(solution.partition, objective, solution.value);
        Ok(if passes > 1 {
            result.with_note(format!(
                "{passes} constrained DP passes over the (maximum, sum) staircase"
            ))
        } else {
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::ProblemSpec;
    use pipecut_testkit::chain;

    /// Layers `l_i` with forward `c` and backward `2 c`.
    fn costs(forward: &[f64]) -> pipecut_core::Chain {
        chain(&forward.iter().map(|&c| (c, 2.0 * c)).collect::<Vec<_>>())
    }

    #[test]
    fn refuses_above_max_cells_pointing_to_exact() {
        let problem = ProblemSpec::new(costs(&[1.0; 10]), 2).check().unwrap();
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
        let problem = ProblemSpec::new(costs(&[1.0, 1.0, 1.0, 1.0]), 2)
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
}
