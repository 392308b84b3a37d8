//! Replays the per-rank operation orders `torch.distributed.pipelining`
//! generates (golden files written by `tools/torch_schedule_orders.py`, see
//! `tests/data/torch_schedules/README.md`): every schedule pipecut models must
//! give each device exactly torch's order, and reject exactly the
//! combinations torch rejects.

use std::path::PathBuf;

use pipecut_core::{OpKind, Schedule};

use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    schedule: String,
    cases: Vec<Case>,
    #[serde(default)]
    rejected: Vec<Rejected>,
}

#[derive(Deserialize)]
struct Case {
    devices: usize,
    stages_per_device: usize,
    micro_batches: usize,
    orders: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct Rejected {
    devices: usize,
    stages_per_device: usize,
    micro_batches: usize,
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torch_schedules")
}

fn load(name: &str) -> Golden {
    let path = data_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let golden: Golden = serde_json::from_str(&text).unwrap();
    assert_eq!(golden.schedule, name);
    golden
}

/// An operation as torch writes it: `<stage><kind><micro-batch>`.
fn torch_action(stage: usize, kind: OpKind, micro_batch: usize) -> String {
    format!("{stage}{}{micro_batch}", kind.letter())
}

/// pipecut's order of every device, in torch's notation: an overlapped
/// pair (torch's `OVERLAP_F_B`) is `<a>+<b>`.
fn orders(schedule: Schedule, stages: usize, micro_batches: usize) -> Vec<Vec<String>> {
    (0..schedule.devices(stages))
        .map(|d| {
            let actions = schedule
                .device_order(stages, micro_batches, d)
                .iter()
                .map(|op| {
                    let stage = schedule.stage_of(d, op.chunk, stages);
                    torch_action(stage, op.kind, op.micro_batch)
                })
                .collect();
            join_pairs(
                actions,
                &schedule.overlapped_pairs(stages, micro_batches, d),
            )
        })
        .collect()
}

/// Joins the actions at each pair position `i` and `i + 1` with `+`.
fn join_pairs(actions: Vec<String>, pairs: &[usize]) -> Vec<String> {
    let mut out = Vec::with_capacity(actions.len());
    let mut pairs = pairs.iter().peekable();
    let mut actions = actions.into_iter().enumerate();
    while let Some((i, action)) = actions.next() {
        if pairs.next_if(|&&p| p == i).is_some() {
            let (_, second) = actions.next().unwrap_or_default();
            out.push(format!("{action}+{second}"));
        } else {
            out.push(action);
        }
    }
    out
}

/// Replays one golden file against `schedule(v)`: every case torch runs must
/// give torch's orders, and every case torch rejects must be rejected unless
/// `also_runs(devices, v, micro_batches)` says pipecut deliberately runs it.
/// Lists every disagreement at once.
fn replay(
    name: &str,
    schedule: impl Fn(usize) -> Schedule,
    also_runs: impl Fn(usize, usize, usize) -> bool,
) {
    let golden = load(name);
    let mut wrong = Vec::new();
    for case in &golden.cases {
        let (d, v, m) = (case.devices, case.stages_per_device, case.micro_batches);
        let s = schedule(v);
        if let Err(e) = s.check(d * v, m) {
            wrong.push(format!(
                "D={d} v={v} M={m}: torch runs it, pipecut rejects it ({e})"
            ));
        } else if orders(s, d * v, m) != case.orders {
            wrong.push(format!("D={d} v={v} M={m}: orders differ"));
        }
    }
    for r in &golden.rejected {
        let (d, v, m) = (r.devices, r.stages_per_device, r.micro_batches);
        if schedule(v).check(d * v, m).is_ok() && !also_runs(d, v, m) {
            wrong.push(format!(
                "D={d} v={v} M={m}: torch rejects it, pipecut runs it"
            ));
        }
    }
    assert!(!golden.cases.is_empty(), "{name}: no cases");
    assert!(
        wrong.is_empty(),
        "{name}: {} of {} cases disagree:\n{}",
        wrong.len(),
        golden.cases.len() + golden.rejected.len(),
        wrong.join("\n")
    );
}

/// Torch accepts every combination pipecut runs.
fn none(_: usize, _: usize, _: usize) -> bool {
    false
}

#[test]
fn gpipe_matches_torch() {
    replay("GPipe", |_| Schedule::GPipe, none);
}

#[test]
fn one_f_one_b_matches_torch() {
    // Torch's `Schedule1F1B` refuses fewer micro-batches than stages;
    // Megatron's 1F1B (the same order) runs them, and so does pipecut.
    replay("1F1B", |_| Schedule::OneFOneB, |d, _, m| m < d);
}

#[test]
fn looped_bfs_matches_torch() {
    replay(
        "LoopedBFS",
        |v| Schedule::LoopedBfs { virtual_stages: v },
        none,
    );
}

#[test]
fn interleaved_1f1b_matches_torch() {
    replay(
        "Interleaved1F1B",
        |v| Schedule::Interleaved1F1B { virtual_stages: v },
        none,
    );
}

/// Megatron's interleaved order is PyTorch's wherever Megatron runs (`D | M`)
/// except at `M = D`, where Megatron runs every forward first.
#[test]
fn megatron_interleaved_is_torch_where_d_divides_m_except_m_equal_d() {
    let golden = load("Interleaved1F1B");
    let mut checked = 0;
    let divides = |c: &&Case| c.micro_batches % c.devices == 0 && c.micro_batches != c.devices;
    for case in golden.cases.iter().filter(divides) {
        let s = Schedule::Interleaved {
            virtual_stages: case.stages_per_device,
        };
        let stages = case.devices * case.stages_per_device;
        assert_eq!(orders(s, stages, case.micro_batches), case.orders);
        checked += 1;
    }
    assert!(checked > 90, "{checked}");
}

#[test]
fn interleaved_zero_bubble_matches_torch() {
    replay(
        "InterleavedZeroBubble",
        |v| Schedule::InterleavedZeroBubble { virtual_stages: v },
        none,
    );
}

#[test]
fn zbv_zero_bubble_matches_torch() {
    replay("ZBVZeroBubble", |_| Schedule::ZbvZeroBubble, none);
}

#[test]
fn dual_pipe_v_matches_torch() {
    replay("DualPipeV", |_| Schedule::DualPipeV, none);
}
