//! `pipecut bench`: time algorithms on a generated chain, next to one
//! prefix-sum pass over the same data measured in the same run.

use std::hint::black_box;
use std::time::Instant;

use clap::{Args, ValueEnum};
use pipecut::core::synthetic::{generate, Family};
use pipecut::core::Chain;
use pipecut::registry;
use pipecut::sim::Executor;

use super::args::ScheduleArgs;
use super::solver_args::SolverArgs;
use super::{emit, CliError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// A table.
    Text,
    /// JSON.
    Json,
}

/// `pipecut bench`.
#[derive(Debug, Args)]
pub struct BenchCmd {
    /// Layers in the generated chain.
    #[arg(long, short = 'n', value_name = "N")]
    layers: usize,
    /// Pipeline stages.
    #[arg(long, short = 'p', value_name = "P")]
    stages: usize,
    /// Chain family.
    #[arg(long, default_value = "uniform", value_parser = parse_family)]
    family: Family,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Comma-separated algorithms [default: exact].
    #[arg(long, value_delimiter = ',', default_value = registry::DEFAULT_ALGORITHM)]
    algorithms: Vec<String>,
    /// Timed runs per algorithm (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[command(flatten)]
    schedule: ScheduleArgs,
    #[command(flatten)]
    solver: SolverArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: BenchFormat,
}

fn parse_family(s: &str) -> Result<Family, String> {
    s.parse()
}

#[derive(serde::Serialize)]
struct Row {
    algorithm: String,
    median_seconds: f64,
    min_seconds: f64,
    ratio_to_prefix_pass: f64,
    bottleneck: f64,
    step_time: f64,
    status: String,
}

#[derive(serde::Serialize)]
struct Report {
    layers: usize,
    stages: usize,
    micro_batches: usize,
    family: Family,
    seed: u64,
    runs: usize,
    prefix_pass_seconds: f64,
    results: Vec<Row>,
}

impl Report {
    /// The text table of `pipecut bench`.
    fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = format!(
            "bench: {} chain, N = {}, P = {}, M = {}, seed {}, median of {} runs\n\
             one prefix-sum pass over the chain: {:.3} ms\n\n  {:<20} {:>12} {:>12} {:>10} {:>14}  {}\n",
            self.family.as_str(),
            self.layers,
            self.stages,
            self.micro_batches,
            self.seed,
            self.runs,
            self.prefix_pass_seconds * 1e3,
            "algorithm",
            "median ms",
            "min ms",
            "x prefix",
            "bottleneck",
            "status"
        );
        for r in &self.results {
            let _ = writeln!(
                out,
                "  {:<20} {:>12.3} {:>12.3} {:>10.2} {:>14.6}  {}",
                r.algorithm,
                r.median_seconds * 1e3,
                r.min_seconds * 1e3,
                r.ratio_to_prefix_pass,
                r.bottleneck,
                r.status
            );
        }
        out
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// One pass computing prefix sums of `forward + backward` straight from the
/// chain's layers: the data every solver must read at least once.
fn prefix_pass(chain: &Chain) -> f64 {
    let layers = chain.layers();
    let start = Instant::now();
    let mut prefix = Vec::with_capacity(layers.len() + 1);
    let mut acc = 0.0;
    prefix.push(acc);
    for l in layers {
        acc += l.forward + l.backward;
        prefix.push(acc);
    }
    black_box(&prefix);
    start.elapsed().as_secs_f64()
}

impl BenchCmd {
    pub fn run(self) -> Result<(), CliError> {
        if self.runs == 0 {
            return Err(CliError::Input(
                "--runs 0: at least one run is needed".into(),
            ));
        }
        if self.layers == 0 {
            return Err(CliError::Input(
                "--layers 0: the chain needs at least one layer".into(),
            ));
        }
        let chain = generate(self.family, self.layers, self.seed);
        let problem = self.schedule.problem(chain, self.stages)?;
        let settings = self.solver.settings()?;
        let algorithms = self
            .algorithms
            .iter()
            .map(|name| registry::build(name, &settings))
            .collect::<Result<Vec<_>, _>>()?;
        let prefix_pass_seconds = median(
            (0..self.runs.max(3))
                .map(|_| prefix_pass(problem.chain()))
                .collect(),
        );
        let results = algorithms
            .iter()
            .map(|algorithm| self.measure(&problem, &**algorithm, prefix_pass_seconds))
            .collect::<Result<Vec<_>, _>>()?;
        let report = Report {
            layers: self.layers,
            stages: self.stages,
            micro_batches: problem.micro_batches(),
            family: self.family,
            seed: self.seed,
            runs: self.runs,
            prefix_pass_seconds,
            results,
        };
        let text = match self.format {
            BenchFormat::Json => {
                serde_json::to_string_pretty(&report).map_err(|e| CliError::Input(e.to_string()))?
                    + "\n"
            }
            BenchFormat::Text => report.text(),
        };
        emit(None, &text)
    }

    /// `runs` timed solves of one algorithm, the last one assembled into a plan.
    fn measure(
        &self,
        problem: &pipecut::core::Problem,
        algorithm: &dyn pipecut::core::Partitioner,
        prefix_pass_seconds: f64,
    ) -> Result<Row, CliError> {
        let run = Executor::new(problem);
        let mut times = Vec::with_capacity(self.runs);
        let mut last = None;
        for _ in 0..self.runs {
            let (solution, seconds) = run.timed_solve(algorithm)?;
            times.push(seconds);
            last = Some((solution, seconds));
        }
        let (solution, seconds) = last.ok_or_else(|| CliError::Input("--runs 0".into()))?;
        let plan = run.assemble(algorithm.name(), solution, seconds)?;
        let min = times.iter().copied().fold(f64::INFINITY, f64::min);
        let med = median(times);
        Ok(Row {
            algorithm: algorithm.name().to_string(),
            median_seconds: med,
            min_seconds: min,
            ratio_to_prefix_pass: med / prefix_pass_seconds.max(1e-12),
            bottleneck: plan.bottleneck(),
            step_time: plan.step_time(),
            status: plan.status.to_string(),
        })
    }
}
