//! Mean throughput gain over the default per model and algorithm, as a heat
//! map (rows: models, columns: algorithms; green faster than the default,
//! red slower), which stays readable for many models and algorithms where
//! grouped bars do not.

use std::collections::BTreeMap;

use pipecut_sim::svg::{self, Document};

use super::{document, empty_chart, label};
use crate::results::Report;

const CELL_W: f64 = 78.0;
const CELL_H: f64 = 22.0;
/// Where the title ends and the column header (rotated names) begins.
const TOP: f64 = 40.0;
const HEADER: f64 = 110.0;
const GREEN: (u8, u8, u8) = (46, 125, 50);
const RED: (u8, u8, u8) = (198, 40, 40);

/// Mean gain in percent per (model, algorithm column), models in the order
/// they first appear.
struct Gains<'r> {
    models: Vec<&'r str>,
    means: BTreeMap<(&'r str, usize), f64>,
}

impl<'r> Gains<'r> {
    fn of(report: &'r Report) -> Self {
        let mut models: Vec<&str> = Vec::new();
        let mut sums: BTreeMap<(&str, usize), (f64, usize)> = BTreeMap::new();
        for p in &report.problems {
            if !models.contains(&p.model.as_str()) {
                models.push(&p.model);
            }
            for r in &p.results {
                let column = report.algorithms.iter().position(|a| *a == r.algorithm);
                if let (Some(g), Some(a)) = (r.gain.filter(|g| g.is_finite()), column) {
                    let e = sums.entry((p.model.as_str(), a)).or_insert((0.0, 0));
                    e.0 += 100.0 * g;
                    e.1 += 1;
                }
            }
        }
        let means = sums
            .into_iter()
            .map(|(key, (sum, n))| (key, sum / n as f64))
            .collect();
        Gains { models, means }
    }

    /// The largest absolute mean, at least 1: full colour.
    fn scale(&self) -> f64 {
        self.means.values().map(|m| m.abs()).fold(1.0, f64::max)
    }
}

/// The heat map.
pub(super) fn chart(report: &Report) -> String {
    let title = format!(
        "Mean throughput gain over the default per model ({})",
        report.suite
    );
    let gains = Gains::of(report);
    if gains.means.is_empty() {
        return empty_chart(&title, "no gains: the default and its fallback both failed");
    }
    let longest = gains.models.iter().map(|m| m.len()).max().unwrap_or(4);
    let label_w = 7.0 * longest as f64 + 16.0;
    let grid_top = TOP + HEADER;
    let width = (label_w + CELL_W * report.algorithms.len() as f64 + 20.0).max(480.0);
    let height = grid_top + CELL_H * gains.models.len() as f64 + 50.0;
    let mut doc = document(width, height);
    doc.push(label(width / 2.0, 22.0, 15.0, "middle", 0.0, &title));
    for (a, name) in report.algorithms.iter().enumerate() {
        let x = label_w + CELL_W * (a as f64 + 0.5);
        doc.push(label(x, grid_top - 8.0, 11.0, "start", -45.0, name));
    }
    let scale = gains.scale();
    for (row, m) in gains.models.iter().enumerate() {
        let y = grid_top + CELL_H * row as f64;
        doc.push(label(label_w - 8.0, y + CELL_H * 0.7, 11.0, "end", 0.0, m));
        for a in 0..report.algorithms.len() {
            let x = label_w + CELL_W * a as f64;
            cell(&mut doc, x, y, gains.means.get(&(*m, a)).copied(), scale);
        }
    }
    doc.push(label(
        label_w,
        height - 18.0,
        10.0,
        "start",
        0.0,
        "mean over each model's problems of default step time / step time - 1; n/a: never solved",
    ));
    doc.finish()
}

/// One cell at `(x, y)`: coloured by the mean gain, or grey `n/a`.
fn cell(doc: &mut Document, x: f64, y: f64, mean: Option<f64>, scale: f64) {
    let (fill, text) = match mean {
        Some(v) if v >= 0.0 => (blend(GREEN, v / scale), format!("{v:+.1}%")),
        Some(v) => (blend(RED, -v / scale), format!("{v:+.1}%")),
        None => ("#eeeeee".to_string(), "n/a".to_string()),
    };
    doc.push(
        svg::rect(x, y, CELL_W, CELL_H)
            .attr("fill", fill)
            .attr("stroke", "#ffffff"),
    );
    let (cx, cy) = (x + CELL_W / 2.0, y + CELL_H * 0.7);
    doc.push(label(cx, cy, 11.0, "middle", 0.0, &text));
}

/// `#rrggbb` between white (`t = 0`) and `to` (`t = 1`).
fn blend(to: (u8, u8, u8), t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let c = |x: u8| (255.0 + (f64::from(x) - 255.0) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", c(to.0), c(to.1), c(to.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blend_runs_from_white_to_the_colour() {
        assert_eq!(blend(GREEN, 0.0), "#ffffff");
        assert_eq!(blend(GREEN, 1.0), "#2e7d32");
        assert_eq!(blend(GREEN, 7.0), "#2e7d32");
    }
}
