//! Compare every algorithm: first on one problem (DeepSeek-V3 debug model
//! without MoE on 4 GPUs), then over a small seeded random suite, writing the
//! Markdown, CSV, JSON and SVG reports.
//!
//! `cargo run --release -p pipecut --example compare_algorithms [OUT_DIR]`

use pipecut::core::synthetic::Family;
use pipecut::core::{ProblemSpec, Schedule};
use pipecut::cost::{build_chain, Checkpointing, ModelOptions};
use pipecut::harness::{
    problem_markdown, Format, Grid, MicroBatches, RandomOptions, RunOptions, Runner, Suite,
};
use pipecut::milp::{MilpBottleneck, MilpStepTime};
use pipecut::registry;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/compare-algorithms".into());
    let algorithms = registry::build_all(&pipecut::SolverConfig::default().check()?);
    // MILP only on chains small enough to solve quickly.
    let options = RunOptions::default()
        .with_size_cap(MilpBottleneck::NAME, 24)
        .with_size_cap(MilpStepTime::NAME, 8);
    let runner = Runner::new(&algorithms).with_options(options);

    let chain = build_chain(&ModelOptions {
        layers: Some(12),
        dim: Some(2048),
        moe: Some(false),
        seq_len: Some(2048),
        micro_batch_size: Some(1),
        activation_checkpointing: Some(Checkpointing::Selective { every: 2 }),
        ..ModelOptions::preset("deepseek-v3-debug")
    })?;
    let name = chain.name().to_string();
    let problem = ProblemSpec::new(chain, 4).with_micro_batches(32).check()?;
    let one = runner.compare(&name, &name, &problem);
    println!("{}", problem_markdown(&one));

    let suite = Suite::random(&RandomOptions {
        families: Family::ALL.to_vec(),
        sizes: vec![8, 16, 32, 64],
        seeds: 2,
        base_seed: 7,
        grid: Grid {
            devices: vec![2, 4],
            micro_batches: MicroBatches::PerDevice(vec![4]),
            schedules: vec![Schedule::OneFOneB, Schedule::GPipe],
            memory_capacity: None,
            link: None,
        },
    });
    let report = runner.run_suite(&suite)?;
    println!("{}", report.summary_markdown());
    for path in report.write(std::path::Path::new(&out), &Format::ALL)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
