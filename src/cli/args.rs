//! Argument groups shared by several subcommands, and their conversion into
//! checked library values.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use pipecut::core::{
    Chain, PairOverlap, Problem, ProblemSpec, Schedule, ScheduleFamily, ScheduleName,
};
use pipecut::cost::{Checkpointing, ModelOptions};

use super::CliError;

/// Where the chain comes from: a file, or a preset cost model.
#[derive(Debug, Args, Clone)]
pub struct ChainArgs {
    /// Chain file: Chain JSON (.json) or a measured profile CSV (.csv).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "model",
        required_unless_present = "model"
    )]
    pub chain: Option<PathBuf>,
    /// Preset model (see `pipecut models`) instead of a chain file.
    #[arg(long, value_name = "PRESET")]
    pub model: Option<String>,
    /// Model option: sequence length.
    #[arg(long, value_name = "TOKENS", requires = "model")]
    pub seq_len: Option<usize>,
    /// Model option: micro-batch size (sequences per micro-batch).
    #[arg(long, value_name = "N", requires = "model")]
    pub micro_batch_size: Option<usize>,
    /// Model option: number of transformer blocks.
    #[arg(long, value_name = "N", requires = "model")]
    pub layers: Option<usize>,
    /// Model option: model dimension.
    #[arg(long, value_name = "N", requires = "model")]
    pub dim: Option<usize>,
    /// Model option: vocabulary size.
    #[arg(long, value_name = "N", requires = "model")]
    pub vocab: Option<usize>,
    /// Model option (DeepSeek-V3): `false` replaces the MoE layers by dense ones.
    #[arg(long, value_name = "BOOL", requires = "model")]
    pub moe: Option<bool>,
    /// Model option: hardware preset (see `pipecut models`) or `flops` to keep FLOPs as the unit.
    #[arg(long, value_name = "NAME", requires = "model")]
    pub hardware: Option<String>,
    /// Model option: activation checkpointing `none`, `full` or `selective:K` (every K-th block).
    #[arg(long, value_name = "MODE", requires = "model")]
    pub activation_checkpointing: Option<Checkpointing>,
    /// Model option: bytes per parameter for weights, gradients and optimizer state [default: 16].
    #[arg(long, value_name = "BYTES", requires = "model")]
    pub bytes_per_param: Option<u64>,
}

impl ChainArgs {
    /// Loads or builds the chain.
    pub fn chain(&self) -> Result<Chain, CliError> {
        if let Some(path) = &self.chain {
            return pipecut::cost::load_chain(path)
                .map_err(|e| CliError::Input(format!("{}: {e}", path.display())));
        }
        let preset = self
            .model
            .clone()
            .ok_or_else(|| CliError::Input("give --chain FILE or --model PRESET".into()))?;
        let opts = ModelOptions {
            preset,
            seq_len: self.seq_len,
            micro_batch_size: self.micro_batch_size,
            layers: self.layers,
            dim: self.dim,
            vocab: self.vocab,
            moe: self.moe,
            hardware: self.hardware.clone(),
            activation_checkpointing: self.activation_checkpointing,
            bytes_per_param: self.bytes_per_param,
        };
        pipecut::cost::build_chain(&opts).map_err(|e| CliError::Input(e.to_string()))
    }
}

impl ScheduleArg {
    /// Whether the schedule takes a stages-per-device count.
    pub fn is_looped(self) -> bool {
        ScheduleName::parse(&arg_name(self), "--schedule")
            .is_ok_and(|name| name.family() == ScheduleFamily::Looped)
    }
}

/// The command-line name of a schedule argument.
fn arg_name(schedule: ScheduleArg) -> String {
    schedule
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

/// Pipeline schedule names on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// PipeDream-flush one-forward-one-backward.
    #[value(name = "1f1b")]
    OneFOneB,
    /// All forwards, then all backwards.
    Gpipe,
    /// Megatron's interleaved 1F1B (needs --virtual-stages).
    Interleaved,
    /// PyTorch's interleaved 1F1B: Megatron's order where devices divide M, PyTorch's rounds otherwise (needs --virtual-stages).
    #[value(name = "interleaved-1f1b", alias = "interleaved1f1b")]
    Interleaved1f1b,
    /// PyTorch's interleaved zero-bubble schedule: backwards split into input- and weight-gradient parts (needs --virtual-stages).
    #[value(name = "interleaved-zero-bubble", alias = "interleavedzerobubble")]
    InterleavedZeroBubble,
    /// PyTorch's V-shaped zero-bubble schedule: device r holds stages r and 2D-1-r.
    #[value(name = "zbv-zero-bubble", alias = "zbvzerobubble")]
    ZbvZeroBubble,
    /// PyTorch's DualPipeV: V placement, forward/backward pairs; at least as many micro-batches as stages.
    #[value(name = "dualpipev")]
    DualPipeV,
    /// PyTorch's breadth-first looped schedule (needs --virtual-stages).
    #[value(name = "looped-bfs", alias = "loopedbfs")]
    LoopedBfs,
}

/// How the pipeline runs.
#[derive(Debug, Args, Clone)]
pub struct ScheduleArgs {
    /// Micro-batches per step [default: 2 x stages].
    #[arg(long, short = 'm', value_name = "M")]
    pub micro_batches: Option<usize>,
    /// Pipeline schedule (case-insensitive; PyTorch's names `1F1B`, `GPipe`, `Interleaved1F1B`, `LoopedBFS`, `InterleavedZeroBubble`, `ZBVZeroBubble`, `DualPipeV` work too).
    #[arg(long, value_enum, default_value = "1f1b", ignore_case = true)]
    pub schedule: ScheduleArg,
    /// Stages per device for the looped schedules (stages = devices x V); the V-shaped ones always run 2.
    #[arg(long, value_name = "V")]
    pub virtual_stages: Option<usize>,
    /// Device memory capacity in bytes (suffixes: KB, MB, GB, KiB, MiB, GiB, e.g. 80GiB).
    #[arg(long, value_name = "BYTES", value_parser = pipecut::core::format::parse_bytes)]
    pub memory_cap: Option<u64>,
    /// Link latency between consecutive stages, in the chain's time unit.
    #[arg(long, value_name = "TIME", requires = "link_bandwidth")]
    pub link_latency: Option<f64>,
    /// Link bandwidth in bytes per time unit of the chain.
    #[arg(long, value_name = "BYTES_PER_UNIT")]
    pub link_bandwidth: Option<f64>,
    /// Per-stage speed factors (stage k's compute time is multiplied by speed k), comma-separated.
    #[arg(long, value_name = "S0,S1,..", value_delimiter = ',')]
    pub speeds: Option<Vec<f64>>,
    /// How DualPipeV's forward/backward pairs run: `sequential` (back to back, PyTorch's runtime without an overlap function) or `perfect` (at once: a pair takes its longer part).
    #[arg(long, value_enum, default_value = "sequential", value_name = "HOW")]
    pub pair_overlap: PairOverlapArg,
}

/// `--pair-overlap` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PairOverlapArg {
    /// One part after the other.
    Sequential,
    /// Both parts at once.
    Perfect,
}

impl From<PairOverlapArg> for PairOverlap {
    fn from(arg: PairOverlapArg) -> Self {
        match arg {
            PairOverlapArg::Sequential => PairOverlap::Sequential,
            PairOverlapArg::Perfect => PairOverlap::Perfect,
        }
    }
}

impl ScheduleArgs {
    /// The schedule value, checking that --virtual-stages goes with a looped
    /// schedule.
    pub fn schedule(&self) -> Result<Schedule, CliError> {
        // The value names are pipecut's schedule names.
        let arg = arg_name(self.schedule);
        let name = ScheduleName::parse(&arg, "--schedule")?;
        let v = match (name.family(), self.virtual_stages) {
            (ScheduleFamily::Looped, None) => {
                return Err(CliError::Input(format!(
                    "--schedule {arg} needs --virtual-stages V"
                )))
            }
            (ScheduleFamily::V, Some(v)) if v != 2 => {
                return Err(CliError::Input(format!(
                "--schedule {arg} runs exactly 2 stages per device (--virtual-stages {v} given)"
            )))
            }
            (ScheduleFamily::Single, Some(v)) if v != 1 => {
                return Err(CliError::Input(format!(
                "--virtual-stages {v} only applies to the looped schedules (interleaved, interleaved-1f1b, interleaved-zero-bubble, looped-bfs)"
            )))
            }
            (ScheduleFamily::Single, _) => 1,
            (ScheduleFamily::V, _) => 2,
            (ScheduleFamily::Looped, Some(v)) => v,
        };
        Ok(name.schedule("--virtual-stages", v)?)
    }

    /// Builds and checks the problem for `stages` stages.
    pub fn problem(&self, chain: Chain, stages: usize) -> Result<Problem, CliError> {
        let mut spec = ProblemSpec::new(chain, stages)
            .with_micro_batches(self.micro_batches.unwrap_or(2 * stages))
            .with_schedule(self.schedule()?);
        spec.memory_capacity = self.memory_cap;
        if let Some(bandwidth) = self.link_bandwidth {
            spec = spec.with_link(self.link_latency.unwrap_or(0.0), bandwidth);
        }
        spec.speeds = self.speeds.clone();
        spec.pair_overlap = self.pair_overlap.into();
        Ok(spec.check()?)
    }
}

/// A whole problem: the chain, the stage count and how the pipeline runs.
#[derive(Debug, Args, Clone)]
pub struct ProblemArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Number of pipeline stages P (for interleaved: devices x virtual stages).
    #[arg(long, short = 'p', value_name = "P")]
    pub stages: usize,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

impl ProblemArgs {
    /// Loads the chain and checks the problem.
    pub fn problem(&self) -> Result<Problem, CliError> {
        self.schedule.problem(self.chain.chain()?, self.stages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schedule_value_is_a_core_schedule_name() {
        let looped = [
            ScheduleArg::Interleaved,
            ScheduleArg::Interleaved1f1b,
            ScheduleArg::InterleavedZeroBubble,
            ScheduleArg::LoopedBfs,
        ];
        for &arg in ScheduleArg::value_variants() {
            let name = ScheduleName::parse(&arg_name(arg), "--schedule").unwrap();
            assert_eq!(name.canonical(), arg_name(arg));
            assert_eq!(arg.is_looped(), looped.contains(&arg), "{arg:?}");
        }
    }
}
