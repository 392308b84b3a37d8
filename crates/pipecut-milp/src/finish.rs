//! The end of every MILP solve, shared by both models: run the backend, turn
//! its answer into a partition, check that partition exactly (memory, and the
//! objective the solver claims against the exact value), keep the better of
//! it and the incumbent, and say honestly what was proven.

use pipecut_core::format::number;
use pipecut_core::{evaluate_with, Evaluation, Partition, Prefix, Solution, Status};

use crate::backend::{self, Settings, Solved};
use crate::error::MilpError;
use crate::linear_model::LinearModel;
use crate::model::staircase::Staircase;
use crate::solve_context::SolveContext;

/// A built model, ready to solve.
pub(crate) struct Finish<'a> {
    pub model: &'a LinearModel,
    pub stair: &'a Staircase,
    /// Row entries along which solver tolerances can add up.
    pub terms: usize,
}

/// Absolute tolerance for comparing a solver's claimed objective with the
/// exact value of its rounded partition: feasibility and integrality
/// tolerances (about 1e-7 and 1e-6 of the unit scale) can add up along `terms`
/// row entries.
fn tolerance(scale: f64, terms: usize) -> f64 {
    1e-6 * scale * (terms as f64 + 10.0)
}

impl Finish<'_> {
    /// Solves and finishes; `exact_value` gives the true objective of a
    /// partition (the prefix sums and its evaluation are at hand).
    pub fn run(
        self,
        ctx: SolveContext<'_>,
        exact_value: impl Fn(&Prefix, &Partition, &Evaluation) -> Result<f64, MilpError>,
    ) -> Result<Solution, MilpError> {
        let settings = Settings {
            time_limit: ctx.options.time_left(ctx.started),
            threads: ctx.options.threads,
        };
        let solved = match backend::solve(self.model, ctx.options.backend, settings) {
            Ok(o) => Some(o),
            Err(MilpError::NoSolution { .. }) if ctx.incumbent.is_some() => None,
            Err(MilpError::Infeasible { reason, .. }) => {
                return Err(MilpError::Infeasible {
                    capacity: ctx.problem.memory_capacity(),
                    reason,
                })
            }
            Err(e) => return Err(e),
        };
        let mut chosen = match &solved {
            Some(s) => Some(self.checked(&ctx, s, &exact_value)?),
            None => None,
        };
        if let Some(i) = &ctx.incumbent {
            if chosen.as_ref().is_none_or(|c| i.value < c.1) {
                chosen = Some((i.partition.clone(), i.value));
            }
        }
        let Some((partition, value)) = chosen else {
            return Err(MilpError::NoSolution {
                limit_seconds: ctx.options.limit_seconds(),
            });
        };
        let (status, bound, note) = verdict(&ctx, solved.as_ref(), value);
        Ok(Solution {
            partition,
            status,
            objective: ctx.goal.objective(),
            bound,
            notes: ctx.notes,
        }
        .with_notes(note))
    }

    /// The solver's partition and its exact value, after checking memory and
    /// the claimed objective.
    fn checked(
        &self,
        ctx: &SolveContext<'_>,
        solved: &Solved,
        exact_value: &impl Fn(&Prefix, &Partition, &Evaluation) -> Result<f64, MilpError>,
    ) -> Result<(Partition, f64), MilpError> {
        let part = self.stair.partition(&solved.values)?;
        let eval = evaluate_with(ctx.problem, &ctx.prefix, &part);
        if let (Some(cap), false) = (ctx.problem.memory_capacity(), eval.fits_memory) {
            return Err(MilpError::MemoryViolated {
                starts: part.starts().to_vec(),
                peak: eval.peak_memory_bytes,
                capacity: cap,
            });
        }
        let actual = exact_value(&ctx.prefix, &part, &eval)?;
        let claimed = solved.objective * ctx.scale;
        // A proven optimum must match exactly (up to tolerances); an
        // incumbent may only be better than the solver's own figure.
        let off = if solved.optimal {
            (actual - claimed).abs()
        } else {
            actual - claimed
        };
        if off > tolerance(ctx.scale, self.terms) {
            return Err(MilpError::ObjectiveMismatch {
                what: ctx.goal.what(),
                claimed,
                actual,
            });
        }
        Ok((part, actual))
    }
}

/// Status, bound and a note on what stopped the search, for a chosen
/// partition of exact value `value`.
fn verdict(
    ctx: &SolveContext<'_>,
    solved: Option<&Solved>,
    value: f64,
) -> (Status, Option<f64>, Option<String>) {
    let limit = number(ctx.options.limit_seconds());
    match solved {
        // Proven optimal (gap 0): the optimum is the exact value of the
        // partition; the solver's own bound differs from it only by rounding.
        Some(s) if s.optimal => (Status::Optimal, Some(value), None),
        Some(s) => {
            let bound = s.bound.map(|b| (b * ctx.scale).min(value));
            let note = match bound {
                Some(b) if value > 0.0 => format!(
                    "stopped by the time limit ({limit} s): gap {}% to the best bound {}",
                    number(100.0 * (value - b) / value),
                    number(b)
                ),
                _ => format!("stopped by the time limit ({limit} s) with no proven bound"),
            };
            (Status::Feasible, bound, Some(note))
        }
        None => (
            Status::Feasible,
            None,
            Some("the solver found nothing within the time limit; returning the warm start".into()),
        ),
    }
}
