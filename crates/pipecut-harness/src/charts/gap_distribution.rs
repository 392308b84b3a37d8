//! Distribution of the step-time gap per algorithm: box (quartiles), median,
//! whiskers (min, max), p95 tick and mean dot.

use pipecut_sim::svg::{self, Document};

use super::{color, document, empty_chart, label, nice_ticks, stroke, y_grid, Axis};
use crate::results::{Report, Stats};

const LEFT: f64 = 70.0;
const TOP: f64 = 40.0;
const PLOT_H: f64 = 320.0;
const BOTTOM: f64 = 110.0;
/// Horizontal room per algorithm.
const SLOT: f64 = 60.0;

/// Every algorithm's finite step gaps of fitting plans, in percent, sorted.
fn step_gaps(report: &Report) -> Vec<Vec<f64>> {
    report
        .algorithms
        .iter()
        .map(|a| {
            let mut v: Vec<f64> = report
                .problems
                .iter()
                .filter_map(|p| p.get(a))
                .filter(|r| r.is_feasible())
                .filter_map(|r| r.step_gap)
                .filter(|g| g.is_finite())
                .map(|g| 100.0 * g)
                .collect();
            v.sort_by(f64::total_cmp);
            v
        })
        .collect()
}

/// The box plots.
pub(super) fn chart(report: &Report) -> String {
    let title = format!(
        "Step-time gap to the best plan per algorithm ({})",
        report.suite
    );
    let gaps = step_gaps(report);
    if gaps.iter().all(Vec::is_empty) {
        return empty_chart(&title, "no solved problems");
    }
    let hi = gaps.iter().flatten().copied().fold(0.0, f64::max);
    let ticks = nice_ticks(0.0, hi.max(1.0), 6);
    let x_end = LEFT + SLOT * gaps.len() as f64;
    let width = (x_end + 20.0).max(480.0);
    let mut doc = document(width, TOP + PLOT_H + BOTTOM);
    let axis = Axis {
        lo: 0.0,
        hi: ticks[ticks.len() - 1],
        p0: TOP + PLOT_H,
        p1: TOP,
        log: false,
    };
    doc.push(label(width / 2.0, 22.0, 15.0, "middle", 0.0, &title));
    y_grid(&mut doc, &axis, &ticks, LEFT, x_end, "%");
    for (i, v) in gaps.iter().enumerate() {
        let cx = LEFT + SLOT * (i as f64 + 0.5);
        let name = &report.algorithms[i];
        doc.push(label(cx, TOP + PLOT_H + 14.0, 11.0, "end", -35.0, name));
        if !v.is_empty() {
            box_plot(&mut doc, &axis, cx, v, color(i));
        }
    }
    doc.push(stroke(LEFT, TOP + PLOT_H, x_end, TOP + PLOT_H, "#333", 1.0));
    doc.push(stroke(LEFT, TOP, LEFT, TOP + PLOT_H, "#333", 1.0));
    let middle = TOP + PLOT_H / 2.0;
    doc.push(label(
        18.0,
        middle,
        12.0,
        "middle",
        -90.0,
        "step-time gap (%)",
    ));
    doc.push(label(
        LEFT,
        TOP + PLOT_H + BOTTOM - 8.0,
        10.0,
        "start",
        0.0,
        "box: quartiles, black bar: median, dot: mean, red tick: p95, whiskers: min/max",
    ));
    doc.finish()
}

/// One algorithm's box plot centred on `cx`; `v` is sorted and not empty.
fn box_plot(doc: &mut Document, axis: &Axis, cx: f64, v: &[f64], fill: &str) {
    let q = |f: f64| v[((f * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
    let (min, q1, med, q3, max) = (v[0], q(0.25), q(0.5), q(0.75), v[v.len() - 1]);
    let p95 = Stats::of(v.iter().copied()).map_or(max, |s| s.p95);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let y = |value: f64| axis.map(value);
    // Whisker, then its caps.
    doc.push(stroke(cx, y(min), cx, y(max), "#555", 1.0));
    doc.push(stroke(cx - 8.0, y(max), cx + 8.0, y(max), "#555", 1.0));
    doc.push(stroke(cx - 8.0, y(min), cx + 8.0, y(min), "#555", 1.0));
    doc.push(
        svg::rect(cx - 15.0, y(q3), 30.0, (y(q1) - y(q3)).max(1.0))
            .attr("fill", fill)
            .attr("fill-opacity", 0.6)
            .attr("stroke", "#333"),
    );
    doc.push(stroke(cx - 15.0, y(med), cx + 15.0, y(med), "#000", 2.0));
    doc.push(stroke(cx - 11.0, y(p95), cx + 11.0, y(p95), "#c00", 1.5));
    doc.push(
        svg::circle(cx, y(mean), 3.0)
            .attr("fill", "#000")
            .attr("fill-opacity", 1),
    );
}
