//! Every fact of the simulator's semantics (see `Simulator`) as a property over random stage times,
//! `P` and `M`, plus the timeline semantics checked against an independent
//! (quadratic, fixpoint) reference simulation.

use std::collections::HashSet;

use pipecut_core::{
    evaluate, Chain, Layer, OpKind, Partition, Prefix, Problem, ProblemSpec, Schedule, TimelineOp,
};
use pipecut_sim::{simulate, Executor, Scratch, Simulator, StageTimes};
use proptest::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A schedule with its `P` and `M`: GPipe and 1F1B with `P` in 1..=8,
/// `M` in 1..=12; interleaved with `D` in 1..=4, `v` in 1..=3, `M = D * k`.
fn schedule_shape() -> impl Strategy<Value = (Schedule, usize, usize)> {
    prop_oneof![
        (1usize..=8, 1usize..=12).prop_map(|(p, m)| (Schedule::GPipe, p, m)),
        (1usize..=8, 1usize..=12).prop_map(|(p, m)| (Schedule::OneFOneB, p, m)),
        (1usize..=4, 1usize..=3, 1usize..=4).prop_map(|(d, v, k)| (
            Schedule::Interleaved { virtual_stages: v },
            d * v,
            d * k
        )),
    ]
}

/// Random stage times for `p` stages; `link` adds random delays.
fn times(p: usize, link: bool) -> impl Strategy<Value = StageTimes> {
    let delay = if link {
        0.0..2.0
    } else {
        0.0..f64::MIN_POSITIVE
    };
    (
        prop::collection::vec(0.01f64..10.0, p),
        prop::collection::vec(0.01f64..10.0, p),
        prop::collection::vec(delay, p),
    )
        .prop_map(move |(forward, backward, delay)| {
            let delay = if link { delay } else { vec![0.0; delay.len()] };
            StageTimes::new(forward, backward, delay)
        })
}

fn case(link: bool) -> impl Strategy<Value = (Schedule, usize, usize, StageTimes)> {
    schedule_shape().prop_flat_map(move |(s, p, m)| times(p, link).prop_map(move |t| (s, p, m, t)))
}

/// The simulator's semantics by brute force: sweep the devices until
/// none can advance, each time starting every operation whose input is
/// there. Quadratic, and shares no code with the engine.
fn reference(sim: &Simulator, times: &StageTimes) -> Option<Vec<TimelineOp>> {
    let s = sim.schedule();
    let p = sim.stages();
    let orders = sim.orders();
    let mut done: std::collections::HashMap<(usize, OpKind, usize), f64> = Default::default();
    let mut next = vec![0usize; orders.len()];
    let mut free = vec![0.0f64; orders.len()];
    let mut out = Vec::new();
    loop {
        let mut progress = false;
        for (d, order) in orders.iter().enumerate() {
            while next[d] < order.len() {
                let op = order[next[d]];
                let stage = s.stage_of(d, op.chunk, p);
                let cross = |a: usize, b: usize| s.device_of(a, p) != s.device_of(b, p);
                let ready = match op.kind {
                    OpKind::Forward if stage == 0 => Some(0.0),
                    OpKind::Forward => {
                        done.get(&(stage - 1, OpKind::Forward, op.micro_batch))
                            .map(|t| {
                                t + if cross(stage - 1, stage) {
                                    times.delay[stage - 1]
                                } else {
                                    0.0
                                }
                            })
                    }
                    OpKind::Backward if stage + 1 == p => {
                        done.get(&(stage, OpKind::Forward, op.micro_batch)).copied()
                    }
                    OpKind::Backward => done
                        .get(&(stage + 1, OpKind::Backward, op.micro_batch))
                        .map(|t| {
                            t + if cross(stage, stage + 1) {
                                times.delay[stage]
                            } else {
                                0.0
                            }
                        }),
                    other => panic!("the reference knows forward and backward only, not {other:?}"),
                };
                let Some(ready) = ready else { break };
                let start = free[d].max(ready);
                let dur = op.kind.duration(
                    times.forward[stage],
                    times.backward[stage],
                    times.backward_weight[stage],
                );
                let end = start + dur;
                free[d] = end;
                done.insert((stage, op.kind, op.micro_batch), end);
                out.push(TimelineOp {
                    device: d,
                    stage,
                    chunk: op.chunk,
                    kind: op.kind,
                    micro_batch: op.micro_batch,
                    start,
                    end,
                });
                next[d] += 1;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    (out.len() == sim.operations()).then_some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Uniform stages `f, b`, no link: GPipe and 1F1B take `(M + P - 1)(f + b)`.
    #[test]
    fn uniform_gpipe_and_1f1b_closed_form(p in 1usize..=10, m in 1usize..=16,
                                          f in 0.01f64..10.0, b in 0.01f64..10.0) {
        for s in [Schedule::GPipe, Schedule::OneFOneB] {
            let r = Simulator::for_schedule(s, p, m)
                .run_times(&StageTimes::uniform(p, f, b), false).unwrap();
            let want = (m + p - 1) as f64 * (f + b);
            prop_assert!(close(r.step_time, want), "{s} P={p} M={m}: {} vs {want}", r.step_time);
        }
    }

    /// Interleaved, uniform chunks, `M` a multiple of `D`:
    /// `M (f + b) + (D - 1)(f + b) / v` with `f, b` per device (all chunks).
    #[test]
    fn uniform_interleaved_closed_form(d in 1usize..=6, v in 1usize..=4, k in 1usize..=4,
                                       fc in 0.01f64..10.0, bc in 0.01f64..10.0) {
        let (p, m) = (d * v, d * k);
        let r = Simulator::for_schedule(Schedule::Interleaved { virtual_stages: v }, p, m)
            .run_times(&StageTimes::uniform(p, fc, bc), false).unwrap();
        let (f, b) = (v as f64 * fc, v as f64 * bc);
        let want = m as f64 * (f + b) + (d - 1) as f64 * (f + b) / v as f64;
        prop_assert!(close(r.step_time, want), "D={d} v={v} M={m}: {} vs {want}", r.step_time);
    }

    /// GPipe, any stage times, no link: `sum F + sum B + (M - 1)(max F + max B)`.
    #[test]
    fn gpipe_formula_for_any_stages(
        (p, m, t) in (1usize..=8, 1usize..=12)
            .prop_flat_map(|(p, m)| times(p, false).prop_map(move |t| (p, m, t)))
    ) {
        let r = Simulator::for_schedule(Schedule::GPipe, p, m).run_times(&t, false).unwrap();
        let sum_f: f64 = t.forward.iter().sum();
        let sum_b: f64 = t.backward.iter().sum();
        let max_f = t.forward.iter().copied().fold(0.0, f64::max);
        let max_b = t.backward.iter().copied().fold(0.0, f64::max);
        let want = sum_f + sum_b + (m - 1) as f64 * (max_f + max_b);
        prop_assert!(close(r.step_time, want), "P={p} M={m}: {} vs {want}", r.step_time);
    }

    /// Every schedule, any times, with or without link delays:
    /// `step >= max(sum_k (F_k + B_k), M max_k (F_k + B_k))`, and no device is
    /// busy longer than the step.
    #[test]
    fn lower_bound_for_every_schedule((s, p, m, t) in case(true)) {
        let r = Simulator::for_schedule(s, p, m).run_times(&t, false).unwrap();
        let work: Vec<f64> = (0..p).map(|k| t.forward[k] + t.backward[k]).collect();
        let bound = work.iter().sum::<f64>().max(m as f64 * work.iter().copied().fold(0.0, f64::max));
        prop_assert!(r.step_time >= bound * (1.0 - 1e-12), "{s}: {} < {bound}", r.step_time);
        for &busy in &r.device_busy {
            prop_assert!(busy <= r.step_time * (1.0 + 1e-12));
        }
        prop_assert!((0.0..1.0).contains(&r.bubble_fraction));
    }

    /// 1F1B holds at most `min(P - k, M)` micro-batches on stage `k`; GPipe `M`.
    #[test]
    fn in_flight_counts(p in 1usize..=12, m in 1usize..=20) {
        let one = Simulator::for_schedule(Schedule::OneFOneB, p, m);
        let want: Vec<usize> = (0..p).map(|k| (p - k).min(m)).collect();
        prop_assert_eq!(one.peak_in_flight(), &want[..]);
        prop_assert_eq!(Schedule::OneFOneB.peak_in_flight(p, m), want);
        let gpipe = Simulator::for_schedule(Schedule::GPipe, p, m);
        prop_assert_eq!(gpipe.peak_in_flight(), &vec![m; p][..]);
    }

    /// The timeline obeys the semantics exactly: every operation once, each
    /// device runs its order without overlap, every operation starts at
    /// `max(device free, input end + delay)` (so every dependency with its
    /// delay is respected and no idle time is invented), and an independent
    /// reference simulation gives the same times.
    #[test]
    fn timeline_respects_devices_and_dependencies((s, p, m, t) in case(true)) {
        let sim = Simulator::for_schedule(s, p, m);
        let r = sim.run_times(&t, true).unwrap();
        let tl = r.timeline.as_ref().unwrap();
        prop_assert_eq!(tl.len(), 2 * p * m);
        let mut ends = std::collections::HashMap::new();
        let mut seen = HashSet::new();
        for op in tl {
            prop_assert!(seen.insert((op.stage, op.kind, op.micro_batch)));
            prop_assert_eq!(op.device, s.device_of(op.stage, p));
            prop_assert_eq!(op.chunk, s.chunk_of(op.stage, p));
            let dur = op.kind.duration(t.forward[op.stage], t.backward[op.stage], t.backward_weight[op.stage]);
            prop_assert!(close(op.end - op.start, dur));
            ends.insert((op.stage, op.kind, op.micro_batch), op.end);
        }
        let mut prev_end: Vec<Option<f64>> = vec![None; sim.devices()];
        let mut at = 0;
        for (d, order) in sim.orders().iter().enumerate() {
            for o in order {
                let op = tl[at];
                at += 1;
                prop_assert_eq!((op.device, op.kind, op.micro_batch, op.chunk), (d, o.kind, o.micro_batch, o.chunk));
                let cross = |a: usize, b: usize| s.device_of(a, p) != s.device_of(b, p);
                let ready = match op.kind {
                    OpKind::Forward if op.stage == 0 => 0.0,
                    OpKind::Forward => ends[&(op.stage - 1, OpKind::Forward, op.micro_batch)]
                        + if cross(op.stage - 1, op.stage) { t.delay[op.stage - 1] } else { 0.0 },
                    OpKind::Backward if op.stage + 1 == p => ends[&(op.stage, OpKind::Forward, op.micro_batch)],
                    OpKind::Backward => ends[&(op.stage + 1, OpKind::Backward, op.micro_batch)]
                        + if cross(op.stage, op.stage + 1) { t.delay[op.stage] } else { 0.0 },
                    other => panic!("the check knows forward and backward only, not {other:?}"),
                };
                let free = prev_end[d].unwrap_or(0.0);
                prop_assert!(op.start >= ready && op.start >= free, "overlap or early start: {op:?}");
                prop_assert_eq!(op.start, ready.max(free));
                prev_end[d] = Some(op.end);
            }
        }
        let last = tl.iter().map(|o| o.end).fold(0.0, f64::max);
        prop_assert_eq!(r.step_time, last);
        let mut want = reference(&sim, &t).expect("reference deadlocked");
        let mut got = tl.clone();
        let key = |o: &TimelineOp| (o.stage, o.kind == OpKind::Backward, o.micro_batch);
        want.sort_by_key(key);
        got.sort_by_key(key);
        prop_assert_eq!(got, want);
    }

    /// Same input, same output; the fast path agrees with the full run to the
    /// last bit, also with a reused scratch.
    #[test]
    fn deterministic_and_fast_path_agrees((s, p, m, t) in case(true)) {
        let sim = Simulator::for_schedule(s, p, m);
        let a = sim.run_times(&t, true).unwrap();
        let b = Simulator::for_schedule(s, p, m).run_times(&t, true).unwrap();
        prop_assert_eq!(&a, &b);
        let mut scratch = Scratch::default();
        // A bigger simulation first, so the scratch is reused, not fresh.
        Simulator::for_schedule(Schedule::OneFOneB, 9, 13)
            .run_times_with(&mut scratch, &StageTimes::uniform(9, 1.0, 1.0)).unwrap();
        prop_assert_eq!(sim.run_times_with(&mut scratch, &t).unwrap().to_bits(), a.step_time.to_bits());
    }

    /// A stage at least ten times slower than all others together is the
    /// critical stage (its work is most of any idle-free path to the end).
    #[test]
    fn dominant_stage_is_critical(((s, p, m, mut t), heavy) in case(false)
        .prop_flat_map(|c| { let p = c.1; (Just(c), 0..p) })) {
        let others: f64 = (0..p).filter(|&k| k != heavy).map(|k| t.forward[k] + t.backward[k]).sum();
        let scale = (10.0 * others / (t.forward[heavy] + t.backward[heavy])).max(1.0) * 1.01;
        t.forward[heavy] *= scale;
        t.backward[heavy] *= scale;
        let r = Simulator::for_schedule(s, p, m).run_times(&t, false).unwrap();
        prop_assert_eq!(r.critical_stage, heavy, "{} P={} M={}", s, p, m);
    }

    /// Uniform 1F1B stages: the last stage is critical (the docs say so).
    #[test]
    fn uniform_1f1b_critical_stage_is_last(p in 1usize..=10, m in 1usize..=16,
                                           f in 0.01f64..10.0, b in 0.01f64..10.0) {
        let r = Simulator::for_schedule(Schedule::OneFOneB, p, m)
            .run_times(&StageTimes::uniform(p, f, b), false).unwrap();
        prop_assert_eq!(r.critical_stage, p - 1);
    }

    /// Through a real problem (link, speeds, bytes): the simulator's delays and
    /// speeds are the problem's, its memory matches the core evaluation, the
    /// plan carries the simulated figures, and the surrogate is exact for
    /// uniform stages only (it is not compared otherwise).
    #[test]
    fn problem_path_matches_core((s, p, m, t) in case(true), bytes in 1u64..1000) {
        // One layer per stage; delay = latency 0 + output_bytes / bandwidth.
        let bandwidth = 1000.0;
        let layers: Vec<Layer> = (0..p).map(|k| {
            let out = (t.delay[k] * bandwidth).round() as u64;
            Layer::new(format!("l{k}"), t.forward[k], t.backward[k])
                .with_bytes(bytes * (k as u64 + 1), bytes, out)
        }).collect();
        let chain = Chain::new("c", "s", layers).unwrap();
        let speeds: Vec<f64> = (0..p).map(|k| 1.0 + (k % 3) as f64 * 0.5).collect();
        let problem: Problem = ProblemSpec::new(chain, p).with_micro_batches(m).with_schedule(s)
            .with_link(0.0, bandwidth).with_speeds(speeds.clone()).check().unwrap();
        let part = Partition::for_problem((0..p).collect(), &problem).unwrap();
        let prefix = Prefix::new(&problem);
        let r = simulate(&problem, &part, false).unwrap();
        let expect = StageTimes::new(
            (0..p).map(|k| speeds[k] * t.forward[k]).collect(),
            (0..p).map(|k| speeds[k] * t.backward[k]).collect(),
            (0..p).map(|k| if k + 1 == p { 0.0 } else { (t.delay[k] * bandwidth).round() / bandwidth }).collect(),
        );
        // Prefix-sum differences are the layer costs up to rounding.
        let got = StageTimes::from_partition(&problem, &prefix, &part);
        for k in 0..p {
            prop_assert!(close(got.forward[k], expect.forward[k]));
            prop_assert!(close(got.backward[k], expect.backward[k]));
            prop_assert_eq!(got.delay[k], expect.delay[k]);
        }
        let sim = Simulator::new(&problem);
        prop_assert_eq!(sim.run_times(&got, false).unwrap().step_time, r.step_time);
        prop_assert!(close(sim.run_times(&expect, false).unwrap().step_time, r.step_time));
        prop_assert_eq!(sim.step_time(&problem, &prefix, &part).unwrap(), r.step_time);
        let eval = evaluate(&problem, &part);
        let plan = Executor::new(&problem).given(part.clone()).unwrap();
        prop_assert_eq!(plan.step_time(), r.step_time);
        prop_assert_eq!(plan.bubble_fraction(), r.bubble_fraction);
        prop_assert_eq!(plan.critical_stage(), r.critical_stage);
        prop_assert_eq!(&plan.evaluation, &eval);
    }

    /// The surrogate is exact for uniform stages (GPipe and 1F1B).
    #[test]
    fn surrogate_exact_for_uniform_stages(p in 1usize..=8, m in 1usize..=12, f in 0.01f64..5.0, b in 0.01f64..5.0) {
        let chain = pipecut_testkit::uniform(p, f, b);
        for s in [Schedule::GPipe, Schedule::OneFOneB] {
            let problem = ProblemSpec::new(chain.clone(), p).with_micro_batches(m).with_schedule(s).check().unwrap();
            let part = Partition::for_problem((0..p).collect(), &problem).unwrap();
            let r = simulate(&problem, &part, false).unwrap();
            prop_assert!(close(r.step_time, evaluate(&problem, &part).surrogate_step_time));
        }
    }
}
