//! The report's SVG charts (`Report::charts`), written with
//! `pipecut_sim::svg`: a gain heat map ([`gain_by_model`]), step-gap box
//! plots ([`gap_distribution`]) and solve time against chain length
//! ([`solve_time`]). This module holds what they share: palette, labels,
//! axes, legend.

mod gain_by_model;
mod gap_distribution;
mod solve_time;

use pipecut_sim::svg::{self, Document, Element};

use crate::results::Report;

impl Report {
    /// The SVG charts as `(file name, SVG text)`.
    pub fn charts(&self) -> Vec<(&'static str, String)> {
        vec![
            ("gain_by_model.svg", gain_by_model::chart(self)),
            ("gap_distribution.svg", gap_distribution::chart(self)),
            ("solve_time_vs_layers.svg", solve_time::chart(self)),
        ]
    }
}

/// Fonts the charts ask the viewer for.
const FONT_FAMILY: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

/// Tableau-10 plus two darker tones, so that the twelve registry
/// algorithms get distinct colours.
const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1b3a5c", "#7a5c00",
];

/// The colour of the `i`-th algorithm.
fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A chart document of at least `width` x `height` pixels.
fn document(width: f64, height: f64) -> Document {
    Document::new(width.ceil(), height.ceil(), FONT_FAMILY)
}

/// A text label: `anchor` start, middle or end; `rotate` degrees about the
/// anchor point.
fn label(x: f64, y: f64, size: f64, anchor: &str, rotate: f64, text: &str) -> Element {
    let element = svg::text(x, y, text)
        .coord("font-size", size)
        .attr("text-anchor", anchor);
    if rotate != 0.0 {
        element.attr("transform", svg::rotate(rotate, x, y))
    } else {
        element
    }
}

/// A line of `stroke` colour and `width`.
fn stroke(x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) -> Element {
    svg::line(x1, y1, x2, y2)
        .attr("stroke", stroke)
        .coord("stroke-width", width)
}

/// The chart shown when there is nothing to draw: its title and why.
fn empty_chart(title: &str, why: &str) -> String {
    let mut doc = document(640.0, 120.0);
    doc.push(label(320.0, 30.0, 16.0, "middle", 0.0, title));
    doc.push(label(320.0, 70.0, 12.0, "middle", 0.0, why));
    doc.finish()
}

/// Evenly spaced "nice" ticks covering `[lo, hi]` (multiples of
/// `svg::nice_step`).
fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let step = svg::nice_step((hi - lo).max(1e-12), target.max(1) as f64);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick label: up to two decimals, powers of ten for very large or small
/// values.
fn tick_label(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e4 || v.abs() < 1e-2 {
        format!("{v:.0e}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A linear or logarithmic axis mapping data to pixels (pixels grow
/// downwards for y).
#[derive(Debug, Clone, Copy)]
struct Axis {
    lo: f64,
    hi: f64,
    p0: f64,
    p1: f64,
    log: bool,
}

impl Axis {
    fn map(&self, v: f64) -> f64 {
        let (v, lo, hi) = if self.log {
            (v.max(1e-300).log10(), self.lo.log10(), self.hi.log10())
        } else {
            (v, self.lo, self.hi)
        };
        self.p0 + (v - lo) / (hi - lo).max(1e-300) * (self.p1 - self.p0)
    }
}

/// One colour swatch and name per algorithm, top to bottom from `(x, y)`.
fn legend(doc: &mut Document, x: f64, y: f64, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        let yy = y + i as f64 * 16.0;
        doc.push(svg::rect(x, yy - 9.0, 10.0, 10.0).attr("fill", color(i)));
        doc.push(label(x + 15.0, yy, 11.0, "start", 0.0, name));
    }
}

/// Horizontal gridlines with their labels (value and `suffix`) left of `x0`.
fn y_grid(doc: &mut Document, axis: &Axis, ticks: &[f64], x0: f64, x1: f64, suffix: &str) {
    for &t in ticks {
        let y = axis.map(t);
        doc.push(stroke(x0, y, x1, y, "#e0e0e0", 1.0));
        let text = format!("{}{suffix}", tick_label(t));
        doc.push(label(x0 - 6.0, y + 4.0, 11.0, "end", 0.0, &text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cover_the_range_with_nice_steps() {
        let t = nice_ticks(-3.0, 27.0, 6);
        assert!(t[0] <= -3.0 && *t.last().unwrap() >= 27.0);
        assert_eq!(t[1] - t[0], 5.0);
        let u = nice_ticks(0.0, 1.0, 5);
        assert_eq!(u.len(), 6);
        assert!(u
            .iter()
            .enumerate()
            .all(|(i, v)| (v - 0.2 * i as f64).abs() < 1e-12));
    }

    #[test]
    fn labels_are_escaped_and_rotated_about_their_anchor() {
        let mut doc = document(10.0, 10.0);
        doc.push(label(1.0, 2.0, 10.0, "start", -45.0, "a<b & \"c\""));
        let out = doc.finish();
        assert!(out.contains("a&lt;b &amp; &quot;c&quot;"));
        assert!(out.contains(r#"transform="rotate(-45 1 2)""#));
        assert!(out.starts_with("<svg") && out.ends_with("</svg>\n"));
    }

    #[test]
    fn tick_labels_stay_short() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(20.0), "20");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(1e4), "1e4");
        assert_eq!(tick_label(1e-3), "1e-3");
    }

    #[test]
    fn log_axis_maps_decades_evenly() {
        let a = Axis {
            lo: 1e-3,
            hi: 1e1,
            p0: 0.0,
            p1: 400.0,
            log: true,
        };
        assert!((a.map(1e-3) - 0.0).abs() < 1e-9);
        assert!((a.map(1e-2) - 100.0).abs() < 1e-9);
        assert!((a.map(1e1) - 400.0).abs() < 1e-9);
    }
}
