//! `exact`: the fast exact bottleneck solver.

use std::time::Instant;

use pipecut_core::{
    Error, Link, Objective, Partition, Partitioner, Plan, Problem, SolveInfo, Status,
};
use pipecut_sim::{Simulator, StageTimes};

use crate::dp::Dp;
use crate::error::ExactError;
use crate::reach::{Prober, StageModel, Sums};
use crate::support;

/// The fast exact bottleneck solver (`exact`).
///
/// 1. One pass over the chain builds the work prefix (the very sums
///    `pipecut_core::Prefix` builds, so values agree bit for bit with plans)
///    and, only under a memory cap, the byte prefixes.
/// 2. Bounds: with `W` the total work, `w` the heaviest layer and
///    `H = sum_k 1 / speed_k`, every optimum `T*` satisfies
///    `T* >= max(W / H, min_k speed_k * w)` (stage `k` does at most `T / speed_k`
///    work; some stage holds the heaviest layer), and without a memory cap
///    `T* <= max((W + P w) / H, max_k speed_k * w)` (stage `k` stops at most one
///    layer short of `T / speed_k`). With equal speeds these are the classic
///    `max(W/P, w)` and `W/P + w`. The lower bound is shrunk by a few units in
///    the last place to stay rigorous under rounding.
/// 3. The probe decides whether threshold `T` is feasible: stage by stage it
///    extends as far as time and memory allow (a galloping binary search on
///    the prefix sums), `O(P log N)` when every layer fits every stage on its
///    own; layers that fit some stages only (slow devices, more in-flight
///    micro-batches) are handled exactly by tracking all reachable stage ends
///    (see the `reach` module).
/// 4. The search keeps `lo <= T* <= hi` where both ends are values a stage
///    actually takes: a feasible probe lowers `hi` to the bottleneck of the
///    partition it built; an infeasible one raises `lo` to the smallest stage
///    time at which its outcome could change. Probing the midpoint of the
///    float bit patterns in between halves the gap each time, so at most 64
///    probes are needed and the answer is the exact optimum, bit-identical to
///    the DP's, not an epsilon-approximation.
/// 5. Among the partitions with that bottleneck, the earliest-cut and the
///    latest-cut ones (every optimal partition lies between them, cut by
///    cut) are simulated and the smaller step time wins, unless that costs
///    more than [`Exact::max_tie_break_operations`].
///
/// Cost: `O(N)` for the pass plus `O(P log N)` per probe, and at most 64
/// probes (typically 8 to 20). Layers that some stage cannot hold alone add
/// `O(log N)` each where a probe meets them. A link with cut
/// costs (non-zero transfer time) makes stage time non-monotone in a stage's
/// extent; then `exact` falls back to [`Dp`] and says so in the plan's notes.
///
/// ```
/// use pipecut_core::{synthetic::{generate, Family}, Partitioner, ProblemSpec};
/// use pipecut_exact::{optimal_bottleneck, Dp, Exact};
///
/// let problem = ProblemSpec::new(generate(Family::Lognormal, 200, 1), 8)
///     .with_micro_batches(16)
///     .check()?;
/// let fast = optimal_bottleneck(&problem)?;
/// let oracle = Dp::bottleneck().solution(&problem)?;
/// assert_eq!(fast.value, oracle.value);
/// assert!(fast.lower_bound <= fast.value && fast.value <= fast.upper_bound);
/// let plan = Exact::default().solve(&problem)?;
/// assert_eq!(plan.bottleneck, fast.value);
/// # Ok::<(), pipecut_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Exact {
    /// The DP used when a link's cut costs break monotonicity.
    pub fallback: Dp,
    /// When the earliest-cut and latest-cut optimal partitions differ, both
    /// are simulated (`2 P M` operations each) and the faster is kept, as
    /// long as `2 P M` is at most this; otherwise, or at 0, the latest-cut one
    /// is kept without simulating. The default,
    /// [`Exact::DEFAULT_MAX_TIE_BREAK_OPERATIONS`], keeps the simulations to a
    /// few milliseconds.
    pub max_tie_break_operations: usize,
}

impl Exact {
    /// Default for [`Exact::max_tie_break_operations`] (`2^17`: e.g. `P = 64`
    /// with `M` up to 1,024, or `P = 1,024` with `M` up to 64).
    pub const DEFAULT_MAX_TIE_BREAK_OPERATIONS: usize = 1 << 17;
}

impl Default for Exact {
    fn default() -> Self {
        Exact {
            fallback: Dp::bottleneck(),
            max_tie_break_operations: Exact::DEFAULT_MAX_TIE_BREAK_OPERATIONS,
        }
    }
}

/// The raw result of the exact bottleneck solver.
#[derive(Debug, Clone, PartialEq)]
pub struct BottleneckSolution {
    /// The chosen optimal partition (the faster simulated of `earliest` and
    /// `latest` when ties are simulated).
    pub partition: Partition,
    /// The optimal bottleneck `max_k t_k`, exactly as `pipecut_core::evaluate`
    /// computes it for `partition`.
    pub value: f64,
    /// The proven lower bound the search started from.
    pub lower_bound: f64,
    /// The first proven upper bound (the bottleneck of the first feasible
    /// probe's partition, at or below the analytic bound).
    pub upper_bound: f64,
    /// Feasibility probes run.
    pub probes: usize,
    /// Whether the DP solved it instead (a link with cut costs).
    pub fell_back_to_dp: bool,
    /// The optimal partition with every cut as early as possible.
    pub earliest: Partition,
    /// The optimal partition with every cut as late as possible.
    pub latest: Partition,
    /// Simulated step times of `earliest` and `latest`, when compared (see
    /// [`Exact::max_tie_break_operations`]).
    pub simulated: Option<(f64, f64)>,
}

/// Solves the bottleneck problem exactly with [`Exact::default`].
pub fn optimal_bottleneck(problem: &Problem) -> Result<BottleneckSolution, Error> {
    Exact::default().solution(problem)
}

const NAME: &str = "exact";

impl Exact {
    /// Solves and returns the raw solution (no plan).
    pub fn solution(&self, problem: &Problem) -> Result<BottleneckSolution, Error> {
        support::check_memory_model(problem, NAME)?;
        if let Some(link) = problem.link() {
            let charges = problem
                .chain()
                .layers()
                .iter()
                .any(|l| link.transfer_time(l.output_bytes) != 0.0);
            if charges {
                return self.via_dp(problem, link);
            }
        }
        let model = StageModel::new(problem);
        let sums = Sums::new(problem, model.memory());
        let total = sums.work[sums.len()];
        if !total.is_finite() {
            return Err(ExactError::NonFiniteTotal { total }.into_core(NAME));
        }
        let (lower_bound, analytic_upper) = bounds(&sums, &model);
        let mut prober = Prober::new(&sums, &model, lower_bound);

        let mut hi = if prober.probe(analytic_upper).feasible {
            prober.bottleneck(&prober.latest())
        } else {
            // Only a memory cap (or rounding at the bound) makes it infeasible.
            let memory_only = prober.probe(f64::INFINITY);
            if !memory_only.feasible {
                return Err(support::memory_infeasible(problem));
            }
            prober.bottleneck(&prober.latest())
        };
        let upper_bound = hi;
        let mut lo = lower_bound.min(hi);
        while lo < hi {
            // Midpoint of the bit patterns: lo <= mid < hi.
            let (lb, hb) = (lo.to_bits(), hi.to_bits());
            let mid = f64::from_bits(lb + (hb - lb) / 2);
            let outcome = prober.probe(mid);
            if outcome.feasible {
                // The partition meets `mid`, so its bottleneck is <= mid < hi;
                // the `min` only guards termination.
                let achieved = prober.bottleneck(&prober.latest());
                debug_assert!(achieved <= mid);
                hi = achieved.min(mid);
            } else {
                let above = f64::from_bits(mid.to_bits() + 1);
                lo = outcome.next_value.max(above).min(hi);
            }
        }
        let outcome = prober.probe(hi);
        debug_assert!(outcome.feasible);
        let latest = prober.latest();
        let earliest = prober.earliest();
        debug_assert_eq!(prober.bottleneck(&latest), hi);
        debug_assert_eq!(prober.bottleneck(&earliest), hi);

        let operations = 2usize
            .saturating_mul(problem.stages())
            .saturating_mul(problem.micro_batches());
        let (chosen, simulated) =
            if earliest != latest && operations <= self.max_tie_break_operations {
                let sim = Simulator::new(problem);
                let step = |starts: &[usize]| -> Result<f64, Error> {
                    let times = stage_times(problem, &sums, &model, starts);
                    Ok(sim.run_times(&times, false).map_err(Error::from)?.step_time)
                };
                let (e, l) = (step(&earliest)?, step(&latest)?);
                (if l < e { &latest } else { &earliest }, Some((e, l)))
            } else {
                (&latest, None)
            };
        Ok(BottleneckSolution {
            partition: Partition::for_problem(chosen.clone(), problem)?,
            value: hi,
            lower_bound,
            upper_bound,
            probes: prober.probes,
            fell_back_to_dp: false,
            earliest: Partition::for_problem(earliest, problem)?,
            latest: Partition::for_problem(latest, problem)?,
            simulated,
        })
    }

    fn via_dp(&self, problem: &Problem, link: Link) -> Result<BottleneckSolution, Error> {
        if !self.fallback.accepts(problem) {
            return Err(ExactError::FallbackTooLarge {
                latency: link.latency,
                bandwidth: link.bandwidth,
                layers: problem.layers(),
                stages: problem.stages(),
                cells: Dp::cells(problem),
                max_cells: self.fallback.max_cells,
            }
            .into_core(NAME));
        }
        let dp = Dp::bottleneck()
            .with_max_cells(self.fallback.max_cells)
            .solution(problem)?;
        Ok(BottleneckSolution {
            earliest: dp.partition.clone(),
            latest: dp.partition.clone(),
            partition: dp.partition,
            value: dp.value,
            lower_bound: dp.value,
            upper_bound: dp.value,
            probes: 0,
            fell_back_to_dp: true,
            simulated: None,
        })
    }
}

/// Rigorous lower bound and analytic upper bound (see [`Exact`]).
fn bounds(sums: &Sums<'_>, model: &StageModel) -> (f64, f64) {
    let p = model.stages();
    let total = sums.work[sums.len()];
    let w = sums.max_layer;
    let (mut s_min, mut s_max, mut harmonic) = (f64::INFINITY, 0.0f64, 0.0f64);
    for &s in &model.speed {
        s_min = s_min.min(s);
        s_max = s_max.max(s);
        harmonic += 1.0 / s;
    }
    // Each rounding step is at most one unit in the last place; the sum of P
    // reciprocals and the stage subtractions add up to a relative error below
    // (P + 8) * 2^-52, so shrinking by that keeps the bound rigorous.
    let margin = (p as f64 + 8.0) * f64::EPSILON;
    let lower = (total / harmonic * (1.0 - margin)).max(s_min * w).max(0.0);
    let upper = ((total + p as f64 * w) / harmonic * (1.0 + margin)).max(s_max * w);
    (lower, upper)
}

/// Simulator input for a partition, equal to `StageTimes::from_partition`
/// without building the full core prefix arrays.
fn stage_times(
    problem: &Problem,
    sums: &Sums<'_>,
    model: &StageModel,
    starts: &[usize],
) -> StageTimes {
    let n = sums.len();
    let p = starts.len();
    let mut forward = Vec::with_capacity(p);
    let mut backward = Vec::with_capacity(p);
    let mut delay = Vec::with_capacity(p);
    let mut at_start = sums.forward_backward_at(0);
    for k in 0..p {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        let at_end = sums.forward_backward_at(end);
        let speed = model.speed[k];
        forward.push(speed * (at_end.0 - at_start.0));
        backward.push(speed * (at_end.1 - at_start.1));
        delay.push(if problem.link().is_none() || end == n {
            0.0
        } else {
            problem.boundary_time(end - 1)
        });
        at_start = at_end;
    }
    StageTimes {
        forward,
        backward,
        delay,
    }
}

impl Partitioner for Exact {
    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "fast exact bottleneck: bounds, greedy probes on prefix sums and a search over \
         achievable stage times (O(N + P log N) per probe); simulated tie-break; DP fallback \
         for links with cut costs"
    }

    fn solve(&self, problem: &Problem) -> Result<Plan, Error> {
        let started = Instant::now();
        let solution = self.solution(problem)?;
        let solve_seconds = started.elapsed().as_secs_f64();
        let mut notes = Vec::new();
        if solution.fell_back_to_dp {
            notes.push(
                "fell back to the `dp` oracle: the link's cut costs make stage time \
                 non-monotone in a stage's extent, which the probe needs"
                    .to_string(),
            );
        } else {
            notes.push(format!(
                "{} probes between the bounds {} and {}",
                solution.probes, solution.lower_bound, solution.upper_bound
            ));
        }
        if let Some((early, late)) = solution.simulated {
            let which = if solution.partition == solution.latest {
                "latest"
            } else {
                "earliest"
            };
            notes.push(format!(
                "several partitions reach the optimal bottleneck; kept the {which}-cut one \
                 (simulated step time: earliest-cut {early}, latest-cut {late})"
            ));
        } else if solution.earliest != solution.latest {
            notes.push(format!(
                "several partitions reach the optimal bottleneck; kept the latest-cut one \
                 without simulating (2 P M = {} operations > `max_tie_break_operations` = {})",
                2usize
                    .saturating_mul(problem.stages())
                    .saturating_mul(problem.micro_batches()),
                self.max_tie_break_operations
            ));
        }
        let info = SolveInfo {
            algorithm: NAME.to_string(),
            status: Status::Optimal,
            objective: Objective::Bottleneck,
            bound: Some(solution.value),
            solve_seconds,
            notes,
        };
        Ok(pipecut_sim::make_plan(problem, &solution.partition, info)?)
    }
}
