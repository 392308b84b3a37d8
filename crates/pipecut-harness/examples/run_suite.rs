//! Runs a suite with the exact methods and the heuristics (MILP optional),
//! in the order `pipecut algorithms` lists them, and writes every report
//! format.
//!
//! `cargo run --release -p pipecut-harness --example run_suite -- SUITE [OUT_DIR] [--milp] [--threads N]`
//! with SUITE one of `presets`, `random`, `seed`; prints the wall time.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use pipecut_core::Partitioner;
use pipecut_harness::{Format, RunOptions, Runner, Suite};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let suite_name = args.first().map(String::as_str).unwrap_or("seed");
    let out = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("target/harness-{suite_name}")));
    let milp = args.iter().any(|a| a == "--milp");
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .map(|t| t.parse())
        .transpose()?
        .unwrap_or(0);

    let mut algorithms: Vec<Box<dyn Partitioner>> = vec![
        Box::new(pipecut_exact::Exact::default()),
        Box::new(pipecut_exact::Dp::bottleneck()),
        Box::new(pipecut_exact::Dp::surrogate()),
    ];
    algorithms.extend(pipecut_heuristics::all());
    if milp {
        algorithms.push(Box::new(pipecut_milp::MilpBottleneck::new()));
        algorithms.push(Box::new(pipecut_milp::MilpStepTime::new()));
    }

    let start = Instant::now();
    let suite = Suite::by_name(suite_name, None, None)?;
    let built = start.elapsed().as_secs_f64();
    let report = Runner::new(&algorithms)
        .with_options(RunOptions::default().with_threads(threads))
        .with_progress(|done, total| {
            eprint!("\r{done}/{total} problems");
            if done == total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        })
        .run_suite(&suite)?;
    let total = start.elapsed().as_secs_f64();
    let written = report.write(&out, &Format::ALL)?;
    println!(
        "suite {suite_name}: {} problems ({} rejected), {} algorithms; built in {built:.3} s, run in {:.3} s, total {total:.3} s",
        suite.len(),
        suite.skipped.len(),
        algorithms.len(),
        report.wall_seconds
    );
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}
