//! Subcommands of the `pipecut` binary.

mod args;
mod bench;
mod chain;
mod compare;
mod harness;
mod listing;
mod plan;
mod simulate;
mod solver_args;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

/// A command-line failure: printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input the user can fix.
    #[error("{0}")]
    Input(String),
    /// A typed library error.
    #[error(transparent)]
    Core(#[from] pipecut::core::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Command-line syntax (clap already formats these).
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// The message and its causes on one line.
    pub fn one_line(&self) -> String {
        let mut msg = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            let text = s.to_string();
            if !msg.contains(&text) {
                msg.push_str(": ");
                msg.push_str(&text);
            }
            source = s.source();
        }
        msg.replace('\n', " ")
    }

    /// 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl From<pipecut::Error> for CliError {
    fn from(e: pipecut::Error) -> Self {
        CliError::Input(e.to_string())
    }
}

impl From<pipecut::sim::SimError> for CliError {
    fn from(e: pipecut::sim::SimError) -> Self {
        CliError::Core(e.into())
    }
}

/// Writes `text` to `path`, or to stdout when `path` is `None` or `-`.
pub fn emit(path: Option<&Path>, text: &str) -> Result<(), CliError> {
    match path {
        Some(p) if p != Path::new("-") => std::fs::write(p, text).map_err(|source| CliError::Io {
            path: p.to_path_buf(),
            source,
        }),
        _ => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "pipecut",
    version,
    about = "Find the pipeline-parallel stage split that minimises training step time",
    long_about = "pipecut models or measures every layer's cost, simulates the pipeline schedule \
                  (GPipe, 1F1B, interleaved 1F1B) and returns the split of the layers into stages \
                  that minimises the step time, with exact solvers, the AutoPipe heuristic, \
                  framework baselines and MILP models."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Split a chain into stages with one algorithm and print the plan.
    Plan(plan::PlanCmd),
    /// Simulate a given split (stage starts) under a schedule.
    Simulate(simulate::SimulateCmd),
    /// Rank every algorithm on one problem by simulated step time.
    Compare(compare::CompareCmd),
    /// Run a suite of problems through every algorithm and write reports.
    Harness(harness::HarnessCmd),
    /// List every partitioning algorithm.
    Algorithms,
    /// List the preset models and hardware.
    Models,
    /// Write a preset model's chain as JSON or CSV, to edit or to plan later.
    Chain(chain::ChainCmd),
    /// Time algorithms on a generated chain.
    Bench(bench::BenchCmd),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> Result<(), CliError> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    Err(CliError::Usage("a subcommand is required".into()))
                } else {
                    Ok(())
                };
            }
            // clap spreads one error over several lines; keep the message and
            // what it lists, drop the usage block.
            let text = e.to_string();
            let parts: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:"))
                .filter(|l| {
                    !l.is_empty()
                        && !l.starts_with("For more information")
                        && !l.starts_with("tip:")
                })
                .collect();
            let msg = parts.join(" ");
            let msg = msg.trim_start_matches("error: ");
            return Err(CliError::Usage(format!("{msg} (see --help)")));
        }
    };
    match cli.command {
        Command::Plan(c) => c.run(),
        Command::Simulate(c) => c.run(),
        Command::Compare(c) => c.run(),
        Command::Harness(c) => c.run(),
        Command::Algorithms => listing::algorithms(),
        Command::Models => listing::models(),
        Command::Chain(c) => c.run(),
        Command::Bench(c) => c.run(),
    }
}
