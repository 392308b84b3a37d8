//! `pipecut simulate`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use pipecut::core::format::number;
use pipecut::core::{Partition, Plan, Problem};
use pipecut::export::layer_span;
use pipecut::sim::Executor;

use super::args::{ChainArgs, ScheduleArgs};
use super::plan::gantt;
use super::{emit, CliError};

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

/// `simulate --format json`: the split, the simulated step and its memory.
#[derive(serde::Serialize)]
struct SimJson<'a> {
    starts: &'a [usize],
    schedule: pipecut::core::Schedule,
    micro_batches: usize,
    unit: &'a str,
    step_time: f64,
    device_busy: &'a [f64],
    bubble_fraction: f64,
    peak_in_flight: Vec<usize>,
    stage_memory_bytes: Vec<u64>,
    device_memory_bytes: &'a [u64],
    peak_memory_bytes: u64,
    critical_stage: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeline: Option<&'a [pipecut::core::TimelineOp]>,
}

impl<'a> SimJson<'a> {
    fn new(plan: &'a Plan) -> Self {
        let stages = &plan.evaluation.stages;
        SimJson {
            starts: plan.starts(),
            schedule: plan.schedule,
            micro_batches: plan.micro_batches,
            unit: &plan.unit,
            step_time: plan.step_time(),
            device_busy: &plan.simulation.device_busy,
            bubble_fraction: plan.bubble_fraction(),
            peak_in_flight: stages.iter().map(|s| s.in_flight).collect(),
            stage_memory_bytes: stages.iter().map(|s| s.memory_bytes).collect(),
            device_memory_bytes: &plan.evaluation.device_memory_bytes,
            peak_memory_bytes: plan.peak_memory_bytes(),
            critical_stage: plan.critical_stage(),
            timeline: plan.simulation.timeline.as_deref(),
        }
    }
}

impl SimulateCmd {
    pub fn run(self) -> Result<(), CliError> {
        let chain = self.chain.chain()?;
        let problem = self.schedule.problem(chain, self.starts.len())?;
        let partition = Partition::for_problem(self.starts.clone(), &problem)?;
        let timeline = self.timeline || self.format == SimFormat::Svg;
        let plan = Executor::new(&problem)
            .with_timeline(timeline)
            .given(partition)?;
        let text = match self.format {
            SimFormat::Svg => gantt(
                &plan,
                &format!("{} {}", problem.chain().name(), plan.partition),
            )?,
            SimFormat::Json => {
                serde_json::to_string_pretty(&SimJson::new(&plan))
                    .map_err(|e| CliError::Input(e.to_string()))?
                    + "\n"
            }
            SimFormat::Text => simulate_text(&problem, &plan),
        };
        emit(self.output.as_deref(), &text)
    }
}

fn simulate_text(problem: &Problem, plan: &Plan) -> String {
    use std::fmt::Write;
    let eval = &plan.evaluation;
    let unit = &plan.unit;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "simulated {} with {} stages on {} devices, {} micro-batches: starts {}",
        plan.schedule,
        plan.stages(),
        problem.devices(),
        plan.micro_batches,
        plan.partition
    );
    let _ = writeln!(out, "step time:        {} {unit}", number(plan.step_time()));
    let _ = writeln!(
        out,
        "bubble fraction:  {:.1}%",
        100.0 * plan.bubble_fraction()
    );
    let _ = writeln!(out, "critical stage:   {}", plan.critical_stage());
    let _ = writeln!(
        out,
        "bottleneck:       {} {unit} (stage {})",
        number(eval.bottleneck),
        eval.bottleneck_stage
    );
    let _ = writeln!(
        out,
        "surrogate:        {} {unit}",
        number(eval.surrogate_step_time)
    );
    let _ = writeln!(out, "peak memory:      {} bytes", eval.peak_memory_bytes);
    let _ = writeln!(
        out,
        "\n  {:>5}  {:>6}  {:<32}  {:>10}  {:>10}  {:>10}  {:>9}  {:>16}",
        "stage", "device", "layers", "forward", "backward", "time", "in-flight", "memory bytes"
    );
    for (k, s) in eval.stages.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:>5}  {:>6}  {:<32}  {:>10}  {:>10}  {:>10}  {:>9}  {:>16}",
            k,
            plan.device_of(k),
            layer_span(plan.stage_names(k)),
            number(s.forward),
            number(s.backward),
            number(s.time),
            s.in_flight,
            s.memory_bytes
        );
    }
    let step_time = plan.step_time();
    let _ = writeln!(out, "\n  {:>6}  {:>10}  {:>6}", "device", "busy", "idle");
    for (d, busy) in plan.simulation.device_busy.iter().enumerate() {
        let idle = if step_time > 0.0 {
            100.0 * (1.0 - busy / step_time)
        } else {
            0.0
        };
        let _ = writeln!(out, "  {:>6}  {:>10}  {:>5.1}%", d, number(*busy), idle);
    }
    out
}
