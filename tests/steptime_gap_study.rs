//! Proven step-time gaps at realistic sizes: every heuristic against
//! `exact-steptime`'s proven optimum on seeded random problems
//! (N in {16, 32, 64}, P in {4, 8} stages, M in {P, 2P, 4P}; 1F1B,
//! PyTorch's interleaved 1F1B and ZBV zero-bubble with 2 stages per device).
//!
//! Asserts that no plan beats a proven optimum and that every proof is
//! the best plan found; prints per algorithm the mean / p95 / max proven
//! step gap and how often it is optimal. `PIPECUT_STUDY_SEEDS` sets the
//! seeds per (family, size) (default 1: 216 problems; the README's table
//! uses 3: 648 problems), `PIPECUT_STUDY_TIME_LIMIT` the seconds
//! `exact-steptime` gets per problem (default 0.25; the README's table uses 2):
//! `PIPECUT_STUDY_SEEDS=3 cargo test --release --test steptime_gap_study -- --nocapture`.

use std::time::Duration;

use pipecut::core::synthetic::Family;
use pipecut::core::{Partitioner, Schedule, Status, TimeLimited};
use pipecut::exact::ExactStepTime;
use pipecut::harness::{Grid, MicroBatches, ProblemResult, RandomOptions, Runner, Suite, EPS};
use pipecut::registry;

const HEURISTICS: [&str; 7] = [
    "auto",
    "autopipe",
    "autopipe-reference",
    "exact",
    "torchtitan",
    "uniform",
    "greedy",
];

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One schedule's suite: `P` stages on `P / v` devices, `M = f P`.
fn suite(schedule: Schedule, seeds: u64) -> Suite {
    let v = schedule.virtual_stages();
    Suite::random(&RandomOptions {
        families: Family::ALL.to_vec(),
        sizes: vec![16, 32, 64],
        seeds,
        base_seed: 1201,
        grid: Grid {
            devices: vec![4 / v, 8 / v],
            micro_batches: MicroBatches::PerDevice(vec![v, 2 * v, 4 * v]),
            schedules: vec![schedule],
            memory_capacity: None,
            link: None,
        },
    })
}

#[test]
fn proven_step_time_gaps() {
    let seeds = env_number("PIPECUT_STUDY_SEEDS", 1.0) as u64;
    let limit = Duration::from_secs_f64(env_number("PIPECUT_STUDY_TIME_LIMIT", 0.25));
    let settings = pipecut::SolverConfig::default().check().unwrap();
    let mut algorithms: Vec<Box<dyn Partitioner>> = Vec::new();
    let mut exact = ExactStepTime::default();
    exact.set_time_limit(Some(limit));
    algorithms.push(Box::new(exact));
    for name in HEURISTICS {
        algorithms.push(registry::build(name, &settings).unwrap());
    }
    let mut problems: Vec<ProblemResult> = Vec::new();
    for schedule in [
        Schedule::OneFOneB,
        Schedule::Interleaved1F1B { virtual_stages: 2 },
        Schedule::ZbvZeroBubble,
    ] {
        let suite = suite(schedule, seeds);
        let report = Runner::new(&algorithms).run_suite(&suite).unwrap();
        problems.extend(report.problems);
    }
    if seeds >= 3 {
        assert!(problems.len() >= 500, "only {} problems", problems.len());
    }
    let mut limited = 0;
    for p in &problems {
        let proof = p
            .results
            .iter()
            .find(|r| r.algorithm == ExactStepTime::NAME)
            .unwrap();
        match proof.status {
            Some(Status::Optimal) => {
                assert!(p.step_time_proven, "{}", p.id);
                assert!(
                    proof.step_gap.unwrap() <= EPS,
                    "{}: proof is not the best plan",
                    p.id
                );
            }
            _ => limited += 1,
        }
        for r in p.results.iter().filter(|r| r.is_feasible()) {
            assert!(r.step_gap.unwrap() >= 0.0, "{} {}", p.id, r.algorithm);
        }
    }
    println!("{}", table(&problems, limited));
}

/// The Markdown table of proven gaps (problems whose optimum is proven).
fn table(problems: &[ProblemResult], limited: usize) -> String {
    let proven: Vec<&ProblemResult> = problems.iter().filter(|p| p.step_time_proven).collect();
    let mut out = format!(
        "{} problems, step-time optimum proven on {} ({} stopped at the time limit)\n\n\
         | algorithm | mean / p95 / max proven step gap | optimal |\n|---|---:|---:|\n",
        problems.len(),
        proven.len(),
        limited
    );
    for name in HEURISTICS {
        let mut gaps: Vec<f64> = proven
            .iter()
            .filter_map(|p| p.results.iter().find(|r| r.algorithm == name))
            .filter(|r| r.is_feasible())
            .filter_map(|r| r.step_gap)
            .collect();
        gaps.sort_by(f64::total_cmp);
        if gaps.is_empty() {
            continue;
        }
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let p95 = gaps[((gaps.len() as f64 * 0.95).ceil() as usize).min(gaps.len()) - 1];
        let optimal = gaps.iter().filter(|&&g| g <= EPS).count();
        out += &format!(
            "| {name} | {:.2}% / {:.2}% / {:.2}% | {optimal} / {} |\n",
            100.0 * mean,
            100.0 * p95,
            100.0 * gaps[gaps.len() - 1],
            gaps.len()
        );
    }
    out
}
