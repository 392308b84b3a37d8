//! Properties of the framework baselines and both AutoPipes: valid
//! partitions, never worse than the start, scale invariance, memory, and the
//! DPs against literal scans.

use pipecut_core::{
    Chain, Error, LayerKind, Partition, Partitioner, Problem, ProblemSpec, Schedule,
};
use pipecut_heuristics::autopipe_reference::{DpTable, Scalar};
use pipecut_heuristics::{
    all, autopipe_reference_search, autopipe_search, autopipe_start, deepspeed_balanced,
    deepspeed_partition, reference_step_time,
};
use pipecut_sim::PlanExt;
use pipecut_testkit::{chain, layers, partitions};
use proptest::prelude::*;

fn valid(problem: &Problem, starts: &[usize]) {
    let part = Partition::for_problem(starts.to_vec(), problem).expect("valid partition");
    let covered: usize = part.sizes().iter().sum();
    assert_eq!(covered, problem.layers());
    assert!(part.sizes().iter().all(|&s| s > 0));
}

#[derive(Debug, Clone)]
struct Case {
    forward: Vec<u32>,
    backward: Vec<u32>,
    params: Vec<u64>,
    activations: Vec<u64>,
    kinds: bool,
    stages: usize,
    micro_batches: usize,
    schedule: u8,
    link: bool,
    speeds: Option<Vec<u8>>,
}

prop_compose! {
    fn case(max_layers: usize)(n in 1..=max_layers)(
        forward in prop::collection::vec(0u32..10, n),
        backward in prop::collection::vec(0u32..20, n),
        params in prop::collection::vec(0u64..50, n),
        activations in prop::collection::vec(0u64..10, n),
        kinds in any::<bool>(),
        stages in 1..=n,
        micro_batches in 1usize..9,
        schedule in 0u8..3,
        link in any::<bool>(),
        speeds in prop::option::of(prop::collection::vec(1u8..4, n)),
    ) -> Case {
        let speeds = speeds.map(|s| s.into_iter().take(stages).collect());
        Case {
            forward,
            backward,
            params,
            activations,
            kinds,
            stages,
            micro_batches,
            schedule,
            link,
            speeds,
        }
    }
}

fn chain_of(c: &Case, scale: u32) -> Chain {
    let n = c.forward.len();
    let built = layers((0..n).map(|i| {
        (
            f64::from(c.forward[i] * scale),
            f64::from(c.backward[i] * scale),
            c.params[i],
            c.activations[i],
            64,
        )
    }));
    if !c.kinds {
        return built;
    }
    // The first layer an input, the last an output, when there is room.
    let kinded = built
        .layers()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let kind = if i == 0 && n > 1 {
                LayerKind::Input
            } else if i + 1 == n && n > 2 {
                LayerKind::Output
            } else {
                LayerKind::Block
            };
            l.clone().with_kind(kind)
        })
        .collect();
    Chain::new(built.name(), built.unit(), kinded).unwrap()
}

/// The case as a checked problem; the schedule falls back to 1F1B where
/// interleaving does not fit.
fn problem_of(c: &Case, scale: u32, with_link: bool, with_speeds: bool) -> Problem {
    let mut spec =
        ProblemSpec::new(chain_of(c, scale), c.stages).with_micro_batches(c.micro_batches);
    spec = match c.schedule {
        0 => spec.with_schedule(Schedule::GPipe),
        1 if c.stages % 2 == 0 && c.micro_batches % (c.stages / 2) == 0 => {
            spec.with_schedule(Schedule::Interleaved { virtual_stages: 2 })
        }
        _ => spec,
    };
    if with_link && c.link {
        spec = spec.with_link(0.5, 32.0);
    }
    if with_speeds {
        if let Some(s) = &c.speeds {
            spec = spec.with_speeds(s.iter().map(|&x| f64::from(x)).collect());
        }
    }
    spec.check().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_partitioner_returns_a_valid_partition(c in case(24)) {
        let problem = problem_of(&c, 1, true, true);
        for algo in all() {
            match algo.plan(&problem) {
                Ok(plan) => {
                    valid(&problem, plan.starts());
                    prop_assert_eq!(plan.algorithm.as_str(), algo.name());
                    prop_assert_eq!(plan.status, pipecut_core::Status::Heuristic);
                }
                // Only the layer-count rules may refuse a valid problem.
                Err(Error::Solver { algorithm, .. }) => {
                    prop_assert!(algorithm == "torchtitan" || algorithm == "megatron", "{algorithm}");
                }
                Err(e) => prop_assert!(false, "{}: {e}", algo.name()),
            }
        }
    }

    #[test]
    fn reference_never_above_its_dp_start(c in case(20)) {
        let f: Vec<f64> = c.forward.iter().map(|&x| f64::from(x)).collect();
        let b: Vec<f64> = c.backward.iter().map(|&x| f64::from(x)).collect();
        let r = autopipe_reference_search(&f, &b, c.stages).unwrap();
        prop_assert_eq!(r.best.stages(), c.stages);
        prop_assert!(r.best_time <= r.start_time);
        prop_assert_eq!(reference_step_time(&f, &b, &r.best).unwrap(), r.best_time);
        prop_assert_eq!(reference_step_time(&f, &b, &r.start).unwrap(), r.start_time);
    }

    #[test]
    fn autopipe_never_above_its_start(c in case(20)) {
        let problem = problem_of(&c, 1, true, true);
        let r = autopipe_search(&problem, 200).unwrap();
        let start = autopipe_start(&problem).unwrap();
        prop_assert_eq!(&start, &r.start);
        let sim = |p: &Partition| pipecut_sim::simulate(&problem, p, false).unwrap().step_time;
        prop_assert_eq!(sim(&r.start), r.start_step_time);
        prop_assert_eq!(sim(&r.best), r.best_step_time);
        prop_assert!(r.best_step_time <= r.start_step_time);
    }

    #[test]
    fn both_autopipes_are_invariant_under_integer_scaling(c in case(16), k in 2u32..6) {
        // Integer costs keep every sum exact in f64 too, so the simulator's
        // comparisons scale exactly (no link: its latency would not scale).
        let base = problem_of(&c, 1, false, false);
        let scaled = problem_of(&c, k, false, false);
        let ref_base = autopipe_reference_search(&base.chain().forwards(), &base.chain().backwards(), c.stages).unwrap();
        let ref_scaled = autopipe_reference_search(&scaled.chain().forwards(), &scaled.chain().backwards(), c.stages).unwrap();
        prop_assert_eq!(&ref_base.best, &ref_scaled.best);
        prop_assert_eq!(ref_base.best_time * f64::from(k), ref_scaled.best_time);
        let a = autopipe_search(&base, 200).unwrap();
        let b = autopipe_search(&scaled, 200).unwrap();
        prop_assert_eq!(&a.best, &b.best);
        prop_assert_eq!(a.best_step_time * f64::from(k), b.best_step_time);
    }

    #[test]
    fn reference_is_invariant_for_fractional_costs(c in case(16), k in 1u32..6) {
        // Eighths scale exactly: the reference runs on the same integers.
        let f: Vec<f64> = c.forward.iter().map(|&x| f64::from(x) / 8.0).collect();
        let b: Vec<f64> = c.backward.iter().map(|&x| f64::from(x) / 8.0).collect();
        let fk: Vec<f64> = c.forward.iter().map(|&x| f64::from(x * k)).collect();
        let bk: Vec<f64> = c.backward.iter().map(|&x| f64::from(x * k)).collect();
        let r = autopipe_reference_search(&f, &b, c.stages).unwrap();
        let rk = autopipe_reference_search(&fk, &bk, c.stages).unwrap();
        prop_assert_eq!(r.best, rk.best);
        prop_assert_eq!(r.start, rk.start);
    }

    #[test]
    fn autopipe_fits_memory_whenever_a_partition_does(c in case(9), cap in 0u64..400) {
        let mut spec = problem_of(&c, 1, false, true).into_spec();
        spec.memory_capacity = Some(cap);
        let problem = spec.check().unwrap();
        let fits: Vec<bool> = partitions(problem.layers(), problem.stages())
            .map(|s| pipecut_core::evaluate(&problem, &s).fits_memory)
            .collect();
        // Small problems are exact for every schedule (interleaved ones by
        // enumeration when the cap searches miss).
        match pipecut_heuristics::AutoPipe::default().plan(&problem) {
            Ok(plan) => prop_assert!(plan.fits_memory()),
            Err(Error::MemoryInfeasible { .. }) => prop_assert!(!fits.iter().any(|&f| f)),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn reference_dp_equals_the_full_scan(w in prop::collection::vec(0u32..40, 1..30), stages in 1usize..8, eighths in any::<bool>()) {
        let stages = stages.min(w.len());
        let ints: Vec<u128> = w.iter().map(|&x| u128::from(x)).collect();
        let floats: Vec<f64> = w.iter().map(|&x| if eighths { f64::from(x) / 8.0 } else { f64::from(x) * 0.1 }).collect();
        check_dp(&ints, stages);
        check_dp(&floats, stages);
    }

    #[test]
    fn deepspeed_matches_a_literal_port(w in prop::collection::vec(0u64..30, 1..40), parts in 1usize..12, zeros in any::<bool>()) {
        // Many equal weights stress the tie rule.
        let w: Vec<u64> = if zeros { w.iter().map(|x| x % 3).collect() } else { w };
        let parts = parts.min(w.len());
        let got = deepspeed_balanced(&w, parts);
        prop_assert_eq!(got.starts(), &literal_deepspeed(&w, parts)[..]);
    }
}

/// `DpTable` against the reference's literal `O(S N^2)` scan, value by value.
fn check_dp<T: Scalar>(w: &[T], stages: usize) {
    let table = DpTable::new(w, stages);
    let n = w.len();
    let mut prefix = vec![T::ZERO];
    for &x in w {
        let last = *prefix.last().unwrap();
        prefix.push(last + x);
    }
    let mut dp: Vec<Vec<Option<T>>> = vec![vec![None; stages + 1]; n + 1];
    dp[0][0] = Some(T::ZERO);
    for i in 1..=n {
        for p in 1..=stages.min(i) {
            let mut best: Option<T> = None;
            for j in 0..i {
                if let Some(a) = dp[j][p - 1] {
                    let v = a.max_of(prefix[i] - prefix[j]);
                    if best.is_none_or(|b| v < b) {
                        best = Some(v);
                    }
                }
            }
            dp[i][p] = best;
        }
    }
    for (i, row) in dp.iter().enumerate() {
        for (p, v) in row.iter().enumerate() {
            assert_eq!(table.value(i, p), *v, "i={i} p={p}");
        }
    }
}

/// DeepSpeed's `partition_balanced` transcribed line by line, float infinity
/// and all (`n <= m` goes to `partition_uniform`, which for `n == m` is one
/// item per part).
fn literal_deepspeed(weights: &[u64], m: usize) -> Vec<usize> {
    let n = weights.len();
    if n <= m {
        return (0..n).collect();
    }
    let inf = f64::INFINITY;
    let mut dp_max = vec![vec![inf; m + 1]; n + 1];
    let mut dp_min = vec![vec![inf; m + 1]; n + 1];
    let mut dp_cost = vec![vec![inf; m + 1]; n + 1];
    let mut position = vec![vec![0usize; m + 1]; n + 1];
    let mut prefix = vec![0.0; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + weights[i] as f64;
    }
    dp_max[0][0] = 0.0;
    dp_cost[0][0] = 0.0;
    for i in 1..=n {
        for j in 1..=i.min(m) {
            for k in 0..i {
                let max_sum = dp_max[k][j - 1].max(prefix[i] - prefix[k]);
                let min_sum = dp_min[k][j - 1].min(prefix[i] - prefix[k]);
                let cost = max_sum - min_sum;
                if dp_cost[i][j] >= cost {
                    dp_cost[i][j] = cost;
                    dp_max[i][j] = max_sum;
                    dp_min[i][j] = min_sum;
                    position[i][j] = k;
                }
            }
        }
    }
    let mut parts = vec![n];
    for i in (1..=m).rev() {
        parts.push(position[*parts.last().unwrap()][i]);
    }
    parts.reverse();
    parts.pop();
    parts
}

fn max_part(w: &[u64], starts: &[usize]) -> u64 {
    let part = Partition::new(starts.to_vec(), w.len()).unwrap();
    let sums: Vec<u64> = part.ranges().map(|r| w[r].iter().sum::<u64>()).collect();
    sums.into_iter().max().unwrap_or(0)
}

#[test]
fn deepspeed_is_not_optimal_for_the_largest_part() {
    // Found by the brute-force scan below. Weights [1, 6, 3, 3], 3 parts:
    // deepspeed keeps, for 3 items in 2 parts, [1 6][3] (spread 7 - 3 = 4)
    // over [1][6 3] (spread 8), and for 4 items in 3 parts prefers
    // [1 6][3][3] (spread 4) to [1][6][3 3] (spread 6 - 1 = 5): its largest
    // part is 7 where 6 is possible.
    let w = [1u64, 6, 3, 3];
    let ds = deepspeed_balanced(&w, 3);
    assert_eq!(ds.starts(), &[0, 2, 3]);
    let best = partitions(4, 3)
        .min_by_key(|s| max_part(&w, s.starts()))
        .unwrap();
    assert_eq!(
        (max_part(&w, ds.starts()), max_part(&w, best.starts())),
        (7, 6)
    );
    assert_eq!(best.starts(), &[0, 1, 2]);

    // The same through a problem (param_bytes are the weights), and a scan
    // over all weight vectors in 1..=4 of length 5 finds more such chains.
    let chain = layers(w.iter().map(|&p| (p as f64, 0.0, p, 0, 0)));
    let problem = pipecut_testkit::problem(chain, 3, 1);
    assert_eq!(deepspeed_partition(&problem).starts(), &[0, 2, 3]);
    let mut worse = 0;
    for code in 0..4usize.pow(5) {
        let w: Vec<u64> = (0..5)
            .map(|d| (code / 4usize.pow(d) % 4) as u64 + 1)
            .collect();
        for parts in 2..=4 {
            let ds = max_part(&w, deepspeed_balanced(&w, parts).starts());
            let opt = partitions(5, parts)
                .map(|s| max_part(&w, s.starts()))
                .min()
                .unwrap();
            assert!(ds >= opt);
            worse += usize::from(ds > opt);
        }
    }
    assert!(worse > 0);
}

#[test]
fn heavy_last_layer_with_four_stages_is_valid_for_every_partitioner() {
    let mut costs = vec![(1.0, 2.0); 7];
    costs.push((10.0, 20.0));
    let problem = pipecut_testkit::problem(chain(&costs), 4, 8);
    for algo in all() {
        let solution = algo.solve(&problem).unwrap();
        valid(&problem, solution.partition.starts());
    }
    let names: Vec<String> = all().iter().map(|a| a.name().to_string()).collect();
    assert_eq!(
        names,
        [
            "uniform",
            "torchtitan",
            "megatron",
            "deepspeed",
            "greedy",
            "autopipe-reference",
            "autopipe"
        ]
    );
}
