//! A hand-written SVG Gantt chart of a simulated step: one row per device,
//! forwards in blues and backwards in oranges (chunks of an interleaved
//! schedule in shades, darkest first), micro-batch numbers on the bars that
//! have room, idle time as the grey row background, a time axis and a legend.

use pipecut_core::format::number;
use pipecut_core::{OpKind, Simulation, TimelineOp};

use crate::error::SimError;
use crate::svg::{line, nice_step, rect, text, Document, Element};

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
const LEFT: f64 = 118.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 84.0;
const ROW: f64 = 26.0;
const BAR: f64 = 20.0;
const LABEL_FONT: f64 = 11.0;
/// Rough advance of one character at `LABEL_FONT` in a sans-serif font.
const CHAR_WIDTH: f64 = 6.6;
const IDLE: &str = "#ececec";
const FONT_FAMILY: &str = "Helvetica, Arial, sans-serif";

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
pub fn gantt_svg(result: &Simulation, opts: &GanttOptions) -> Result<String, SimError> {
    let timeline = result.timeline.as_ref().ok_or(SimError::NoTimeline)?;
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&opts.width) {
        return Err(SimError::GanttOption {
            field: "width",
            value: opts.width.to_string(),
            reason: "must be between 320 and 100000 pixels",
        });
    }
    let layout = Layout::new(result, timeline, opts.width);
    let mut doc = Document::new(f64::from(opts.width), layout.height, FONT_FAMILY);
    heading(&mut doc, &layout, result, opts);
    legend(&mut doc, layout.chunks, &kinds_used(timeline));
    rows(&mut doc, &layout);
    axis(&mut doc, &layout, &opts.unit);
    bars(&mut doc, &layout, timeline, &opts.unit);
    Ok(doc.finish())
}

/// Sizes read off the timeline, and the pixel geometry they give.
struct Layout {
    devices: usize,
    /// The stages each device runs, in chunk order.
    stages_of: Vec<Vec<usize>>,
    chunks: usize,
    micro_batches: usize,
    /// Time the plot spans (at least the step time, never zero).
    span: f64,
    plot_w: f64,
    plot_bottom: f64,
    height: f64,
}

impl Layout {
    fn new(result: &Simulation, timeline: &[TimelineOp], width: u32) -> Self {
        let devices = timeline
            .iter()
            .map(|op| op.device + 1)
            .max()
            .unwrap_or(0)
            .max(result.device_busy.len())
            .max(1);
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
        let plot_bottom = TOP + devices as f64 * ROW;
        let mut stages_of = vec![Vec::new(); devices];
        for op in timeline {
            let held = &mut stages_of[op.device];
            if held.len() <= op.chunk {
                held.resize(op.chunk + 1, usize::MAX);
            }
            held[op.chunk] = op.stage;
        }
        Layout {
            devices,
            stages_of,
            chunks: timeline.iter().map(|op| op.chunk + 1).max().unwrap_or(1),
            micro_batches: timeline
                .iter()
                .map(|op| op.micro_batch + 1)
                .max()
                .unwrap_or(0),
            span: if span > 0.0 { span } else { 1.0 },
            plot_w: f64::from(width) - LEFT - RIGHT,
            plot_bottom,
            height: plot_bottom + 52.0,
        }
    }

    fn x_of(&self, t: f64) -> f64 {
        LEFT + t / self.span * self.plot_w
    }
}

/// Title and the summary line under it.
fn heading(doc: &mut Document, layout: &Layout, result: &Simulation, opts: &GanttOptions) {
    doc.push(
        text(LEFT, 24.0, &opts.title)
            .attr("font-size", 16)
            .attr("font-weight", "bold"),
    );
    let chunks = if layout.chunks > 1 {
        format!(", {} chunks per device", layout.chunks)
    } else {
        String::new()
    };
    let summary = format!(
        "{} devices, {} micro-batches{chunks}: step time {} {}, bubble {:.1}%",
        layout.devices,
        layout.micro_batches,
        number(result.step_time),
        opts.unit,
        100.0 * result.bubble_fraction
    );
    doc.push(
        text(LEFT, 43.0, &summary)
            .attr("font-size", 12)
            .attr("fill", "#444"),
    );
}

/// One row per device: the grey background is idle time wherever no bar
/// covers it.
fn rows(doc: &mut Document, layout: &Layout) {
    for d in 0..layout.devices {
        let y = TOP + d as f64 * ROW;
        doc.push(rect(LEFT, y + (ROW - BAR) / 2.0, layout.plot_w, BAR).attr("fill", IDLE));
        doc.push(
            text(
                LEFT - 8.0,
                y + ROW / 2.0 + 4.0,
                &row_label(d, &layout.stages_of[d]),
            )
            .attr("font-size", 12)
            .attr("text-anchor", "end"),
        );
    }
}

/// `device d`, with the stages it runs when it runs several (their count
/// beyond two, to fit the margin).
fn row_label(device: usize, stages: &[usize]) -> String {
    match stages {
        [a, b] => format!("device {device} ({a}, {b})"),
        [_, _, _, ..] => format!("device {device} ({} stages)", stages.len()),
        _ => format!("device {device}"),
    }
}

/// The time axis: gridlines under the bars, ticks and labels below the rows.
fn axis(doc: &mut Document, layout: &Layout, unit: &str) {
    let bottom = layout.plot_bottom;
    for (t, label) in ticks(layout.span, (layout.plot_w / 90.0).max(2.0)) {
        let x = layout.x_of(t);
        doc.push(
            line(x, TOP, x, bottom)
                .attr("stroke", "#c8c8c8")
                .attr("stroke-width", 1),
        );
        doc.push(
            line(x, bottom, x, bottom + 5.0)
                .attr("stroke", "#333")
                .attr("stroke-width", 1),
        );
        doc.push(
            text(x, bottom + 18.0, &label)
                .attr("font-size", 11)
                .attr("text-anchor", "middle"),
        );
    }
    doc.push(
        line(LEFT, bottom, LEFT + layout.plot_w, bottom)
            .attr("stroke", "#333")
            .attr("stroke-width", 1),
    );
    doc.push(
        text(
            LEFT + layout.plot_w / 2.0,
            bottom + 40.0,
            &format!("time ({unit})"),
        )
        .attr("font-size", 12)
        .attr("text-anchor", "middle"),
    );
}

/// The operations, with a tooltip each and the micro-batch number when it
/// fits on the bar.
fn bars(doc: &mut Document, layout: &Layout, timeline: &[TimelineOp], unit: &str) {
    let lanes = lanes(timeline);
    for (op, lane) in timeline.iter().zip(lanes) {
        if !(op.start.is_finite() && op.end.is_finite()) || op.end <= op.start {
            continue;
        }
        let x0 = layout.x_of(op.start.max(0.0));
        let w = layout.x_of(op.end) - x0;
        let (y, height) = match lane {
            Lane::Full => (TOP + op.device as f64 * ROW + (ROW - BAR) / 2.0, BAR),
            Lane::Upper => (TOP + op.device as f64 * ROW + (ROW - BAR) / 2.0, BAR / 2.0),
            Lane::Lower => (TOP + op.device as f64 * ROW + ROW / 2.0, BAR / 2.0),
        };
        let (fill, dark) = colour(op.kind, op.chunk, layout.chunks);
        let tooltip = format!(
            "{} of micro-batch {}, stage {} (chunk {}) on device {}: {} to {} {unit}",
            op.kind.name(),
            op.micro_batch,
            op.stage,
            op.chunk,
            op.device,
            number(op.start),
            number(op.end),
        );
        doc.push(
            rect(x0, y, w, height)
                .attr("fill", fill)
                .attr("stroke", "white")
                .attr("stroke-width", 0.5)
                .child(Element::new("title").text(&tooltip)),
        );
        let label = op.micro_batch.to_string();
        if w >= label.len() as f64 * CHAR_WIDTH + 4.0 {
            doc.push(
                text(x0 + w / 2.0, y + height / 2.0 + 4.0, &label)
                    .attr("font-size", LABEL_FONT)
                    .attr("text-anchor", "middle")
                    .attr("fill", if dark { "white" } else { "#111" }),
            );
        }
    }
}

/// Where on its row a bar goes: operations that run at the same time on one
/// device (perfectly overlapped pairs) share the row, one above the other.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lane {
    Full,
    Upper,
    Lower,
}

/// The lane of every operation of a device-by-device timeline: an operation
/// that starts before the one before it on its device ends goes below it.
fn lanes(timeline: &[TimelineOp]) -> Vec<Lane> {
    let mut lanes = vec![Lane::Full; timeline.len()];
    for i in 1..timeline.len() {
        let (prev, op) = (&timeline[i - 1], &timeline[i]);
        if op.device == prev.device && op.start < prev.end && op.end > op.start {
            lanes[i - 1] = Lane::Upper;
            lanes[i] = Lane::Lower;
        }
    }
    lanes
}

/// The operation kinds a timeline runs, in [`OpKind::index`] order.
fn kinds_used(timeline: &[TimelineOp]) -> Vec<OpKind> {
    let mut used = [false; OpKind::COUNT];
    for op in timeline {
        used[op.kind.index()] = true;
    }
    OpKind::ALL
        .into_iter()
        .filter(|k| used[k.index()])
        .collect()
}

/// The legend line: one swatch per chunk of each operation kind the chart
/// shows, idle, and what the shades and bar labels mean.
fn legend(doc: &mut Document, chunks: usize, kinds: &[OpKind]) {
    let y = 56.0;
    let mut x = LEFT;
    let mut item = |doc: &mut Document, fills: &[String], label: &str| {
        for fill in fills {
            doc.push(
                rect(x, y, 12.0, 12.0)
                    .attr("fill", fill)
                    .attr("stroke", "#999")
                    .attr("stroke-width", 0.5),
            );
            x += 13.0;
        }
        doc.push(text(x + 3.0, y + 10.5, label).attr("font-size", 12));
        x += 3.0 + label.len() as f64 * 6.8 + 16.0;
    };
    let shades = |kind| -> Vec<String> { (0..chunks).map(|c| colour(kind, c, chunks).0).collect() };
    for &kind in kinds {
        let label = format!("{} ({})", kind.name(), kind.letter());
        item(doc, &shades(kind), &label);
    }
    item(doc, &[IDLE.to_string()], "idle");
    if chunks > 1 {
        let note = format!("dark to light: chunk 0 to {}", chunks - 1);
        item(doc, &[], &note);
    }
    doc.push(
        text(x, y + 10.5, "bar labels: micro-batch")
            .attr("font-size", 11)
            .attr("fill", "#555"),
    );
}

/// Hue and saturation of each operation kind, in `OpKind::index` order:
/// forwards blue, full backwards orange, input-gradient backwards red,
/// weight-gradient backwards green.
const HUES: [(f64, f64); OpKind::COUNT] =
    [(212.0, 0.62), (24.0, 0.85), (352.0, 0.62), (140.0, 0.45)];

/// Fill of an operation and whether it is dark enough for white text.
fn colour(kind: OpKind, chunk: usize, chunks: usize) -> (String, bool) {
    let (hue, saturation) = HUES[kind.index()];
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

/// Ticks at multiples of a [`nice_step`], about `target` of them over
/// `0..=span`, each with its label (as many decimals as the step needs).
fn ticks(span: f64, target: f64) -> Vec<(f64, String)> {
    let step = nice_step(span, target);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let count = (span / step + 1e-9).floor() as usize;
    (0..=count)
        .map(|i| {
            let t = i as f64 * step;
            (t, format!("{t:.decimals$}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_span() {
        let t = ticks(33.0, 8.0);
        let values: Vec<f64> = t.iter().map(|x| x.0).collect();
        assert_eq!(values, vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]);
        assert_eq!(t[1].1, "5");
        let t = ticks(0.0123, 8.0);
        assert_eq!(t[1].1, "0.002");
        assert!(t.last().unwrap().0 <= 0.0123);
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
