//! `pipecut harness`.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pipecut::exact::ExactStepTime;
use pipecut::milp::{MilpBottleneck, MilpStepTime};
use pipecut::registry::{self, Kind};

use super::solver_args::SolverArgs;
use super::{emit, CliError};

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
    /// Largest chain `exact-steptime` (branch-and-bound, up to --time-limit per problem) runs on.
    #[arg(long, value_name = "LAYERS", default_value_t = 32)]
    exact_steptime_max_layers: usize,
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
        let mut algorithms = registry::build_named(&self.algorithms, &self.solver.settings()?)?;
        if self.no_milp {
            algorithms.retain(|a| registry::find(a.name()).map_or(true, |r| r.kind != Kind::Milp));
        }
        let options = pipecut::harness::RunOptions::default()
            .with_size_cap(MilpBottleneck::NAME, self.milp_max_layers)
            .with_size_cap(MilpStepTime::NAME, self.milp_steptime_max_layers)
            .with_size_cap(ExactStepTime::NAME, self.exact_steptime_max_layers)
            .with_threads(self.jobs);
        let mut runner = pipecut::harness::Runner::new(&algorithms).with_options(options);
        let bar = progress_bar(suite.len(), self.quiet);
        let shown = bar.clone();
        runner = runner.with_progress(move |done, _total| shown.set_position(done as u64));
        let report = runner
            .run_suite(&suite)
            .map_err(|e| CliError::Input(e.to_string()))?;
        bar.finish_and_clear();
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

/// A progress bar on standard error (hidden with `--quiet`).
fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
