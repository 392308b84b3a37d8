//! `autopipe-torchtitan` against the original: the cases in
//! `tests/data/autopipe_torchtitan/`, written by
//! `tools/autopipe_torchtitan_golden.py` from a run of torchtitan's
//! autopartition `_partition.py`, replayed without it. Starts, iteration
//! times, critical stages, simulation counts, critical paths and schedule
//! orders must be equal, floats bit for bit; a case where the original
//! raises must raise here too.

use std::path::PathBuf;

use pipecut_heuristics::autopipe_torchtitan::{
    autopipe_torchtitan_search, compute_schedule, iteration_time, Communication, LayerInputs,
    StageInputs, TorchtitanSchedule,
};
use serde_json::Value;

fn data(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/autopipe_torchtitan")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("golden JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn optional_floats(v: &Value) -> Option<Vec<f64>> {
    (!v.is_null()).then(|| floats(v))
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_u64().expect("an index") as usize)
        .collect()
}

fn count(v: &Value) -> usize {
    v.as_u64().expect("a count") as usize
}

fn communication(v: &Value) -> Communication {
    match v {
        Value::Array(_) => Communication::PerBoundary(floats(v)),
        _ => Communication::Uniform(v.as_f64().expect("a number")),
    }
}

fn schedule(v: &Value) -> TorchtitanSchedule {
    TorchtitanSchedule::parse(v.as_str().expect("a name")).expect("a known schedule")
}

fn layer_inputs(case: &Value) -> LayerInputs {
    LayerInputs {
        communication_volume: communication(&case["communication"]),
        device_compute_throughput: case["throughput"].as_f64().unwrap(),
        network_bandwidth: case["bandwidth"].as_f64().unwrap(),
        virtual_stages_per_rank: case["stages_per_rank"].as_u64().map(|v| v as usize),
        backward_input_flops: optional_floats(&case["backward_input"]),
        backward_weight_flops: optional_floats(&case["backward_weight"]),
        ..LayerInputs::new(
            schedule(&case["schedule"]),
            floats(&case["forward"]),
            floats(&case["backward"]),
            count(&case["ranks"]),
            count(&case["micro_batches"]),
        )
    }
}

/// Replays every search case of `name`, failing with every disagreement;
/// returns how many cases there are.
fn replay_searches(name: &str) -> usize {
    let cases = data(name);
    let cases = cases.as_array().expect("a list of cases");
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(k, case)| search_failure(&format!("{name}[{k}]"), case))
        .collect();
    assert!(
        failures.is_empty(),
        "{name}: {} of {} disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

/// How one search case disagrees with the original, if it does.
fn search_failure(label: &str, case: &Value) -> Option<String> {
    let inputs = layer_inputs(case);
    let got = autopipe_torchtitan_search(&inputs);
    let what = format!(
        "{label} {} {} N={}",
        case["schedule"],
        case["family"],
        inputs.forward_flops.len()
    );
    match (got, case.get("error")) {
        (Err(_), Some(_)) => None,
        (Ok(r), Some(e)) => Some(format!("{what}: the original raises {e}, got {r:?}")),
        (Err(e), None) => Some(format!("{what}: unexpected error {e}")),
        (Ok(r), None) => {
            let want = (
                usizes(&case["base_starts"]),
                usizes(&case["best_starts"]),
                case["base_iteration_time"].as_f64().unwrap(),
                case["best_iteration_time"].as_f64().unwrap(),
                count(&case["best_critical_stage"]),
                count(&case["explored_candidates"]),
            );
            let have = (
                r.base_starts,
                r.best_starts,
                r.base_iteration_time,
                r.best_iteration_time,
                r.best_critical_stage,
                r.explored_candidates,
            );
            (want != have).then(|| format!("{what}: want {want:?}, got {have:?}"))
        }
    }
}

#[test]
fn searches_agree_with_the_original() {
    let n = replay_searches("search.json");
    assert!(n >= 100, "only {n} cases");
}

#[test]
fn held_out_searches_agree_with_the_original() {
    let n = replay_searches("search_holdout.json");
    assert!(n >= 100, "only {n} cases");
}

#[test]
fn large_searches_agree_with_the_original() {
    assert_eq!(replay_searches("search_large.json"), 6);
}

#[test]
fn golden_cases_cover_every_schedule_and_family_with_moves() {
    let cases = data("search.json");
    let cases = cases.as_array().unwrap();
    for s in ["1F1B", "Interleaved1F1B", "InterleavedZeroBubble"] {
        for f in ["uniform", "lognormal", "llama"] {
            let cell: Vec<&Value> = cases
                .iter()
                .filter(|c| c["schedule"] == s && c["family"] == f)
                .collect();
            let moved = cell
                .iter()
                .filter(|c| c.get("error").is_none() && c["base_starts"] != c["best_starts"])
                .count();
            assert!(cell.len() >= 20, "{s} {f}: {} cases", cell.len());
            assert!(
                moved > 0 || f == "uniform",
                "{s} {f}: the search never moves"
            );
        }
    }
}

fn stage_inputs(case: &Value) -> StageInputs {
    StageInputs {
        communication_volume: communication(&case["communication"]),
        pp_group_size: Some(count(&case["ranks"])),
        backward_input_flops: optional_floats(&case["backward_input"]),
        backward_weight_flops: optional_floats(&case["backward_weight"]),
        device_compute_throughput: case["throughput"].as_f64().unwrap(),
        network_bandwidth: case["bandwidth"].as_f64().unwrap(),
        ..StageInputs::new(
            schedule(&case["schedule"]),
            floats(&case["forward"]),
            floats(&case["backward"]),
            count(&case["micro_batches"]),
        )
    }
}

#[test]
fn simulations_agree_with_the_original() {
    let all = data("simulate.json");
    let sims = all["simulations"].as_array().unwrap();
    assert!(sims.len() >= 150);
    for (k, case) in sims.iter().enumerate() {
        let sim =
            iteration_time(&stage_inputs(case)).unwrap_or_else(|e| panic!("simulation {k}: {e}"));
        assert_eq!(
            sim.iteration_time,
            case["iteration_time"].as_f64().unwrap(),
            "simulation {k}"
        );
        let path: Vec<Value> = sim
            .critical_path
            .iter()
            .map(|o| {
                serde_json::json!([
                    o.rank,
                    o.action.stage,
                    o.action.microbatch,
                    o.action.kind.label(),
                    o.duration,
                    o.start,
                    o.end
                ])
            })
            .collect();
        assert_eq!(
            Value::Array(path),
            case["critical_path"],
            "simulation {k}: critical path"
        );
        let steady = &sim.steady;
        assert_eq!(
            vec![steady.steady_start_step, steady.steady_end_step],
            usizes(&case["steady"]),
            "simulation {k}"
        );
        let durations: Vec<Value> = steady
            .stage_durations
            .iter()
            .map(|&(s, t)| serde_json::json!([s, t]))
            .collect();
        assert_eq!(
            Value::Array(durations),
            case["stage_durations"],
            "simulation {k}"
        );
        assert_eq!(
            steady.critical_stage,
            count(&case["critical_stage"]),
            "simulation {k}"
        );
    }
}

#[test]
fn schedule_orders_agree_with_the_original() {
    let all = data("simulate.json");
    let orders = all["orders"].as_array().unwrap();
    assert!(orders.len() >= 100);
    for case in orders {
        let got = compute_schedule(
            schedule(&case["schedule"]),
            count(&case["stages"]),
            count(&case["ranks"]),
            count(&case["micro_batches"]),
        );
        match (got, case.get("error")) {
            (Err(_), Some(_)) => {}
            (Ok(slots), None) => {
                let text: Vec<String> = slots
                    .iter()
                    .map(|rank| {
                        rank.iter()
                            .map(|s| match s {
                                None => "-".to_string(),
                                Some(a) => {
                                    format!("s{}{}{}", a.stage, a.kind.label(), a.microbatch)
                                }
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                let want: Vec<String> = case["ranks_slots"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(text, want, "{case}");
            }
            (got, want) => panic!("{case}: got {got:?}, original {want:?}"),
        }
    }
}
