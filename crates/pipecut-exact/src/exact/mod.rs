//! `exact`: the fast exact bottleneck solver.
//!
//! - `stage_model`: per-stage speed, in-flight count and memory cap;
//! - `prefix_sums`: the lean one-pass prefix sums it probes on;
//! - `dead_layers`: the layers some stage cannot hold alone;
//! - `probe`: the feasibility probe over reachable stage ends;
//! - `cuts`: the earliest-cut and latest-cut partitions of a probe;
//! - `search`: bounds and the search over values stages take;
//! - `tie_break`: simulating the two extreme optima.

mod cuts;
mod dead_layers;
mod prefix_sums;
mod probe;
mod search;
mod stage_model;
mod tie_break;

use pipecut_core::format::number;
use pipecut_core::{
    memory_infeasible, Error, Link, Objective, Partition, Partitioner, Prefix, Problem, Solution,
};

use crate::device_load;
use crate::dp::Dp;
use crate::error::ExactError;
use prefix_sums::Sums;
use stage_model::StageModel;

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
///    (the `probe` module).
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
/// With several stages per device (`Schedule::virtual_stages() > 1`) the
/// device limits the step, not the stage: `exact` then minimises the busiest
/// device's load `max_d sum_{k on d} t_k` instead, exactly, with device
/// memory caps (a device holds the sum of its stages' memory), links and
/// speeds, by a memoised search device by device (see the crate docs); the
/// solution's `value` and the plan's `bound` are that load, and there is no
/// tie-break simulation. With one stage per device nothing below changes.
///
/// Cost: `O(N)` for the pass plus `O(P log N)` per probe, and at most 64
/// probes (typically 8 to 20). Layers that some stage cannot hold alone add
/// `O(log N)` each where a probe meets them. A link with cut
/// costs (non-zero transfer time) makes stage time non-monotone in a stage's
/// extent; then `exact` falls back to [`Dp`] and says so in the notes.
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
/// let solution = Exact::default().solve(&problem)?;
/// assert_eq!(solution.bound, Some(fast.value));
/// assert_eq!(solution.partition, fast.partition);
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
    /// computes it for `partition`; with several stages per device, the
    /// optimal busiest device's load (each device's stage times added in
    /// stage order).
    pub value: f64,
    /// The proven lower bound the search started from.
    pub lower_bound: f64,
    /// The first proven upper bound (the bottleneck of the first feasible
    /// probe's partition, at or below the analytic bound).
    pub upper_bound: f64,
    /// Feasibility probes run (search states visited, with several stages
    /// per device).
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

const NAME: &str = Exact::NAME;

impl Exact {
    /// Name on the command line.
    pub const NAME: &'static str = "exact";
    /// What the solver does and guarantees.
    pub const DESCRIPTION: &'static str =
        "fast exact bottleneck: bounds, greedy probes on prefix sums and a search over \
         achievable stage times (O(N + P log N) per probe); simulated tie-break; DP fallback \
         for links with cut costs; with several stages per device, the least busiest-device \
         load by an exact memoised search";
}

impl Exact {
    /// Solves and returns the raw solution.
    pub fn solution(&self, problem: &Problem) -> Result<BottleneckSolution, Error> {
        if problem.schedule().virtual_stages() > 1 {
            let found = device_load::solve_or_error(problem, NAME)?;
            return Ok(BottleneckSolution {
                earliest: found.partition.clone(),
                latest: found.partition.clone(),
                partition: found.partition,
                value: found.value,
                lower_bound: found.lower_bound,
                upper_bound: found.upper_bound,
                probes: found.states,
                fell_back_to_dp: false,
                simulated: None,
            });
        }
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
        let sums = Sums::new(problem.chain().layers(), &model);
        let total = sums.total();
        if !total.is_finite() {
            return Err(ExactError::NonFiniteTotal { total }.into_core(NAME));
        }
        let Some(found) = search::optimum(&sums, &model) else {
            return Err(memory_infeasible(problem, &Prefix::new(problem)));
        };
        let prober = &found.prober;
        let latest = prober.latest();
        let earliest = prober.earliest();
        debug_assert_eq!(prober.bottleneck(&latest), found.value);
        debug_assert_eq!(prober.bottleneck(&earliest), found.value);

        let simulated = if earliest != latest
            && tie_break::operations(problem) <= self.max_tie_break_operations
        {
            Some(tie_break::simulate_both(
                problem, &sums, &model, &earliest, &latest,
            )?)
        } else {
            None
        };
        let chosen = match simulated {
            Some((e, l)) if l < e => &latest,
            Some(_) => &earliest,
            None => &latest,
        };
        Ok(BottleneckSolution {
            partition: Partition::for_problem(chosen.clone(), problem)?,
            value: found.value,
            lower_bound: found.lower_bound,
            upper_bound: found.upper_bound,
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

    /// What the user should know about a solution: how it was found and
    /// which of several optima was kept.
    fn notes(&self, problem: &Problem, solution: &BottleneckSolution) -> Vec<String> {
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
                solution.probes,
                number(solution.lower_bound),
                number(solution.upper_bound)
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
                 (simulated step time: earliest-cut {}, latest-cut {})",
                number(early),
                number(late)
            ));
        } else if solution.earliest != solution.latest {
            notes.push(format!(
                "several partitions reach the optimal bottleneck; kept the latest-cut one \
                 without simulating (2 P M = {} operations > `max_tie_break_operations` = {})",
                tie_break::operations(problem),
                self.max_tie_break_operations
            ));
        }
        notes
    }
}

impl Partitioner for Exact {
    pipecut_core::partitioner_names!();

    fn solve(&self, problem: &Problem) -> Result<Solution, Error> {
        if problem.schedule().virtual_stages() > 1 {
            let found = device_load::solve_or_error(problem, NAME)?;
            let note = device_load::note(&found);
            return Ok(
                Solution::optimal(found.partition, Objective::DeviceLoad, found.value)
                    .with_note(note),
            );
        }
        let solution = self.solution(problem)?;
        let notes = self.notes(problem, &solution);
        Ok(
            Solution::optimal(solution.partition, Objective::Bottleneck, solution.value)
                .with_notes(notes),
        )
    }
}
