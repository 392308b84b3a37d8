//! `pipecut plan`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use pipecut::core::Plan;
use pipecut::export::{deepspeed_parts, megatron_layout, plan_table, torchtitan_toml};
use pipecut::registry;
use pipecut::sim::Executor;

use super::args::ProblemArgs;
use super::solver_args::SolverArgs;
use super::{emit, CliError};

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
        let algorithm = registry::build(&self.algorithm, &self.solver.settings()?)?;
        let plan = Executor::new(&problem)
            .with_timeline(self.gantt.is_some())
            .run(&*algorithm)?;
        if let Some(path) = &self.gantt {
            let title = format!("{} plan of {}", plan.algorithm, problem.chain().name());
            emit(Some(path), &gantt(&plan, &title)?)?;
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

/// The Gantt chart of a plan assembled with its timeline.
pub(super) fn gantt(plan: &Plan, title: &str) -> Result<String, CliError> {
    let opts = pipecut::sim::GanttOptions {
        title: title.to_string(),
        unit: plan.unit.clone(),
        ..Default::default()
    };
    Ok(pipecut::sim::gantt_svg(&plan.simulation, &opts)?)
}
