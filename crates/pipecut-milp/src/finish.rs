//! The end of every MILP solve, shared by both models: run the backend, turn
//! its answer into a partition, check that partition exactly (memory and the
//! objective the solver claims), keep the better of it and the incumbent, and
//! build the plan with an honest status.

use std::time::Instant;

use pipecut_core::{
    evaluate_with, Evaluation, Objective, Partition, Plan, Prefix, Problem, SolveInfo,
};

use crate::backend::{self, Backend, LinearModel, Settings};
use crate::error::MilpError;
use crate::options::{remaining, status_of, tolerance, MilpOptions};
use crate::staircase::Staircase;
use crate::start::Incumbent;

/// What a model hands over once it is built.
pub(crate) struct Finish<'a> {
    pub problem: &'a Problem,
    pub prefix: &'a Prefix,
    pub model: &'a LinearModel,
    pub stair: &'a Staircase,
    pub options: &'a MilpOptions,
    pub backend: Backend,
    pub started: Instant,
    pub incumbent: Option<&'a Incumbent>,
    /// The objective's unit: the model's objective times `scale` is in the
    /// chain's time unit.
    pub scale: f64,
    /// Row entries along which solver tolerances can add up.
    pub terms: usize,
    /// Partitioner name.
    pub algorithm: &'static str,
    pub objective: Objective,
    /// What the objective is, for the mismatch error.
    pub what: &'static str,
}

impl Finish<'_> {
    /// Solves and finishes; `exact_value` gives the true objective of a
    /// partition (its evaluation is at hand).
    pub fn run(
        self,
        mut notes: Vec<String>,
        exact_value: impl Fn(&Partition, &Evaluation) -> Result<f64, MilpError>,
    ) -> Result<Plan, MilpError> {
        let capacity = self.problem.memory_capacity();
        let limit = self.options.time_limit;
        let settings = Settings {
            backend: self.backend,
            time_limit: remaining(limit, self.started),
            threads: self.options.threads,
        };
        let outcome = match backend::solve(self.model, settings) {
            Ok(o) => Some(o),
            Err(MilpError::NoSolution { .. }) if self.incumbent.is_some() => None,
            Err(MilpError::Infeasible { reason, .. }) => {
                return Err(MilpError::Infeasible { capacity, reason })
            }
            Err(e) => return Err(e),
        };
        let mut chosen: Option<(Partition, f64)> = None;
        if let Some(o) = &outcome {
            let part = self.stair.partition(&o.values)?;
            let eval = evaluate_with(self.problem, self.prefix, &part);
            if let (Some(cap), false) = (capacity, eval.fits_memory) {
                return Err(MilpError::MemoryViolated {
                    starts: part.starts().to_vec(),
                    peak: eval.peak_memory_bytes,
                    capacity: cap,
                });
            }
            let actual = exact_value(&part, &eval)?;
            let claimed = o.objective * self.scale;
            // A proven optimum must match exactly (up to tolerances); an
            // incumbent may only be better than the solver's own figure.
            let off = if o.optimal {
                (actual - claimed).abs()
            } else {
                actual - claimed
            };
            if off > tolerance(self.scale, self.terms) {
                return Err(MilpError::ObjectiveMismatch {
                    what: self.what,
                    claimed,
                    actual,
                });
            }
            chosen = Some((part, actual));
        }
        if let Some(i) = self.incumbent {
            if chosen.as_ref().is_none_or(|c| i.value < c.1) {
                chosen = Some((i.partition.clone(), i.value));
            }
        }
        let Some((part, value)) = chosen else {
            return Err(MilpError::NoSolution {
                limit_seconds: limit.map_or(f64::INFINITY, |l| l.as_secs_f64()),
            });
        };
        let (status, bound) = status_of(outcome.as_ref(), self.scale, value, limit, &mut notes);
        let info = SolveInfo {
            algorithm: self.algorithm.into(),
            status,
            objective: self.objective,
            bound,
            solve_seconds: self.started.elapsed().as_secs_f64(),
            notes,
        };
        Ok(pipecut_sim::make_plan(self.problem, &part, info)?)
    }
}
