//! Charts as standalone SVG, hand-written: `plotters` lays text out with a
//! font backend (system fonts or a bundled TTF), which a headless CI box may
//! lack; plain SVG `<text>` leaves fonts to the viewer.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::report::Report;
use crate::runner::RunState;

/// Tableau-10 plus two darker tones, so that the twelve registry
/// algorithms get distinct colours.
const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1b3a5c", "#7a5c00",
];

fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A minimal SVG document builder.
struct Svg {
    width: f64,
    height: f64,
    body: String,
}

impl Svg {
    fn new(width: f64, height: f64) -> Self {
        Svg {
            width,
            height,
            body: String::new(),
        }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, extra: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{:.2}" fill="{fill}" {extra}/>"#,
            w.max(0.0),
            h.max(0.0)
        );
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    fn circle(&mut self, x: f64, y: f64, r: f64, fill: &str, opacity: f64) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{x:.2}" cy="{y:.2}" r="{r}" fill="{fill}" fill-opacity="{opacity}"/>"#
        );
    }

    fn polyline(&mut self, points: &[(f64, f64)], stroke: &str) {
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.2},{y:.2}"))
            .collect();
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="1.5"/>"#,
            pts.join(" ")
        );
    }

    /// `anchor`: start, middle or end; `rotate`: degrees about the anchor.
    fn text(&mut self, x: f64, y: f64, size: f64, anchor: &str, rotate: f64, s: &str) {
        let transform = if rotate != 0.0 {
            format!(r#" transform="rotate({rotate} {x:.2} {y:.2})""#)
        } else {
            String::new()
        };
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-size="{size}" text-anchor="{anchor}"{transform}>{}</text>"#,
            escape(s)
        );
    }

    fn finish(self) -> String {
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#,
                "\n",
                r#"<rect width="100%" height="100%" fill="white"/>"#,
                "\n{body}</svg>\n"
            ),
            w = self.width.ceil(),
            h = self.height.ceil(),
            body = self.body
        )
    }
}

/// Evenly spaced "nice" ticks covering `[lo, hi]` (1, 2 or 5 times a power of ten).
fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

fn fmt_tick(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e4 || v.abs() < 1e-2 {
        format!("{v:.0e}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A linear axis mapping data to pixels (pixels grow downwards for y).
#[derive(Clone, Copy)]
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

fn legend(svg: &mut Svg, x: f64, y: f64, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        let yy = y + i as f64 * 16.0;
        svg.rect(x, yy - 9.0, 10.0, 10.0, color(i), "");
        svg.text(x + 15.0, yy, 11.0, "start", 0.0, name);
    }
}

fn y_grid(svg: &mut Svg, axis: &Axis, ticks: &[f64], x0: f64, x1: f64, suffix: &str) {
    for &t in ticks {
        let y = axis.map(t);
        svg.line(x0, y, x1, y, "#e0e0e0", 1.0);
        svg.text(
            x0 - 6.0,
            y + 4.0,
            11.0,
            "end",
            0.0,
            &format!("{}{suffix}", fmt_tick(t)),
        );
    }
}

fn empty_chart(title: &str, why: &str) -> String {
    let mut svg = Svg::new(640.0, 120.0);
    svg.text(320.0, 30.0, 16.0, "middle", 0.0, title);
    svg.text(320.0, 70.0, 12.0, "middle", 0.0, why);
    svg.finish()
}

/// `#rrggbb` between white (`t = 0`) and `to` (`t = 1`).
fn blend(to: (u8, u8, u8), t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let c = |x: u8| (255.0 + (f64::from(x) - 255.0) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", c(to.0), c(to.1), c(to.2))
}

/// Mean throughput gain over the default per model and algorithm, as a
/// heat map (rows: models, columns: algorithms; green faster than the
/// default, red slower), which stays readable for many models and
/// algorithms where grouped bars do not.
pub fn gain_by_model(report: &Report) -> String {
    let title = format!(
        "Mean throughput gain over the default per model ({})",
        report.suite
    );
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
    if sums.is_empty() {
        return empty_chart(&title, "no gains: the default and its fallback both failed");
    }
    let mean = |m: &str, a: usize| sums.get(&(m, a)).map(|(s, n)| s / *n as f64);
    let scale = sums
        .values()
        .map(|(s, n)| (s / *n as f64).abs())
        .fold(1.0, f64::max);
    let (cell_w, cell_h) = (78.0, 22.0);
    let label_w = 7.0 * models.iter().map(|m| m.len()).max().unwrap_or(4) as f64 + 16.0;
    let (top, header) = (40.0, 110.0);
    let grid_top = top + header;
    let width = (label_w + cell_w * report.algorithms.len() as f64 + 20.0).max(480.0);
    let height = grid_top + cell_h * models.len() as f64 + 50.0;
    let mut svg = Svg::new(width, height);
    svg.text(width / 2.0, 22.0, 15.0, "middle", 0.0, &title);
    for (a, name) in report.algorithms.iter().enumerate() {
        let x = label_w + cell_w * (a as f64 + 0.5);
        svg.text(x, grid_top - 8.0, 11.0, "start", -45.0, name);
    }
    for (row, m) in models.iter().enumerate() {
        let y = grid_top + cell_h * row as f64;
        svg.text(label_w - 8.0, y + cell_h * 0.7, 11.0, "end", 0.0, m);
        for a in 0..report.algorithms.len() {
            let x = label_w + cell_w * a as f64;
            match mean(m, a) {
                Some(v) => {
                    let fill = if v >= 0.0 {
                        blend((46, 125, 50), v / scale)
                    } else {
                        blend((198, 40, 40), -v / scale)
                    };
                    svg.rect(x, y, cell_w, cell_h, &fill, r##"stroke="#ffffff""##);
                    let text = format!("{v:+.1}%");
                    svg.text(
                        x + cell_w / 2.0,
                        y + cell_h * 0.7,
                        11.0,
                        "middle",
                        0.0,
                        &text,
                    );
                }
                None => {
                    svg.rect(x, y, cell_w, cell_h, "#eeeeee", r##"stroke="#ffffff""##);
                    svg.text(
                        x + cell_w / 2.0,
                        y + cell_h * 0.7,
                        11.0,
                        "middle",
                        0.0,
                        "n/a",
                    );
                }
            }
        }
    }
    svg.text(
        label_w,
        height - 18.0,
        10.0,
        "start",
        0.0,
        "mean over each model's problems of default step time / step time - 1; n/a: never solved",
    );
    svg.finish()
}

/// Distribution of the step-time gap per algorithm: box (quartiles), median,
/// whiskers (min, max), p95 tick and mean dot.
pub fn gap_distribution(report: &Report) -> String {
    let title = format!(
        "Step-time gap to the best plan per algorithm ({})",
        report.suite
    );
    let gaps: Vec<Vec<f64>> = report
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
        .collect();
    if gaps.iter().all(Vec::is_empty) {
        return empty_chart(&title, "no solved problems");
    }
    let hi = gaps.iter().flatten().copied().fold(0.0, f64::max);
    let ticks = nice_ticks(0.0, hi.max(1.0), 6);
    let (left, top, plot_h, bottom) = (70.0, 40.0, 320.0, 110.0);
    let slot = 60.0;
    let x_end = left + slot * gaps.len() as f64;
    let mut svg = Svg::new((x_end + 20.0).max(480.0), top + plot_h + bottom);
    let axis = Axis {
        lo: 0.0,
        hi: ticks[ticks.len() - 1],
        p0: top + plot_h,
        p1: top,
        log: false,
    };
    svg.text(svg.width / 2.0, 22.0, 15.0, "middle", 0.0, &title);
    y_grid(&mut svg, &axis, &ticks, left, x_end, "%");
    let q = |v: &[f64], f: f64| v[((f * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
    for (i, v) in gaps.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        svg.text(
            cx,
            top + plot_h + 14.0,
            11.0,
            "end",
            -35.0,
            &report.algorithms[i],
        );
        if v.is_empty() {
            continue;
        }
        let c = color(i);
        let (min, q1, med, q3, max) = (v[0], q(v, 0.25), q(v, 0.5), q(v, 0.75), v[v.len() - 1]);
        let p95 = crate::stats::Stats::of(v.iter().copied()).map_or(max, |s| s.p95);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        svg.line(cx, axis.map(min), cx, axis.map(max), "#555", 1.0);
        svg.line(
            cx - 8.0,
            axis.map(max),
            cx + 8.0,
            axis.map(max),
            "#555",
            1.0,
        );
        svg.line(
            cx - 8.0,
            axis.map(min),
            cx + 8.0,
            axis.map(min),
            "#555",
            1.0,
        );
        svg.rect(
            cx - 15.0,
            axis.map(q3),
            30.0,
            (axis.map(q1) - axis.map(q3)).max(1.0),
            c,
            r##"fill-opacity="0.6" stroke="#333""##,
        );
        svg.line(
            cx - 15.0,
            axis.map(med),
            cx + 15.0,
            axis.map(med),
            "#000",
            2.0,
        );
        svg.line(
            cx - 11.0,
            axis.map(p95),
            cx + 11.0,
            axis.map(p95),
            "#c00",
            1.5,
        );
        svg.circle(cx, axis.map(mean), 3.0, "#000", 1.0);
    }
    svg.line(left, top + plot_h, x_end, top + plot_h, "#333", 1.0);
    svg.line(left, top, left, top + plot_h, "#333", 1.0);
    svg.text(
        18.0,
        top + plot_h / 2.0,
        12.0,
        "middle",
        -90.0,
        "step-time gap (%)",
    );
    svg.text(
        left,
        top + plot_h + bottom - 8.0,
        10.0,
        "start",
        0.0,
        "box: quartiles, black bar: median, dot: mean, red tick: p95, whiskers: min/max",
    );
    svg.finish()
}

fn decades(lo: f64, hi: f64) -> (f64, f64) {
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
    )
}

/// Solve time against chain length on log-log axes: one colour per
/// algorithm, dots per problem and a line through the median per `N`.
pub fn solve_time_vs_layers(report: &Report) -> String {
    let title = format!("Solve time against layers N ({})", report.suite);
    const FLOOR: f64 = 1e-7;
    let series: Vec<BTreeMap<usize, Vec<f64>>> = report
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
        .collect();
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
    let (left, top, plot_w, plot_h) = (80.0, 40.0, 520.0, 360.0);
    let mut svg = Svg::new(left + plot_w + 200.0, top + plot_h + 60.0);
    let xa = Axis {
        lo: xlo,
        hi: xhi,
        p0: left,
        p1: left + plot_w,
        log: true,
    };
    let ya = Axis {
        lo: ylo,
        hi: yhi,
        p0: top + plot_h,
        p1: top,
        log: true,
    };
    svg.text(svg.width / 2.0, 22.0, 15.0, "middle", 0.0, &title);
    let mut d = ylo;
    while d <= yhi * 1.0001 {
        let y = ya.map(d);
        svg.line(left, y, left + plot_w, y, "#e0e0e0", 1.0);
        svg.text(left - 6.0, y + 4.0, 11.0, "end", 0.0, &format!("{d:.0e}"));
        d *= 10.0;
    }
    let mut d = xlo;
    while d <= xhi * 1.0001 {
        let x = xa.map(d);
        svg.line(x, top, x, top + plot_h, "#e0e0e0", 1.0);
        svg.text(x, top + plot_h + 16.0, 11.0, "middle", 0.0, &fmt_tick(d));
        d *= 10.0;
    }
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        let mut medians = Vec::new();
        for (n, ts) in s {
            let x = xa.map(*n as f64);
            for t in ts {
                svg.circle(x, ya.map(*t), 2.0, c, 0.35);
            }
            let mut sorted = ts.clone();
            sorted.sort_by(f64::total_cmp);
            medians.push((x, ya.map(sorted[sorted.len() / 2])));
        }
        if medians.len() > 1 {
            svg.polyline(&medians, c);
        }
    }
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, "#333", 1.0);
    svg.line(left, top, left, top + plot_h, "#333", 1.0);
    svg.text(
        left + plot_w / 2.0,
        top + plot_h + 40.0,
        12.0,
        "middle",
        0.0,
        "layers N (log)",
    );
    svg.text(
        20.0,
        top + plot_h / 2.0,
        12.0,
        "middle",
        -90.0,
        "solve seconds (log)",
    );
    legend(
        &mut svg,
        left + plot_w + 20.0,
        top + 10.0,
        &report.algorithms,
    );
    svg.finish()
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
    fn blend_runs_from_white_to_the_colour() {
        assert_eq!(blend((46, 125, 50), 0.0), "#ffffff");
        assert_eq!(blend((46, 125, 50), 1.0), "#2e7d32");
        assert_eq!(blend((46, 125, 50), 7.0), "#2e7d32");
    }

    #[test]
    fn text_is_escaped() {
        let mut s = Svg::new(10.0, 10.0);
        s.text(0.0, 0.0, 10.0, "start", 0.0, "a<b & \"c\"");
        let out = s.finish();
        assert!(out.contains("a&lt;b &amp; &quot;c&quot;"));
        assert!(out.starts_with("<svg") && out.ends_with("</svg>\n"));
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
