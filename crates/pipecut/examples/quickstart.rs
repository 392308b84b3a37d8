//! Split Llama 3 8B over 4 GPUs: torchtitan's default against the exact optimum.
//!
//! `cargo run --release -p pipecut --example quickstart`

use pipecut::core::ProblemSpec;
use pipecut::cost::{build_chain, ModelOptions};
use pipecut::registry;
use pipecut::sim::Executor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Per-layer forward/backward seconds on an H100 from the analytic model.
    let chain = build_chain(&ModelOptions::preset("llama3-8b"))?;
    let problem = ProblemSpec::new(chain, 4).with_micro_batches(16).check()?;

    let settings = pipecut::SolverConfig::default().check()?;
    let run = Executor::new(&problem);
    let default = run.run(&*registry::build("torchtitan", &settings)?)?;
    let best = run.run(&*registry::build(registry::DEFAULT_ALGORITHM, &settings)?)?;

    for plan in [&default, &best] {
        println!(
            "{:<10} starts {:?}: bottleneck {:.4} s, simulated step {:.4} s",
            plan.algorithm,
            plan.starts(),
            plan.bottleneck(),
            plan.step_time()
        );
    }
    let gain = default.step_time() / best.step_time() - 1.0;
    println!(
        "throughput gain over torchtitan's split: {:.2}%",
        100.0 * gain
    );
    Ok(())
}
