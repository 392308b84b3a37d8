//! End-to-end tests of the `pipecut` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pipecut(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipecut"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = pipecut(args);
    assert!(
        out.status.success(),
        "pipecut {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs a command that must fail cleanly: exit status 1 or 2, exactly one
/// line on stderr starting with `error:`, no panic. Returns that line.
fn fails(args: &[&str]) -> String {
    let out = pipecut(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code();
    assert!(
        matches!(code, Some(1) | Some(2)),
        "pipecut {args:?}: exit {code:?}, stderr {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected, got {stderr:?}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0].to_string()
}

const CHAIN12: &str = "chains/transformer-12.json";

/// A command line's words.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipecut-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn torchtitan_default_split_of_the_12_block_example() {
    let out = ok(&[
        "plan",
        "--chain",
        CHAIN12,
        "--stages",
        "4",
        "--algorithm",
        "torchtitan",
        "--format",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["starts"], serde_json::json!([0, 4, 8, 11]));
    for field in [
        "algorithm",
        "stages",
        "bottleneck",
        "step_time",
        "bubble_fraction",
        "peak_memory_bytes",
        "status",
        "solve_seconds",
    ] {
        assert!(plan.get(field).is_some(), "missing {field}");
    }
    let stage = &plan["stages"][3];
    assert_eq!(
        stage["names"],
        serde_json::json!(["layers.10", "layers.11", "norm", "output"])
    );
    for field in [
        "first",
        "end",
        "forward",
        "backward",
        "time",
        "memory_bytes",
    ] {
        assert!(stage.get(field).is_some(), "missing stages[].{field}");
    }
    assert_eq!(plan["status"], "heuristic");
}

#[test]
fn default_algorithm_is_auto_and_beats_torchtitan_and_exact() {
    let json = |alg: &str| -> serde_json::Value {
        let mut args = vec![
            "plan", "--chain", CHAIN12, "--stages", "4", "--format", "json",
        ];
        if !alg.is_empty() {
            args.extend(["--algorithm", alg]);
        }
        serde_json::from_str(&ok(&args)).unwrap()
    };
    let best = json("");
    assert_eq!(best["algorithm"], "auto");
    assert_eq!(best["objective"], "step_time");
    let step = best["step_time"].as_f64().unwrap();
    let bound = best["bound"].as_f64().unwrap();
    assert!(bound <= step);
    for other in ["torchtitan", "exact"] {
        assert!(
            step <= json(other)["step_time"].as_f64().unwrap(),
            "{other}"
        );
    }
    assert_eq!(json("exact")["status"], "optimal");
}

#[test]
fn framework_formats() {
    let base = [
        "plan",
        "--chain",
        CHAIN12,
        "--stages",
        "4",
        "--algorithm",
        "torchtitan",
        "--format",
    ];
    let with = |f: &str| {
        let mut a = base.to_vec();
        a.push(f);
        ok(&a)
    };
    let toml = with("torchtitan");
    assert!(toml.contains("[parallelism]"));
    assert!(toml.contains(
        r#"module_fqns_per_model_part = [["tok_embeddings", "layers.0", "layers.1", "layers.2"], ["layers.3", "layers.4", "layers.5", "layers.6"], ["layers.7", "layers.8", "layers.9"], ["layers.10", "layers.11", "norm", "output"]]"#
    ));
    assert_eq!(with("megatron").trim(), "Ettt|tttt|ttt|ttL");
    assert_eq!(with("deepspeed").trim(), "[0, 4, 8, 11, 15]");
    let text = with("text");
    assert!(
        text.contains("step time (sim)") && text.contains("% of max"),
        "{text}"
    );
}

#[test]
fn algorithms_lists_every_partitioner() {
    let out = ok(&["algorithms"]);
    for name in [
        "exact",
        "dp",
        "uniform",
        "torchtitan",
        "megatron",
        "deepspeed",
        "greedy",
        "autopipe-reference",
        "autopipe",
        "milp",
        "milp-steptime",
    ] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing:\n{out}"
        );
    }
}

#[test]
fn simulate_reports_step_time_and_svg() {
    let out = ok(&[
        "simulate",
        "--chain",
        CHAIN12,
        "--starts",
        "0,4,8,11",
        "--micro-batches",
        "8",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["step_time"].as_f64().unwrap() > 0.0);
    assert_eq!(v["starts"], serde_json::json!([0, 4, 8, 11]));
    let svg = ok(&[
        "simulate", "--chain", CHAIN12, "--starts", "0,4,8,11", "--format", "svg",
    ]);
    assert!(svg.trim_start().starts_with("<svg") || svg.trim_start().starts_with("<?xml"));
    assert!(svg.trim_end().ends_with("</svg>"));
    let text = ok(&["simulate", "--chain", CHAIN12, "--starts", "0,4,8,11"]);
    assert!(text.contains("bubble fraction"));
}

#[test]
fn plan_writes_a_gantt_chart() {
    let path = std::env::temp_dir().join(format!("pipecut-gantt-{}.svg", std::process::id()));
    ok(&[
        "plan",
        "--chain",
        CHAIN12,
        "--stages",
        "4",
        "--gantt",
        path.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("</svg>"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn every_invalid_input_is_one_clean_error_line() {
    let neg = temp_file(
        "neg.json",
        r#"{"name":"n","layers":[{"name":"a","forward":-1,"backward":1}]}"#,
    );
    let dup = temp_file(
        "dup.json",
        r#"{"name":"d","layers":[{"name":"a","forward":1,"backward":1},{"name":"a","forward":1,"backward":1}]}"#,
    );
    let unknown = temp_file(
        "unk.json",
        r#"{"name":"u","layers":[{"name":"a","forward":1,"backward":1,"flops":2}]}"#,
    );
    let empty = temp_file("empty.json", r#"{"name":"e","layers":[]}"#);
    let garbage = temp_file("garbage.json", "{not json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["plan", "--chain", "no/such/file.json", "--stages", "2"],
            "no/such/file.json",
        ),
        (
            vec!["plan", "--chain", neg.to_str().unwrap(), "--stages", "1"],
            "forward",
        ),
        (
            vec!["plan", "--chain", dup.to_str().unwrap(), "--stages", "1"],
            "duplicate",
        ),
        (
            vec![
                "plan",
                "--chain",
                unknown.to_str().unwrap(),
                "--stages",
                "1",
            ],
            "flops",
        ),
        (
            vec!["plan", "--chain", empty.to_str().unwrap(), "--stages", "1"],
            "no layers",
        ),
        (
            vec![
                "plan",
                "--chain",
                garbage.to_str().unwrap(),
                "--stages",
                "1",
            ],
            "JSON",
        ),
        (vec!["plan", "--chain", CHAIN12, "--stages", "0"], "stages"),
        (vec!["plan", "--chain", CHAIN12, "--stages", "16"], "stages"),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "4",
                "--micro-batches",
                "0",
            ],
            "micro_batches",
        ),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "4",
                "--schedule",
                "interleaved",
            ],
            "virtual-stages",
        ),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "4",
                "--schedule",
                "interleaved",
                "--virtual-stages",
                "3",
            ],
            "virtual_stages",
        ),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "4",
                "--schedule",
                "interleaved",
                "--virtual-stages",
                "2",
                "--micro-batches",
                "3",
            ],
            "multiple",
        ),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "4",
                "--algorithm",
                "magic",
            ],
            "magic",
        ),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "4",
                "--memory-cap",
                "1KB",
            ],
            "memory",
        ),
        (
            vec![
                "plan", "--chain", CHAIN12, "--stages", "4", "--speeds", "1,1",
            ],
            "speeds",
        ),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "4",
                "--link-bandwidth",
                "0",
            ],
            "bandwidth",
        ),
        (
            vec![
                "plan",
                "--chain",
                CHAIN12,
                "--stages",
                "5",
                "--algorithm",
                "megatron",
            ],
            "megatron",
        ),
        (
            vec!["simulate", "--chain", CHAIN12, "--starts", "0,4,4"],
            "starts",
        ),
        (
            vec!["simulate", "--chain", CHAIN12, "--starts", "1,4"],
            "starts[0]",
        ),
        (
            vec!["simulate", "--chain", CHAIN12, "--starts", "0,99"],
            "out of range",
        ),
        (vec!["plan", "--stages", "4"], "--chain"),
        (vec!["plan", "--chain", CHAIN12], "--stages"),
        (vec!["frobnicate"], "frobnicate"),
    ];
    for (args, needle) in cases {
        let line = fails(&args);
        assert!(
            line.contains(needle),
            "pipecut {args:?}: `{line}` should mention `{needle}`"
        );
    }
}

#[test]
fn models_and_chain_round_trip() {
    let models = ok(&["models"]);
    for name in [
        "llama3-debug",
        "llama3-8b",
        "llama3-70b",
        "llama3-405b",
        "deepseek-v3-debug",
        "deepseek-v3-671b",
    ] {
        assert!(models.contains(name), "{name} missing:\n{models}");
    }
    let json = ok(&["chain", "--model", "llama3-8b", "--format", "json"]);
    let path = temp_file("llama3-8b.json", &json);
    let plan = ok(&[
        "plan",
        "--chain",
        path.to_str().unwrap(),
        "--stages",
        "4",
        "--format",
        "json",
    ]);
    let from_file: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let direct: serde_json::Value = serde_json::from_str(&ok(&[
        "plan",
        "--model",
        "llama3-8b",
        "--stages",
        "4",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(from_file["starts"], direct["starts"]);
    let csv = ok(&["chain", "--model", "llama3-debug", "--format", "csv"]);
    let csv_path = temp_file("debug.csv", &csv);
    ok(&[
        "plan",
        "--chain",
        csv_path.to_str().unwrap(),
        "--stages",
        "2",
    ]);
}

#[test]
fn bench_reports_ratio_to_prefix_pass() {
    let out = ok(&[
        "bench",
        "--layers",
        "2000",
        "--stages",
        "8",
        "--algorithms",
        "exact,greedy",
        "--runs",
        "3",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0]["ratio_to_prefix_pass"].as_f64().unwrap() > 0.0);
    assert_eq!(rows[0]["status"], "optimal");
}

#[test]
fn every_schedule_by_its_pytorch_name() {
    for (name, extra, shown) in [
        ("GPipe", None, "gpipe"),
        ("1F1B", None, "1f1b"),
        ("Interleaved1F1B", Some("2"), "interleaved-1f1b(v=2)"),
        ("LoopedBFS", Some("2"), "looped-bfs(v=2)"),
        (
            "InterleavedZeroBubble",
            Some("2"),
            "interleaved-zero-bubble(v=2)",
        ),
        ("ZBVZeroBubble", None, "zbv-zero-bubble"),
        ("DualPipeV", None, "dualpipev"),
    ] {
        let mut args =
            words("plan --chain chains/transformer-12.json --stages 4 --micro-batches 8");
        args.extend(["--schedule", name]);
        if let Some(v) = extra {
            args.extend(["--virtual-stages", v]);
        }
        let text = ok(&args);
        assert!(text.contains(shown), "{name}: {text}");
        args.extend(["--format", "json"]);
        let plan: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
        // The example chain states no backward split: zero-bubble plans say
        // what they assumed.
        let notes = plan["notes"].to_string();
        let split = matches!(
            name,
            "InterleavedZeroBubble" | "ZBVZeroBubble" | "DualPipeV"
        );
        assert_eq!(
            notes.contains("backward_weight not given"),
            split,
            "{name}: {notes}"
        );
    }
    let err = fails(&words(
        "plan --chain chains/transformer-12.json --stages 4 --schedule DualPipeV --micro-batches 2",
    ));
    assert!(
        err.contains("DualPipeV") && err.contains("at least 4"),
        "{err}"
    );
    let err = fails(&words("plan --chain chains/transformer-12.json --stages 4 --schedule zbvzerobubble --virtual-stages 4"));
    assert!(err.contains("exactly 2 stages per device"), "{err}");
}

#[test]
fn compare_ranks_every_schedule_on_the_same_devices() {
    let out = ok(&words("compare --chain chains/transformer-12.json --stages 4 --schedules all --algorithms uniform,autopipe"));
    assert!(out.contains("4 devices, M = 8"), "{out}");
    for schedule in [
        "| gpipe |",
        "| 1f1b |",
        "| interleaved(v=2) |",
        "| interleaved-1f1b(v=2) |",
        "| interleaved-zero-bubble(v=2) |",
        "| looped-bfs(v=2) |",
        "| zbv-zero-bubble |",
        "| dualpipev |",
    ] {
        assert_eq!(out.matches(schedule).count(), 2, "{schedule}: {out}");
    }
    // Ranked by step time: the first row is the best.
    let first = out.lines().find(|l| l.starts_with("| 1 |")).unwrap();
    assert!(first.contains("| 0.00% |"), "{first}");
    // A schedule the devices cannot run is listed, not fatal.
    let out = ok(&words("compare --chain chains/transformer-12.json --stages 3 --micro-batches 4 --schedules 1F1B,DualPipeV --algorithms uniform"));
    assert!(out.contains("Not planned for dualpipev"), "{out}");
    let err = fails(&words(
        "compare --chain chains/transformer-12.json --stages 4 --schedules zigzag",
    ));
    assert!(err.contains("unknown schedule `zigzag`"), "{err}");
}
