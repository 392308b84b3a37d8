//! `pipecut chain`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::args::ChainArgs;
use super::{emit, CliError};

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
