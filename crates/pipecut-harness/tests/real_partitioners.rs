//! The harness driving the real partitioners: exact methods must show a zero
//! gap to the proven optimum, heuristics a non-negative one, and the reports
//! must cover every problem.

use pipecut_core::synthetic::Family;
use pipecut_core::{Partitioner, Schedule};
use pipecut_harness::{Grid, MicroBatches, RandomOptions, RunOptions, RunState, Runner, Suite};

fn algorithms() -> Vec<Box<dyn Partitioner>> {
    let mut a = pipecut_heuristics::all();
    a.push(Box::new(pipecut_exact::Exact::default()));
    a.push(Box::new(pipecut_exact::Dp::bottleneck()));
    a.push(Box::new(pipecut_exact::Dp::surrogate()));
    a.push(Box::new(pipecut_milp::MilpBottleneck::new()));
    a.push(Box::new(pipecut_milp::MilpStepTime::new()));
    a
}

#[test]
fn exact_methods_have_zero_gap_and_heuristics_non_negative() {
    let suite = Suite::random(&RandomOptions {
        families: Family::ALL.to_vec(),
        sizes: vec![6, 12, 24],
        seeds: 2,
        base_seed: 11,
        grid: Grid {
            devices: vec![2, 3],
            micro_batches: MicroBatches::PerDevice(vec![2]),
            schedules: vec![Schedule::OneFOneB, Schedule::GPipe],
            memory_capacity: None,
            link: None,
        },
    });
    assert_eq!(suite.len(), 4 * 3 * 2 * 2 * 2);
    let options = RunOptions::default()
        .with_size_cap("milp", 12)
        .with_size_cap("milp-steptime", 6);
    let algos = algorithms();
    let report = Runner::new(&algos)
        .with_options(options)
        .run_suite(&suite)
        .unwrap();
    assert_eq!(report.problems.len(), suite.len());
    for p in &report.problems {
        assert!(p.bottleneck_proven, "{}: no proven bottleneck", p.id);
        assert_eq!(p.reference.as_deref(), Some("torchtitan"), "{}", p.id);
        for r in p.results.iter().filter(|r| r.state == RunState::Solved) {
            let (sg, bg) = (r.step_gap.unwrap(), r.bottleneck_gap.unwrap());
            assert!(
                sg >= 0.0 && bg >= 0.0,
                "{} {}: gaps {sg} {bg}",
                p.id,
                r.algorithm
            );
        }
        for exact in ["exact", "dp", "milp"] {
            let r = p.get(exact).unwrap();
            if r.state == RunState::Solved && r.status == Some(pipecut_core::Status::Optimal) {
                assert_eq!(r.bottleneck_gap, Some(0.0), "{} {exact}", p.id);
            } else {
                assert!(
                    exact == "milp" && r.state == RunState::Skipped,
                    "{} {exact}: {:?} {:?}",
                    p.id,
                    r.state,
                    r.message
                );
            }
        }
        let st = p.get("milp-steptime").unwrap();
        if st.status == Some(pipecut_core::Status::Optimal) {
            assert_eq!(st.step_gap, Some(0.0), "{}: milp-steptime not best", p.id);
            assert!(p.step_time_proven);
        }
    }
    let summary = |name: &str| report.summary.iter().find(|s| s.algorithm == name).unwrap();
    assert_eq!(summary("exact").bottleneck_optimal, suite.len());
    assert_eq!(summary("dp").failed, 0);
    assert!(summary("milp-steptime").solved > 0);
    assert_eq!(
        report.to_csv().lines().count(),
        1 + suite.len() * report.algorithms.len()
    );
}

#[test]
fn seed_suite_reports_gains_for_every_variant() {
    let suite = Suite::seed().unwrap();
    let algos = algorithms();
    let report = Runner::new(&algos[..10]).run_suite(&suite).unwrap();
    let md = report.to_markdown();
    for case in &suite.cases {
        assert!(md.contains(&case.id), "{} missing from the report", case.id);
    }
    // torchtitan splits every variant, so it is the reference everywhere and
    // the exact bottleneck never loses to it by more than rounding.
    for p in &report.problems {
        assert_eq!(p.reference.as_deref(), Some("torchtitan"));
        let exact = p.get("exact").unwrap();
        assert_eq!(exact.bottleneck_gap, Some(0.0));
        let titan = p.get("torchtitan").unwrap();
        assert!(exact.bottleneck.unwrap() <= titan.bottleneck.unwrap());
    }
}
