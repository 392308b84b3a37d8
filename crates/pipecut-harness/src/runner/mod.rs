//! The runner: every partitioner on every problem, problems in parallel on a
//! local rayon pool, results in suite order whatever the thread count.
//!
//! Every plan comes from `pipecut_sim::Executor` (the one place a plan is
//! timed, evaluated and simulated); the runner only reads plans
//! (`attempt.rs`), then measures each problem's results against its
//! references (`references.rs`).

mod attempt;
mod references;

use std::sync::Mutex;
use std::time::Instant;

use pipecut_core::{Partitioner, Problem};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{HarnessError, Result};
use crate::results::{ProblemResult, Report};
use crate::stats::summarize;
use crate::suite::Suite;

pub use references::{DEFAULT_REFERENCE, FALLBACK_REFERENCE};

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
    /// Worker threads; 0 lets rayon choose (one per core, or
    /// `RAYON_NUM_THREADS`).
    pub threads: usize,
    /// Size caps that keep slow solvers (MILP) tractable.
    pub size_caps: Vec<SizeCap>,
}

impl Default for RunOptions {
    /// All cores, `milp` on at most 32 layers and `milp-steptime` on at
    /// most 10.
    fn default() -> Self {
        RunOptions {
            threads: 0,
            size_caps: vec![
                SizeCap {
                    algorithm: pipecut_milp::MilpBottleneck::NAME.into(),
                    max_layers: 32,
                },
                SizeCap {
                    algorithm: pipecut_milp::MilpStepTime::NAME.into(),
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

    /// Sets the worker thread count (0: rayon's default).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    fn cap_of(&self, algorithm: &str) -> Option<usize> {
        self.size_caps
            .iter()
            .find(|c| c.algorithm == algorithm)
            .map(|c| c.max_layers)
    }
}

/// A progress callback: `(problems done, problems in the suite)`.
type Progress<'a> = Box<dyn Fn(usize, usize) + Send + Sync + 'a>;

/// Runs partitioners on problems and measures them against each other.
///
/// ```
/// # use pipecut_core::{Objective, Partition, Partitioner, Problem, Solution};
/// # struct Uniform;
/// # impl Partitioner for Uniform {
/// #     fn name(&self) -> &str { "uniform" }
/// #     fn description(&self) -> &str { "" }
/// #     fn solve(&self, problem: &Problem) -> pipecut_core::Result<Solution> {
/// #         let starts = (0..problem.stages()).collect();
/// #         Ok(Solution::heuristic(Partition::for_problem(starts, problem)?, Objective::Rule))
/// #     }
/// # }
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use pipecut_harness::{Grid, RandomOptions, RunOptions, Runner, Suite};
///
/// let suite = Suite::random(&RandomOptions {
///     sizes: vec![6],
///     seeds: 1,
///     grid: Grid::single(2, 4, pipecut_core::Schedule::OneFOneB),
///     ..RandomOptions::default()
/// });
/// let algorithms: Vec<Box<dyn Partitioner>> = vec![Box::new(Uniform)];
/// let calls = AtomicUsize::new(0);
/// let report = Runner::new(&algorithms)
///     .with_options(RunOptions::default().with_threads(2))
///     .with_progress(|done, total| {
///         calls.fetch_add(1, Ordering::Relaxed);
///         assert!(done <= total);
///     })
///     .run_suite(&suite)?;
/// assert_eq!(report.problems.len(), suite.len());
/// assert_eq!(calls.load(Ordering::Relaxed), suite.len());
/// # Ok::<(), pipecut_harness::HarnessError>(())
/// ```
pub struct Runner<'a> {
    partitioners: &'a [Box<dyn Partitioner>],
    options: RunOptions,
    progress: Option<Progress<'a>>,
}

impl<'a> Runner<'a> {
    /// A runner of `partitioners` with [`RunOptions::default`] and no
    /// progress callback.
    pub fn new(partitioners: &'a [Box<dyn Partitioner>]) -> Self {
        Runner {
            partitioners,
            options: RunOptions::default(),
            progress: None,
        }
    }

    /// Sets the options (threads, size caps).
    pub fn with_options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `progress(done, total)` after each problem of
    /// [`Runner::run_suite`]: once per problem, `done` counting up from 1 to
    /// `total`, never two calls at once (a progress bar can draw directly).
    pub fn with_progress(mut self, progress: impl Fn(usize, usize) + Send + Sync + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The options in use.
    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// Runs every partitioner on one problem (in the order given) and fills
    /// in references, gains and gaps. `id` and `model` label it in reports.
    ///
    /// Gains are over the torchtitan default ([`DEFAULT_REFERENCE`]); when
    /// it fails, is skipped or is not among the partitioners, over `uniform`
    /// ([`FALLBACK_REFERENCE`]) and `reference_note` says why; with neither,
    /// there are no gains.
    pub fn compare(&self, id: &str, model: &str, problem: &Problem) -> ProblemResult {
        let results = self
            .partitioners
            .iter()
            .map(|p| attempt::attempt(problem, p.as_ref(), &self.options))
            .collect();
        references::measure(id, model, problem, results)
    }

    /// Runs every partitioner on every problem of `suite` and summarises.
    ///
    /// Problems run in parallel on a pool of `options.threads` threads; the
    /// report lists them in suite order whatever the thread count. Errors:
    /// [`HarnessError::ThreadPool`] when the threads cannot be started (a
    /// partitioner's failure is a result, not an error).
    pub fn run_suite(&self, suite: &Suite) -> Result<Report> {
        let started = Instant::now();
        let threads = self.options.threads;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|source| HarnessError::ThreadPool { threads, source })?;
        let total = suite.cases.len();
        // Counted and reported under one lock, so that calls come one at a
        // time with `done` increasing.
        let done = Mutex::new(0usize);
        let problems: Vec<ProblemResult> = pool.install(|| {
            suite
                .cases
                .par_iter()
                .map(|case| {
                    let result = self.compare(&case.id, &case.model, &case.problem);
                    if let Some(progress) = &self.progress {
                        // A poisoned lock only means another progress call
                        // panicked; the count itself is still right.
                        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
                        *done += 1;
                        progress(*done, total);
                    }
                    result
                })
                .collect()
        });
        let algorithms: Vec<String> = self
            .partitioners
            .iter()
            .map(|p| p.name().to_string())
            .collect();
        let summary = summarize(&algorithms, &problems);
        Ok(Report {
            suite: suite.name.clone(),
            algorithms,
            problems,
            skipped: suite.skipped.clone(),
            summary,
            wall_seconds: started.elapsed().as_secs_f64(),
        })
    }
}

#[cfg(test)]
mod tests;
