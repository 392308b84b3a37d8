//! Runner tests with small brute-force partitioners, so that "optimal" is
//! known independently of the solver crates.

use super::*;
use crate::report::Format;
use crate::results::RunState;
use crate::suite::{Grid, RandomOptions};
use pipecut_core::synthetic::Family;
use pipecut_core::{Objective, Partition, Plan, ProblemSpec, Schedule, Solution};
use pipecut_sim::Executor;
use proptest::prelude::*;

#[derive(Clone, Copy)]
enum Kind {
    BestBottleneck,
    BestStep,
    Uniform,
    Fails,
    Panics,
    /// A partition with one stage too many.
    Invalid,
    /// A valid-looking partition of a longer chain.
    WrongChain,
    /// The only partition, with a claim of a proven step time of zero.
    Overclaims,
}

struct Test(&'static str, Kind);

/// Every memory-fitting plan of the problem.
fn fitting_plans(problem: &Problem) -> impl Iterator<Item = Plan> + '_ {
    let executor = Executor::new(problem);
    pipecut_testkit::partitions(problem.layers(), problem.stages())
        .map(move |p| executor.given(p).unwrap())
        .filter(Plan::fits_memory)
}

/// The fitting plan that minimises `value`, as a proven optimum.
fn best(problem: &Problem, objective: Objective, value: fn(&Plan) -> f64) -> Solution {
    let best = fitting_plans(problem)
        .min_by(|a, b| value(a).total_cmp(&value(b)))
        .unwrap();
    let optimum = value(&best);
    Solution::optimal(best.partition, objective, optimum)
}

impl Partitioner for Test {
    fn name(&self) -> &str {
        self.0
    }
    fn description(&self) -> &str {
        "test partitioner"
    }
    fn solve(&self, problem: &Problem) -> pipecut_core::Result<Solution> {
        let (n, p) = (problem.layers(), problem.stages());
        match self.1 {
            Kind::BestBottleneck => Ok(best(problem, Objective::Bottleneck, Plan::bottleneck)),
            Kind::BestStep => Ok(best(problem, Objective::StepTime, Plan::step_time)),
            Kind::Uniform => {
                let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
                Ok(Solution::heuristic(
                    Partition::from_sizes(&sizes)?,
                    Objective::Rule,
                ))
            }
            Kind::Fails => Err(pipecut_core::Error::Unsupported {
                algorithm: self.0.into(),
                reason: "`stages` too large for the test".into(),
            }),
            Kind::Panics => panic!("test partitioner panics"),
            Kind::Invalid => Ok(Solution::heuristic(
                Partition::new((0..=p).collect(), n + 1)?,
                Objective::Rule,
            )),
            Kind::WrongChain => Ok(Solution::heuristic(
                Partition::new((0..p).collect(), n + 1)?,
                Objective::Rule,
            )),
            Kind::Overclaims => Ok(Solution::optimal(
                Partition::new((0..p).collect(), n)?,
                Objective::StepTime,
                0.0,
            )
            .with_note("trust me")),
        }
    }
}

fn algorithms(kinds: &[(&'static str, Kind)]) -> Vec<Box<dyn Partitioner>> {
    kinds
        .iter()
        .map(|&(n, k)| Box::new(Test(n, k)) as Box<dyn Partitioner>)
        .collect()
}

fn standard() -> Vec<Box<dyn Partitioner>> {
    algorithms(&[
        ("uniform", Kind::Uniform),
        ("exact", Kind::BestBottleneck),
        ("best-step", Kind::BestStep),
    ])
}

/// Layers of forward `c`, backward `2c`, 10 parameter bytes and one
/// activation byte each.
fn chain(costs: &[f64]) -> pipecut_core::Chain {
    pipecut_testkit::layers(costs.iter().map(|&c| (c, 2.0 * c, 10, 1, 0)))
}

fn compare(problem: &Problem, algorithms: &[Box<dyn Partitioner>]) -> ProblemResult {
    Runner::new(algorithms).compare("p", "m", problem)
}

#[test]
fn falls_back_to_uniform_when_torchtitan_fails_and_records_failures() {
    let problem = ProblemSpec::new(chain(&[1.0, 1.0, 1.0, 6.0]), 2)
        .with_micro_batches(4)
        .check()
        .unwrap();
    let algos = algorithms(&[
        ("torchtitan", Kind::Fails),
        ("uniform", Kind::Uniform),
        ("exact", Kind::BestBottleneck),
        ("panicky", Kind::Panics),
        ("bad", Kind::Invalid),
        ("elsewhere", Kind::WrongChain),
    ]);
    // The panic message of the test partitioner is expected on stderr.
    let r = compare(&problem, &algos);
    assert_eq!(r.reference.as_deref(), Some("uniform"));
    let note = r.reference_note.as_deref().unwrap();
    assert!(
        note.contains("torchtitan failed") && note.contains("too large"),
        "{note}"
    );
    assert_eq!(r.get("torchtitan").unwrap().state, RunState::Failed);
    let panicky = r.get("panicky").unwrap();
    assert_eq!(panicky.state, RunState::Failed);
    assert!(panicky.message.as_deref().unwrap().contains("panicked"));
    let bad = r.get("bad").unwrap();
    assert!(bad
        .message
        .as_deref()
        .unwrap()
        .contains("invalid partition"));
    let elsewhere = r.get("elsewhere").unwrap();
    assert_eq!(elsewhere.state, RunState::Failed);
    assert!(elsewhere
        .message
        .as_deref()
        .unwrap()
        .contains("cannot be evaluated"));
    // Uniform [0, 2]: stages 6 and 21; exact [0, 3]: 9 and 18.
    let exact = r.get("exact").unwrap();
    assert_eq!(exact.starts, vec![0, 3]);
    assert_eq!(exact.bottleneck_gap, Some(0.0));
    assert!(exact.gain.unwrap() > 0.0);
    let uniform = r.get("uniform").unwrap();
    assert!((uniform.bottleneck_gap.unwrap() - (21.0 / 18.0 - 1.0)).abs() < 1e-12);
    assert_eq!(uniform.gain, Some(0.0));
    assert!(r.bottleneck_proven && !r.step_time_proven);
    let ranked: Vec<_> = r.ranked().iter().map(|r| r.algorithm.as_str()).collect();
    assert_eq!(ranked[..2], ["exact", "uniform"]);
    let md = crate::report::problem_markdown(&r);
    assert!(md.contains("| 1 | exact |"), "{md}");
}

#[test]
fn every_plan_is_measured_by_the_executor_whatever_the_claim() {
    let problem = ProblemSpec::new(chain(&[1.0, 2.0, 3.0]), 3)
        .with_micro_batches(3)
        .check()
        .unwrap();
    let algos = algorithms(&[("liar", Kind::Overclaims), ("exact", Kind::BestBottleneck)]);
    let r = compare(&problem, &algos);
    let liar = r.get("liar").unwrap();
    let exact = r.get("exact").unwrap();
    // One layer per stage is the only partition: both must measure the same,
    // and the liar's notes come through untouched.
    assert_eq!(liar.step_time, exact.step_time);
    assert_eq!(liar.bottleneck, exact.bottleneck);
    assert_eq!(liar.notes, ["trust me"]);
    assert!(exact.notes.is_empty());
}

#[test]
fn without_any_reference_there_are_no_gains() {
    let problem = ProblemSpec::new(chain(&[1.0, 2.0]), 2).check().unwrap();
    let r = compare(&problem, &algorithms(&[("exact", Kind::BestBottleneck)]));
    assert!(r.reference.is_none());
    assert!(r.reference_note.as_deref().unwrap().contains("not run"));
    assert_eq!(r.get("exact").unwrap().gain, None);
}

#[test]
fn size_caps_skip_large_problems() {
    let problem = ProblemSpec::new(chain(&[1.0; 6]), 2).check().unwrap();
    let opts = RunOptions::default().with_size_cap("exact", 5);
    let algos = standard();
    let r = Runner::new(&algos)
        .with_options(opts)
        .compare("p", "m", &problem);
    let e = r.get("exact").unwrap();
    assert_eq!(e.state, RunState::Skipped);
    assert!(e.message.as_deref().unwrap().contains("max_layers = 5"));
    assert!(
        !r.bottleneck_proven,
        "no proven optimum without the exact method"
    );
}

#[test]
fn plans_over_memory_do_not_define_the_optimum() {
    // Capacity 25: a stage may hold at most 2 layers (params 10 each, one
    // in-flight activation byte per layer and micro-batch).
    let problem = ProblemSpec::new(chain(&[5.0, 1.0, 1.0, 1.0]), 2)
        .with_micro_batches(2)
        .with_memory_capacity(25)
        .check()
        .unwrap();
    // Uniform [0, 2] fits; a 1 + 3 split would not.
    let algos = algorithms(&[("uniform", Kind::Uniform), ("exact", Kind::BestBottleneck)]);
    let r = compare(&problem, &algos);
    assert_eq!(r.get("exact").unwrap().starts, vec![0, 2]);
    assert!(r.results.iter().all(|x| x.fits_memory == Some(true)));
    let over = ProblemSpec::new(chain(&[1.0, 1.0, 1.0, 1.0, 1.0]), 2)
        .with_micro_batches(2)
        .with_memory_capacity(25)
        .check()
        .unwrap();
    // Uniform [0, 3] puts 3 layers on stage 0: over memory, excluded.
    let algos = algorithms(&[("uniform", Kind::Uniform)]);
    let r = compare(&over, &algos);
    let u = r.get("uniform").unwrap();
    assert_eq!(u.fits_memory, Some(false));
    assert!(r.best_step_time.is_none() && u.step_gap.is_none());
}

fn zero_times(mut report: Report) -> Report {
    report.wall_seconds = 0.0;
    for p in &mut report.problems {
        for r in &mut p.results {
            r.solve_seconds = 0.0;
        }
    }
    report.summary = crate::stats::summarize(&report.algorithms, &report.problems);
    report
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let suite = Suite::random(&RandomOptions {
        sizes: vec![5, 7],
        seeds: 2,
        grid: Grid::single(3, 6, Schedule::OneFOneB),
        ..RandomOptions::default()
    });
    assert_eq!(suite.len(), 16);
    let algos = standard();
    let run = |threads| {
        Runner::new(&algos)
            .with_options(RunOptions::default().with_threads(threads))
            .run_suite(&suite)
            .unwrap()
    };
    let (one, four) = (run(1), run(4));
    assert_eq!(zero_times(one), zero_times(four));
}

#[test]
fn report_formats_agree() {
    let suite = Suite::random(&RandomOptions {
        families: vec![Family::Transformer, Family::HeavyHead],
        sizes: vec![6, 8],
        seeds: 1,
        grid: Grid::single(2, 4, Schedule::GPipe),
        ..RandomOptions::default()
    });
    let mut algos = standard();
    algos.push(Box::new(Test("torchtitan", Kind::Fails)));
    let report = Runner::new(&algos).run_suite(&suite).unwrap();
    let csv = report.to_csv();
    assert_eq!(csv.lines().count(), 1 + 4 * algos.len());
    // The error message contains a comma-free text but a backtick-quoted
    // field; every row has the header's column count outside quotes.
    let columns = csv.lines().next().unwrap().split(',').count();
    for line in csv.lines() {
        let mut n = 1;
        let mut quoted = false;
        for ch in line.chars() {
            match ch {
                '"' => quoted = !quoted,
                ',' if !quoted => n += 1,
                _ => {}
            }
        }
        assert_eq!(n, columns, "{line}");
    }
    // serde_json's default float parsing may be off by an ulp, so compare
    // what the parser makes of both sides rather than the original floats.
    let json = report.to_json();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::from_str::<serde_json::Value>(&json).unwrap()
    );
    assert_eq!(back.problems.len(), report.problems.len());
    let md = report.to_markdown();
    for s in &report.summary {
        assert!(md.contains(&format!("| {} |", s.algorithm)));
    }
    let exact = report
        .summary
        .iter()
        .find(|s| s.algorithm == "exact")
        .unwrap();
    assert_eq!(exact.bottleneck_optimal, 4);
    assert_eq!(exact.bottleneck_gap.unwrap().max, 0.0);
    let dir = std::env::temp_dir().join(format!("pipecut-harness-report-{}", std::process::id()));
    let written = report.write(&dir, &Format::ALL).unwrap();
    assert_eq!(written.len(), 6);
    for path in &written {
        let text = std::fs::read_to_string(path).unwrap();
        if path.extension().is_some_and(|e| e == "svg") {
            assert!(
                text.starts_with("<svg") && text.contains("exact"),
                "{}",
                path.display()
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Brute-force optima have zero gap, every other plan a non-negative one.
    #[test]
    fn gaps_are_zero_for_optima_and_non_negative_otherwise(
        costs in proptest::collection::vec(0.1f64..10.0, 2..8),
        p in 1usize..4,
        m in 1usize..9,
        gpipe in any::<bool>(),
    ) {
        let n = costs.len();
        let p = p.min(n);
        let schedule = if gpipe { Schedule::GPipe } else { Schedule::OneFOneB };
        let problem = ProblemSpec::new(chain(&costs), p)
            .with_micro_batches(m)
            .with_schedule(schedule)
            .check()
            .unwrap();
        let r = compare(&problem, &standard());
        prop_assert!(r.bottleneck_proven && r.step_time_proven);
        prop_assert_eq!(r.get("exact").unwrap().bottleneck_gap, Some(0.0));
        prop_assert_eq!(r.get("best-step").unwrap().step_gap, Some(0.0));
        for x in &r.results {
            prop_assert!(x.step_gap.unwrap() >= 0.0);
            prop_assert!(x.bottleneck_gap.unwrap() >= 0.0);
        }
        prop_assert_eq!(r.get("uniform").unwrap().gain, Some(0.0));
    }
}
