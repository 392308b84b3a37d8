//! Times both MILP models with and without each strengthening.
//!
//! `cargo run --release -p pipecut-milp --features highs --example strengthening [backend]`
use std::time::Duration;

use pipecut_core::{synthetic, Partitioner, Plan, Problem, ProblemSpec, Schedule, TimeLimited};
use pipecut_milp::{Backend, MilpBottleneck, MilpOptions, MilpStepTime};
use pipecut_sim::PlanExt;

/// Each strengthening switched on in turn: (default starts, probe fixing, bound cut).
const STEPS: [(bool, bool, bool); 4] = [
    (false, false, false),
    (true, false, false),
    (true, true, false),
    (true, true, true),
];

/// Plans `problem` once per step of [`STEPS`] and prints one line each.
fn sweep<S>(
    label: &str,
    problem: &Problem,
    mut solver: S,
    options: impl Fn(&mut S) -> &mut MilpOptions,
    objective: impl Fn(&Plan) -> f64,
) -> Result<(), Box<dyn std::error::Error>>
where
    S: Partitioner + TimeLimited,
{
    solver.set_time_limit(Some(Duration::from_secs(30)));
    for (default_starts, fixing, cut) in STEPS {
        let o = options(&mut solver);
        o.default_starts = default_starts;
        o.probe_fixing = fixing;
        o.bound_cut = cut;
        let plan = solver.plan(problem)?;
        println!(
            "{label} starts={default_starts} fixing={fixing} cut={cut}: {:.3} s {} {} {:?}",
            plan.solve_seconds,
            plan.status,
            objective(&plan),
            plan.notes
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend: Backend = std::env::args()
        .nth(1)
        .map_or(Ok(Backend::default()), |s| s.parse())?;
    println!("backend {backend}");
    for (n, p) in [(64, 8), (128, 16)] {
        let problem = ProblemSpec::new(synthetic::generate(synthetic::Family::Lognormal, n, 1), p)
            .with_micro_batches(2 * p)
            .check()?;
        let solver = MilpBottleneck::new().with_backend(backend);
        sweep(
            &format!("milp N={n} P={p}"),
            &problem,
            solver,
            MilpBottleneck::options_mut,
            Plan::bottleneck,
        )?;
    }
    for schedule in [Schedule::OneFOneB, Schedule::GPipe] {
        let problem = ProblemSpec::new(synthetic::generate(synthetic::Family::Lognormal, 24, 1), 4)
            .with_micro_batches(8)
            .with_schedule(schedule)
            .check()?;
        let solver = MilpStepTime::new().with_backend(backend);
        sweep(
            &format!("milp-steptime {schedule} N=24 P=4 M=8"),
            &problem,
            solver,
            MilpStepTime::options_mut,
            Plan::step_time,
        )?;
    }
    Ok(())
}
