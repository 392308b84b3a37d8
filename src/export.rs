//! What a user pastes into their framework, and the readable plan table.
//!
//! - [`torchtitan_toml`]: `[parallelism]` with `module_fqns_per_model_part`.
//! - [`megatron_layout`]: a `pipeline_model_parallel_layout` string.
//! - [`deepspeed_parts`]: DeepSpeed's part boundary list.
//! - [`plan_table`]: the text report of `pipecut plan`.

use std::fmt::Write;

use crate::core::{Chain, LayerKind, Plan};

/// torchtitan's TOML: one list of module FQNs per model part (stage).
///
/// ```
/// # use pipecut::core::{Chain, Layer, LayerKind, Partition, ProblemSpec, SolveInfo, Objective};
/// # let layers = vec![Layer::new("tok_embeddings", 1.0, 1.0).with_kind(LayerKind::Input),
/// #     Layer::new("layers.0", 1.0, 1.0), Layer::new("output", 1.0, 1.0).with_kind(LayerKind::Output)];
/// # let problem = ProblemSpec::new(Chain::new("t", "s", layers).unwrap(), 2).check().unwrap();
/// # let plan = pipecut::sim::make_plan(&problem, &Partition::new(vec![0, 2], 3).unwrap(),
/// #     SolveInfo::heuristic("manual", Objective::Rule, 0.0)).unwrap();
/// let toml = pipecut::export::torchtitan_toml(&plan, 2);
/// assert!(toml.contains(r#"module_fqns_per_model_part = [["tok_embeddings", "layers.0"], ["output"]]"#));
/// ```
pub fn torchtitan_toml(plan: &Plan, devices: usize) -> String {
    let parts: Vec<String> = plan
        .stages
        .iter()
        .map(|s| {
            let names: Vec<String> = s.names.iter().map(|n| format!("{n:?}")).collect();
            format!("[{}]", names.join(", "))
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# pipecut plan: {} ({}), step time {:.6} {}",
        plan.algorithm, plan.status, plan.step_time, plan.unit
    );
    let _ = writeln!(out, "[parallelism]");
    let _ = writeln!(out, "pipeline_parallel_degree = {devices}");
    let _ = writeln!(out, "module_fqns_per_model_part = [{}]", parts.join(", "));
    out
}

/// A Megatron `pipeline_model_parallel_layout` string: `E` for the input
/// (embedding) layers, `t` per block, `L` for the output layers (final norm,
/// head, loss), `|` between stages. Returns the layout and warnings for what
/// Megatron cannot express (an input or output group split across stages).
///
/// ```
/// # use pipecut::core::{Chain, Layer, LayerKind, Partition, ProblemSpec, SolveInfo, Objective};
/// # let layers = vec![Layer::new("tok_embeddings", 1.0, 1.0).with_kind(LayerKind::Input),
/// #     Layer::new("layers.0", 1.0, 1.0), Layer::new("layers.1", 1.0, 1.0),
/// #     Layer::new("norm", 1.0, 1.0).with_kind(LayerKind::Output), Layer::new("output", 1.0, 1.0).with_kind(LayerKind::Output)];
/// # let chain = Chain::new("t", "s", layers).unwrap();
/// # let problem = ProblemSpec::new(chain.clone(), 2).check().unwrap();
/// # let plan = pipecut::sim::make_plan(&problem, &Partition::new(vec![0, 2], 5).unwrap(),
/// #     SolveInfo::heuristic("manual", Objective::Rule, 0.0)).unwrap();
/// let (layout, warnings) = pipecut::export::megatron_layout(&plan, &chain);
/// assert_eq!(layout, "Et|tL");
/// assert!(warnings.is_empty());
/// ```
pub fn megatron_layout(plan: &Plan, chain: &Chain) -> (String, Vec<String>) {
    let layers = chain.layers();
    let mut out = String::new();
    let mut warnings = Vec::new();
    let mut stage_of_kind: [Option<usize>; 2] = [None, None];
    for (k, s) in plan.stages.iter().enumerate() {
        if k > 0 {
            out.push('|');
        }
        let mut prev: Option<LayerKind> = None;
        for layer in &layers[s.first..s.end] {
            let slot = match layer.kind {
                LayerKind::Input => Some(0),
                LayerKind::Output => Some(1),
                LayerKind::Block => None,
            };
            if let Some(slot) = slot {
                match stage_of_kind[slot] {
                    Some(first) if first != k => warnings.push(format!(
                        "Megatron keeps all {} layers on one stage, but `{}` is on stage {k} and the group starts on stage {first}",
                        layer.kind.as_str(),
                        layer.name
                    )),
                    None => stage_of_kind[slot] = Some(k),
                    _ => {}
                }
            }
            match layer.kind {
                LayerKind::Block => out.push('t'),
                kind if prev == Some(kind) => {}
                LayerKind::Input => out.push('E'),
                LayerKind::Output => out.push('L'),
            }
            prev = Some(layer.kind);
        }
    }
    (out, warnings)
}

/// DeepSpeed's part boundaries `[0, s1, ..., N]` (stage `k` holds layers
/// `parts[k]..parts[k+1]`).
pub fn deepspeed_parts(plan: &Plan) -> Vec<usize> {
    let mut parts = plan.starts.clone();
    parts.push(plan.stages.last().map_or(0, |s| s.end));
    parts
}

fn fmt_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Formats a time in the chain's unit with 4 significant digits.
pub fn fmt_time(t: f64) -> String {
    if t == 0.0 {
        "0".into()
    } else if t.abs() >= 1e5 || t.abs() < 1e-3 {
        format!("{t:.4e}")
    } else {
        let digits = (3 - t.abs().log10().floor() as i32).max(0) as usize;
        format!("{t:.digits$}")
    }
}

/// `first .. last (count)` for a run of layer names, or the one name.
pub fn layer_span<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [first, .., last] => format!("{} .. {} ({})", first.as_ref(), last.as_ref(), names.len()),
    }
}

/// The readable report of a plan: per-stage table and totals.
pub fn plan_table(plan: &Plan) -> String {
    let mut rows: Vec<[String; 7]> = vec![[
        "stage".into(),
        "layers".into(),
        "forward".into(),
        "backward".into(),
        "time".into(),
        "memory".into(),
        "% of max".into(),
    ]];
    for s in &plan.stages {
        let pct = if plan.bottleneck > 0.0 {
            100.0 * s.time / plan.bottleneck
        } else {
            0.0
        };
        rows.push([
            s.stage.to_string(),
            layer_span(&s.names),
            fmt_time(s.forward),
            fmt_time(s.backward),
            fmt_time(s.time),
            fmt_bytes(s.memory_bytes),
            format!("{pct:.1}%"),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan: {} ({}), {} stages, {} micro-batches, {}",
        plan.algorithm,
        plan.status,
        plan.stages.len(),
        plan.micro_batches,
        plan.schedule
    );
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 1 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
        if i == 0 {
            let _ = writeln!(
                out,
                "  {}",
                "-".repeat(widths.iter().sum::<usize>() + 2 * 6)
            );
        }
    }
    let unit = &plan.unit;
    let _ = writeln!(out, "starts:              {:?}", plan.starts);
    let _ = writeln!(
        out,
        "bottleneck:          {} {unit} (stage {})",
        fmt_time(plan.bottleneck),
        plan.bottleneck_stage
    );
    let _ = writeln!(
        out,
        "step time (sim):     {} {unit}",
        fmt_time(plan.step_time)
    );
    let _ = writeln!(
        out,
        "surrogate step time: {} {unit}",
        fmt_time(plan.surrogate_step_time)
    );
    let _ = writeln!(
        out,
        "bubble fraction:     {:.1}%",
        100.0 * plan.bubble_fraction
    );
    let _ = writeln!(out, "critical stage:      {}", plan.critical_stage);
    let mem = match plan.memory_capacity {
        Some(cap) => format!(
            "{} of {} per device ({})",
            fmt_bytes(plan.peak_memory_bytes),
            fmt_bytes(cap),
            if plan.fits_memory {
                "fits"
            } else {
                "DOES NOT FIT"
            }
        ),
        None => fmt_bytes(plan.peak_memory_bytes),
    };
    let _ = writeln!(out, "peak memory:         {mem}");
    if let Some(bound) = plan.bound {
        let _ = writeln!(
            out,
            "proven bound:        {} {unit} ({:?})",
            fmt_time(bound),
            plan.objective
        );
    }
    let _ = writeln!(
        out,
        "solve time:          {:.3} ms",
        plan.solve_seconds * 1e3
    );
    for note in &plan.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_bytes_read_well() {
        assert_eq!(fmt_time(0.0), "0");
        assert_eq!(fmt_time(12.345678), "12.35");
        assert_eq!(fmt_time(0.0123456), "0.01235");
        assert_eq!(fmt_time(1.5e-5), "1.5000e-5");
        assert_eq!(fmt_bytes(512), "512 B");
        assert_eq!(fmt_bytes(3 * 1024 * 1024 * 1024), "3.00 GiB");
    }
}
