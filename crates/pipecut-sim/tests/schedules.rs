//! Every schedule simulates on every size it accepts, and the facts the
//! zero-bubble schedules are built on hold.

use pipecut_core::{Op, OpKind, Schedule};
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
