//! What a suite run produced, as plain serde data: one [`AlgorithmResult`]
//! per algorithm inside one [`ProblemResult`] per problem, the per-algorithm
//! [`AlgorithmSummary`] and the whole [`Report`].
//!
//! The runner writes these; the statistics (`Stats::of`, `summarize`), the
//! writers (`Report::to_markdown`, `to_csv`, `to_json`, `write`) and the
//! charts (`Report::charts`) only read them, each from its own module.

use pipecut_core::{Objective, Schedule, Status};
use serde::{Deserialize, Serialize};

use crate::suite::SkippedCase;

/// Relative tolerance under which a gap counts as zero (optimal) and a gain
/// as no gain.
pub const EPS: f64 = 1e-9;

/// What happened when one algorithm met one problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// It returned a valid plan.
    Solved,
    /// It returned an error (or an invalid partition, or panicked).
    Failed,
    /// It was not run (size cap).
    Skipped,
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunState::Solved => "solved",
            RunState::Failed => "failed",
            RunState::Skipped => "skipped",
        })
    }
}

/// One algorithm on one problem. Metrics are `None` unless it solved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmResult {
    /// Partitioner name.
    pub algorithm: String,
    /// Solved, failed or skipped.
    pub state: RunState,
    /// The error (failed) or why it was not run (skipped).
    pub message: Option<String>,
    /// Stage starts.
    pub starts: Vec<usize>,
    /// `max_k t_k`.
    pub bottleneck: Option<f64>,
    /// Simulated step time.
    pub step_time: Option<f64>,
    /// Throughput gain over the reference: `reference_step / step - 1`.
    pub gain: Option<f64>,
    /// `step / best_step - 1` (best over every memory-fitting plan).
    pub step_gap: Option<f64>,
    /// `bottleneck / optimal_bottleneck - 1`.
    pub bottleneck_gap: Option<f64>,
    /// Largest device memory.
    pub peak_memory_bytes: Option<u64>,
    /// Whether every device fits the capacity (always true without one).
    pub fits_memory: Option<bool>,
    /// Seconds the solve took (wall time until it failed, 0 if skipped).
    pub solve_seconds: f64,
    /// The plan's status.
    pub status: Option<Status>,
    /// What it minimised.
    pub objective: Option<Objective>,
    /// The plan's notes (fallbacks, limits).
    pub notes: Vec<String>,
}

impl AlgorithmResult {
    /// Whether this result is a plan that fits memory (the only ones that
    /// define optima and gaps).
    pub fn is_feasible(&self) -> bool {
        self.state == RunState::Solved && self.fits_memory == Some(true)
    }
}

/// Every algorithm on one problem, with the problem's references.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemResult {
    /// Case id.
    pub id: String,
    /// Model the chain came from.
    pub model: String,
    /// Layers `N`.
    pub layers: usize,
    /// Stages `P` (devices x chunks).
    pub stages: usize,
    /// Devices.
    pub devices: usize,
    /// Micro-batches `M`.
    pub micro_batches: usize,
    /// Schedule.
    pub schedule: Schedule,
    /// Unit of every time.
    pub unit: String,
    /// Algorithm whose step time gains are measured against.
    pub reference: Option<String>,
    /// Why the reference is not the torchtitan default, if it is not.
    pub reference_note: Option<String>,
    /// The reference's simulated step time.
    pub reference_step_time: Option<f64>,
    /// Best simulated step time of any memory-fitting plan.
    pub best_step_time: Option<f64>,
    /// Whether a step-time-optimal plan (proven) attains it.
    pub step_time_proven: bool,
    /// Optimal bottleneck: the best bottleneck-optimal plan's, or (when no
    /// algorithm proved one) the best of any fitting plan.
    pub optimal_bottleneck: Option<f64>,
    /// Whether `optimal_bottleneck` is proven.
    pub bottleneck_proven: bool,
    /// One entry per partitioner, in the order they were given.
    pub results: Vec<AlgorithmResult>,
}

impl ProblemResult {
    /// The results ranked by simulated step time (fitting plans first, then
    /// over-memory plans, then failures and skips), ties in the order the
    /// partitioners were given.
    pub fn ranked(&self) -> Vec<&AlgorithmResult> {
        let mut v: Vec<&AlgorithmResult> = self.results.iter().collect();
        let class = |r: &AlgorithmResult| match (r.state, r.fits_memory) {
            (RunState::Solved, Some(true)) => 0,
            (RunState::Solved, _) => 1,
            (RunState::Failed, _) => 2,
            (RunState::Skipped, _) => 3,
        };
        // Stable: ties keep the order the partitioners were given in.
        v.sort_by(|a, b| {
            class(a).cmp(&class(b)).then(
                a.step_time
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.step_time.unwrap_or(f64::INFINITY)),
            )
        });
        v
    }

    /// The result of one algorithm.
    pub fn get(&self, algorithm: &str) -> Option<&AlgorithmResult> {
        self.results.iter().find(|r| r.algorithm == algorithm)
    }
}

/// Mean, 95th percentile and maximum of a sample (computed by `Stats::of`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Sample size.
    pub count: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// 95th percentile, nearest rank (the smallest value with at least 95%
    /// of the sample at or below it).
    pub p95: f64,
    /// Largest value.
    pub max: f64,
}

/// How one algorithm did over a whole suite (computed by `summarize`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmSummary {
    /// Partitioner name.
    pub algorithm: String,
    /// Problems in the suite.
    pub problems: usize,
    /// Problems it returned a valid plan for.
    pub solved: usize,
    /// Problems it failed on.
    pub failed: usize,
    /// Problems it was not run on (size cap).
    pub skipped: usize,
    /// Solved problems whose plan exceeds device memory (excluded from gaps).
    pub over_memory: usize,
    /// Step-time gap to the best plan, over its fitting plans.
    pub step_gap: Option<Stats>,
    /// Bottleneck gap to the optimum, over its fitting plans.
    pub bottleneck_gap: Option<Stats>,
    /// Fitting plans with a zero step-time gap (no plan of any algorithm
    /// was faster).
    pub step_optimal: usize,
    /// Fitting plans with a zero bottleneck gap to a proven optimum.
    pub bottleneck_optimal: usize,
    /// Of its fitting plans, how many have a proven optimal bottleneck to
    /// compare with (the denominator of `bottleneck_optimal`).
    pub bottleneck_proven: usize,
    /// Plans strictly faster than the reference default.
    pub better_than_default: usize,
    /// Plans strictly slower than the reference default.
    pub worse_than_default: usize,
    /// Throughput gain over the default.
    pub gain: Option<Stats>,
    /// Solve seconds (solved problems).
    pub solve_seconds: Option<Stats>,
}

/// Everything a suite run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Suite name.
    pub suite: String,
    /// Partitioner names, in the order they were run.
    pub algorithms: Vec<String>,
    /// One entry per problem, in suite order.
    pub problems: Vec<ProblemResult>,
    /// Grid combinations the problem checker rejected.
    pub skipped: Vec<SkippedCase>,
    /// One summary per algorithm.
    pub summary: Vec<AlgorithmSummary>,
    /// Wall-clock seconds of the whole run.
    pub wall_seconds: f64,
}
