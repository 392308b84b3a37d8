//! The runner: every partitioner on every problem, in parallel across
//! problems, with the per-problem metrics of DESIGN section 7.
//!
//! Every plan is re-simulated here with `pipecut_sim::make_plan`, so all
//! algorithms are measured by the same simulator whatever they report.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use pipecut_core::{Objective, Partition, Partitioner, Plan, Problem, Schedule, SolveInfo, Status};
use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::stats::summarize;
use crate::suite::{Case, Suite};

/// The framework default that gains are measured against.
pub const DEFAULT_REFERENCE: &str = "torchtitan";
/// The reference used when [`DEFAULT_REFERENCE`] fails or is absent
/// (torchtitan rejects, e.g., more stages than its layer units).
pub const FALLBACK_REFERENCE: &str = "uniform";
/// Relative tolerance under which a gap counts as zero (optimal) and a gain
/// as no gain.
pub const EPS: f64 = 1e-9;

/// Runs an algorithm only on problems with at most `max_layers` layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeCap {
    /// Partitioner name (exact match).
    pub algorithm: String,
    /// Largest chain it is run on.
    pub max_layers: usize,
}

/// How to run a suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Worker threads; 0 uses every available core.
    pub threads: usize,
    /// Draw an `indicatif` progress bar on standard error.
    pub progress: bool,
    /// Size caps that keep slow solvers (MILP) tractable.
    pub size_caps: Vec<SizeCap>,
}

impl Default for RunOptions {
    /// All cores, no progress bar, `milp` on at most 32 layers and
    /// `milp-steptime` on at most 10.
    fn default() -> Self {
        RunOptions {
            threads: 0,
            progress: false,
            size_caps: vec![
                SizeCap {
                    algorithm: "milp".into(),
                    max_layers: 32,
                },
                SizeCap {
                    algorithm: "milp-steptime".into(),
                    max_layers: 10,
                },
            ],
        }
    }
}

impl RunOptions {
    /// Sets (or replaces) the size cap of one algorithm.
    pub fn with_size_cap(mut self, algorithm: &str, max_layers: usize) -> Self {
        self.size_caps.retain(|c| c.algorithm != algorithm);
        self.size_caps.push(SizeCap {
            algorithm: algorithm.into(),
            max_layers,
        });
        self
    }

    fn cap_of(&self, algorithm: &str) -> Option<usize> {
        self.size_caps
            .iter()
            .find(|c| c.algorithm == algorithm)
            .map(|c| c.max_layers)
    }
}

/// What happened when one algorithm met one problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// It returned a valid plan.
    Solved,
    /// It returned an error (or an invalid plan, or panicked).
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
    /// Seconds the algorithm spent (its own figure; wall time if it failed).
    pub solve_seconds: f64,
    /// The plan's status.
    pub status: Option<Status>,
    /// What it minimised.
    pub objective: Option<Objective>,
    /// The plan's notes (fallbacks, limits), plus the harness's own.
    pub notes: Vec<String>,
}

impl AlgorithmResult {
    fn unsolved(algorithm: &str, state: RunState, message: String, seconds: f64) -> Self {
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

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

fn relative_gap(value: f64, best: f64) -> f64 {
    let gap = if best > 0.0 {
        value / best - 1.0
    } else if value > best {
        f64::INFINITY
    } else {
        0.0
    };
    // Identical partitions give bit-identical times; this only removes
    // rounding noise from different summation orders.
    if gap.abs() < 1e-12 {
        0.0
    } else {
        gap
    }
}

fn run_one(
    problem: &Problem,
    partitioner: &dyn Partitioner,
    options: &RunOptions,
) -> AlgorithmResult {
    let name = partitioner.name();
    if let Some(cap) = options.cap_of(name) {
        if problem.layers() > cap {
            return AlgorithmResult::unsolved(
                name,
                RunState::Skipped,
                format!("size cap: {} layers > max_layers = {cap}", problem.layers()),
                0.0,
            );
        }
    }
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| partitioner.solve(problem)));
    let wall = start.elapsed().as_secs_f64();
    let plan = match outcome {
        Ok(Ok(plan)) => plan,
        Ok(Err(e)) => {
            return AlgorithmResult::unsolved(name, RunState::Failed, e.to_string(), wall)
        }
        Err(payload) => {
            return AlgorithmResult::unsolved(
                name,
                RunState::Failed,
                format!("panicked: {}", panic_message(payload.as_ref())),
                wall,
            )
        }
    };
    let partition = match Partition::for_problem(plan.starts.clone(), problem) {
        Ok(p) => p,
        Err(e) => {
            return AlgorithmResult::unsolved(
                name,
                RunState::Failed,
                format!("returned an invalid partition {:?}: {e}", plan.starts),
                wall,
            )
        }
    };
    let info = SolveInfo {
        algorithm: name.to_string(),
        status: plan.status,
        objective: plan.objective,
        bound: plan.bound,
        solve_seconds: plan.solve_seconds,
        notes: plan.notes.clone(),
    };
    let checked: Plan = match pipecut_sim::make_plan(problem, &partition, info) {
        Ok(p) => p,
        Err(e) => {
            return AlgorithmResult::unsolved(
                name,
                RunState::Failed,
                format!("its partition cannot be simulated: {e}"),
                wall,
            )
        }
    };
    let mut notes = plan.notes;
    if relative_gap(plan.step_time, checked.step_time).abs() > EPS {
        notes.push(format!(
            "harness: reported step time {} differs from the re-simulated {}",
            plan.step_time, checked.step_time
        ));
    }
    AlgorithmResult {
        algorithm: name.to_string(),
        state: RunState::Solved,
        message: None,
        starts: checked.starts,
        bottleneck: Some(checked.bottleneck),
        step_time: Some(checked.step_time),
        gain: None,
        step_gap: None,
        bottleneck_gap: None,
        peak_memory_bytes: Some(checked.peak_memory_bytes),
        fits_memory: Some(checked.fits_memory),
        solve_seconds: if plan.solve_seconds.is_finite() && plan.solve_seconds >= 0.0 {
            plan.solve_seconds
        } else {
            wall
        },
        status: Some(checked.status),
        objective: Some(checked.objective),
        notes,
    }
}

/// Runs every partitioner on one problem and fills in references, gains
/// and gaps. `id` and `model` label it in reports.
///
/// Gains are over the torchtitan default ([`DEFAULT_REFERENCE`]); when it
/// fails, is skipped or is not among the partitioners, over `uniform`
/// ([`FALLBACK_REFERENCE`]) and `reference_note` says why; with neither,
/// there are no gains.
pub fn compare(
    id: &str,
    model: &str,
    problem: &Problem,
    partitioners: &[Box<dyn Partitioner>],
    options: &RunOptions,
) -> ProblemResult {
    let results = partitioners
        .iter()
        .map(|p| run_one(problem, p.as_ref(), options))
        .collect();
    finish(id, model, problem, results)
}

fn finish(
    id: &str,
    model: &str,
    problem: &Problem,
    mut results: Vec<AlgorithmResult>,
) -> ProblemResult {
    let solved = |name: &str| {
        results
            .iter()
            .find(|r| r.algorithm == name && r.state == RunState::Solved)
    };
    let (reference, reference_note, reference_step_time) = match solved(DEFAULT_REFERENCE) {
        Some(r) => (Some(DEFAULT_REFERENCE.to_string()), None, r.step_time),
        None => {
            let why = match results.iter().find(|r| r.algorithm == DEFAULT_REFERENCE) {
                Some(r) => format!(
                    "{DEFAULT_REFERENCE} {}: {}",
                    r.state,
                    r.message.as_deref().unwrap_or("")
                ),
                None => format!("{DEFAULT_REFERENCE} was not run"),
            };
            match solved(FALLBACK_REFERENCE) {
                Some(r) => (
                    Some(FALLBACK_REFERENCE.to_string()),
                    Some(format!("{why}; gains are over {FALLBACK_REFERENCE}")),
                    r.step_time,
                ),
                None => (
                    None,
                    Some(format!("{why}; {FALLBACK_REFERENCE} unavailable: no gains")),
                    None,
                ),
            }
        }
    };

    let feasible: Vec<&AlgorithmResult> = results.iter().filter(|r| r.is_feasible()).collect();
    let best_step_time = feasible
        .iter()
        .filter_map(|r| r.step_time)
        .min_by(f64::total_cmp);
    let step_time_proven = best_step_time.is_some_and(|best| {
        feasible.iter().any(|r| {
            r.objective == Some(Objective::StepTime)
                && r.status == Some(Status::Optimal)
                && r.step_time.is_some_and(|t| relative_gap(t, best) <= EPS)
        })
    });
    let proven_bottleneck = feasible
        .iter()
        .filter(|r| r.objective == Some(Objective::Bottleneck) && r.status == Some(Status::Optimal))
        .filter_map(|r| r.bottleneck)
        .min_by(f64::total_cmp);
    let (optimal_bottleneck, bottleneck_proven) = match proven_bottleneck {
        Some(b) => (Some(b), true),
        None => (
            feasible
                .iter()
                .filter_map(|r| r.bottleneck)
                .min_by(f64::total_cmp),
            false,
        ),
    };

    for r in results.iter_mut().filter(|r| r.state == RunState::Solved) {
        let (Some(step), Some(bn)) = (r.step_time, r.bottleneck) else {
            continue;
        };
        // gain = default / step - 1, with the same rounding-noise snap.
        r.gain = reference_step_time.map(|d| relative_gap(d, step));
        r.step_gap = best_step_time.map(|b| relative_gap(step, b));
        r.bottleneck_gap = optimal_bottleneck.map(|b| relative_gap(bn, b));
    }

    ProblemResult {
        id: id.to_string(),
        model: model.to_string(),
        layers: problem.layers(),
        stages: problem.stages(),
        devices: problem.devices(),
        micro_batches: problem.micro_batches(),
        schedule: problem.schedule(),
        unit: problem.chain().unit().to_string(),
        reference,
        reference_note,
        reference_step_time,
        best_step_time,
        step_time_proven,
        optimal_bottleneck,
        bottleneck_proven,
        results,
    }
}

fn evaluate_case(
    case: &Case,
    partitioners: &[Box<dyn Partitioner>],
    options: &RunOptions,
) -> ProblemResult {
    compare(&case.id, &case.model, &case.problem, partitioners, options)
}

/// Runs every partitioner on every problem of `suite` and summarises.
///
/// Problems run in parallel on `options.threads` threads (all cores by
/// default); the report lists them in suite order whatever the thread
/// count. Nothing is printed unless `options.progress` asks for a progress
/// bar (on standard error).
pub fn run_suite(
    suite: &Suite,
    partitioners: &[Box<dyn Partitioner>],
    options: &RunOptions,
) -> Report {
    let start = Instant::now();
    let n = suite.cases.len();
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |t| t.get()),
        t => t,
    }
    .clamp(1, n.max(1));
    let bar = if options.progress {
        let bar = ProgressBar::new(n as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(suite.name.clone());
        bar
    } else {
        ProgressBar::hidden()
    };
    let slots: Mutex<Vec<Option<ProblemResult>>> = Mutex::new(vec![None; n]);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let result = evaluate_case(&suite.cases[i], partitioners, options);
                // A poisoned lock only means another worker panicked while
                // storing; the data (plain Options) is still consistent.
                let mut guard = slots.lock().unwrap_or_else(|e| e.into_inner());
                guard[i] = Some(result);
                drop(guard);
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    let problems: Vec<ProblemResult> = slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let algorithms: Vec<String> = partitioners.iter().map(|p| p.name().to_string()).collect();
    let summary = summarize(&algorithms, &problems);
    Report {
        suite: suite.name.clone(),
        algorithms,
        problems,
        skipped: suite.skipped.clone(),
        summary,
        wall_seconds: start.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests;
