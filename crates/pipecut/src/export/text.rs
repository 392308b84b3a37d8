//! The readable text report of `pipecut plan`.

use std::fmt::Write;

use crate::core::format::{bytes, number};
use crate::core::Plan;

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
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan: {} ({}), {} stages, {} micro-batches, {}",
        plan.algorithm,
        plan.status,
        plan.stages(),
        plan.micro_batches,
        plan.schedule
    );
    write_table(&mut out, &stage_rows(plan));
    write_totals(&mut out, plan);
    out
}

/// The header and one row per stage.
fn stage_rows(plan: &Plan) -> Vec<[String; 7]> {
    let mut rows: Vec<[String; 7]> = vec![[
        "stage".into(),
        "layers".into(),
        "forward".into(),
        "backward".into(),
        "time".into(),
        "memory".into(),
        "% of max".into(),
    ]];
    let bottleneck = plan.bottleneck();
    for (k, s) in plan.evaluation.stages.iter().enumerate() {
        let pct = if bottleneck > 0.0 {
            100.0 * s.time / bottleneck
        } else {
            0.0
        };
        rows.push([
            k.to_string(),
            layer_span(plan.stage_names(k)),
            number(s.forward),
            number(s.backward),
            number(s.time),
            bytes(s.memory_bytes),
            format!("{pct:.1}%"),
        ]);
    }
    rows
}

/// Rows padded to their columns' widths (names left-aligned, numbers right),
/// a rule under the header.
fn write_table(out: &mut String, rows: &[[String; 7]]) {
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
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
}

/// Starts, objectives, memory, bound, solve time and notes.
fn write_totals(out: &mut String, plan: &Plan) {
    let unit = &plan.unit;
    let _ = writeln!(out, "starts:              {:?}", plan.starts());
    let _ = writeln!(
        out,
        "bottleneck:          {} {unit} (stage {})",
        number(plan.bottleneck()),
        plan.bottleneck_stage()
    );
    let _ = writeln!(
        out,
        "step time (sim):     {} {unit}",
        number(plan.step_time())
    );
    let _ = writeln!(
        out,
        "surrogate step time: {} {unit}",
        number(plan.surrogate_step_time())
    );
    let _ = writeln!(
        out,
        "bubble fraction:     {:.1}%",
        100.0 * plan.bubble_fraction()
    );
    let _ = writeln!(out, "critical stage:      {}", plan.critical_stage());
    let mem = match plan.memory_capacity {
        Some(cap) => format!(
            "{} of {} per device ({})",
            bytes(plan.peak_memory_bytes()),
            bytes(cap),
            if plan.fits_memory() {
                "fits"
            } else {
                "DOES NOT FIT"
            }
        ),
        None => bytes(plan.peak_memory_bytes()),
    };
    let _ = writeln!(out, "peak memory:         {mem}");
    if let Some(bound) = plan.bound {
        let _ = writeln!(
            out,
            "proven bound:        {} {unit} ({:?})",
            number(bound),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_name_first_last_and_count() {
        assert_eq!(layer_span::<&str>(&[]), "");
        assert_eq!(layer_span(&["a"]), "a");
        assert_eq!(layer_span(&["a", "b", "c"]), "a .. c (3)");
    }
}
