//! Times both MILP models with and without each strengthening.
//!
//! `cargo run --release -p pipecut-milp --features highs --example strengthening [backend]`
use std::time::Duration;

use pipecut_core::{synthetic, ProblemSpec, Schedule, TimeLimited};
use pipecut_milp::{Backend, MilpBottleneck, MilpStepTime};
use pipecut_sim::PlanExt;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend: Backend = std::env::args()
        .nth(1)
        .map_or(Ok(Backend::default()), |s| s.parse())?;
    let limit = Some(Duration::from_secs(30));
    println!("backend {backend}");
    for (n, p) in [(64, 8), (128, 16)] {
        let problem = ProblemSpec::new(synthetic::generate(synthetic::Family::Lognormal, n, 1), p)
            .with_micro_batches(2 * p)
            .check()?;
        for (default_starts, fixing, cut) in [
            (false, false, false),
            (true, false, false),
            (true, true, false),
            (true, true, true),
        ] {
            let mut s = MilpBottleneck::new().with_backend(backend);
            s.set_time_limit(limit);
            let o = s.options_mut();
            o.default_starts = default_starts;
            o.probe_fixing = fixing;
            o.bound_cut = cut;
            let plan = s.plan(&problem)?;
            println!(
                "milp N={n} P={p} starts={default_starts} fixing={fixing} cut={cut}: {:.3} s {} {} {:?}",
                plan.solve_seconds,
                plan.status,
                plan.bottleneck(),
                plan.notes
            );
        }
    }
    for schedule in [Schedule::OneFOneB, Schedule::GPipe] {
        let problem = ProblemSpec::new(synthetic::generate(synthetic::Family::Lognormal, 24, 1), 4)
            .with_micro_batches(8)
            .with_schedule(schedule)
            .check()?;
        for (default_starts, fixing, cut) in [
            (false, false, false),
            (true, false, false),
            (true, true, false),
            (true, true, true),
        ] {
            let mut s = MilpStepTime::new().with_backend(backend);
            s.set_time_limit(limit);
            let o = s.options_mut();
            o.default_starts = default_starts;
            o.probe_fixing = fixing;
            o.bound_cut = cut;
            let plan = s.plan(&problem)?;
            println!(
                "milp-steptime {schedule} N=24 P=4 M=8 starts={default_starts} fixing={fixing} cut={cut}: {:.3} s {} {} {:?}",
                plan.solve_seconds,
                plan.status,
                plan.step_time(),
                plan.notes
            );
        }
    }
    Ok(())
}
