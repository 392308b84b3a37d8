//! Optimality-gap study: every algorithm on 576 seeded random problems.
//!
//! Asserts that no heuristic beats a proven optimum (gap >= 0) and that every
//! method claiming optimality has a zero gap: bottleneck-optimal plans
//! (`exact`, `dp`, `milp`) against the proven optimal bottleneck, and
//! step-time-optimal plans (`milp-steptime`) against the best simulated step
//! time of any plan. Prints mean / p95 / max gaps per algorithm
//! (`cargo test --release --test gap_study -- --nocapture`).

use pipecut::core::synthetic::Family;
use pipecut::core::{Objective, Schedule, Status};
use pipecut::harness::{
    Grid, MicroBatches, RandomOptions, RunOptions, RunState, Runner, Suite, EPS,
};
use pipecut::milp::{MilpBottleneck, MilpStepTime};
use pipecut::registry::{self, Kind};

#[test]
fn optimality_gap_study() {
    let suite = Suite::random(&RandomOptions {
        families: Family::ALL.to_vec(),
        sizes: vec![6, 9, 12, 16, 24, 32],
        seeds: 4,
        base_seed: 2026,
        grid: Grid {
            devices: vec![2, 3, 4],
            micro_batches: MicroBatches::PerDevice(vec![2]),
            schedules: vec![Schedule::OneFOneB, Schedule::GPipe],
            memory_capacity: None,
            link: None,
        },
    });
    assert!(suite.len() >= 500, "only {} problems", suite.len());
    // MILP only on the smallest chains, so the study stays fast in debug.
    let options = RunOptions::default()
        .with_size_cap(MilpBottleneck::NAME, 16)
        .with_size_cap(MilpStepTime::NAME, 9);
    let algorithms = registry::build_all(&pipecut::SolverConfig::default().check().unwrap());
    let report = Runner::new(&algorithms)
        .with_options(options)
        .run_suite(&suite)
        .unwrap();
    assert_eq!(report.problems.len(), suite.len());

    for p in &report.problems {
        assert!(
            p.bottleneck_proven,
            "{}: no proven optimal bottleneck",
            p.id
        );
        for r in &p.results {
            if kind_of(&r.algorithm).0 == Kind::Exact {
                assert_eq!(
                    r.state,
                    RunState::Solved,
                    "{} {}: {:?}",
                    p.id,
                    r.algorithm,
                    r.message
                );
            }
            if !r.is_feasible() {
                continue;
            }
            let (step_gap, bottleneck_gap) = (r.step_gap.unwrap(), r.bottleneck_gap.unwrap());
            assert!(
                step_gap >= 0.0,
                "{} {}: step gap {step_gap}",
                p.id,
                r.algorithm
            );
            assert!(
                bottleneck_gap >= 0.0,
                "{} {}: bottleneck {} beats the proven optimum {:?}",
                p.id,
                r.algorithm,
                r.bottleneck.unwrap(),
                p.optimal_bottleneck
            );
            if r.status == Some(Status::Optimal) {
                match r.objective {
                    Some(Objective::Bottleneck) => assert!(
                        bottleneck_gap <= EPS,
                        "{} {}: optimal bottleneck with gap {bottleneck_gap}",
                        p.id,
                        r.algorithm
                    ),
                    Some(Objective::StepTime) => assert!(
                        step_gap <= EPS,
                        "{} {}: optimal step time with gap {step_gap}",
                        p.id,
                        r.algorithm
                    ),
                    _ => {}
                }
            }
        }
    }
    for s in &report.summary {
        if kind_of(&s.algorithm) == (Kind::Exact, Objective::Bottleneck) {
            assert_eq!(s.bottleneck_optimal, suite.len(), "{}", s.algorithm);
        }
    }
    println!("{}", report.summary_markdown());
}

/// Kind and objective of a registered algorithm.
fn kind_of(name: &str) -> (Kind, Objective) {
    let row = registry::find(name).unwrap();
    (row.kind, row.objective)
}
