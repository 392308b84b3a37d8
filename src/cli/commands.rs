//! `plan`, `simulate`, `compare`, `harness`, `algorithms`, `models`, `chain`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use pipecut::core::{Partition, Problem};
use pipecut::export::{
    deepspeed_parts, fmt_time, layer_span, megatron_layout, plan_table, torchtitan_toml,
};
use pipecut::registry::{self, RegistryOptions};

use super::args::{ChainArgs, ProblemArgs, ScheduleArgs};
use super::{emit, CliError};

/// Options of the solvers that take them.
#[derive(Debug, Args, Clone)]
pub struct SolverArgs {
    /// Time limit per MILP solve, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub time_limit: f64,
    /// MILP backend (`microlp`, or `highs` when built with `--features highs`) [default: best compiled].
    #[arg(long, value_name = "NAME")]
    pub milp_backend: Option<String>,
    /// Threads for solvers that can use several.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub threads: usize,
}

impl SolverArgs {
    pub fn options(&self) -> Result<RegistryOptions, CliError> {
        if !self.time_limit.is_finite() || self.time_limit <= 0.0 {
            return Err(CliError::Input(format!(
                "--time-limit {} must be a positive number of seconds",
                self.time_limit
            )));
        }
        if self.threads == 0 {
            return Err(CliError::Input(
                "--threads 0: at least one thread is needed".into(),
            ));
        }
        let milp_backend = match &self.milp_backend {
            Some(name) => Some(
                name.parse()
                    .map_err(|e: pipecut::milp::MilpError| CliError::Input(e.to_string()))?,
            ),
            None => None,
        };
        Ok(RegistryOptions {
            time_limit: Some(Duration::from_secs_f64(self.time_limit)),
            milp_backend,
            threads: self.threads,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Readable table and totals.
    Text,
    /// Plan JSON.
    Json,
    /// torchtitan `[parallelism]` TOML snippet.
    Torchtitan,
    /// Megatron `pipeline_model_parallel_layout` string.
    Megatron,
    /// DeepSpeed part boundary list.
    Deepspeed,
}

/// `pipecut plan`.
#[derive(Debug, Args)]
pub struct PlanCmd {
    #[command(flatten)]
    problem: ProblemArgs,
    /// Partitioning algorithm (see `pipecut algorithms`).
    #[arg(long, short = 'a', default_value = registry::DEFAULT_ALGORITHM)]
    algorithm: String,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: PlanFormat,
    /// Also write a Gantt chart (SVG) of the plan's simulated schedule.
    #[arg(long, value_name = "FILE.svg")]
    gantt: Option<PathBuf>,
    /// Write the output to a file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    solver: SolverArgs,
}

impl PlanCmd {
    pub fn run(self) -> Result<(), CliError> {
        let problem = self.problem.problem()?;
        let algorithm = registry::by_name(&self.algorithm, &self.solver.options()?)?;
        let plan = algorithm.solve(&problem)?;
        if let Some(path) = &self.gantt {
            let svg = gantt(
                &problem,
                &plan.partition()?,
                &format!("{} plan of {}", plan.algorithm, problem.chain().name()),
            )?;
            emit(Some(path), &svg)?;
        }
        let text = match self.format {
            PlanFormat::Text => plan_table(&plan),
            PlanFormat::Json => plan.to_json() + "\n",
            PlanFormat::Torchtitan => torchtitan_toml(&plan, problem.devices()),
            PlanFormat::Megatron => {
                let (layout, warnings) = megatron_layout(&plan, problem.chain());
                for w in warnings {
                    eprintln!("warning: {w}");
                }
                format!("{layout}\n")
            }
            PlanFormat::Deepspeed => format!("{:?}\n", deepspeed_parts(&plan)),
        };
        emit(self.output.as_deref(), &text)
    }
}

fn gantt(problem: &Problem, partition: &Partition, title: &str) -> Result<String, CliError> {
    let result = pipecut::sim::simulate(problem, partition, true)?;
    let opts = pipecut::sim::GanttOptions {
        title: title.to_string(),
        unit: problem.chain().unit().to_string(),
        ..Default::default()
    };
    Ok(pipecut::sim::gantt_svg(&result, &opts)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimFormat {
    /// Summary and per-stage table.
    Text,
    /// The simulation result as JSON.
    Json,
    /// A Gantt chart.
    Svg,
}

/// `pipecut simulate`.
#[derive(Debug, Args)]
pub struct SimulateCmd {
    #[command(flatten)]
    chain: ChainArgs,
    /// Stage starts, e.g. 0,4,8,11 (the stage count is their number).
    #[arg(long, value_name = "S0,S1,..", value_delimiter = ',', required = true)]
    starts: Vec<usize>,
    #[command(flatten)]
    schedule: ScheduleArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: SimFormat,
    /// Include the full timeline in JSON output.
    #[arg(long)]
    timeline: bool,
    /// Write the output to a file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct SimJson<'a> {
    starts: &'a [usize],
    schedule: pipecut::core::Schedule,
    micro_batches: usize,
    unit: &'a str,
    #[serde(flatten)]
    result: &'a pipecut::sim::SimResult,
}

impl SimulateCmd {
    pub fn run(self) -> Result<(), CliError> {
        let chain = self.chain.chain()?;
        let problem = self.schedule.problem(chain, self.starts.len())?;
        let partition = Partition::for_problem(self.starts.clone(), &problem)?;
        let text = match self.format {
            SimFormat::Svg => gantt(
                &problem,
                &partition,
                &format!("{} {}", problem.chain().name(), partition),
            )?,
            SimFormat::Json => {
                let result = pipecut::sim::simulate(&problem, &partition, self.timeline)?;
                let json = SimJson {
                    starts: partition.starts(),
                    schedule: problem.schedule(),
                    micro_batches: problem.micro_batches(),
                    unit: problem.chain().unit(),
                    result: &result,
                };
                serde_json::to_string_pretty(&json).map_err(|e| CliError::Input(e.to_string()))?
                    + "\n"
            }
            SimFormat::Text => simulate_text(&problem, &partition)?,
        };
        emit(self.output.as_deref(), &text)
    }
}

fn simulate_text(problem: &Problem, partition: &Partition) -> Result<String, CliError> {
    use std::fmt::Write;
    let result = pipecut::sim::simulate(problem, partition, false)?;
    let eval = pipecut::core::evaluate(problem, partition);
    let unit = problem.chain().unit();
    let layers = problem.chain().layers();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "simulated {} with {} stages on {} devices, {} micro-batches: starts {}",
        problem.schedule(),
        problem.stages(),
        problem.devices(),
        problem.micro_batches(),
        partition
    );
    let _ = writeln!(
        out,
        "step time:        {} {unit}",
        fmt_time(result.step_time)
    );
    let _ = writeln!(
        out,
        "bubble fraction:  {:.1}%",
        100.0 * result.bubble_fraction
    );
    let _ = writeln!(out, "critical stage:   {}", result.critical_stage);
    let _ = writeln!(
        out,
        "bottleneck:       {} {unit} (stage {})",
        fmt_time(eval.bottleneck),
        eval.bottleneck_stage
    );
    let _ = writeln!(
        out,
        "surrogate:        {} {unit}",
        fmt_time(eval.surrogate_step_time)
    );
    let _ = writeln!(out, "peak memory:      {} bytes", result.peak_memory_bytes);
    let _ = writeln!(
        out,
        "\n  {:>5}  {:>6}  {:<32}  {:>10}  {:>10}  {:>10}  {:>9}  {:>16}",
        "stage", "device", "layers", "forward", "backward", "time", "in-flight", "memory bytes"
    );
    for (k, s) in eval.stages.iter().enumerate() {
        let names: Vec<&str> = layers[s.first..s.end]
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        let span = layer_span(&names);
        let _ = writeln!(
            out,
            "  {:>5}  {:>6}  {:<32}  {:>10}  {:>10}  {:>10}  {:>9}  {:>16}",
            k,
            problem.schedule().device_of(k, problem.stages()),
            span,
            fmt_time(s.forward),
            fmt_time(s.backward),
            fmt_time(s.time),
            result.peak_in_flight[k],
            result.stage_memory_bytes[k]
        );
    }
    let _ = writeln!(out, "\n  {:>6}  {:>10}  {:>6}", "device", "busy", "idle");
    for (d, busy) in result.device_busy.iter().enumerate() {
        let idle = if result.step_time > 0.0 {
            100.0 * (1.0 - busy / result.step_time)
        } else {
            0.0
        };
        let _ = writeln!(out, "  {:>6}  {:>10}  {:>5.1}%", d, fmt_time(*busy), idle);
    }
    Ok(out)
}

/// `pipecut algorithms`.
pub fn algorithms() -> Result<(), CliError> {
    use std::fmt::Write;
    let all = registry::all(&RegistryOptions::default());
    let width = all.iter().map(|a| a.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for a in &all {
        let default = if a.name() == registry::DEFAULT_ALGORITHM {
            " [default]"
        } else {
            ""
        };
        let _ = writeln!(out, "{:<width$}  {}{default}", a.name(), a.description());
    }
    emit(None, &out)
}

/// `pipecut models`.
pub fn models() -> Result<(), CliError> {
    use std::fmt::Write;
    let mut out = String::from("Preset models (use with --model):\n");
    let _ = writeln!(
        out,
        "  {:<18} {:<12} {:>6} {:>6} {:>5} {:>4} {:>7} {:>6} {:>9} {:>6} {:>4}",
        "name", "family", "dim", "layers", "heads", "kv", "vocab", "ffn", "experts", "seq", "mbs"
    );
    for p in pipecut::cost::presets() {
        let experts = if p.experts == 0 {
            "-".to_string()
        } else {
            format!("{}/top{}", p.experts, p.top_k)
        };
        let _ = writeln!(
            out,
            "  {:<18} {:<12} {:>6} {:>6} {:>5} {:>4} {:>7} {:>6} {:>9} {:>6} {:>4}",
            p.name,
            p.family,
            p.dim,
            p.n_layers,
            p.n_heads,
            p.n_kv_heads,
            p.vocab_size,
            p.ffn_hidden_dim,
            experts,
            p.seq_len,
            p.micro_batch_size
        );
    }
    for p in pipecut::cost::presets() {
        let _ = writeln!(out, "  {}: {}", p.name, p.description);
    }
    out.push_str("\nHardware (use with --hardware; `flops` keeps FLOPs as the unit):\n");
    let _ = writeln!(
        out,
        "  {:<12} {:>14} {:>12} {:>6} {:>10}",
        "name", "peak TFLOP/s", "HBM GB/s", "eff", "overhead"
    );
    for h in pipecut::cost::hardware_presets() {
        let _ = writeln!(
            out,
            "  {:<12} {:>14.1} {:>12.0} {:>6.2} {:>8.1} us  {}",
            h.name,
            h.peak_flops / 1e12,
            h.bandwidth / 1e9,
            h.efficiency,
            h.launch_overhead * 1e6,
            h.description
        );
    }
    emit(None, &out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChainFormat {
    /// Chain JSON.
    Json,
    /// Profile CSV.
    Csv,
}

/// `pipecut chain`.
#[derive(Debug, Args)]
pub struct ChainCmd {
    #[command(flatten)]
    chain: ChainArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "json")]
    format: ChainFormat,
    /// Write to a file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

impl ChainCmd {
    pub fn run(self) -> Result<(), CliError> {
        let chain = self.chain.chain()?;
        let text = match self.format {
            ChainFormat::Json => chain.to_json() + "\n",
            ChainFormat::Csv => pipecut::cost::chain_to_csv(&chain),
        };
        emit(self.output.as_deref(), &text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// Markdown ranking table.
    Text,
    /// The problem's results as JSON.
    Json,
}

fn select(
    names: &[String],
    opts: &RegistryOptions,
) -> Result<Vec<Box<dyn pipecut::core::Partitioner>>, CliError> {
    if names.is_empty() {
        return Ok(registry::all(opts));
    }
    Ok(names
        .iter()
        .map(|n| registry::by_name(n, opts))
        .collect::<Result<Vec<_>, _>>()?)
}

/// `pipecut compare`.
#[derive(Debug, Args)]
pub struct CompareCmd {
    #[command(flatten)]
    problem: ProblemArgs,
    /// Comma-separated algorithms [default: all].
    #[arg(long, value_delimiter = ',')]
    algorithms: Vec<String>,
    /// Largest chain the MILP models run on (`milp`, `milp-steptime`: larger ones are skipped).
    #[arg(long, value_name = "LAYERS", default_value_t = 64)]
    milp_max_layers: usize,
    /// Largest chain `milp-steptime` runs on.
    #[arg(long, value_name = "LAYERS", default_value_t = 12)]
    milp_steptime_max_layers: usize,
    #[command(flatten)]
    solver: SolverArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: CompareFormat,
}

impl CompareCmd {
    pub fn run(self) -> Result<(), CliError> {
        let problem = self.problem.problem()?;
        let model = problem.chain().name().to_string();
        let algorithms = select(&self.algorithms, &self.solver.options()?)?;
        let options = pipecut::harness::RunOptions::default()
            .with_size_cap("milp", self.milp_max_layers)
            .with_size_cap("milp-steptime", self.milp_steptime_max_layers);
        let result = pipecut::harness::compare(&model, &model, &problem, &algorithms, &options);
        let text = match self.format {
            CompareFormat::Text => pipecut::harness::problem_markdown(&result),
            CompareFormat::Json => {
                serde_json::to_string_pretty(&result).map_err(|e| CliError::Input(e.to_string()))?
                    + "\n"
            }
        };
        emit(None, &text)
    }
}

/// `pipecut harness`.
#[derive(Debug, Args)]
pub struct HarnessCmd {
    /// Suite: `presets`, `random`, `seed`, or `chains` (with --chains DIR).
    #[arg(long)]
    suite: String,
    /// Folder of user chains (JSON or CSV) for `--suite chains`.
    #[arg(long, value_name = "DIR")]
    chains: Option<PathBuf>,
    /// Where to write the reports.
    #[arg(long, value_name = "DIR", default_value = "harness-out")]
    out: PathBuf,
    /// Comma-separated report formats: markdown, csv, json, svg.
    #[arg(long, value_delimiter = ',', default_value = "markdown,csv,json,svg")]
    format: Vec<String>,
    /// Comma-separated algorithms [default: all].
    #[arg(long, value_delimiter = ',')]
    algorithms: Vec<String>,
    /// Leave the MILP models out (they dominate run time).
    #[arg(long)]
    no_milp: bool,
    /// Largest chain `milp` runs on.
    #[arg(long, value_name = "LAYERS", default_value_t = 32)]
    milp_max_layers: usize,
    /// Largest chain `milp-steptime` runs on.
    #[arg(long, value_name = "LAYERS", default_value_t = 10)]
    milp_steptime_max_layers: usize,
    /// Worker threads (0: every core).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    solver: SolverArgs,
}

impl HarnessCmd {
    pub fn run(self) -> Result<(), CliError> {
        let formats = self
            .format
            .iter()
            .map(|f| f.parse::<pipecut::harness::Format>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CliError::Input(e.to_string()))?;
        let suite = pipecut::harness::Suite::by_name(&self.suite, self.chains.as_deref(), None)
            .map_err(|e| CliError::Input(e.to_string()))?;
        let mut algorithms = select(&self.algorithms, &self.solver.options()?)?;
        if self.no_milp {
            algorithms.retain(|a| !a.name().starts_with("milp"));
        }
        let mut options = pipecut::harness::RunOptions::default()
            .with_size_cap("milp", self.milp_max_layers)
            .with_size_cap("milp-steptime", self.milp_steptime_max_layers);
        options.threads = self.jobs;
        options.progress = !self.quiet;
        let report = pipecut::harness::run_suite(&suite, &algorithms, &options);
        let written = report
            .write(&self.out, &formats)
            .map_err(|e| CliError::Input(e.to_string()))?;
        let mut text = report.summary_markdown();
        text.push_str(&format!(
            "\n{} problems ({} skipped) in {:.1} s; wrote {}\n",
            report.problems.len(),
            report.skipped.len(),
            report.wall_seconds,
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        emit(None, &text)
    }
}
