//! Where `exact-steptime` stops scaling: every chain family under a few
//! schedules at one size, each solve capped at 5 s, printing the time, the
//! status and the gap left at the limit.
//!
//! `cargo run --release -p pipecut-exact --example steptime_scaling -- 64 8 32`
//! (layers, stages, micro-batches).

use std::time::{Duration, Instant};

use pipecut_core::synthetic::{generate, Family};
use pipecut_core::{Partitioner, ProblemSpec, Schedule};
use pipecut_exact::ExactStepTime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let [n, p, m] = args[..] else {
        return Err("usage: steptime_scaling LAYERS STAGES MICRO_BATCHES".into());
    };
    let schedules = [
        Schedule::OneFOneB,
        Schedule::InterleavedZeroBubble { virtual_stages: 1 },
        Schedule::Interleaved1F1B { virtual_stages: 2 },
        Schedule::ZbvZeroBubble,
    ];
    for schedule in schedules {
        for family in Family::ALL {
            let problem = ProblemSpec::new(generate(family, n, 1), p)
                .with_micro_batches(m)
                .with_schedule(schedule)
                .check()?;
            let solver = ExactStepTime {
                time_limit: Some(Duration::from_secs(5)),
                ..ExactStepTime::default()
            };
            let clock = Instant::now();
            let solution = solver.solve(&problem)?;
            println!(
                "{schedule} {}: {:.3} s, {}; {}",
                family.as_str(),
                clock.elapsed().as_secs_f64(),
                solution.status,
                solution.notes.join("; ")
            );
        }
    }
    Ok(())
}
