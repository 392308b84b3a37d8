//! `pipecut compare`.

use clap::{Args, ValueEnum};
use pipecut::milp::{MilpBottleneck, MilpStepTime};
use pipecut::registry;

use super::args::ProblemArgs;
use super::solver_args::SolverArgs;
use super::{emit, CliError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// Markdown ranking table.
    Text,
    /// The problem's results as JSON.
    Json,
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
        let algorithms = registry::build_named(&self.algorithms, &self.solver.settings()?)?;
        let options = pipecut::harness::RunOptions::default()
            .with_size_cap(MilpBottleneck::NAME, self.milp_max_layers)
            .with_size_cap(MilpStepTime::NAME, self.milp_steptime_max_layers);
        let result = pipecut::harness::Runner::new(&algorithms)
            .with_options(options)
            .compare(&model, &model, &problem);
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
