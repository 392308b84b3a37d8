//! The Markdown reports: one problem's ranking ([`problem_markdown`], what
//! `pipecut compare` shows), the schedule-by-algorithm ranking of one model
//! on one set of devices ([`schedules_markdown`], `pipecut compare
//! --schedules`) and a suite's summary and gain table.

use std::fmt::Write as _;

use pipecut_core::format::number;

use super::opt;
use crate::results::{AlgorithmResult, ProblemResult, Report, RunState, Stats};

/// Markdown table ranking every algorithm on one problem by simulated step
/// time, with gain over the default and gaps (what `pipecut compare` shows).
pub fn problem_markdown(p: &ProblemResult) -> String {
    let mut out = problem_heading(p);
    out.push('\n');
    out.push_str("| rank | algorithm | step time | gain vs default | step gap | bottleneck | bottleneck gap | peak memory (bytes) | fits | status | solve s | starts |\n");
    out.push_str("|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|\n");
    for (i, r) in p.ranked().into_iter().enumerate() {
        out.push_str(&ranking_row(i + 1, r));
    }
    out
}

/// Markdown table ranking every (schedule, algorithm) pair by simulated step
/// time: the same model and devices planned under each schedule (one
/// [`ProblemResult`] per schedule), plans that fit memory first. Failed and
/// skipped runs are left out; `skipped` lists the schedules the problem did
/// not admit, with why.
pub fn schedules_markdown(results: &[ProblemResult], skipped: &[(String, String)]) -> String {
    let mut out = String::new();
    if let Some(p) = results.first() {
        let _ = writeln!(
            out,
            "Model `{}`: N = {}, {} devices, M = {}; times in {}.\n",
            p.model, p.layers, p.devices, p.micro_batches, p.unit
        );
    }
    out.push_str("| rank | schedule | algorithm | step time | vs best | peak memory (bytes) | fits | status | starts |\n");
    out.push_str("|---:|---|---|---:|---:|---:|---|---|---|\n");
    let mut rows: Vec<(&ProblemResult, &AlgorithmResult)> = results
        .iter()
        .flat_map(|p| p.results.iter().map(move |r| (p, r)))
        .filter(|(_, r)| r.state == RunState::Solved && r.step_time.is_some())
        .collect();
    let fits = |r: &AlgorithmResult| r.fits_memory != Some(true);
    rows.sort_by(|(_, a), (_, b)| {
        fits(a).cmp(&fits(b)).then(
            a.step_time
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.step_time.unwrap_or(f64::INFINITY)),
        )
    });
    let best = rows.first().and_then(|(_, r)| r.step_time);
    for (i, (p, r)) in rows.iter().enumerate() {
        let t = r.step_time.unwrap_or(f64::INFINITY);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:?} |",
            i + 1,
            p.schedule,
            r.algorithm,
            number(t),
            best.map_or("-".into(), |b| pct(t / b - 1.0)),
            opt(r.peak_memory_bytes),
            yes_no(r.fits_memory),
            opt(r.status),
            r.starts
        );
    }
    for (schedule, why) in skipped {
        let _ = writeln!(out, "\nNot planned for {schedule}: {}.", md_cell(why));
    }
    out
}

/// `yes` for a plan that fits memory, `no` otherwise.
fn yes_no(fits: Option<bool>) -> &'static str {
    if fits == Some(true) {
        "yes"
    } else {
        "no"
    }
}

/// The problem, its reference and its optima, one sentence each.
fn problem_heading(p: &ProblemResult) -> String {
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
                number(t)
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
            number(best),
            if p.step_time_proven {
                "proven optimal"
            } else {
                "best found"
            },
            p.optimal_bottleneck.map_or("-".into(), number),
            if p.bottleneck_proven {
                "proven"
            } else {
                "not proven"
            }
        );
    }
    out
}

/// One row of the ranking: `rank` for a plan, `-` and the message otherwise.
fn ranking_row(rank: usize, r: &AlgorithmResult) -> String {
    if r.state != RunState::Solved {
        return format!(
            "| - | {} | {} | | | | | | | | {} | {} |\n",
            r.algorithm,
            r.state,
            number(r.solve_seconds),
            md_cell(r.message.as_deref().unwrap_or(""))
        );
    }
    format!(
        "| {rank} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:?} |\n",
        r.algorithm,
        r.step_time.map_or("-".into(), number),
        r.gain.map_or("-".into(), pct),
        r.step_gap.map_or("-".into(), pct),
        r.bottleneck.map_or("-".into(), number),
        r.bottleneck_gap.map_or("-".into(), pct),
        opt(r.peak_memory_bytes),
        yes_no(r.fits_memory),
        opt(r.status),
        number(r.solve_seconds),
        r.starts
    )
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
            number(self.wall_seconds)
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
                s.solve_seconds.map_or("-".into(), |t| format!(
                    "{} / {}",
                    number(t.mean),
                    number(t.max)
                )),
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
            out.push_str(&self.gain_row(p));
        }
        if !self.skipped.is_empty() {
            out.push_str("\n## Rejected grid combinations\n\n");
            for s in &self.skipped {
                let _ = writeln!(out, "- `{}`: {}", s.id, md_cell(&s.reason));
            }
        }
        out
    }

    /// One problem of the gain table: reference, every algorithm's gain (or
    /// state), the fastest fitting plan.
    fn gain_row(&self, p: &ProblemResult) -> String {
        let mut out = format!(
            "| {} | {} | {} |",
            md_cell(&p.id),
            p.reference.as_deref().unwrap_or("-"),
            p.reference_step_time.map_or("-".into(), number)
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
        out
    }
}

/// A ratio as a percentage with two decimals (through
/// [`number`] when that would print more than five digits before the point).
fn pct(x: f64) -> String {
    let percent = 100.0 * x;
    if percent.is_finite() && percent.abs() < 1e5 {
        format!("{percent:.2}%")
    } else if x.is_finite() {
        format!("{}%", number(percent))
    } else {
        format!("{x}")
    }
}

fn pct_stats(s: &Option<Stats>) -> String {
    s.map_or("-".into(), |s| {
        format!("{} / {} / {}", pct(s.mean), pct(s.p95), pct(s.max))
    })
}

/// Text safe inside a Markdown table cell.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}
