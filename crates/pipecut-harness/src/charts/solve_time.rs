//! Solve time against chain length on log-log axes: one colour per
//! algorithm, dots per problem and a line through the median per `N`.

use std::collections::BTreeMap;

use pipecut_sim::svg::{self, Document};

use super::{color, document, empty_chart, label, legend, stroke, tick_label, Axis};
use crate::results::{Report, RunState};

const LEFT: f64 = 80.0;
const TOP: f64 = 40.0;
const PLOT_W: f64 = 520.0;
const PLOT_H: f64 = 360.0;
/// Solve times are drawn at least this long: a log axis has no zero.
const FLOOR: f64 = 1e-7;

/// Per algorithm: solve seconds of its solved problems by chain length.
type Series = Vec<BTreeMap<usize, Vec<f64>>>;

fn series(report: &Report) -> Series {
    report
        .algorithms
        .iter()
        .map(|a| {
            let mut by_n: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for p in &report.problems {
                if let Some(r) = p.get(a).filter(|r| r.state == RunState::Solved) {
                    by_n.entry(p.layers)
                        .or_default()
                        .push(r.solve_seconds.max(FLOOR));
                }
            }
            by_n
        })
        .collect()
}

/// Whole decades around `[lo, hi]`, at least one decade wide.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
    )
}

/// The log-log scatter plot.
pub(super) fn chart(report: &Report) -> String {
    let title = format!("Solve time against layers N ({})", report.suite);
    let series = series(report);
    let all_t: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values().flatten().copied())
        .collect();
    let all_n: Vec<f64> = series
        .iter()
        .flat_map(|s| s.keys().map(|n| *n as f64))
        .collect();
    if all_t.is_empty() {
        return empty_chart(&title, "no solved problems");
    }
    let (xlo, xhi) = decades(
        all_n.iter().copied().fold(f64::INFINITY, f64::min).max(1.0),
        all_n.iter().copied().fold(1.0, f64::max),
    );
    let (ylo, yhi) = decades(
        all_t.iter().copied().fold(f64::INFINITY, f64::min),
        all_t.iter().copied().fold(FLOOR, f64::max),
    );
    let width = LEFT + PLOT_W + 200.0;
    let mut doc = document(width, TOP + PLOT_H + 60.0);
    let xa = Axis {
        lo: xlo,
        hi: xhi,
        p0: LEFT,
        p1: LEFT + PLOT_W,
        log: true,
    };
    let ya = Axis {
        lo: ylo,
        hi: yhi,
        p0: TOP + PLOT_H,
        p1: TOP,
        log: true,
    };
    doc.push(label(width / 2.0, 22.0, 15.0, "middle", 0.0, &title));
    decade_grid(&mut doc, &xa, &ya);
    for (i, s) in series.iter().enumerate() {
        points(&mut doc, &xa, &ya, s, color(i));
    }
    frame(&mut doc);
    legend(
        &mut doc,
        LEFT + PLOT_W + 20.0,
        TOP + 10.0,
        &report.algorithms,
    );
    doc.finish()
}

/// A gridline and a label at every decade of both axes.
fn decade_grid(doc: &mut Document, xa: &Axis, ya: &Axis) {
    let mut d = ya.lo;
    while d <= ya.hi * 1.0001 {
        let y = ya.map(d);
        doc.push(stroke(LEFT, y, LEFT + PLOT_W, y, "#e0e0e0", 1.0));
        doc.push(label(
            LEFT - 6.0,
            y + 4.0,
            11.0,
            "end",
            0.0,
            &format!("{d:.0e}"),
        ));
        d *= 10.0;
    }
    let mut d = xa.lo;
    while d <= xa.hi * 1.0001 {
        let x = xa.map(d);
        doc.push(stroke(x, TOP, x, TOP + PLOT_H, "#e0e0e0", 1.0));
        doc.push(label(
            x,
            TOP + PLOT_H + 16.0,
            11.0,
            "middle",
            0.0,
            &tick_label(d),
        ));
        d *= 10.0;
    }
}

/// One algorithm: a faint dot per problem, a line through the medians.
fn points(doc: &mut Document, xa: &Axis, ya: &Axis, by_n: &BTreeMap<usize, Vec<f64>>, c: &str) {
    let mut medians = Vec::new();
    for (n, ts) in by_n {
        let x = xa.map(*n as f64);
        for t in ts {
            doc.push(
                svg::circle(x, ya.map(*t), 2.0)
                    .attr("fill", c)
                    .attr("fill-opacity", 0.35),
            );
        }
        let mut sorted = ts.clone();
        sorted.sort_by(f64::total_cmp);
        medians.push((x, ya.map(sorted[sorted.len() / 2])));
    }
    if medians.len() > 1 {
        doc.push(
            svg::polyline(&medians)
                .attr("fill", "none")
                .attr("stroke", c)
                .attr("stroke-width", 1.5),
        );
    }
}

/// Axis lines and titles.
fn frame(doc: &mut Document) {
    let bottom = TOP + PLOT_H;
    doc.push(stroke(LEFT, bottom, LEFT + PLOT_W, bottom, "#333", 1.0));
    doc.push(stroke(LEFT, TOP, LEFT, bottom, "#333", 1.0));
    let x_title = "layers N (log)";
    doc.push(label(
        LEFT + PLOT_W / 2.0,
        bottom + 40.0,
        12.0,
        "middle",
        0.0,
        x_title,
    ));
    let y_title = "solve seconds (log)";
    doc.push(label(
        20.0,
        TOP + PLOT_H / 2.0,
        12.0,
        "middle",
        -90.0,
        y_title,
    ));
}
