//! Cross-checks of both MILP models against brute force (and, with HiGHS,
//! an independent DP on larger chains).

use std::time::{Duration, Instant};

use pipecut_core::{
    evaluate, synthetic, Chain, Layer, Partition, Partitioner, Problem, ProblemSpec, Schedule,
    Status, TimeLimited, WarmStartable,
};
use pipecut_milp::{Backend, MilpBottleneck, MilpError, MilpStepTime};
use pipecut_sim::simulate;
use proptest::prelude::*;

/// Every partition of `n` layers into `p` non-empty stages.
fn all_partitions(n: usize, p: usize) -> Vec<Partition> {
    fn rec(k: usize, starts: &mut Vec<usize>, n: usize, p: usize, out: &mut Vec<Partition>) {
        if k == p {
            out.push(Partition::new(starts.clone(), n).unwrap());
            return;
        }
        for s in starts[k - 1] + 1..=n - (p - k) {
            starts.push(s);
            rec(k + 1, starts, n, p, out);
            starts.pop();
        }
    }
    let mut out = Vec::new();
    rec(1, &mut vec![0], n, p, &mut out);
    out
}

/// (least bottleneck, least simulated step time) over partitions that fit.
fn brute(problem: &Problem) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::INFINITY);
    for part in all_partitions(problem.layers(), problem.stages()) {
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
        match from_scratch_bottleneck(Backend::Microlp).solve_milp(&problem) {
            Ok(plan) => {
                prop_assert_eq!(plan.status, Status::Optimal);
                prop_assert!(plan.fits_memory);
                prop_assert!(close(plan.bottleneck, want), "milp {} brute {}", plan.bottleneck, want);
                prop_assert_eq!(plan.bound, Some(plan.bottleneck));
            }
            Err(MilpError::Infeasible { .. }) => prop_assert!(want.is_infinite()),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    /// `milp-steptime` (microlp) proves the least simulated step time over
    /// every partition, and its plan's simulated time is what it claims.
    #[test]
    fn milp_steptime_is_the_brute_force_simulated_optimum(
        problem in problem_strategy(8, 3, vec![Schedule::OneFOneB, Schedule::GPipe, Schedule::Interleaved { virtual_stages: 2 }])
    ) {
        let (bottleneck, want) = brute(&problem);
        match from_scratch_steptime(Backend::Microlp).solve_milp(&problem) {
            Ok(plan) => {
                prop_assert_eq!(plan.status, Status::Optimal);
                prop_assert!(plan.fits_memory);
                let part = plan.partition().unwrap();
                let simulated = simulate(&problem, &part, false).unwrap().step_time;
                prop_assert_eq!(simulated, plan.step_time);
                prop_assert!(close(plan.step_time, want), "milp {} brute {}", plan.step_time, want);
                // Never above the bottleneck-optimal plan's simulated time.
                let b = microlp_bottleneck().solve_milp(&problem).unwrap();
                prop_assert!(plan.step_time <= b.step_time * (1.0 + 1e-9));
                prop_assert!(close(b.bottleneck, bottleneck));
            }
            Err(MilpError::Infeasible { .. }) => prop_assert!(want.is_infinite()),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

fn chain(costs: &[f64]) -> Chain {
    let layers = costs
        .iter()
        .enumerate()
        .map(|(i, &c)| Layer::new(format!("l{i}"), c, 2.0 * c).with_bytes(100, 10, 1000))
        .collect();
    Chain::new("t", "s", layers).unwrap()
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
        assert!(st.step_time <= bn.step_time * (1.0 + 1e-12));
        assert!(bn.bottleneck <= st.bottleneck * (1.0 + 1e-12));
        if st.step_time < bn.step_time * (1.0 - 1e-9) {
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
        let plan = microlp_steptime().solve_milp(&problem).unwrap();
        assert_eq!(plan.status, Status::Optimal);
        for other in &others {
            // Baselines may refuse a problem (e.g. megatron's divisibility).
            if let Ok(o) = other.solve(&problem) {
                assert!(
                    plan.step_time <= o.step_time * (1.0 + 1e-12),
                    "{} {} < milp-steptime {}",
                    other.name(),
                    o.step_time,
                    plan.step_time
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
    solver.set_warm_start(Some(Partition::new(want.starts.clone(), 7).unwrap()));
    let plan = solver.solve_milp(&problem).unwrap();
    assert_eq!(plan.bottleneck, want.bottleneck);
    assert!(
        plan.notes.iter().any(|n| n.contains("warm start")),
        "{:?}",
        plan.notes
    );
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
            requested: Backend::Highs,
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
            Ok(plan) => {
                assert_eq!(plan.status, Status::Feasible, "{backend}: {:?}", plan.notes);
                assert!(plan.bound.is_none_or(|b| b <= plan.step_time));
                assert!(
                    plan.notes.iter().any(|n| n.contains("time limit")),
                    "{:?}",
                    plan.notes
                );
                let part = plan.partition().unwrap();
                assert_eq!(
                    simulate(&problem, &part, false).unwrap().step_time,
                    plan.step_time
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

    /// An independent `O(P N^2)` DP on the bottleneck (per-stage memory only,
    /// so one stage per device).
    #[allow(clippy::needless_range_loop)] // the textbook index form is the point
    fn dp(problem: &Problem) -> f64 {
        let n = problem.layers();
        let p = problem.stages();
        let prefix = pipecut_core::Prefix::new(problem);
        let inf = problem.peak_in_flight();
        let mut best = vec![f64::INFINITY; n + 1];
        best[0] = 0.0;
        for k in 0..p {
            let mut next = vec![f64::INFINITY; n + 1];
            for j in 1..=n {
                for i in 0..j {
                    let fits = problem
                        .memory_capacity()
                        .is_none_or(|c| prefix.stage_memory(inf[k], i, j) <= c);
                    if fits && best[i].is_finite() {
                        let t = prefix.stage_time(problem.speed(k), i, j);
                        next[j] = next[j].min(best[i].max(t));
                    }
                }
            }
            best = next;
        }
        best[n]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn highs_milp_matches_the_dp_on_larger_chains(
            problem in problem_strategy(48, 8, vec![Schedule::OneFOneB, Schedule::GPipe])
        ) {
            let want = dp(&problem);
            match from_scratch_bottleneck(Backend::Highs).solve_milp(&problem) {
                Ok(plan) => {
                    prop_assert_eq!(plan.status, Status::Optimal);
                    prop_assert!(close(plan.bottleneck, want), "milp {} dp {}", plan.bottleneck, want);
                }
                Err(MilpError::Infeasible { .. }) => prop_assert!(want.is_infinite()),
                Err(e) => prop_assert!(false, "{e}"),
            }
        }

        #[test]
        fn highs_steptime_matches_brute_force(
            problem in problem_strategy(10, 4, vec![Schedule::OneFOneB, Schedule::GPipe, Schedule::Interleaved { virtual_stages: 2 }])
        ) {
            let (_, want) = brute(&problem);
            match from_scratch_steptime(Backend::Highs).solve_milp(&problem) {
                Ok(plan) => {
                    prop_assert_eq!(plan.status, Status::Optimal);
                    prop_assert!(close(plan.step_time, want), "milp {} brute {}", plan.step_time, want);
                }
                Err(MilpError::Infeasible { .. }) => prop_assert!(want.is_infinite()),
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}
