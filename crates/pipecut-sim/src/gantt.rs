//! A hand-written SVG Gantt chart of a simulated step: one row per device,
//! forwards in blues and backwards in oranges (chunks of an interleaved
//! schedule in shades, darkest first), micro-batch numbers on the bars that
//! have room, idle time as the grey row background, a time axis and a legend.

use std::fmt::Write;

use pipecut_core::OpKind;

use crate::engine::SimResult;
use crate::error::SimError;

/// How to draw a Gantt chart.
#[derive(Debug, Clone, PartialEq)]
pub struct GanttOptions {
    /// Title line at the top.
    pub title: String,
    /// Time unit shown on the axis (the chain's unit).
    pub unit: String,
    /// Width of the whole chart in pixels, `320..=100000`.
    pub width: u32,
}

impl Default for GanttOptions {
    fn default() -> Self {
        GanttOptions {
            title: "Pipeline schedule".into(),
            unit: "s".into(),
            width: 1200,
        }
    }
}

impl GanttOptions {
    /// Default options with this title.
    pub fn new(title: impl Into<String>) -> Self {
        GanttOptions {
            title: title.into(),
            ..GanttOptions::default()
        }
    }

    /// Sets the time unit.
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = unit.into();
        self
    }

    /// Sets the width in pixels.
    pub fn with_width(mut self, width: u32) -> Self {
        self.width = width;
        self
    }
}

const MIN_WIDTH: u32 = 320;
const MAX_WIDTH: u32 = 100_000;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 84.0;
const ROW: f64 = 26.0;
const BAR: f64 = 20.0;
const LABEL_FONT: f64 = 11.0;
/// Rough advance of one character at `LABEL_FONT` in a sans-serif font.
const CHAR_WIDTH: f64 = 6.6;
const IDLE: &str = "#ececec";

/// Draws the timeline of `result` as an SVG document.
///
/// Errors: [`SimError::NoTimeline`] when the result was simulated without a
/// timeline, [`SimError::GanttOption`] for a width outside `320..=100000`.
///
/// ```
/// use pipecut_core::Schedule;
/// use pipecut_sim::{gantt_svg, GanttOptions, Simulator, StageTimes};
///
/// let sim = Simulator::for_schedule(Schedule::OneFOneB, 4, 8);
/// let result = sim.run_times(&StageTimes::uniform(4, 1.0, 2.0), true)?;
/// let svg = gantt_svg(&result, &GanttOptions::new("1F1B, 4 stages").with_unit("ms"))?;
/// assert!(svg.starts_with("<svg") && svg.contains("time (ms)"));
/// # Ok::<(), pipecut_sim::SimError>(())
/// ```
pub fn gantt_svg(result: &SimResult, opts: &GanttOptions) -> Result<String, SimError> {
    let timeline = result.timeline.as_ref().ok_or(SimError::NoTimeline)?;
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&opts.width) {
        return Err(SimError::GanttOption {
            field: "width",
            value: opts.width.to_string(),
            reason: "must be between 320 and 100000 pixels",
        });
    }
    let devices = timeline
        .iter()
        .map(|op| op.device + 1)
        .max()
        .unwrap_or(0)
        .max(result.device_busy.len())
        .max(1);
    let chunks = timeline.iter().map(|op| op.chunk + 1).max().unwrap_or(1);
    let micro_batches = timeline
        .iter()
        .map(|op| op.micro_batch + 1)
        .max()
        .unwrap_or(0);
    let last_end = timeline
        .iter()
        .map(|op| op.end)
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    let span = if result.step_time.is_finite() {
        result.step_time.max(last_end)
    } else {
        last_end
    };
    let span = if span > 0.0 { span } else { 1.0 };

    let width = f64::from(opts.width);
    let plot_w = width - LEFT - RIGHT;
    let plot_bottom = TOP + devices as f64 * ROW;
    let height = plot_bottom + 52.0;
    let x_of = |t: f64| LEFT + t / span * plot_w;

    let mut svg = String::with_capacity(1024 + timeline.len() * 160);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif">"#,
        w = opts.width,
        h = fmt(height),
    );
    svg.push('\n');
    let _ = writeln!(
        svg,
        r#"<rect x="0" y="0" width="{}" height="{}" fill="white"/>"#,
        opts.width,
        fmt(height)
    );
    // Title and summary.
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" font-size="16" font-weight="bold">{}</text>"#,
        fmt(LEFT),
        escape(&opts.title)
    );
    let unit = escape(&opts.unit);
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="43" font-size="12" fill="#444">{} devices, {} micro-batches{}: step time {} {}, bubble {:.1}%</text>"##,
        fmt(LEFT),
        devices,
        micro_batches,
        if chunks > 1 {
            format!(", {chunks} chunks per device")
        } else {
            String::new()
        },
        number(result.step_time),
        unit,
        100.0 * result.bubble_fraction
    );
    legend(&mut svg, chunks);

    // Rows: the grey background is idle time wherever no bar covers it.
    for d in 0..devices {
        let y = TOP + d as f64 * ROW;
        let _ = writeln!(
            svg,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{IDLE}"/>"#,
            fmt(LEFT),
            fmt(y + (ROW - BAR) / 2.0),
            fmt(plot_w),
            fmt(BAR)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="12" text-anchor="end">device {d}</text>"#,
            fmt(LEFT - 8.0),
            fmt(y + ROW / 2.0 + 4.0)
        );
    }

    // Axis: gridlines under the bars, ticks and labels below the rows.
    let ticks = nice_ticks(span, (plot_w / 90.0).max(2.0));
    for &(t, ref label) in &ticks {
        let x = fmt(x_of(t));
        let _ = writeln!(
            svg,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#c8c8c8" stroke-width="1"/>"##,
            fmt(TOP),
            fmt(plot_bottom)
        );
        let _ = writeln!(
            svg,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#333" stroke-width="1"/>"##,
            fmt(plot_bottom),
            fmt(plot_bottom + 5.0)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{}" font-size="11" text-anchor="middle">{label}</text>"#,
            fmt(plot_bottom + 18.0)
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{}" y1="{b}" x2="{}" y2="{b}" stroke="#333" stroke-width="1"/>"##,
        fmt(LEFT),
        fmt(LEFT + plot_w),
        b = fmt(plot_bottom)
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">time ({unit})</text>"#,
        fmt(LEFT + plot_w / 2.0),
        fmt(plot_bottom + 40.0)
    );

    // Bars, with a tooltip each and the micro-batch number when it fits.
    for op in timeline {
        if !(op.start.is_finite() && op.end.is_finite()) || op.end <= op.start {
            continue;
        }
        let x0 = x_of(op.start.max(0.0));
        let x1 = x_of(op.end);
        let w = x1 - x0;
        let y = TOP + op.device as f64 * ROW + (ROW - BAR) / 2.0;
        let (fill, dark) = colour(op.kind, op.chunk, chunks);
        let kind = match op.kind {
            OpKind::Forward => "forward",
            OpKind::Backward => "backward",
        };
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="white" stroke-width="0.5"><title>{kind} of micro-batch {}, stage {} (chunk {}) on device {}: {} to {} {unit}</title></rect>"#,
            fmt(x0),
            fmt(y),
            fmt(w),
            fmt(BAR),
            op.micro_batch,
            op.stage,
            op.chunk,
            op.device,
            number(op.start),
            number(op.end),
        );
        svg.push('\n');
        let label = op.micro_batch.to_string();
        if w >= label.len() as f64 * CHAR_WIDTH + 4.0 {
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" font-size="{LABEL_FONT}" text-anchor="middle" fill="{}">{label}</text>"#,
                fmt(x0 + w / 2.0),
                fmt(y + BAR / 2.0 + 4.0),
                if dark { "white" } else { "#111" }
            );
        }
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// The legend line: forward swatches (one per chunk), backward swatches, idle.
fn legend(svg: &mut String, chunks: usize) {
    let y = 56.0;
    let mut x = LEFT;
    let mut item = |svg: &mut String, fills: &[String], text: &str| {
        for fill in fills {
            let _ = writeln!(
                svg,
                r##"<rect x="{}" y="{}" width="12" height="12" fill="{fill}" stroke="#999" stroke-width="0.5"/>"##,
                fmt(x),
                fmt(y)
            );
            x += 13.0;
        }
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="12">{}</text>"#,
            fmt(x + 3.0),
            fmt(y + 10.5),
            escape(text)
        );
        x += 3.0 + text.len() as f64 * 6.8 + 16.0;
    };
    let shades = |kind| -> Vec<String> { (0..chunks).map(|c| colour(kind, c, chunks).0).collect() };
    item(svg, &shades(OpKind::Forward), "forward");
    item(svg, &shades(OpKind::Backward), "backward");
    item(svg, &[IDLE.to_string()], "idle");
    if chunks > 1 {
        let note = format!("shades: chunk 0 (dark) to chunk {} (light)", chunks - 1);
        item(svg, &[], &note);
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" font-size="11" fill="#555">bar labels: micro-batch</text>"##,
        fmt(x),
        fmt(y + 10.5)
    );
}

/// Fill of an operation and whether it is dark enough for white text.
fn colour(kind: OpKind, chunk: usize, chunks: usize) -> (String, bool) {
    let (hue, saturation) = match kind {
        OpKind::Forward => (212.0, 0.62),
        OpKind::Backward => (24.0, 0.85),
    };
    let lightness = if chunks <= 1 {
        0.45
    } else {
        0.34 + 0.32 * chunk.min(chunks - 1) as f64 / (chunks - 1) as f64
    };
    let (r, g, b) = hsl_to_rgb(hue, saturation, lightness);
    (format!("#{r:02x}{g:02x}{b:02x}"), lightness < 0.55)
}

fn hsl_to_rgb(hue: f64, s: f64, l: f64) -> (u8, u8, u8) {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let h = hue / 60.0;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    (byte(r), byte(g), byte(b))
}

/// Ticks at 1, 2 or 5 times a power of ten, about `target` of them over
/// `0..=span`, each with its label.
fn nice_ticks(span: f64, target: f64) -> Vec<(f64, String)> {
    let raw = span / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let count = (span / step + 1e-9).floor() as usize;
    (0..=count)
        .map(|i| {
            let t = i as f64 * step;
            (t, format!("{t:.decimals$}"))
        })
        .collect()
}

/// A coordinate with two decimals, trailing zeros dropped.
fn fmt(v: f64) -> String {
    if (v * 100.0).round() == 0.0 {
        return "0".into();
    }
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A time for people: four significant digits.
fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_span() {
        let t = nice_ticks(33.0, 8.0);
        let values: Vec<f64> = t.iter().map(|x| x.0).collect();
        assert_eq!(values, vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]);
        assert_eq!(t[1].1, "5");
        let t = nice_ticks(0.0123, 8.0);
        assert_eq!(t[1].1, "0.002");
        assert!(t.last().unwrap().0 <= 0.0123);
    }

    #[test]
    fn escapes_markup_and_formats_numbers() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(fmt(12.5), "12.5");
        assert_eq!(fmt(3.0), "3");
        assert_eq!(fmt(-0.001), "0");
        assert_eq!(number(1234.5678), "1235");
        assert_eq!(number(0.012345), "0.01235");
    }

    #[test]
    fn chunk_shades_differ_and_kinds_differ() {
        let f0 = colour(OpKind::Forward, 0, 3).0;
        let f2 = colour(OpKind::Forward, 2, 3).0;
        let b0 = colour(OpKind::Backward, 0, 3).0;
        assert_ne!(f0, f2);
        assert_ne!(f0, b0);
        assert_eq!(hsl_to_rgb(0.0, 1.0, 0.5), (255, 0, 0));
        assert_eq!(hsl_to_rgb(240.0, 1.0, 0.5), (0, 0, 255));
    }
}
