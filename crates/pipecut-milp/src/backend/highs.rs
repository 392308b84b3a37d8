//! HiGHS through good_lp (cargo feature `highs`). The `highs` crate is used
//! directly only to read HiGHS's typed model status and dual bound, which
//! good_lp drops.

use good_lp::SolverModel;
use highs::{HighsModelStatus, HighsSolutionStatus};

use super::good_lp_problem::{constraint, variables};
use super::{Backend, Settings, Solved, SolverBackend};
use crate::error::MilpError;
use crate::linear_model::LinearModel;

/// The HiGHS backend.
pub(super) struct Highs;

fn failure(status: String) -> MilpError {
    MilpError::Backend {
        backend: Backend::Highs.as_str(),
        status,
    }
}

impl SolverBackend for Highs {
    fn backend(&self) -> Backend {
        Backend::Highs
    }

    fn solve(&self, model: &LinearModel, settings: Settings) -> Result<Solved, MilpError> {
        let (vars, handles, objective) = variables(model);
        let mut problem = vars.minimise(objective).using(good_lp::highs);
        for row in &model.rows {
            problem.add_constraint(constraint(row, &handles));
        }
        let mut highs_model = problem
            .try_into_inner()
            .map_err(|e| failure(format!("{e:?}")))?;
        configure(&mut highs_model, model, settings)?;
        let solved = highs_model
            .try_solve()
            .map_err(|e| failure(format!("{e:?}")))?;
        let optimal = match solved.status() {
            HighsModelStatus::Optimal => true,
            HighsModelStatus::ReachedTimeLimit
            | HighsModelStatus::ReachedIterationLimit
            | HighsModelStatus::ReachedSolutionLimit
            | HighsModelStatus::ReachedInterrupt
            | HighsModelStatus::ReachedMemoryLimit => false,
            HighsModelStatus::Infeasible => {
                return Err(MilpError::Infeasible {
                    capacity: None,
                    reason: "the solver proved it",
                })
            }
            other => return Err(failure(format!("model status {other:?}"))),
        };
        if solved.primal_solution_status() != HighsSolutionStatus::Feasible {
            return Err(MilpError::NoSolution {
                limit_seconds: settings.limit_seconds(),
            });
        }
        let bound = solved
            .double_info_value(c"mip_dual_bound")
            .ok()
            .filter(|b| b.is_finite());
        let values = solved.get_solution().columns().to_vec();
        Ok(Solved {
            optimal,
            values,
            objective: f64::NAN,
            bound,
        })
    }
}

/// Threads, gap 0, the time limit and the starting solution.
fn configure(
    highs_model: &mut highs::Model,
    model: &LinearModel,
    settings: Settings,
) -> Result<(), MilpError> {
    // Checked options guarantee at least one thread.
    let threads = i32::try_from(settings.threads).unwrap_or(i32::MAX);
    set_option(highs_model, "threads", threads)?;
    set_option(
        highs_model,
        "parallel",
        if threads > 1 { "on" } else { "off" },
    )?;
    set_option(highs_model, "mip_rel_gap", 0.0)?;
    set_option(highs_model, "mip_abs_gap", 0.0)?;
    if let Some(limit) = settings.time_limit {
        set_option(highs_model, "time_limit", limit.as_secs_f64())?;
    }
    if let Some(start) = &model.start {
        highs_model
            .try_set_solution(Some(start), None, None, None)
            .map_err(|e| failure(format!("starting solution: {e:?}")))?;
    }
    Ok(())
}

fn set_option<V: highs::HighsOptionValue>(
    model: &mut highs::Model,
    name: &str,
    value: V,
) -> Result<(), MilpError> {
    model
        .try_set_option(name, value)
        .map_err(|e| failure(format!("option `{name}` rejected: {e:?}")))
}
