//! Cross-checks of both MILP models against brute force (and, with HiGHS,
//! the bottleneck DP on larger chains).

use std::time::{Duration, Instant};

use pipecut_core::{
    evaluate, synthetic, Partitioner, Problem, ProblemSpec, Schedule, Solution, Status, Threaded,
    TimeLimited, WarmStartable,
};
use pipecut_milp::{Backend, MilpBottleneck, MilpError, MilpStepTime};
use pipecut_sim::{simulate, PlanExt};
use pipecut_testkit::{chain_of, partitions};
use proptest::prelude::*;

/// (least bottleneck, least simulated step time) over partitions that fit.
fn brute(problem: &Problem) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::INFINITY);
    for part in partitions(problem.layers(), problem.stages()) {
        let e = evaluate(problem, &part);
        if e.fits_memory {
            best.0 = best.0.min(e.bottleneck);
            best.1 = best
                .1
                .min(simulate(problem, &part, false).unwrap().step_time);
        }
    }
    best
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-9)
}

/// The bottleneck of a solution's partition.
fn bottleneck(problem: &Problem, s: &Solution) -> f64 {
    evaluate(problem, &s.partition).bottleneck
}

/// The simulated step time of a solution's partition.
fn step_time(problem: &Problem, s: &Solution) -> f64 {
    simulate(problem, &s.partition, false).unwrap().step_time
}

/// A random problem: costs, bytes, optional link, speeds and memory cap.
fn problem_strategy(
    max_n: usize,
    max_p: usize,
    schedules: Vec<Schedule>,
) -> impl Strategy<Value = Problem> {
    (
        2..=max_n,
        1..=max_p,
        1usize..=6,
        any::<u64>(),
        0..schedules.len(),
        any::<bool>(),
        any::<bool>(),
        0u8..3,
    )
        .prop_map(move |(n, p, m, seed, si, link, speeds, mem)| {
            let p = p.min(n);
            let family = synthetic::Family::ALL[(seed % 4) as usize];
            let chain = synthetic::generate(family, n, seed);
            let mut schedule = schedules[si];
            let mut m = m;
            if let Schedule::Interleaved { virtual_stages } = schedule {
                if p % virtual_stages != 0 {
                    schedule = Schedule::OneFOneB;
                } else {
                    let d = p / virtual_stages;
                    m = d * m.div_ceil(d);
                }
            }
            let mut spec = ProblemSpec::new(chain, p)
                .with_micro_batches(m)
                .with_schedule(schedule);
            if link {
                spec = spec.with_link(0.05, 4e7);
            }
            if speeds {
                spec = spec.with_speeds(
                    (0..p)
                        .map(|k| 1.0 + 0.5 * ((k as u64 + seed) % 3) as f64)
                        .collect(),
                );
            }
            let bytes: u64 = spec
                .chain
                .layers()
                .iter()
                .map(|l| l.param_bytes + m as u64 * l.activation_bytes)
                .sum();
            if mem > 0 && bytes > 0 {
                // A cap between "about one stage's share" and roomy.
                spec = spec.with_memory_capacity(bytes / p as u64 * (1 + u64::from(mem)) / 2 + 1);
            }
            spec.check().unwrap()
        })
}

fn microlp_bottleneck() -> MilpBottleneck {
    let mut s = MilpBottleneck::new().with_backend(Backend::Microlp);
    s.set_time_limit(Some(Duration::from_secs(60)));
    s
}

fn microlp_steptime() -> MilpStepTime {
    let mut s = MilpStepTime::new().with_backend(Backend::Microlp);
    s.set_time_limit(Some(Duration::from_secs(60)));
    s
}

/// No built-in warm start: the model alone must find and prove the optimum
/// (a warm start could hide a model that cuts the optimum off).
fn from_scratch_bottleneck(backend: Backend) -> MilpBottleneck {
    let mut s = MilpBottleneck::new().with_backend(backend);
    s.set_time_limit(Some(Duration::from_secs(60)));
    s.options_mut().default_starts = false;
    s
}

fn from_scratch_steptime(backend: Backend) -> MilpStepTime {
    let mut s = MilpStepTime::new().with_backend(backend);
    s.set_time_limit(Some(Duration::from_secs(60)));
    s.options_mut().default_starts = false;
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// `milp` (microlp) proves the brute-force bottleneck, memory caps,
    /// links and speeds included.
    #[test]
    fn milp_bottleneck_is_the_brute_force_optimum(
        problem in problem_strategy(12, 4, vec![Schedule::OneFOneB, Schedule::GPipe, Schedule::Interleaved { virtual_stages: 2 }])
    ) {
        let (want, _) = brute(&problem);
        if let Some(s) = proven(from_scratch_bottleneck(Backend::Microlp).solve_milp(&problem), want)? {
            prop_assert!(evaluate(&problem, &s.partition).fits_memory);
            let got = bottleneck(&problem, &s);
            prop_assert!(close(got, want), "milp {} brute {}", got, want);
            prop_assert_eq!(s.bound, Some(got));
        }
    }

    /// `milp-steptime` (microlp) proves the least simulated step time over
    /// every partition, and its partition's simulated time is what it claims.
    #[test]
    fn milp_steptime_is_the_brute_force_simulated_optimum(
        problem in problem_strategy(8, 3, vec![Schedule::OneFOneB, Schedule::GPipe, Schedule::Interleaved { virtual_stages: 2 }])
    ) {
        let (least_bottleneck, want) = brute(&problem);
        if let Some(s) = proven(from_scratch_steptime(Backend::Microlp).solve_milp(&problem), want)? {
            prop_assert!(evaluate(&problem, &s.partition).fits_memory);
            let simulated = step_time(&problem, &s);
            prop_assert_eq!(s.bound, Some(simulated));
            prop_assert!(close(simulated, want), "milp {} brute {}", simulated, want);
            // Never above the bottleneck-optimal partition's simulated time.
            let b = microlp_bottleneck().solve_milp(&problem).unwrap();
            prop_assert!(simulated <= step_time(&problem, &b) * (1.0 + 1e-9));
            prop_assert!(close(bottleneck(&problem, &b), least_bottleneck));
        }
    }
}

/// The solution when the MILP proved an optimum, `None` when it proved
/// infeasibility and `want` (the brute-force optimum) agrees; a failure
/// otherwise.
fn proven(
    result: Result<pipecut_core::Solution, MilpError>,
    want: f64,
) -> Result<Option<pipecut_core::Solution>, TestCaseError> {
    match result {
        Ok(s) => {
            prop_assert_eq!(s.status, Status::Optimal);
            Ok(Some(s))
        }
        Err(MilpError::Infeasible { .. }) => {
            prop_assert!(want.is_infinite());
            Ok(None)
        }
        Err(e) => Err(TestCaseError::fail(e.to_string())),
    }
}

/// `l0, l1, ...` with forward `c`, backward `2c` and 100 / 10 / 1000 bytes.
fn chain(costs: &[f64]) -> pipecut_core::Chain {
    let rows: Vec<_> = costs.iter().map(|&c| (c, 2.0 * c, 100, 10, 1000)).collect();
    chain_of(&rows)
}

#[test]
fn steptime_beats_the_bottleneck_optimum_where_they_differ() {
    // A heavy first stage costs the 1F1B warm-up more than a heavy last stage,
    // so the bottleneck optimum is not the step-time optimum in general; over
    // a few seeds the step-time MILP must be strictly better at least once and
    // never worse.
    let mut strictly_better = 0;
    for seed in 0..6 {
        let problem = ProblemSpec::new(
            synthetic::generate(synthetic::Family::Lognormal, 9, seed),
            3,
        )
        .with_micro_batches(3)
        .with_link(0.2, 1e9)
        .check()
        .unwrap();
        let st = microlp_steptime().solve_milp(&problem).unwrap();
        let bn = microlp_bottleneck().solve_milp(&problem).unwrap();
        let (st_time, bn_time) = (step_time(&problem, &st), step_time(&problem, &bn));
        assert!(st_time <= bn_time * (1.0 + 1e-12));
        assert!(bottleneck(&problem, &bn) <= bottleneck(&problem, &st) * (1.0 + 1e-12));
        if st_time < bn_time * (1.0 - 1e-9) {
            strictly_better += 1;
        }
    }
    assert!(strictly_better > 0);
}

#[test]
fn steptime_is_never_above_any_other_algorithm() {
    let mut others: Vec<Box<dyn Partitioner>> = pipecut_heuristics::all();
    others.push(Box::new(pipecut_exact::Exact::default()));
    others.push(Box::new(pipecut_exact::Dp::bottleneck()));
    others.push(Box::new(pipecut_exact::Dp::surrogate()));
    for (seed, schedule) in [
        (1, Schedule::OneFOneB),
        (2, Schedule::GPipe),
        (3, Schedule::OneFOneB),
    ] {
        let problem = ProblemSpec::new(
            synthetic::generate(synthetic::Family::Transformer, 10, seed),
            4,
        )
        .with_micro_batches(8)
        .with_schedule(schedule)
        .with_link(0.02, 1e9)
        .check()
        .unwrap();
        let plan = microlp_steptime().plan(&problem).unwrap();
        assert_eq!(plan.status, Status::Optimal);
        assert_eq!(plan.bound, Some(plan.step_time()));
        for other in &others {
            // Baselines may refuse a problem (e.g. megatron's divisibility).
            if let Ok(o) = other.solve(&problem) {
                let theirs = step_time(&problem, &o);
                assert!(
                    plan.step_time() <= theirs * (1.0 + 1e-12),
                    "{} {} < milp-steptime {}",
                    other.name(),
                    theirs,
                    plan.step_time()
                );
            }
        }
    }
}

#[test]
fn infeasible_memory_is_a_typed_error() {
    let problem = ProblemSpec::new(chain(&[1.0; 6]), 3)
        .with_micro_batches(4)
        .with_memory_capacity(150)
        .check()
        .unwrap();
    assert!(matches!(
        microlp_bottleneck().solve_milp(&problem),
        Err(MilpError::Infeasible {
            capacity: Some(150),
            ..
        })
    ));
    assert!(matches!(
        microlp_steptime().solve_milp(&problem),
        Err(MilpError::Infeasible { .. })
    ));
    // Through the Partitioner trait it is a core Solver error naming the algorithm.
    match microlp_bottleneck().solve(&problem) {
        Err(pipecut_core::Error::Solver { algorithm, .. }) => assert_eq!(algorithm, "milp"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn warm_start_is_used_and_reported() {
    let problem = ProblemSpec::new(chain(&[1.0, 2.0, 3.0, 1.0, 2.0, 2.0, 1.0]), 3)
        .with_micro_batches(4)
        .check()
        .unwrap();
    let mut solver = microlp_bottleneck();
    let want = solver.solve_milp(&problem).unwrap();
    solver.set_warm_start(Some(want.partition.clone()));
    let s = solver.solve_milp(&problem).unwrap();
    assert_eq!(bottleneck(&problem, &s), bottleneck(&problem, &want));
    assert!(
        s.notes.iter().any(|n| n.contains("warm start")),
        "{:?}",
        s.notes
    );
}

#[test]
fn notes_print_numbers_short() {
    // Sums of such costs print with about 17 digits under `{}`.
    let costs: Vec<f64> = (0..6).map(|i| 0.0026 * (1 + i % 3) as f64).collect();
    let problem = ProblemSpec::new(chain(&costs), 2)
        .with_micro_batches(4)
        .check()
        .unwrap();
    for notes in [
        microlp_bottleneck().solve_milp(&problem).unwrap().notes,
        microlp_steptime().solve_milp(&problem).unwrap().notes,
    ] {
        let note = notes.iter().find(|n| n.starts_with("warm start")).unwrap();
        let number = note.rsplit(' ').next().unwrap().trim_end_matches(')');
        assert!(number.len() <= 8, "{note}");
    }
}

#[test]
fn zero_threads_is_rejected_not_clamped() {
    let problem = ProblemSpec::new(chain(&[1.0; 4]), 2).check().unwrap();
    let mut solver = microlp_bottleneck();
    solver.set_threads(0);
    assert!(matches!(
        solver.solve_milp(&problem),
        Err(MilpError::InvalidOption {
            field: "threads",
            ..
        })
    ));
    solver.set_threads(1);
    assert!(solver.solve_milp(&problem).is_ok());
}

#[cfg(not(feature = "highs"))]
#[test]
fn asking_for_highs_without_the_feature_fails_typed() {
    let problem = ProblemSpec::new(chain(&[1.0; 4]), 2).check().unwrap();
    assert!(matches!(
        MilpBottleneck::new()
            .with_backend(Backend::Highs)
            .solve_milp(&problem),
        Err(MilpError::BackendNotCompiled {
            requested: "highs",
            ..
        })
    ));
    assert!(matches!(
        MilpStepTime::new()
            .with_backend(Backend::Highs)
            .solve_milp(&problem),
        Err(MilpError::BackendNotCompiled { .. })
    ));
}

/// A hard step-time instance with a tiny limit returns `feasible` (its warm
/// start, possibly improved, with an honest bound) or `no solution`, within
/// the limit plus a margin.
#[test]
fn time_limit_is_honoured() {
    let problem = ProblemSpec::new(
        synthetic::generate(synthetic::Family::Lognormal, 120, 5),
        12,
    )
    .with_micro_batches(24)
    .with_link(0.01, 1e9)
    .check()
    .unwrap();
    for backend in pipecut_milp::available_backends() {
        let mut solver = MilpStepTime::new().with_backend(backend);
        solver.options_mut().probe_fixing = false;
        solver.options_mut().bound_cut = false;
        let limit = Duration::from_millis(200);
        solver.set_time_limit(Some(limit));
        let t = Instant::now();
        let result = solver.solve_milp(&problem);
        let elapsed = t.elapsed();
        assert!(
            elapsed <= limit + Duration::from_millis(1000),
            "{backend}: {elapsed:?}"
        );
        match result {
            Ok(s) => {
                assert_eq!(s.status, Status::Feasible, "{backend}: {:?}", s.notes);
                let simulated = step_time(&problem, &s);
                assert!(s.bound.is_none_or(|b| b <= simulated));
                assert!(
                    s.notes.iter().any(|n| n.contains("time limit")),
                    "{:?}",
                    s.notes
                );
            }
            Err(MilpError::NoSolution { .. }) => {}
            Err(e) => panic!("{backend}: {e}"),
        }
    }
    // With no warm start at all and a zero limit there is nothing to return.
    let mut solver = MilpBottleneck::new().with_backend(Backend::Microlp);
    solver.options_mut().default_starts = false;
    solver.set_time_limit(Some(Duration::ZERO));
    assert!(matches!(
        solver.solve_milp(&problem),
        Err(MilpError::NoSolution { .. })
    ));
}

#[cfg(feature = "highs")]
mod highs {
    use super::*;
    use pipecut_core::dp::BottleneckTables;
    use pipecut_core::Prefix;

    /// The bottleneck DP's optimum with every stage capped at the capacity
    /// (exact for one stage per device).
    fn dp(problem: &Problem) -> f64 {
        let prefix = Prefix::new(problem);
        let caps = problem.memory_capacity().map(|c| vec![c; problem.stages()]);
        BottleneckTables::new(problem, &prefix, caps)
            .optimum()
            .unwrap_or(f64::INFINITY)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn highs_milp_matches_the_dp_on_larger_chains(
            problem in problem_strategy(48, 8, vec![Schedule::OneFOneB, Schedule::GPipe])
        ) {
            let want = dp(&problem);
            if let Some(s) = proven(from_scratch_bottleneck(Backend::Highs).solve_milp(&problem), want)? {
                let got = bottleneck(&problem, &s);
                prop_assert!(close(got, want), "milp {} dp {}", got, want);
            }
        }

        #[test]
        fn highs_steptime_matches_brute_force(
            problem in problem_strategy(10, 4, vec![Schedule::OneFOneB, Schedule::GPipe, Schedule::Interleaved { virtual_stages: 2 }])
        ) {
            let (_, want) = brute(&problem);
            if let Some(s) = proven(from_scratch_steptime(Backend::Highs).solve_milp(&problem), want)? {
                let got = step_time(&problem, &s);
                prop_assert!(close(got, want), "milp {} brute {}", got, want);
            }
        }
    }
}
