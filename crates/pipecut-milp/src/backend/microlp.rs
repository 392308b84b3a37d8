//! microlp through good_lp: pure Rust, always compiled, single-threaded.

use std::time::Instant;

use good_lp::solvers::{ResolutionError, Solution, SolutionStatus};
use good_lp::{SolverModel, WithInitialSolution, WithMipGap, WithTimeLimit};

use super::good_lp_problem::{constraint, variables};
use super::{Backend, Settings, Solved, SolverBackend};
use crate::error::MilpError;
use crate::linear_model::LinearModel;

/// The microlp backend.
pub(super) struct Microlp;

impl SolverBackend for Microlp {
    fn backend(&self) -> Backend {
        Backend::Microlp
    }

    fn solve(&self, model: &LinearModel, settings: Settings) -> Result<Solved, MilpError> {
        let started = Instant::now();
        let backend = self.backend().as_str();
        let (vars, handles, objective) = variables(model);
        let mut problem = vars
            .minimise(objective)
            .using(good_lp::microlp)
            .with_mip_gap(0.0)
            .map_err(|e| MilpError::Backend {
                backend,
                status: format!("{e:?}"),
            })?;
        if let Some(limit) = settings.time_limit {
            problem = problem.with_time_limit(limit.as_secs_f64());
        }
        if let Some(start) = &model.start {
            problem =
                problem.with_initial_solution(handles.iter().copied().zip(start.iter().copied()));
        }
        for row in &model.rows {
            problem.add_constraint(constraint(row, &handles));
        }
        match problem.solve() {
            Ok(solution) => {
                let optimal = matches!(solution.status(), SolutionStatus::Optimal);
                let values: Vec<f64> = handles.iter().map(|&h| solution.value(h)).collect();
                let bound = solution.into_inner().stats().best_bound;
                Ok(Solved {
                    optimal,
                    values,
                    objective: f64::NAN,
                    bound,
                })
            }
            Err(ResolutionError::Infeasible) => Err(MilpError::Infeasible {
                capacity: None,
                reason: "the solver proved it",
            }),
            // good_lp maps microlp's typed `Interrupted` outcome (a limit fired
            // before any feasible assignment) to this variant and to nothing else.
            Err(ResolutionError::Other(_)) if settings.time_limit.is_some() => {
                Err(MilpError::NoSolution {
                    limit_seconds: settings.limit_seconds(),
                })
            }
            Err(e) => Err(MilpError::Backend {
                backend,
                status: format!(
                    "{e:?} after {} s",
                    pipecut_core::format::number(started.elapsed().as_secs_f64())
                ),
            }),
        }
    }
}
