//! Every schedule simulates on every size it accepts, and the facts the
//! zero-bubble schedules are built on hold.

use pipecut_core::{Op, OpKind, PairOverlap, Schedule};
use pipecut_sim::{Simulator, StageTimes};

/// Every schedule with 1 to 3 chunks per device, on 1 to 6 devices and 1 to
/// 3D micro-batches it accepts, builds a simulator (no deadlock) and runs.
#[test]
fn every_accepted_size_runs() {
    let mut runs = 0;
    for v in 1..=3 {
        for schedule in Schedule::all(v) {
            for devices in 1..=6 {
                let stages = devices * schedule.virtual_stages();
                for m in 1..=3 * devices {
                    if schedule.check(stages, m).is_err() {
                        continue;
                    }
                    let sim = Simulator::try_for_schedule(schedule, stages, m)
                        .unwrap_or_else(|e| panic!("{schedule} D={devices} M={m}: {e}"));
                    let r = sim
                        .run_times(&StageTimes::uniform(stages, 1.0, 2.0), false)
                        .unwrap();
                    // Never faster than the busiest device's own work.
                    let work = (schedule.virtual_stages() * m) as f64 * 3.0;
                    assert!(r.step_time >= work - 1e-9, "{schedule} D={devices} M={m}");
                    runs += 1;
                }
            }
        }
    }
    assert!(runs > 300, "{runs}");
}

/// The order with every input-gradient backward turned into a full one and
/// the weight-gradient parts dropped.
fn without_split(order: &[Op]) -> Vec<Op> {
    order
        .iter()
        .filter(|op| op.kind != OpKind::BackwardWeight)
        .map(|op| match op.kind {
            OpKind::BackwardInput => Op {
                kind: OpKind::Backward,
                ..*op
            },
            _ => *op,
        })
        .collect()
}

/// With no weight-gradient work, a zero-bubble schedule takes the time of its
/// own order run with full backwards: the split costs nothing by itself.
#[test]
fn zero_weight_gradient_is_the_unsplit_order() {
    for (v, devices, m) in [(1, 4, 8), (2, 2, 4), (2, 4, 12), (3, 3, 5)] {
        let zb = Schedule::InterleavedZeroBubble { virtual_stages: v };
        let plain = Schedule::Interleaved1F1B { virtual_stages: v };
        let stages = devices * v;
        let forward: Vec<f64> = (0..stages).map(|k| 1.0 + (k % 3) as f64 * 0.5).collect();
        let backward: Vec<f64> = forward.iter().map(|f| 2.0 * f).collect();
        let mut times = StageTimes::new(forward, backward, vec![0.1; stages]);
        times.backward_weight = vec![0.0; stages];
        let orders = (0..devices)
            .map(|d| without_split(&zb.device_order(stages, m, d)))
            .collect();
        let unsplit = Simulator::from_orders(plain, stages, m, orders).unwrap();
        let want = unsplit.run_times(&times, false).unwrap().step_time;
        let got = Simulator::for_schedule(zb, stages, m)
            .run_times(&times, false)
            .unwrap()
            .step_time;
        assert_eq!(got, want, "v={v} D={devices} M={m}");
    }
}

/// Per-device forward, input-gradient and weight-gradient work per
/// micro-batch (split evenly over the device's stages) to try.
const WORK: [(f64, f64, f64); 8] = [
    (1.0, 1.0, 1.0),
    (1.0, 1.0, 0.5),
    (1.0, 1.5, 0.5),
    (1.5, 1.0, 0.5),
    (1.0, 1.0, 2.0),
    (1.0, 0.5, 1.0),
    (2.0, 1.0, 1.0),
    (1.0, 2.0, 1.0),
];

/// Step time minus the busy time `M (F + I + W)` of every device, on uniform
/// stages without links.
fn bubble(schedule: Schedule, devices: usize, m: usize, (f, i, w): (f64, f64, f64)) -> f64 {
    let v = schedule.virtual_stages();
    let p = devices * v;
    let share = 1.0 / v as f64;
    let mut t = StageTimes::new(vec![f * share; p], vec![(i + w) * share; p], vec![0.0; p]);
    t.backward_weight = vec![w * share; p];
    let r = Simulator::for_schedule(schedule, p, m)
        .run_times(&t, false)
        .unwrap();
    r.step_time - m as f64 * (f + i + w)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// 1F1B on uniform stages idles `(D - 1)(F + B)` per device, `B = I + W`.
#[test]
fn one_f_one_b_bubble_is_d_minus_one_forward_backward() {
    for d in 2..=5 {
        for work @ (f, i, w) in WORK {
            let got = bubble(Schedule::OneFOneB, d, 4 * d, work);
            assert!(
                close(got, (d - 1) as f64 * (f + i + w)),
                "D={d} {work:?}: {got}"
            );
        }
    }
}

/// PyTorch's InterleavedZeroBubble with one stage per device is ZB-H1: on
/// uniform stages it idles `(D - 1) max(F + I - W, F)` per device. That is the
/// zero-bubble paper's `(p - 1)(F + B - W)` (its `B` is our `I`) as long as
/// `W <= I`; with more weight-gradient work than that, the delayed
/// weight-gradient parts cannot fill more than the forwards leave open.
#[test]
fn zb_h1_bubble_matches_the_paper_while_w_is_at_most_i() {
    let zb = Schedule::InterleavedZeroBubble { virtual_stages: 1 };
    for d in 2..=5 {
        for m in [d, 2 * d, 4 * d] {
            for work @ (f, i, w) in WORK {
                let got = bubble(zb, d, m, work);
                let want = (d - 1) as f64 * (f + i - w).max(f);
                assert!(close(got, want), "D={d} M={m} {work:?}: {got} vs {want}");
                if w <= i {
                    assert!(close(got, (d - 1) as f64 * (f + i - w)));
                }
            }
        }
    }
}

/// The V schedules idle only while filling and draining: on uniform stages
/// their bubble does not grow with `M` (no steady-state bubble), for any
/// split of the work. It is not zero, though: with `F = I = W` per stage,
/// ZBV still idles `(D - 1) F` per device (`F` per stage), so PyTorch's
/// "zero bubble when F = I = W" holds for the steady state only.
#[test]
fn v_schedules_have_no_steady_state_bubble() {
    for schedule in [Schedule::ZbvZeroBubble, Schedule::DualPipeV] {
        for d in 2..=5 {
            for work in WORK {
                let base = bubble(schedule, d, 2 * d, work);
                for m in [3 * d, 4 * d, 8 * d] {
                    let got = bubble(schedule, d, m, work);
                    assert!(close(got, base), "{schedule} D={d} M={m} {work:?}");
                }
            }
        }
    }
    for d in 2..=5 {
        let got = bubble(Schedule::ZbvZeroBubble, d, 4 * d, (1.0, 1.0, 1.0));
        assert!(close(got, (d - 1) as f64 * 0.5), "D={d}: {got}");
    }
}

/// DualPipeV with perfectly overlapped pairs on uniform stages (`F <= B`):
/// each pair's forward hides under its backward, so the step time shrinks by
/// `F` for every pair of the device with the most pairs.
#[test]
fn perfect_overlap_hides_each_pairs_forward_on_uniform_stages() {
    for d in 2..=5 {
        for m in [2 * d, 4 * d, 8 * d] {
            let p = 2 * d;
            let times = StageTimes::uniform(p, 1.0, 2.0);
            let sequential = Simulator::for_schedule(Schedule::DualPipeV, p, m);
            let perfect = sequential.clone().with_pair_overlap(PairOverlap::Perfect);
            let most_pairs = (0..d)
                .map(|r| Schedule::DualPipeV.overlapped_pairs(p, m, r).len())
                .max()
                .unwrap();
            assert!(most_pairs > 0);
            let saved = sequential.run_times(&times, false).unwrap().step_time
                - perfect.run_times(&times, false).unwrap().step_time;
            assert!(close(saved, most_pairs as f64), "D={d} M={m}: {saved}");
        }
    }
}

/// A deterministic stream of stage times in `[0.1, 2.1)`.
fn pseudo_random(seed: u64, n: usize) -> Vec<f64> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            0.1 + 2.0 * ((x >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// On arbitrary stage times perfect overlap is never slower than running
/// pairs back to back, hides at most the shorter part of each pair on each
/// device, and the fast pass agrees with the full one.
#[test]
fn perfect_overlap_never_slows_and_hides_at_most_the_shorter_parts() {
    for seed in 0..40 {
        let d = 2 + (seed as usize % 4);
        let (p, m) = (2 * d, 2 * d + seed as usize % 5);
        let f = pseudo_random(seed, p);
        let b: Vec<f64> = pseudo_random(seed + 1000, p)
            .iter()
            .map(|x| 2.0 * x)
            .collect();
        let mut times = StageTimes::new(f.clone(), b.clone(), pseudo_random(seed + 2000, p));
        times.backward_weight = b.iter().map(|x| x / 3.0).collect();
        let sequential = Simulator::for_schedule(Schedule::DualPipeV, p, m);
        let perfect = sequential.clone().with_pair_overlap(PairOverlap::Perfect);
        let seq = sequential.run_times(&times, false).unwrap();
        let per = perfect.run_times(&times, true).unwrap();
        assert!(per.step_time <= seq.step_time + 1e-9, "seed {seed}");
        let mut scratch = Default::default();
        assert_eq!(
            perfect.run_times_with(&mut scratch, &times).unwrap(),
            per.step_time
        );
        for device in 0..d {
            let order = Schedule::DualPipeV.device_order(p, m, device);
            let duration = |op: &Op| {
                let k = Schedule::DualPipeV.stage_of(device, op.chunk, p);
                op.kind.duration(
                    times.forward[k],
                    times.backward[k],
                    times.backward_weight[k],
                )
            };
            let hidden: f64 = Schedule::DualPipeV
                .overlapped_pairs(p, m, device)
                .iter()
                .map(|&i| duration(&order[i]).min(duration(&order[i + 1])))
                .sum();
            let busy = per.device_busy[device];
            assert!(
                busy >= seq.device_busy[device] - hidden - 1e-9,
                "seed {seed}"
            );
            assert!(per.step_time >= busy - 1e-9);
        }
    }
}

/// Pair overlap is a DualPipeV setting: other schedules reject it by name.
#[test]
fn pair_overlap_needs_a_schedule_with_pairs() {
    let chain = pipecut_testkit::uniform(8, 1.0, 2.0);
    let spec = |schedule| {
        pipecut_core::ProblemSpec::new(chain.clone(), 4)
            .with_micro_batches(8)
            .with_schedule(schedule)
            .with_pair_overlap(PairOverlap::Perfect)
            .check()
    };
    let e = spec(Schedule::ZbvZeroBubble).unwrap_err().to_string();
    assert!(
        e.contains("pair_overlap") && e.contains("zbv-zero-bubble"),
        "{e}"
    );
    let problem = spec(Schedule::DualPipeV).unwrap();
    assert_eq!(
        Simulator::new(&problem).pair_overlap(),
        PairOverlap::Perfect
    );
}
