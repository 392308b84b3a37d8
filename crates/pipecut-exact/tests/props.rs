//! Property tests: `exact` == `dp` == brute force, bounds, monotonicity in
//! `P`, scaling and reversal invariance, and the typed errors.

use pipecut_core::{evaluate, Error, Partitioner, Problem, ProblemSpec, Schedule, Status};
use pipecut_exact::{optimal_bottleneck, Dp, Exact};
use pipecut_sim::PlanExt;
use pipecut_testkit::{chain_of, layers, partitions, uniform};
use proptest::prelude::*;

struct Brute {
    /// (starts, bottleneck, surrogate) of every partition that fits memory.
    feasible: Vec<(Vec<usize>, f64, f64)>,
    /// The furthest any partition gets before its first stage that does not fit.
    furthest_failure: usize,
}

fn brute(problem: &Problem) -> Brute {
    let mut feasible = Vec::new();
    let mut furthest_failure = 0;
    for partition in partitions(problem.layers(), problem.stages()) {
        let e = evaluate(problem, &partition);
        if e.fits_memory {
            feasible.push((
                partition.starts().to_vec(),
                e.bottleneck,
                e.surrogate_step_time,
            ));
        } else {
            let cap = problem.memory_capacity().unwrap();
            let first = e.stages.iter().position(|s| s.memory_bytes > cap).unwrap();
            furthest_failure = furthest_failure.max(first);
        }
    }
    Brute {
        feasible,
        furthest_failure,
    }
}

fn layer_strategy() -> impl Strategy<Value = (f64, f64, u64, u64, u64)> {
    let cost = prop_oneof![
        (0u32..12).prop_map(|q| q as f64 * 0.25),
        0.0f64..10.0,
        (-3.0f64..3.0).prop_map(f64::exp),
    ];
    (cost.clone(), cost, 0u64..60, 0u64..12, 0u64..100)
}

#[derive(Debug, Clone)]
struct Case {
    layers: Vec<(f64, f64, u64, u64, u64)>,
    stages: usize,
    micro_batches: usize,
    gpipe: bool,
    speeds: Option<Vec<f64>>,
    capacity: Option<u64>,
    link: Option<(f64, f64)>,
}

impl Case {
    fn problem(&self) -> Problem {
        let mut spec = ProblemSpec::new(chain_of(&self.layers), self.stages)
            .with_micro_batches(self.micro_batches)
            .with_schedule(if self.gpipe {
                Schedule::GPipe
            } else {
                Schedule::OneFOneB
            });
        spec.speeds = self.speeds.clone();
        spec.memory_capacity = self.capacity;
        if let Some((l, bw)) = self.link {
            spec = spec.with_link(l, bw);
        }
        spec.check().unwrap()
    }
}

fn case_strategy(max_layers: usize, with_link: bool) -> impl Strategy<Value = Case> {
    (1..=max_layers)
        .prop_flat_map(move |n| {
            (
                prop::collection::vec(layer_strategy(), n),
                1..=n,
                1usize..6,
                any::<bool>(),
                prop::option::of(prop::collection::vec(
                    prop_oneof![Just(0.25), Just(1.0), Just(1.5), Just(4.0), 0.3f64..3.0],
                    n,
                )),
                prop::option::of(40u64..400),
                if with_link {
                    prop::option::of((0.0f64..2.0, 1.0f64..200.0)).boxed()
                } else {
                    Just(None).boxed()
                },
            )
        })
        .prop_map(
            |(layers, stages, micro_batches, gpipe, speeds, capacity, link)| Case {
                layers,
                stages,
                micro_batches,
                gpipe,
                speeds: speeds.map(|s| s[..stages].to_vec()),
                capacity,
                link,
            },
        )
}

fn memory_error(err: &Error) -> (usize, u64, u64) {
    match err {
        Error::MemoryInfeasible {
            stage,
            required,
            capacity,
        } => (*stage, *required, *capacity),
        other => panic!("expected MemoryInfeasible, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn exact_equals_dp_equals_brute_force(case in case_strategy(10, true)) {
        let problem = case.problem();
        let b = brute(&problem);
        let exact = optimal_bottleneck(&problem);
        let dp = Dp::bottleneck().solution(&problem);
        let dps = Dp::surrogate().solution(&problem);
        if b.feasible.is_empty() {
            for err in [exact.unwrap_err(), dp.unwrap_err(), dps.unwrap_err()] {
                let (stage, required, capacity) = memory_error(&err);
                prop_assert_eq!(stage, b.furthest_failure);
                prop_assert!(required > capacity);
            }
            return Ok(());
        }
        let best = b.feasible.iter().map(|f| f.1).fold(f64::INFINITY, f64::min);
        let best_surrogate = b.feasible.iter().map(|f| f.2).fold(f64::INFINITY, f64::min);
        let exact = exact.unwrap();
        let dp = dp.unwrap();
        let dps = dps.unwrap();
        prop_assert_eq!(exact.value.to_bits(), best.to_bits());
        prop_assert_eq!(dp.value.to_bits(), best.to_bits());
        prop_assert_eq!(dps.value.to_bits(), best_surrogate.to_bits());
        prop_assert_eq!(evaluate(&problem, &dps.partition).surrogate_step_time, dps.value);
        prop_assert!(exact.lower_bound <= exact.value);
        prop_assert!(exact.value <= exact.upper_bound);
        for part in [&exact.partition, &exact.earliest, &exact.latest, &dp.partition] {
            let e = evaluate(&problem, part);
            prop_assert!(e.fits_memory);
            prop_assert_eq!(e.bottleneck, best);
        }
        prop_assert_eq!(exact.fell_back_to_dp, problem.link().is_some() && problem
            .chain().layers().iter().any(|l| problem.link().unwrap().transfer_time(l.output_bytes) != 0.0));
        if !exact.fell_back_to_dp {
            // Every optimal partition lies between the earliest and latest cuts.
            for (starts, value, _) in &b.feasible {
                if *value == best {
                    for (k, &start) in starts.iter().enumerate() {
                        prop_assert!(exact.earliest.starts()[k] <= start);
                        prop_assert!(start <= exact.latest.starts()[k]);
                    }
                }
            }
        }
    }

    #[test]
    fn exact_equals_dp_on_larger_chains(case in case_strategy(60, false)) {
        let problem = case.problem();
        match (optimal_bottleneck(&problem), Dp::bottleneck().solution(&problem)) {
            (Ok(e), Ok(d)) => {
                prop_assert_eq!(e.value.to_bits(), d.value.to_bits());
                prop_assert!(e.lower_bound <= e.value && e.value <= e.upper_bound);
                prop_assert!(e.probes <= 70, "{} probes", e.probes);
            }
            (Err(a), Err(b)) => prop_assert_eq!(memory_error(&a), memory_error(&b)),
            (a, b) => prop_assert!(false, "exact {:?} vs dp {:?}", a, b),
        }
    }

    #[test]
    fn optimum_never_rises_with_more_stages(case in case_strategy(12, false)) {
        let mut case = case;
        case.speeds = None;
        // More stages give stage 0 more in-flight micro-batches under 1F1B; GPipe
        // keeps every stage at M, so a cap stays comparable.
        case.gpipe = true;
        let problem = case.problem();
        let Ok(mut prev) = optimal_bottleneck(&problem).map(|s| s.value) else {
            return Ok(());
        };
        for p in problem.stages() + 1..=problem.layers() {
            let value = optimal_bottleneck(&problem.with_stages(p).unwrap()).unwrap().value;
            prop_assert!(value <= prev, "P={} gives {} after {}", p, value, prev);
            prev = value;
        }
    }

    #[test]
    fn scaling_costs_scales_the_optimum(case in case_strategy(30, true), power in -6i32..7, other in 0.1f64..10.0) {
        let problem = case.problem();
        let Ok(base) = optimal_bottleneck(&problem) else { return Ok(()) };
        let scaled = |factor: f64| {
            let mut spec = problem.spec().clone();
            spec.chain = spec.chain.scaled(factor).unwrap();
            if let Some(link) = spec.link.as_mut() {
                link.latency *= factor;
                link.bandwidth /= factor;
            }
            optimal_bottleneck(&spec.check().unwrap()).unwrap().value
        };
        let f = 2f64.powi(power);
        prop_assert_eq!(scaled(f), base.value * f);
        let v = scaled(other);
        let want = base.value * other;
        prop_assert!((v - want).abs() <= 1e-12 * want.abs(), "{} vs {}", v, want);
    }

    #[test]
    fn reversing_the_chain_keeps_the_optimum(case in case_strategy(30, false)) {
        let mut case = case;
        // Per-stage in-flight counts differ by position under 1F1B, so a cap is
        // only symmetric under GPipe.
        if case.capacity.is_some() {
            case.gpipe = true;
        }
        let problem = case.problem();
        let mut spec = problem.spec().clone();
        spec.chain = spec.chain.reversed();
        if let Some(s) = spec.speeds.as_mut() {
            s.reverse();
        }
        let reversed = spec.check().unwrap();
        match (optimal_bottleneck(&problem), optimal_bottleneck(&reversed)) {
            (Ok(a), Ok(b)) => {
                let dyadic = case.layers.iter().all(|l| (l.0 * 4.0).fract() == 0.0 && (l.1 * 4.0).fract() == 0.0);
                if dyadic {
                    prop_assert_eq!(a.value, b.value);
                } else {
                    prop_assert!((a.value - b.value).abs() <= 1e-12 * a.value.abs());
                }
            }
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }
}

/// `n` layers of cost (1, 2) with 10 parameter, 5 activation and 100 output bytes.
fn sized(n: usize) -> pipecut_core::Chain {
    layers((0..n).map(|_| (1.0, 2.0, 10, 5, 100)))
}

#[test]
fn infeasible_cap_names_the_first_stage_that_cannot_fit() {
    // 1F1B, P = 4, M = 8: stage k holds min(4 - k, 8) micro-batches, so a
    // single layer needs 10 + 5 * (4 - k) bytes: 30, 25, 20, 15.
    let spec = ProblemSpec::new(sized(8), 4).with_micro_batches(8);
    let problem = spec.clone().with_memory_capacity(29).check().unwrap();
    for solver in [
        &Exact::default() as &dyn Partitioner,
        &Dp::bottleneck(),
        &Dp::surrogate(),
    ] {
        let err = solver.solve(&problem).unwrap_err();
        assert_eq!(memory_error(&err), (0, 30, 29), "{}", solver.name());
        assert!(err.to_string().contains("stage 0"));
    }
    // Room for stage 0 on one layer, but then the 7 remaining layers must fit
    // three stages of at most 1, 1 and 2 layers (25, 20 -> 2 layers = 30).
    let problem = spec.with_memory_capacity(30).check().unwrap();
    let err = optimal_bottleneck(&problem).unwrap_err();
    let (stage, required, capacity) = memory_error(&err);
    assert_eq!(capacity, 30);
    assert!(required > capacity);
    assert_eq!(stage, 3);
}

#[test]
fn several_stages_per_device_take_caps_but_the_surrogate_refuses_them() {
    let spec = ProblemSpec::new(sized(8), 4)
        .with_micro_batches(4)
        .with_schedule(Schedule::Interleaved { virtual_stages: 2 });
    let capped = spec.clone().with_memory_capacity(1 << 30).check().unwrap();
    match Dp::surrogate().solve(&capped).unwrap_err() {
        Error::Unsupported { algorithm, reason } => {
            assert_eq!(algorithm, "dp-surrogate");
            assert!(reason.contains("memory_capacity"));
            assert!(reason.contains("interleaved"));
        }
        other => panic!("{other:?}"),
    }
    for solver in [&Exact::default() as &dyn Partitioner, &Dp::bottleneck()] {
        let solution = solver.solve(&capped).unwrap();
        assert_eq!(solution.status, Status::Optimal);
        // Two devices, 24 units of work: 12 each, every stage two layers.
        assert_eq!(solution.bound, Some(12.0));
        assert_eq!(solution.partition.starts(), &[0, 2, 4, 6]);
    }
    let plan = Exact::default().plan(&spec.check().unwrap()).unwrap();
    assert_eq!(plan.bottleneck(), 6.0);
    assert_eq!(plan.bound, Some(12.0));
}

/// Per-device loads: each device's stage times added in stage order.
fn device_load(problem: &Problem, partition: &pipecut_core::Partition) -> f64 {
    let e = evaluate(problem, partition);
    let mut loads = vec![0.0; problem.devices()];
    for (k, s) in e.stages.iter().enumerate() {
        loads[problem.device_of(k)] += s.time;
    }
    loads.into_iter().fold(f64::NEG_INFINITY, f64::max)
}

#[derive(Debug, Clone)]
struct DeviceCase {
    layers: Vec<(f64, f64, u64, u64, u64)>,
    devices: usize,
    virtual_stages: usize,
    looped_bfs: bool,
    rounds: usize,
    speeds: Option<Vec<f64>>,
    capacity: Option<u64>,
    link: Option<(f64, f64)>,
}

impl DeviceCase {
    fn problem(&self) -> Problem {
        let v = self.virtual_stages;
        let schedule = if self.looped_bfs {
            Schedule::LoopedBfs { virtual_stages: v }
        } else {
            Schedule::Interleaved { virtual_stages: v }
        };
        let stages = self.devices * v;
        let mut spec = ProblemSpec::new(chain_of(&self.layers), stages)
            .with_micro_batches(self.devices * self.rounds)
            .with_schedule(schedule);
        spec.speeds = self.speeds.as_ref().map(|s| s[..stages].to_vec());
        spec.memory_capacity = self.capacity;
        if let Some((l, bw)) = self.link {
            spec = spec.with_link(l, bw);
        }
        spec.check().unwrap()
    }
}

fn device_case_strategy(
    virtual_stages: impl Strategy<Value = usize>,
) -> impl Strategy<Value = DeviceCase> {
    (virtual_stages, 1usize..=3)
        .prop_flat_map(|(v, d)| {
            let d = d.min(9 / v).max(1);
            (
                prop::collection::vec(layer_strategy(), v * d..=9),
                Just(d),
                Just(v),
                any::<bool>(),
                1usize..3,
                prop::option::of(prop::collection::vec(
                    prop_oneof![Just(0.25), Just(1.0), Just(1.5), Just(4.0), 0.3f64..3.0],
                    9,
                )),
                prop::option::of(40u64..600),
                prop::option::of((0.0f64..2.0, 1.0f64..200.0)),
            )
        })
        .prop_map(
            |(layers, devices, virtual_stages, looped_bfs, rounds, speeds, capacity, link)| {
                DeviceCase {
                    layers,
                    devices,
                    virtual_stages,
                    looped_bfs,
                    rounds,
                    speeds,
                    capacity,
                    link,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// With several stages per device both solvers minimise the busiest
    /// device's load, exactly, under device memory caps, speeds and links.
    #[test]
    fn device_load_equals_brute_force(case in device_case_strategy(2usize..=3)) {
        let problem = case.problem();
        let best = partitions(problem.layers(), problem.stages())
            .filter(|p| evaluate(&problem, p).fits_memory)
            .map(|p| device_load(&problem, &p))
            .reduce(f64::min);
        for solver in [&Exact::default() as &dyn Partitioner, &Dp::bottleneck()] {
            match (solver.solve(&problem), best) {
                (Ok(solution), Some(best)) => {
                    prop_assert_eq!(solution.status, Status::Optimal);
                    prop_assert_eq!(solution.bound.map(f64::to_bits), Some(best.to_bits()));
                    prop_assert_eq!(device_load(&problem, &solution.partition), best);
                    prop_assert!(evaluate(&problem, &solution.partition).fits_memory);
                }
                (Err(err), None) => {
                    let want = pipecut_core::memory_infeasible(
                        &problem,
                        &pipecut_core::Prefix::new(&problem),
                    );
                    prop_assert_eq!(memory_error(&err), memory_error(&want));
                }
                (got, want) => prop_assert!(false, "{}: {:?} vs {:?}", solver.name(), got, want),
            }
        }
        // Deterministic: the same partition every time.
        let again = Exact::default().solve(&problem).map(|s| s.partition);
        prop_assert_eq!(again.ok(), Exact::default().solve(&problem).ok().map(|s| s.partition));
    }

    /// One stage per device: the bottleneck solvers, bit for bit as before.
    #[test]
    fn one_stage_per_device_keeps_the_bottleneck(case in device_case_strategy(Just(1usize))) {
        let mut case = case;
        case.capacity = None;
        let problem = case.problem();
        let best = partitions(problem.layers(), problem.stages())
            .map(|p| evaluate(&problem, &p).bottleneck)
            .reduce(f64::min)
            .unwrap();
        let exact = Exact::default().solve(&problem).unwrap();
        let dp = Dp::bottleneck().solve(&problem).unwrap();
        prop_assert_eq!(exact.bound, Some(best));
        prop_assert_eq!(dp.bound, Some(best));
        prop_assert_eq!(&exact.partition, &optimal_bottleneck(&problem).unwrap().partition);
    }
}

#[test]
fn plans_are_optimal_with_bound_and_notes() {
    let problem = ProblemSpec::new(
        pipecut_core::synthetic::generate(pipecut_core::synthetic::Family::Transformer, 40, 3),
        4,
    )
    .with_micro_batches(8)
    .check()
    .unwrap();
    let exact = Exact::default().plan(&problem).unwrap();
    let dp = Dp::bottleneck().plan(&problem).unwrap();
    let dps = Dp::surrogate().plan(&problem).unwrap();
    for plan in [&exact, &dp] {
        assert_eq!(plan.status, Status::Optimal);
        assert_eq!(plan.objective, pipecut_core::Objective::Bottleneck);
        assert_eq!(plan.bound, Some(plan.bottleneck()));
        assert!(plan.solve_seconds >= 0.0);
    }
    assert_eq!(exact.algorithm, "exact");
    assert_eq!(dp.algorithm, "dp");
    assert_eq!(dps.algorithm, "dp-surrogate");
    assert_eq!(dps.objective, pipecut_core::Objective::Surrogate);
    assert_eq!(dps.bound, Some(dps.surrogate_step_time()));
    assert_eq!(exact.bottleneck(), dp.bottleneck());
    assert!(dps.surrogate_step_time() <= exact.surrogate_step_time());
    assert!(exact.notes.iter().any(|n| n.contains("probes")));

    // A link with cut costs: exact falls back and says so.
    let linked = ProblemSpec::new(sized(12), 3)
        .with_link(0.5, 100.0)
        .check()
        .unwrap();
    let plan = Exact::default().plan(&linked).unwrap();
    assert!(plan.notes.iter().any(|n| n.contains("fell back")));
    assert_eq!(
        plan.bottleneck(),
        Dp::bottleneck().plan(&linked).unwrap().bottleneck()
    );
    // A free link keeps the fast path.
    let free = ProblemSpec::new(uniform(12, 1.0, 2.0), 3)
        .with_link(0.0, 100.0)
        .check()
        .unwrap();
    assert!(!optimal_bottleneck(&free).unwrap().fell_back_to_dp);
}

#[test]
fn fallback_too_large_is_typed() {
    let linked = ProblemSpec::new(sized(12), 3)
        .with_link(0.5, 100.0)
        .check()
        .unwrap();
    let exact = Exact {
        fallback: Dp::bottleneck().with_max_cells(10),
        ..Exact::default()
    };
    let err = exact.solve(&linked).unwrap_err();
    let Error::Solver { algorithm, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(algorithm, "exact");
    assert!(matches!(
        source.downcast_ref::<pipecut_exact::ExactError>(),
        Some(pipecut_exact::ExactError::FallbackTooLarge {
            cells: 432,
            max_cells: 10,
            ..
        })
    ));
}

#[test]
fn tie_break_prefers_the_faster_simulated_partition() {
    // Uniform layers with a heavy last one: many partitions share the optimal
    // bottleneck; whichever is kept, its simulated step time is the smaller of
    // the earliest-cut and latest-cut ones.
    let rows = (0..30).map(|_| (1.0, 2.0)).chain([(8.0, 16.0)]);
    let chain = layers(rows.map(|(f, b)| (f, b, 0, 0, 0)));
    let problem = ProblemSpec::new(chain, 4)
        .with_micro_batches(8)
        .check()
        .unwrap();
    let s = optimal_bottleneck(&problem).unwrap();
    assert_ne!(s.earliest, s.latest);
    let (early, late) = s.simulated.unwrap();
    let sim =
        |p: &pipecut_core::Partition| pipecut_sim::simulate(&problem, p, false).unwrap().step_time;
    assert_eq!(early, sim(&s.earliest));
    assert_eq!(late, sim(&s.latest));
    assert_eq!(sim(&s.partition), early.min(late));

    // Past the operation budget the latest-cut optimum is kept unsimulated.
    let cheap = Exact {
        max_tie_break_operations: 2 * 4 * 8 - 1,
        ..Exact::default()
    };
    let s = cheap.solution(&problem).unwrap();
    assert_eq!(s.simulated, None);
    assert_eq!(s.partition, s.latest);
    let plan = cheap.solve(&problem).unwrap();
    assert!(plan.notes.iter().any(|n| n.contains("without simulating")));
}

/// Chains whose length is a multiple of the checkpoint stride (64) once
/// indexed past the stored checkpoints in the tie-break; equal layers make
/// many partitions optimal, so the tie-break simulation runs. Every length
/// around the stride, with and without a memory cap, must solve and agree
/// with `dp`.
#[test]
fn lengths_at_checkpoint_multiples_solve() {
    for (n, stages) in [
        (63, 16),
        (64, 15),
        (64, 7),
        (65, 16),
        (128, 15),
        (129, 16),
        (192, 13),
    ] {
        for cap in [None, Some(u64::MAX / 4)] {
            let chain = sized(n);
            let mut spec = ProblemSpec::new(chain, stages).with_micro_batches(64);
            spec.memory_capacity = cap;
            let problem = spec.check().unwrap();
            let exact = Exact::default().plan(&problem).unwrap();
            let dp = Dp::bottleneck().plan(&problem).unwrap();
            assert_eq!(
                exact.bottleneck(),
                dp.bottleneck(),
                "n = {n}, cap = {cap:?}"
            );
        }
    }
}
