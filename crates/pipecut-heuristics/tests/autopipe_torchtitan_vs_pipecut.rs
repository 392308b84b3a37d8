//! The original's simulator ([`iteration_time`]) next to pipecut's
//! ([`pipecut_sim::simulate`]) on the same stage times, one layer per stage
//! and an explicit half-and-half backward split for both. The compute orders
//! are the same; the original's graph adds each rank's serial
//! communication stream, so it never reports less, and reports more where
//! a transfer (even one of zero length) waits behind another entry of its
//! stream. The two cases pinned here are the worked examples of the README.

use pipecut_core::{Chain, Layer, Partition, ProblemSpec, Schedule};
use pipecut_heuristics::autopipe_torchtitan::{
    iteration_time, ActionKind, Communication, Simulation, StageInputs, TimedAction,
    TorchtitanSchedule,
};
use proptest::prelude::*;

struct Case<'a> {
    schedule: TorchtitanSchedule,
    ranks: usize,
    forward: &'a [f64],
    backward: &'a [f64],
    comm: &'a [f64],
    micro_batches: usize,
}

impl Case<'_> {
    fn original(&self) -> Simulation {
        let inputs = StageInputs {
            pp_group_size: Some(self.ranks),
            communication_volume: Communication::PerBoundary(self.comm.to_vec()),
            backward_weight_flops: Some(self.backward.iter().map(|x| x / 2.0).collect()),
            ..StageInputs::new(
                self.schedule,
                self.forward.to_vec(),
                self.backward.to_vec(),
                self.micro_batches,
            )
        };
        iteration_time(&inputs).expect("valid inputs")
    }

    fn pipecut(&self) -> f64 {
        let s = self.forward.len();
        let layers = (0..s)
            .map(|k| {
                let bytes = self.comm.get(k).map_or(0, |&c| c as u64);
                Layer::new(format!("l{k}"), self.forward[k], self.backward[k])
                    .with_backward_weight(self.backward[k] / 2.0)
                    .with_bytes(0, 0, bytes)
            })
            .collect();
        let chain = Chain::new("stages", "units", layers).expect("valid chain");
        let v = s / self.ranks;
        let schedule = match self.schedule {
            TorchtitanSchedule::OneFOneB => Schedule::OneFOneB,
            TorchtitanSchedule::Interleaved1F1B => Schedule::Interleaved1F1B { virtual_stages: v },
            TorchtitanSchedule::InterleavedZeroBubble => {
                Schedule::InterleavedZeroBubble { virtual_stages: v }
            }
        };
        let problem = ProblemSpec::new(chain, s)
            .with_micro_batches(self.micro_batches)
            .with_schedule(schedule)
            .with_link(0.0, 1.0)
            .check()
            .expect("valid problem");
        let partition = Partition::new((0..s).collect(), s).expect("one layer per stage");
        pipecut_sim::simulate(&problem, &partition, false)
            .expect("simulates")
            .step_time
    }
}

fn op(sim: &Simulation, rank: usize, kind: ActionKind, stage: usize, mb: usize) -> TimedAction {
    *sim.operations
        .iter()
        .find(|o| {
            o.rank == rank
                && o.action.kind == kind
                && o.action.stage == stage
                && o.action.microbatch == mb
        })
        .expect("the action exists")
}

/// 1F1B, 3 ranks, M = 3, no communication: rank 1's stream lists
/// `RECV_F0 RECV_F1 SEND_F0`, so its `SEND_F0` (payload ready when its F0
/// ends) waits until `RECV_F1` completes, i.e. until rank 0's F1 ends; stage
/// 2 starts late by the difference and the whole step with it.
#[test]
fn zero_length_transfers_wait_behind_their_stream() {
    let case = Case {
        schedule: TorchtitanSchedule::OneFOneB,
        ranks: 3,
        forward: &[4.0, 1.0, 3.0],
        backward: &[2.0, 4.0, 6.0],
        comm: &[0.0, 0.0],
        micro_batches: 3,
    };
    let sim = case.original();
    let f0 = op(&sim, 1, ActionKind::Forward, 1, 0);
    let send = op(&sim, 1, ActionKind::SendF, 1, 0);
    let recv1 = op(&sim, 1, ActionKind::RecvF, 1, 1);
    let upstream_f1 = op(&sim, 0, ActionKind::Forward, 0, 1);
    assert_eq!(recv1.end, upstream_f1.end);
    assert_eq!(send.start, recv1.end);
    let wait = send.start - f0.end;
    assert!(wait > 0.0);
    assert_eq!(op(&sim, 2, ActionKind::Forward, 2, 0).start, send.end);
    // Stage 2 runs back to back from there; pipecut starts it `wait` earlier.
    assert_eq!(sim.iteration_time, case.pipecut() + wait);
}

/// 1F1B, 2 ranks, M = 4, 1 unit per transfer: on rank 1 the gradient send
/// `SEND_B1` is listed after `RECV_F2`, so it waits for the forward
/// activations coming the other way; pipecut lets the two directions overlap.
#[test]
fn sends_and_receives_share_one_stream() {
    let case = Case {
        schedule: TorchtitanSchedule::OneFOneB,
        ranks: 2,
        forward: &[2.0, 2.0],
        backward: &[4.0, 4.0],
        comm: &[1.0],
        micro_batches: 4,
    };
    let sim = case.original();
    let b1 = op(&sim, 1, ActionKind::FullBackward, 1, 1);
    let send = op(&sim, 1, ActionKind::SendB, 1, 1);
    let recv2 = op(&sim, 1, ActionKind::RecvF, 1, 2);
    assert_eq!(send.start, recv2.end);
    assert!(send.start > b1.end);
    assert!(sim.critical_path.iter().any(|o| o.action == send.action));
    assert!(sim.iteration_time > case.pipecut());
}

/// Random stage-level inputs, as plain numbers.
#[derive(Debug, Clone)]
struct Drawn {
    schedule: usize,
    ranks: usize,
    chunks: usize,
    rounds: usize,
    forward: Vec<u8>,
    backward: Vec<u8>,
    comm: Vec<u8>,
    uniform: bool,
}

fn drawn() -> impl Strategy<Value = Drawn> {
    (0usize..3, 1usize..=4, 1usize..=3, 1usize..=3).prop_flat_map(
        |(schedule, ranks, chunks, rounds)| {
            let chunks = if schedule == 0 { 1 } else { chunks };
            let stages = ranks * chunks;
            (
                prop::collection::vec(1u8..10, stages),
                prop::collection::vec(1u8..10, stages),
                prop::collection::vec(0u8..5, stages - 1),
                any::<bool>(),
            )
                .prop_map(move |(forward, backward, comm, uniform)| Drawn {
                    schedule,
                    ranks,
                    chunks,
                    rounds,
                    forward,
                    backward,
                    comm,
                    uniform,
                })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Same compute orders, a superset of the dependencies: never less than
    /// pipecut's step time; equal with uniform stages and no communication.
    #[test]
    fn never_below_pipecut(d in drawn()) {
        let stages = d.ranks * d.chunks;
        let pick = |v: &[u8], k: usize| if d.uniform { 3.0 } else { f64::from(v[k]) };
        let forward: Vec<f64> = (0..stages).map(|k| pick(&d.forward, k)).collect();
        let backward: Vec<f64> = (0..stages).map(|k| 2.0 * pick(&d.backward, k)).collect();
        let comm: Vec<f64> = d.comm.iter().map(|&x| if d.uniform { 0.0 } else { f64::from(x) }).collect();
        let m = if d.schedule == 0 { d.ranks + d.rounds - 1 } else { d.ranks * d.rounds };
        let case = Case {
            schedule: TorchtitanSchedule::ALL[d.schedule],
            ranks: d.ranks,
            forward: &forward,
            backward: &backward,
            comm: &comm,
            micro_batches: m,
        };
        let (original, pipecut) = (case.original().iteration_time, case.pipecut());
        prop_assert!(original >= pipecut, "{} < {}", original, pipecut);
        if d.uniform {
            prop_assert_eq!(original, pipecut);
        }
    }
}
