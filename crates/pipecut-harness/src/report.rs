//! Reports: Markdown, CSV, JSON and SVG charts of a suite run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{HarnessError, Result};
use crate::runner::{ProblemResult, RunState};
use crate::stats::{AlgorithmSummary, Stats};
use crate::suite::SkippedCase;

/// Everything a suite run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Suite name.
    pub suite: String,
    /// Partitioner names, in the order they were run.
    pub algorithms: Vec<String>,
    /// One entry per problem, in suite order.
    pub problems: Vec<ProblemResult>,
    /// Grid combinations the problem checker rejected.
    pub skipped: Vec<SkippedCase>,
    /// One summary per algorithm.
    pub summary: Vec<AlgorithmSummary>,
    /// Wall-clock seconds of the whole run.
    pub wall_seconds: f64,
}

/// An output format of [`Report::write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `report.md`.
    Markdown,
    /// `results.csv`: one row per problem and algorithm.
    Csv,
    /// `report.json`: the whole [`Report`].
    Json,
    /// `gain_by_model.svg`, `gap_distribution.svg`, `solve_time_vs_layers.svg`.
    Svg,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Markdown, Format::Csv, Format::Json, Format::Svg];
}

impl std::str::FromStr for Format {
    type Err = HarnessError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "markdown" | "md" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "svg" | "charts" => Ok(Format::Svg),
            _ => Err(HarnessError::UnknownFormat { name: s.into() }),
        }
    }
}

/// A number with about four significant digits.
fn num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        format!("{x}")
    } else if (1e-3..1e6).contains(&x.abs()) {
        let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.digits$}")
    } else {
        format!("{x:.3e}")
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", 100.0 * x)
    } else {
        format!("{x}")
    }
}

fn pct_stats(s: &Option<Stats>) -> String {
    s.map_or("-".into(), |s| {
        format!("{} / {} / {}", pct(s.mean), pct(s.p95), pct(s.max))
    })
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

/// Markdown table ranking every algorithm on one problem by simulated step
/// time, with gain over the default and gaps (what `pipecut compare` shows).
pub fn problem_markdown(p: &ProblemResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Problem `{}`: N = {}, P = {} stages on {} devices, M = {}, schedule {}; times in {}.\n",
        p.id, p.layers, p.stages, p.devices, p.micro_batches, p.schedule, p.unit
    );
    match (&p.reference, p.reference_step_time) {
        (Some(r), Some(t)) => {
            let _ = writeln!(
                out,
                "Default (reference for gains): `{r}`, step time {}.",
                num(t)
            );
        }
        _ => {
            let _ = writeln!(out, "No default to measure gains against.");
        }
    }
    if let Some(note) = &p.reference_note {
        let _ = writeln!(out, "Note: {}.", md_cell(note));
    }
    if let Some(best) = p.best_step_time {
        let _ = writeln!(
            out,
            "Best step time {} ({}); optimal bottleneck {} ({}).",
            num(best),
            if p.step_time_proven {
                "proven optimal"
            } else {
                "best found"
            },
            p.optimal_bottleneck.map_or("-".into(), num),
            if p.bottleneck_proven {
                "proven"
            } else {
                "not proven"
            }
        );
    }
    out.push('\n');
    out.push_str("| rank | algorithm | step time | gain vs default | step gap | bottleneck | bottleneck gap | peak memory (bytes) | fits | status | solve s | starts |\n");
    out.push_str("|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|\n");
    for (i, r) in p.ranked().into_iter().enumerate() {
        if r.state != RunState::Solved {
            let _ = writeln!(
                out,
                "| - | {} | {} | | | | | | | | {} | {} |",
                r.algorithm,
                r.state,
                num(r.solve_seconds),
                md_cell(r.message.as_deref().unwrap_or(""))
            );
            continue;
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:?} |",
            i + 1,
            r.algorithm,
            r.step_time.map_or("-".into(), num),
            r.gain.map_or("-".into(), pct),
            r.step_gap.map_or("-".into(), pct),
            r.bottleneck.map_or("-".into(), num),
            r.bottleneck_gap.map_or("-".into(), pct),
            opt(r.peak_memory_bytes),
            if r.fits_memory == Some(true) {
                "yes"
            } else {
                "no"
            },
            opt(r.status),
            num(r.solve_seconds),
            r.starts
        );
    }
    out
}

impl Report {
    /// The head of the Markdown report: counts, definitions and the
    /// per-algorithm table (mean / p95 / max gaps, how often optimal, how
    /// often better than the default).
    pub fn summary_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# pipecut harness: suite `{}`\n", self.suite);
        let fallbacks = self
            .problems
            .iter()
            .filter(|p| p.reference_note.is_some())
            .count();
        let _ = writeln!(
            out,
            "{} problems ({} grid combinations rejected by the problem checker), {} algorithms, {} s wall.\n",
            self.problems.len(),
            self.skipped.len(),
            self.algorithms.len(),
            num(self.wall_seconds)
        );
        let _ = writeln!(
            out,
            "Gain = default step time / step time - 1, the default being torchtitan's split \
             (uniform where torchtitan cannot split the model: {fallbacks} problems). \
             Step gap = step time / best step time of any plan - 1. Bottleneck gap is against \
             the proven optimal bottleneck. Gaps count memory-fitting plans only. \
             Statistics are mean / p95 / max.\n"
        );
        out.push_str("## Per algorithm\n\n");
        out.push_str("| algorithm | solved | failed | skipped | over memory | step gap | step-optimal | bottleneck gap | bottleneck-optimal | better than default | worse than default | gain | solve s (mean / max) |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for s in &self.summary {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} |",
                s.algorithm,
                s.solved,
                s.failed,
                s.skipped,
                s.over_memory,
                pct_stats(&s.step_gap),
                s.step_optimal,
                pct_stats(&s.bottleneck_gap),
                s.bottleneck_optimal,
                s.bottleneck_proven,
                s.better_than_default,
                s.worse_than_default,
                pct_stats(&s.gain),
                s.solve_seconds
                    .map_or("-".into(), |t| format!("{} / {}", num(t.mean), num(t.max))),
            );
        }
        out
    }

    /// The Markdown report: [`Report::summary_markdown`], then the gain of
    /// every algorithm on every problem, then the rejected combinations.
    pub fn to_markdown(&self) -> String {
        let mut out = self.summary_markdown();
        out.push_str("\n## Gain over the default per problem\n\n");
        let _ = write!(out, "| problem | default | default step |");
        for a in &self.algorithms {
            let _ = write!(out, " {a} |");
        }
        out.push_str(" best |\n|---|---|---:|");
        for _ in &self.algorithms {
            out.push_str("---:|");
        }
        out.push_str("---|\n");
        for p in &self.problems {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                md_cell(&p.id),
                p.reference.as_deref().unwrap_or("-"),
                p.reference_step_time.map_or("-".into(), num)
            );
            for a in &self.algorithms {
                let cell = match p.get(a) {
                    Some(r) if r.state == RunState::Solved => {
                        let mut c = r.gain.map_or("-".into(), pct);
                        if r.fits_memory == Some(false) {
                            c.push_str(" (OOM)");
                        }
                        c
                    }
                    Some(r) => r.state.to_string(),
                    None => "-".into(),
                };
                let _ = write!(out, " {cell} |");
            }
            let best = p
                .ranked()
                .first()
                .filter(|r| r.is_feasible())
                .map(|r| r.algorithm.clone());
            let _ = writeln!(out, " {} |", best.unwrap_or_else(|| "-".into()));
        }
        if !self.skipped.is_empty() {
            out.push_str("\n## Rejected grid combinations\n\n");
            for s in &self.skipped {
                let _ = writeln!(out, "- `{}`: {}", s.id, md_cell(&s.reason));
            }
        }
        out
    }

    /// CSV, one row per problem and algorithm, with a header row.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "suite,problem,model,layers,stages,devices,micro_batches,schedule,algorithm,state,\
             status,objective,starts,bottleneck,step_time,reference,reference_step_time,gain,\
             step_gap,bottleneck_gap,best_step_time,step_time_proven,optimal_bottleneck,\
             bottleneck_proven,peak_memory_bytes,fits_memory,solve_seconds,message\n",
        );
        for p in &self.problems {
            for r in &p.results {
                let starts: Vec<String> = r.starts.iter().map(usize::to_string).collect();
                let fields = [
                    self.suite.clone(),
                    p.id.clone(),
                    p.model.clone(),
                    p.layers.to_string(),
                    p.stages.to_string(),
                    p.devices.to_string(),
                    p.micro_batches.to_string(),
                    p.schedule.to_string(),
                    r.algorithm.clone(),
                    r.state.to_string(),
                    opt(r.status),
                    r.objective.map_or(String::new(), |o| {
                        serde_json::to_value(o)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    }),
                    starts.join(" "),
                    opt(r.bottleneck),
                    opt(r.step_time),
                    opt(p.reference.clone()),
                    opt(p.reference_step_time),
                    opt(r.gain),
                    opt(r.step_gap),
                    opt(r.bottleneck_gap),
                    opt(p.best_step_time),
                    p.step_time_proven.to_string(),
                    opt(p.optimal_bottleneck),
                    p.bottleneck_proven.to_string(),
                    opt(r.peak_memory_bytes),
                    opt(r.fits_memory),
                    r.solve_seconds.to_string(),
                    r.message.clone().unwrap_or_default(),
                ];
                let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        out
    }

    /// Pretty JSON of the whole report (non-finite numbers become `null`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// The SVG charts as `(file name, SVG text)`.
    pub fn charts(&self) -> Vec<(&'static str, String)> {
        vec![
            ("gain_by_model.svg", crate::svg::gain_by_model(self)),
            ("gap_distribution.svg", crate::svg::gap_distribution(self)),
            (
                "solve_time_vs_layers.svg",
                crate::svg::solve_time_vs_layers(self),
            ),
        ]
    }

    /// Writes the requested formats into `dir` (created if missing) and
    /// returns the paths written.
    pub fn write(&self, dir: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|source| HarnessError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<(String, String)> = Vec::new();
        for f in formats {
            match f {
                Format::Markdown => files.push(("report.md".into(), self.to_markdown())),
                Format::Csv => files.push(("results.csv".into(), self.to_csv())),
                Format::Json => files.push(("report.json".into(), self.to_json())),
                Format::Svg => {
                    files.extend(self.charts().into_iter().map(|(n, s)| (n.to_string(), s)))
                }
            }
        }
        let mut written = Vec::with_capacity(files.len());
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|source| HarnessError::Io {
                path: path.clone(),
                source,
            })?;
            written.push(path);
        }
        Ok(written)
    }
}
