//! `pipecut compare`.

use clap::{Args, ValueEnum};
use pipecut::exact::ExactStepTime;
use pipecut::harness::{ProblemResult, Runner};
use pipecut::milp::{MilpBottleneck, MilpStepTime};
use pipecut::registry;
use serde::Serialize;

use super::args::{ProblemArgs, ScheduleArg};
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
    /// Rank schedule x algorithm pairs on the same devices: comma-separated schedules (names as
    /// for --schedule) or `all`. Each runs D x (its stages per device) stages, D being the devices
    /// of --stages under --schedule; looped schedules take --virtual-stages [default: 2];
    /// micro-batches default to 2 x D.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    schedules: Vec<String>,
    /// Comma-separated algorithms [default: all].
    #[arg(long, value_delimiter = ',')]
    algorithms: Vec<String>,
    /// Largest chain the MILP models run on (`milp`, `milp-steptime`: larger ones are skipped).
    #[arg(long, value_name = "LAYERS", default_value_t = 64)]
    milp_max_layers: usize,
    /// Largest chain `exact-steptime` (branch-and-bound, up to --time-limit per problem) runs on.
    #[arg(long, value_name = "LAYERS", default_value_t = 64)]
    exact_steptime_max_layers: usize,
    /// Largest chain `milp-steptime` runs on.
    #[arg(long, value_name = "LAYERS", default_value_t = 12)]
    milp_steptime_max_layers: usize,
    #[command(flatten)]
    solver: SolverArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: CompareFormat,
}

/// `compare --schedules` as JSON: one result per schedule planned, and the
/// schedules the problem did not admit.
#[derive(Serialize)]
struct ScheduleComparison {
    results: Vec<ProblemResult>,
    skipped: Vec<(String, String)>,
}

impl CompareCmd {
    pub fn run(self) -> Result<(), CliError> {
        let algorithms = registry::build_named(&self.algorithms, &self.solver.settings()?)?;
        let options = pipecut::harness::RunOptions::default()
            .with_size_cap(MilpBottleneck::NAME, self.milp_max_layers)
            .with_size_cap(MilpStepTime::NAME, self.milp_steptime_max_layers)
            .with_size_cap(ExactStepTime::NAME, self.exact_steptime_max_layers);
        let runner = Runner::new(&algorithms).with_options(options);
        if !self.schedules.is_empty() {
            return self.run_schedules(&runner);
        }
        let problem = self.problem.problem()?;
        let model = problem.chain().name().to_string();
        let result = runner.compare(&model, &model, &problem);
        let text = match self.format {
            CompareFormat::Text => pipecut::harness::problem_markdown(&result),
            CompareFormat::Json => json(&result)?,
        };
        emit(None, &text)
    }

    fn run_schedules(&self, runner: &Runner) -> Result<(), CliError> {
        let chain = self.problem.chain.chain()?;
        let devices = self
            .problem
            .schedule
            .schedule()?
            .devices(self.problem.stages);
        let mut results = Vec::new();
        let mut skipped = Vec::new();
        for arg in schedule_list(&self.schedules)? {
            let mut args = self.problem.schedule.clone();
            args.schedule = arg;
            args.virtual_stages = arg
                .is_looped()
                .then(|| self.problem.schedule.virtual_stages.unwrap_or(2));
            args.micro_batches = Some(args.micro_batches.unwrap_or(2 * devices));
            let schedule = args.schedule()?;
            let stages = devices * schedule.virtual_stages();
            match args.problem(chain.clone(), stages) {
                Ok(problem) => results.push(runner.compare(chain.name(), chain.name(), &problem)),
                Err(e) => skipped.push((schedule.to_string(), e.to_string())),
            }
        }
        let text = match self.format {
            CompareFormat::Text => pipecut::harness::schedules_markdown(&results, &skipped),
            CompareFormat::Json => json(&ScheduleComparison { results, skipped })?,
        };
        emit(None, &text)
    }
}

/// Pretty JSON with a final newline.
fn json(value: &impl Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| CliError::Input(e.to_string()))
}

/// The schedules `--schedules` names: every one for `all`.
fn schedule_list(names: &[String]) -> Result<Vec<ScheduleArg>, CliError> {
    if names.len() == 1 && names[0].eq_ignore_ascii_case("all") {
        return Ok(ScheduleArg::value_variants().to_vec());
    }
    names
        .iter()
        .map(|n| {
            ScheduleArg::from_str(n.trim(), true)
                .map_err(|_| CliError::Input(format!("--schedules: unknown schedule `{n}`")))
        })
        .collect()
}
