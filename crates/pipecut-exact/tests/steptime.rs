//! `exact-steptime` against brute-force simulation of every partition, on
//! every schedule, with links, speeds and memory caps; and its limits.

use pipecut_core::synthetic::{generate, Family};
use pipecut_core::{evaluate, Partitioner, Problem, ProblemSpec, Schedule, Status, WarmStartable};
use pipecut_exact::ExactStepTime;
use pipecut_sim::simulate;
use pipecut_testkit::partitions;
use proptest::prelude::*;

/// The least simulated step time over every partition that fits memory.
fn brute_force(problem: &Problem) -> Option<f64> {
    partitions(problem.layers(), problem.stages())
        .filter(|p| evaluate(problem, p).fits_memory)
        .map(|p| simulate(problem, &p, false).unwrap().step_time)
        .reduce(f64::min)
}

fn schedules() -> Vec<Schedule> {
    vec![
        Schedule::OneFOneB,
        Schedule::GPipe,
        Schedule::Interleaved { virtual_stages: 2 },
        Schedule::Interleaved1F1B { virtual_stages: 2 },
        Schedule::LoopedBfs { virtual_stages: 2 },
        Schedule::InterleavedZeroBubble { virtual_stages: 1 },
        Schedule::InterleavedZeroBubble { virtual_stages: 2 },
        Schedule::ZbvZeroBubble,
        Schedule::DualPipeV,
    ]
}

#[derive(Debug, Clone)]
struct Case {
    family: Family,
    seed: u64,
    schedule: Schedule,
    devices: usize,
    extra_layers: usize,
    m_factor: usize,
    link: bool,
    speeds: bool,
    cap_share: Option<f64>,
}

impl Case {
    fn problem(&self) -> Option<Problem> {
        let stages = self.devices * self.schedule.virtual_stages();
        let chain = generate(self.family, stages + self.extra_layers, self.seed);
        let m = match self.schedule {
            Schedule::DualPipeV => stages * self.m_factor,
            _ => self.devices * self.m_factor,
        };
        let mut spec = ProblemSpec::new(chain, stages)
            .with_micro_batches(m)
            .with_schedule(self.schedule);
        if self.link {
            spec = spec.with_link(0.05, 1e9);
        }
        if self.speeds {
            spec = spec.with_speeds((0..stages).map(|k| 1.0 + 0.25 * (k % 3) as f64).collect());
        }
        let loose = spec.clone().check().ok()?;
        if let Some(share) = self.cap_share {
            // A cap between the least and the largest device memory of the
            // uniform split, so it binds without ruling everything out.
            let (n, p) = (loose.layers(), stages);
            let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
            let even = pipecut_core::Partition::from_sizes(&sizes).ok()?;
            let peak = evaluate(&loose, &even).peak_memory_bytes;
            spec.memory_capacity = Some((peak as f64 * share) as u64 + 1);
        }
        spec.check().ok()
    }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec![
            Family::Uniform,
            Family::Lognormal,
            Family::HeavyHead,
            Family::Transformer,
        ]),
        0u64..100_000,
        prop::sample::select(schedules()),
        2usize..=3,
        0usize..=4,
        1usize..=3,
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0.7f64..1.3),
    )
        .prop_map(
            |(family, seed, schedule, devices, extra_layers, m_factor, link, speeds, cap_share)| {
                Case {
                    family,
                    seed,
                    schedule,
                    devices,
                    extra_layers,
                    m_factor,
                    link,
                    speeds,
                    cap_share,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Proven optimal: brute force's optimum, and a bound just below it.
    #[test]
    fn equals_brute_force_on_every_schedule(case in case_strategy()) {
        let Some(problem) = case.problem() else { return Ok(()) };
        let Some(best) = brute_force(&problem) else {
            prop_assert!(ExactStepTime::default().solve(&problem).is_err());
            return Ok(());
        };
        let Ok(solution) = ExactStepTime::default().solve(&problem) else {
            // Only a start that does not exist (no fitting exact optimum)
            // may fail; brute force found one, so this must not happen.
            return Err(TestCaseError::fail("no solution where brute force has one"));
        };
        prop_assert_eq!(solution.status, Status::Optimal);
        let got = simulate(&problem, &solution.partition, false).unwrap().step_time;
        prop_assert!(evaluate(&problem, &solution.partition).fits_memory);
        // Optimal up to the search's relative 1e-12 pruning slack, which
        // keeps rounding of equal sums from deciding; the bound says so.
        prop_assert!(best <= got && got <= best * (1.0 + 1e-12), "{} vs {}", got, best);
        let bound = solution.bound.unwrap();
        prop_assert!(bound <= best && bound >= got * (1.0 - 2e-12), "bound {}", bound);
    }

    /// Stopped by a tiny node budget: `feasible`, with a bound no higher
    /// than the optimum.
    #[test]
    fn a_stopped_search_keeps_a_valid_bound(case in case_strategy()) {
        let Some(problem) = case.problem() else { return Ok(()) };
        let Some(best) = brute_force(&problem) else { return Ok(()) };
        let solver = ExactStepTime { max_nodes: 2, ..ExactStepTime::default() };
        let Ok(solution) = solver.solve(&problem) else { return Ok(()) };
        let got = simulate(&problem, &solution.partition, false).unwrap().step_time;
        let bound = solution.bound.unwrap();
        prop_assert!(bound <= best * (1.0 + 1e-12), "bound {} > optimum {}", bound, best);
        prop_assert!(best <= got);
        if solution.status == Status::Optimal {
            prop_assert!(got <= best * (1.0 + 1e-12));
        }
    }
}

#[test]
fn a_warm_start_is_kept_when_nothing_beats_it() {
    let chain = generate(Family::Transformer, 14, 7);
    let problem = ProblemSpec::new(chain, 4)
        .with_micro_batches(8)
        .check()
        .unwrap();
    let cold = ExactStepTime::default().solve(&problem).unwrap();
    let mut warm = ExactStepTime::default();
    warm.set_warm_start(Some(cold.partition.clone()));
    let again = warm.solve(&problem).unwrap();
    assert_eq!(again.partition, cold.partition);
    assert_eq!(again.bound, cold.bound);
}

#[test]
fn too_large_is_a_typed_error() {
    let chain = pipecut_testkit::uniform(1 << 20, 1.0, 2.0);
    let problem = ProblemSpec::new(chain, 32).check().unwrap();
    let e = ExactStepTime::default()
        .solve(&problem)
        .unwrap_err()
        .to_string();
    assert!(e.contains("exact-steptime") && e.contains("cells"), "{e}");
}
