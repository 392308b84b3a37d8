//! Properties of `autopipe-torchtitan`: a valid partition for every problem
//! of a supported schedule (also where the original raises), never worse
//! than its DP baseline in its own simulator, the search's times equal to
//! the public simulator's, a well-formed critical path, power-of-two scale
//! invariance, and a typed error naming any other schedule.

use pipecut_core::{Chain, Layer, Partition, Partitioner, Problem, ProblemSpec, Schedule};
use pipecut_heuristics::autopipe_torchtitan::{
    autopipe_torchtitan_baseline, autopipe_torchtitan_search, iteration_time, layer_inputs,
    ActionKind, Communication, LayerInputs, StageInputs, TorchtitanSchedule,
};
use pipecut_heuristics::{AutoPipeTorchtitan, HeuristicError};
use pipecut_sim::PlanExt;
use proptest::prelude::*;

/// A random problem of a supported schedule: costs (some zero), output
/// bytes, optional weight splits, devices, chunks and micro-batches (for
/// 1F1B also fewer than the stages, where the original raises).
#[derive(Debug, Clone)]
struct Case {
    costs: Vec<(u16, u16, u8, Option<u8>)>,
    devices: usize,
    chunks: usize,
    rounds: usize,
    schedule: u8,
    link: bool,
    fractional: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=5, 1usize..=3, 0u8..3).prop_flat_map(|(devices, chunks, schedule)| {
        let chunks = if schedule == 0 { 1 } else { chunks };
        let n_min = devices * chunks;
        (
            prop::collection::vec(
                (0u16..300, 0u16..600, 0u8..20, prop::option::of(0u8..=100)),
                n_min..n_min + 14,
            ),
            Just(devices),
            Just(chunks),
            1usize..=4,
            Just(schedule),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(costs, devices, chunks, rounds, schedule, link, fractional)| Case {
                    costs,
                    devices,
                    chunks,
                    rounds,
                    schedule,
                    link,
                    fractional,
                },
            )
    })
}

impl Case {
    fn problem(&self) -> Problem {
        let scale = if self.fractional { 0.37 } else { 1.0 };
        let layers = self
            .costs
            .iter()
            .enumerate()
            .map(|(i, &(f, b, out, w))| {
                let b = f64::from(b) * scale;
                let layer = Layer::new(format!("l{i}"), f64::from(f) * scale, b).with_bytes(
                    0,
                    0,
                    u64::from(out),
                );
                match w {
                    Some(share) => {
                        let w = (b * f64::from(share) / 100.0).min(b);
                        // Whole-number costs keep whole-number weights.
                        layer.with_backward_weight(if self.fractional { w } else { w.floor() })
                    }
                    None => layer,
                }
            })
            .collect();
        let chain = Chain::new("prop", "s", layers).expect("valid chain");
        let stages = self.devices * self.chunks;
        let (schedule, m) = match self.schedule {
            // 1F1B: M from 1, so often fewer micro-batches than stages.
            0 => (Schedule::OneFOneB, self.rounds * stages / 2 + 1),
            1 => (
                Schedule::Interleaved1F1B {
                    virtual_stages: self.chunks,
                },
                self.rounds * self.devices,
            ),
            _ => (
                Schedule::InterleavedZeroBubble {
                    virtual_stages: self.chunks,
                },
                self.rounds * self.devices,
            ),
        };
        let spec = ProblemSpec::new(chain, stages)
            .with_micro_batches(m)
            .with_schedule(schedule);
        let spec = if self.link {
            spec.with_link(0.5, 2.0)
        } else {
            spec
        };
        spec.check().expect("a valid problem")
    }
}

fn with_unit_split(inputs: &LayerInputs, factor: f64) -> LayerInputs {
    let scale = |v: &[f64]| v.iter().map(|x| x * factor).collect::<Vec<f64>>();
    LayerInputs {
        forward_flops: scale(&inputs.forward_flops),
        backward_flops: scale(&inputs.backward_flops),
        communication_volume: match &inputs.communication_volume {
            Communication::Uniform(v) => Communication::Uniform(v * factor),
            Communication::PerBoundary(v) => Communication::PerBoundary(scale(v)),
        },
        // An explicit split keeps the original's floor out of the scaling.
        backward_weight_flops: Some(scale(
            &inputs
                .backward_flops
                .iter()
                .map(|b| b / 2.0)
                .collect::<Vec<_>>(),
        )),
        ..inputs.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn always_a_valid_partition(c in case()) {
        let problem = c.problem();
        let solution = AutoPipeTorchtitan.solve(&problem).expect("supported schedules always solve");
        Partition::for_problem(solution.partition.starts().to_vec(), &problem).expect("valid");
        prop_assert_eq!(solution.partition.stages(), problem.stages());
        // The real simulator times it too (on whole numbers: its stage sums
        // of fractional weights can round above the stage's backward).
        if !c.fractional {
            let plan = AutoPipeTorchtitan.plan(&problem).expect("plans");
            prop_assert!(plan.step_time().is_finite());
        }
    }

    #[test]
    fn never_worse_than_its_baseline_and_times_agree(c in case()) {
        let problem = c.problem();
        let inputs = layer_inputs(&problem).expect("supported");
        let base = autopipe_torchtitan_baseline(&inputs).expect("the baseline always exists");
        match autopipe_torchtitan_search(&inputs) {
            Ok(found) => {
                prop_assert_eq!(&found.base_starts, &base);
                prop_assert!(found.best_iteration_time <= found.base_iteration_time);
                prop_assert!(found.explored_candidates >= 1);
                let stage = |starts: &[usize], v: &[f64]| -> Vec<f64> {
                    (0..starts.len())
                        .map(|k| v[starts[k]..starts.get(k + 1).copied().unwrap_or(v.len())].iter().fold(0.0, |a, x| a + x))
                        .collect()
                };
                let s = &found.best_starts;
                let sim = iteration_time(&StageInputs {
                    communication_volume: match &inputs.communication_volume {
                        Communication::Uniform(v) => Communication::Uniform(*v),
                        Communication::PerBoundary(v) => Communication::PerBoundary(s[1..].iter().map(|&k| v[k - 1]).collect()),
                    },
                    pp_group_size: Some(inputs.pp_group_size),
                    backward_weight_flops: inputs.backward_weight_flops.as_ref().map(|w| stage(s, w)),
                    ..StageInputs::new(inputs.schedule, stage(s, &inputs.forward_flops), stage(s, &inputs.backward_flops), inputs.n_microbatches)
                }).expect("simulates");
                prop_assert_eq!(sim.iteration_time, found.best_iteration_time);
                prop_assert_eq!(sim.steady.critical_stage, found.best_critical_stage);
            }
            Err(HeuristicError::TorchtitanSchedule { .. }) => {
                // Only where the original raises: 1F1B with M < P.
                prop_assert!(problem.schedule() == Schedule::OneFOneB && problem.micro_batches() < problem.stages());
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn power_of_two_scaling_keeps_the_partition(c in case(), k in -3i32..4) {
        let problem = c.problem();
        let inputs = with_unit_split(&layer_inputs(&problem).expect("supported"), 1.0);
        let scaled = with_unit_split(&inputs, 2f64.powi(k));
        match (autopipe_torchtitan_search(&inputs), autopipe_torchtitan_search(&scaled)) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.best_starts, b.best_starts);
                prop_assert_eq!(a.best_iteration_time * 2f64.powi(k), b.best_iteration_time);
            }
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }
}

/// Random stage-level inputs for the simulator.
fn stage_case() -> impl Strategy<Value = StageInputs> {
    (0u8..3, 1usize..=4, 1usize..=3, 1usize..=3).prop_flat_map(|(s, ranks, chunks, rounds)| {
        let schedule = TorchtitanSchedule::ALL[usize::from(s)];
        let chunks = if s == 0 { 1 } else { chunks };
        let stages = ranks * chunks;
        let m = if s == 0 {
            ranks + rounds - 1
        } else {
            ranks * rounds
        };
        (
            prop::collection::vec(0u16..50, stages),
            prop::collection::vec(0u16..100, stages),
            prop::collection::vec(0u16..30, stages - 1),
        )
            .prop_map(move |(f, b, comm)| StageInputs {
                communication_volume: Communication::PerBoundary(
                    comm.into_iter().map(f64::from).collect(),
                ),
                pp_group_size: Some(ranks),
                ..StageInputs::new(
                    schedule,
                    f.into_iter().map(f64::from).collect(),
                    b.into_iter().map(f64::from).collect(),
                    m,
                )
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn critical_paths_are_chains_that_end_at_the_iteration_time(inputs in stage_case()) {
        let sim = iteration_time(&inputs).expect("valid inputs simulate");
        let path = &sim.critical_path;
        prop_assert_eq!(path[0].start, 0.0);
        prop_assert_eq!(path.last().unwrap().end, sim.iteration_time);
        for w in path.windows(2) {
            prop_assert_eq!(w[0].end, w[1].start);
        }
        // Each rank's compute runs one at a time, so its total is a lower bound.
        let ranks = inputs.pp_group_size.unwrap();
        for r in 0..ranks {
            let busy: f64 = sim.operations.iter().filter(|o| o.rank == r && o.action.kind.is_compute()).map(|o| o.duration).sum();
            prop_assert!(sim.iteration_time >= busy - 1e-9 * busy.max(1.0));
        }
        let computes = sim.operations.iter().filter(|o| o.action.kind.is_compute()).count();
        let per_mb = if inputs.schedule == TorchtitanSchedule::InterleavedZeroBubble { 3 } else { 2 };
        prop_assert_eq!(computes, per_mb * inputs.forward_flops.len() * inputs.n_microbatches);
        let sends = sim.operations.iter().filter(|o| matches!(o.action.kind, ActionKind::SendF | ActionKind::SendB)).count();
        let recvs = sim.operations.iter().filter(|o| matches!(o.action.kind, ActionKind::RecvF | ActionKind::RecvB)).count();
        prop_assert_eq!(sends, recvs);
    }
}

#[test]
fn other_schedules_are_a_typed_error_naming_them() {
    let chain = pipecut_testkit::uniform(8, 1.0, 2.0);
    for schedule in Schedule::all(2) {
        let Ok(problem) = ProblemSpec::new(chain.clone(), 4)
            .with_micro_batches(8)
            .with_schedule(schedule)
            .check()
        else {
            continue;
        };
        let supported = matches!(
            schedule,
            Schedule::OneFOneB
                | Schedule::Interleaved1F1B { .. }
                | Schedule::InterleavedZeroBubble { .. }
        );
        match layer_inputs(&problem) {
            Ok(_) => assert!(supported, "{schedule}"),
            Err(HeuristicError::UnsupportedSchedule { schedule: name, .. }) => {
                assert!(!supported);
                assert_eq!(name, schedule.to_string());
                let err = AutoPipeTorchtitan.solve(&problem).unwrap_err().to_string();
                assert!(err.contains(&name), "{err}");
            }
            Err(e) => panic!("{schedule}: {e}"),
        }
    }
}
