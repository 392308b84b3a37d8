//! Every registered algorithm returns a valid plan on every schedule: its
//! partition fits the problem, and its step time and bottleneck are the
//! simulator's and the evaluator's.

use pipecut::core::synthetic::{generate, Family};
use pipecut::core::{evaluate, Partition, Problem, ProblemSpec, Schedule, Status};
use pipecut::registry::{self, Kind};
use pipecut::sim::{PlanExt, Simulator};
use pipecut::SolverConfig;

/// Small problems of every schedule: 2 and 3 devices, the looped schedules
/// with 2 stages per device, `M = 2D` (`4D` for DualPipeV's `M >= 2D`).
fn problems() -> Vec<Problem> {
    let mut out = Vec::new();
    for devices in [2, 3] {
        for schedule in Schedule::all(2) {
            let stages = devices * schedule.virtual_stages();
            for (seed, family) in [(1, Family::Transformer), (2, Family::Lognormal)] {
                let chain = generate(family, stages + 4, seed);
                let m = if schedule == Schedule::DualPipeV {
                    4 * devices
                } else {
                    2 * devices
                };
                let problem = ProblemSpec::new(chain, stages)
                    .with_micro_batches(m)
                    .with_schedule(schedule)
                    .check()
                    .unwrap_or_else(|e| panic!("{schedule} D={devices}: {e}"));
                out.push(problem);
            }
        }
    }
    out
}

#[test]
fn every_algorithm_plans_every_schedule() {
    let settings = SolverConfig::default().check().unwrap();
    let algorithms = registry::build_all(&settings);
    // Refusals per baseline: each must plan at least one problem.
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    let problems = problems();
    for problem in &problems {
        let problem = problem.clone();
        let sim = Simulator::new(&problem);
        for algorithm in &algorithms {
            let what = format!("{} on {}", algorithm.name(), problem.schedule());
            let plan = match algorithm.plan(&problem) {
                Ok(plan) => plan,
                // A framework's own rule may refuse a shape (Megatron's needs
                // the blocks to divide evenly): a typed error, only there.
                Err(e) => {
                    let kind = registry::find(algorithm.name()).unwrap().kind;
                    assert_eq!(kind, Kind::Baseline, "{what}: {e}");
                    *refused.entry(algorithm.name().to_string()).or_default() += 1;
                    continue;
                }
            };
            let part = Partition::for_problem(plan.starts().to_vec(), &problem)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let simulated = sim.run(&problem, &part, false).unwrap().step_time;
            assert_eq!(plan.step_time(), simulated, "{what}");
            assert!(
                plan.step_time().is_finite() && plan.step_time() > 0.0,
                "{what}"
            );
            assert_eq!(
                plan.bottleneck(),
                evaluate(&problem, &part).bottleneck,
                "{what}"
            );
            if plan.status == Status::Optimal {
                assert!(plan.bound.is_some(), "{what}: optimal without a bound");
            }
        }
    }
    for (name, count) in &refused {
        assert!(
            *count < problems.len(),
            "{name} refused all {count} problems"
        );
    }
}
