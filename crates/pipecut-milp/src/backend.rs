//! Backends and the small linear model both formulations are written in.
//!
//! The formulations fill a [`LinearModel`] (bounded variables, `<=`/`>=`/`=`
//! rows, a linear objective, an optional full starting point); [`solve`]
//! hands it to good_lp with the chosen backend and maps the backend's typed
//! status onto [`Outcome`] or a [`MilpError`]. No solver message is ever
//! parsed.

use std::time::{Duration, Instant};

use crate::error::MilpError;

/// A MILP backend compiled into this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// microlp, pure Rust, always compiled. Single-threaded; honours the time
    /// limit in its simplex and branch and bound loops; reports a best bound.
    Microlp,
    /// HiGHS (cargo feature `highs`). Threads, time limit, MIP gap and the
    /// starting solution go to HiGHS's own options; reports its dual bound.
    Highs,
}

impl Backend {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Microlp => "microlp",
            Backend::Highs => "highs",
        }
    }

    /// Whether this build contains the backend.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Microlp => true,
            Backend::Highs => cfg!(feature = "highs"),
        }
    }

    /// The backend if compiled in, else [`MilpError::BackendNotCompiled`].
    pub fn ensure_available(self) -> Result<Backend, MilpError> {
        if self.is_available() {
            Ok(self)
        } else {
            Err(MilpError::BackendNotCompiled {
                requested: self,
                available: available_backends()
                    .iter()
                    .map(|b| b.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }
}

impl Default for Backend {
    /// HiGHS when compiled in, else microlp.
    fn default() -> Self {
        if cfg!(feature = "highs") {
            Backend::Highs
        } else {
            Backend::Microlp
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Backend {
    type Err = MilpError;

    /// Parses `microlp` or `highs` (ASCII case-insensitive). A known backend
    /// that is not compiled in parses fine; [`Backend::ensure_available`] (and
    /// every solve) rejects it with a typed error.
    fn from_str(s: &str) -> Result<Self, MilpError> {
        match s.to_ascii_lowercase().as_str() {
            "microlp" => Ok(Backend::Microlp),
            "highs" => Ok(Backend::Highs),
            _ => Err(MilpError::UnknownBackend {
                value: s.to_string(),
            }),
        }
    }
}

/// The backends compiled into this build, the default first.
pub fn available_backends() -> Vec<Backend> {
    let mut all = vec![Backend::default()];
    for b in [Backend::Highs, Backend::Microlp] {
        if b.is_available() && !all.contains(&b) {
            all.push(b);
        }
    }
    all
}

/// Direction of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sense {
    Le,
    Ge,
    Eq,
}

/// A linear expression `constant + sum coef * var`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinExpr {
    pub constant: f64,
    pub terms: Vec<(usize, f64)>,
}

impl LinExpr {
    pub fn var(v: usize) -> Self {
        LinExpr {
            constant: 0.0,
            terms: vec![(v, 1.0)],
        }
    }

    pub fn add_term(&mut self, v: usize, coef: f64) {
        if coef != 0.0 {
            self.terms.push((v, coef));
        }
    }

    pub fn add_expr(&mut self, other: &LinExpr, scale: f64) {
        self.constant += scale * other.constant;
        for &(v, c) in &other.terms {
            self.add_term(v, scale * c);
        }
    }

    /// Merges repeated variables and drops zero coefficients.
    pub fn compact(mut self) -> Self {
        self.terms.sort_by_key(|t| t.0);
        let mut out: Vec<(usize, f64)> = Vec::with_capacity(self.terms.len());
        for (v, c) in self.terms {
            match out.last_mut() {
                Some(last) if last.0 == v => last.1 += c,
                _ => out.push((v, c)),
            }
        }
        out.retain(|t| t.1 != 0.0);
        self.terms = out;
        self
    }

    pub fn eval(&self, x: &[f64]) -> f64 {
        self.constant + self.terms.iter().map(|&(v, c)| c * x[v]).sum::<f64>()
    }
}

/// One variable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VarDef {
    pub lower: f64,
    pub upper: f64,
    pub integer: bool,
}

/// A row `expr (<= | >= | =) 0`.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub expr: LinExpr,
    pub sense: Sense,
}

/// A minimisation MILP.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinearModel {
    pub vars: Vec<VarDef>,
    pub rows: Vec<Row>,
    pub objective: LinExpr,
    /// A full starting point (one value per variable), if known.
    pub start: Option<Vec<f64>>,
}

impl LinearModel {
    pub fn add_var(&mut self, lower: f64, upper: f64, integer: bool) -> usize {
        self.vars.push(VarDef {
            lower,
            upper,
            integer,
        });
        self.vars.len() - 1
    }

    /// Adds `expr sense 0`; rows without variables are checked instead
    /// (returns false when such a constant row is violated).
    pub fn add_row(&mut self, expr: LinExpr, sense: Sense) -> bool {
        let expr = expr.compact();
        if expr.terms.is_empty() {
            let c = expr.constant;
            let tol = 1e-9 * (1.0 + c.abs());
            return match sense {
                Sense::Le => c <= tol,
                Sense::Ge => c >= -tol,
                Sense::Eq => c.abs() <= tol,
            };
        }
        self.rows.push(Row { expr, sense });
        true
    }

    /// Largest violation of a row or bound by `x` (0 when feasible).
    #[cfg(test)]
    pub fn max_violation(&self, x: &[f64]) -> f64 {
        let mut worst: f64 = 0.0;
        for (v, d) in self.vars.iter().enumerate() {
            worst = worst.max(d.lower - x[v]).max(x[v] - d.upper);
        }
        for r in &self.rows {
            let e = r.expr.eval(x);
            let viol = match r.sense {
                Sense::Le => e,
                Sense::Ge => -e,
                Sense::Eq => e.abs(),
            };
            worst = worst.max(viol);
        }
        worst
    }
}

/// Solve settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub backend: Backend,
    pub time_limit: Option<Duration>,
    /// microlp is single-threaded; only HiGHS reads this.
    #[cfg_attr(not(feature = "highs"), allow(dead_code))]
    pub threads: usize,
}

/// What a backend returned.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Proven optimal (gap 0).
    pub optimal: bool,
    /// Values of every variable.
    pub values: Vec<f64>,
    /// Objective value of `values`.
    pub objective: f64,
    /// Best proven lower bound, if the backend reports one.
    pub bound: Option<f64>,
}

/// Solves `model` with the chosen backend.
pub(crate) fn solve(model: &LinearModel, settings: Settings) -> Result<Outcome, MilpError> {
    let backend = settings.backend.ensure_available()?;
    let started = Instant::now();
    // A third-party solver must not take the caller down with it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match backend {
        Backend::Microlp => solve_microlp(model, settings, started),
        Backend::Highs => solve_highs(model, settings),
    }));
    let mut outcome = result.map_err(|_| MilpError::BackendPanicked { backend })??;
    outcome.objective = model.objective.eval(&outcome.values);
    Ok(outcome)
}

fn good_lp_problem(
    model: &LinearModel,
) -> (
    good_lp::ProblemVariables,
    Vec<good_lp::Variable>,
    good_lp::Expression,
) {
    use good_lp::{variable, Expression, ProblemVariables};
    let mut vars = ProblemVariables::new();
    let handles: Vec<good_lp::Variable> = model
        .vars
        .iter()
        .map(|d| {
            let mut def = variable().min(d.lower).max(d.upper);
            if d.integer {
                def = def.integer();
            }
            vars.add(def)
        })
        .collect();
    let mut objective = Expression::from(model.objective.constant);
    for &(v, c) in &model.objective.terms {
        objective.add_mul(c, handles[v]);
    }
    (vars, handles, objective)
}

fn good_lp_constraint(row: &Row, handles: &[good_lp::Variable]) -> good_lp::Constraint {
    let mut e = good_lp::Expression::from(row.expr.constant);
    for &(v, c) in &row.expr.terms {
        e.add_mul(c, handles[v]);
    }
    match row.sense {
        Sense::Le => e.leq(0.0),
        Sense::Ge => e.geq(0.0),
        Sense::Eq => e.eq(0.0),
    }
}

fn solve_microlp(
    model: &LinearModel,
    settings: Settings,
    started: Instant,
) -> Result<Outcome, MilpError> {
    use good_lp::solvers::{ResolutionError, Solution, SolutionStatus};
    use good_lp::{SolverModel, WithInitialSolution, WithMipGap, WithTimeLimit};
    let backend = Backend::Microlp;
    let (vars, handles, objective) = good_lp_problem(model);
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
        problem = problem.with_initial_solution(handles.iter().copied().zip(start.iter().copied()));
    }
    for row in &model.rows {
        problem.add_constraint(good_lp_constraint(row, &handles));
    }
    match problem.solve() {
        Ok(solution) => {
            let optimal = matches!(solution.status(), SolutionStatus::Optimal);
            let values: Vec<f64> = handles.iter().map(|&h| solution.value(h)).collect();
            let bound = solution.into_inner().stats().best_bound;
            Ok(Outcome {
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
                limit_seconds: settings
                    .time_limit
                    .map_or(f64::INFINITY, |l| l.as_secs_f64()),
            })
        }
        Err(e) => Err(MilpError::Backend {
            backend,
            status: format!("{e:?} after {:.3} s", started.elapsed().as_secs_f64()),
        }),
    }
}

#[cfg(feature = "highs")]
fn solve_highs(model: &LinearModel, settings: Settings) -> Result<Outcome, MilpError> {
    use good_lp::SolverModel;
    use highs::{HighsModelStatus, HighsSolutionStatus};
    let backend = Backend::Highs;
    let fail = |status: String| MilpError::Backend { backend, status };
    let (vars, handles, objective) = good_lp_problem(model);
    let mut problem = vars.minimise(objective).using(good_lp::highs);
    for row in &model.rows {
        problem.add_constraint(good_lp_constraint(row, &handles));
    }
    let mut highs_model = problem
        .try_into_inner()
        .map_err(|e| fail(format!("{e:?}")))?;
    let threads = i32::try_from(settings.threads.max(1)).unwrap_or(i32::MAX);
    set_highs_option(&mut highs_model, "threads", threads)?;
    set_highs_option(
        &mut highs_model,
        "parallel",
        if threads > 1 { "on" } else { "off" },
    )?;
    set_highs_option(&mut highs_model, "mip_rel_gap", 0.0)?;
    set_highs_option(&mut highs_model, "mip_abs_gap", 0.0)?;
    if let Some(limit) = settings.time_limit {
        set_highs_option(&mut highs_model, "time_limit", limit.as_secs_f64())?;
    }
    if let Some(start) = &model.start {
        highs_model
            .try_set_solution(Some(start), None, None, None)
            .map_err(|e| fail(format!("starting solution: {e:?}")))?;
    }
    let solved = highs_model
        .try_solve()
        .map_err(|e| fail(format!("{e:?}")))?;
    let status = solved.status();
    let has_solution = solved.primal_solution_status() == HighsSolutionStatus::Feasible;
    let optimal = match status {
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
        other => return Err(fail(format!("model status {other:?}"))),
    };
    if !has_solution {
        return Err(MilpError::NoSolution {
            limit_seconds: settings
                .time_limit
                .map_or(f64::INFINITY, |l| l.as_secs_f64()),
        });
    }
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite());
    let values = solved.get_solution().columns().to_vec();
    Ok(Outcome {
        optimal,
        values,
        objective: f64::NAN,
        bound,
    })
}

#[cfg(feature = "highs")]
fn set_highs_option<V: highs::HighsOptionValue>(
    model: &mut highs::Model,
    name: &str,
    value: V,
) -> Result<(), MilpError> {
    model
        .try_set_option(name, value)
        .map_err(|e| MilpError::Backend {
            backend: Backend::Highs,
            status: format!("option `{name}` rejected: {e:?}"),
        })
}

#[cfg(not(feature = "highs"))]
fn solve_highs(_model: &LinearModel, _settings: Settings) -> Result<Outcome, MilpError> {
    Backend::Highs.ensure_available().map(|_| unreachable!())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_typed() {
        for b in [Backend::Microlp, Backend::Highs] {
            assert_eq!(b.to_string().parse::<Backend>().unwrap(), b);
        }
        assert!(matches!(
            "cplex".parse::<Backend>(),
            Err(MilpError::UnknownBackend { value }) if value == "cplex"
        ));
        assert_eq!(available_backends()[0], Backend::default());
        assert!(available_backends().contains(&Backend::Microlp));
        assert_eq!(
            available_backends().contains(&Backend::Highs),
            cfg!(feature = "highs")
        );
    }

    #[cfg(not(feature = "highs"))]
    #[test]
    fn highs_without_the_feature_is_a_typed_error() {
        assert_eq!(Backend::default(), Backend::Microlp);
        assert!(matches!(
            Backend::Highs.ensure_available(),
            Err(MilpError::BackendNotCompiled {
                requested: Backend::Highs,
                ..
            })
        ));
    }

    fn knapsack() -> LinearModel {
        // min -(5a + 4b + 3c) s.t. 2a + 3b + c <= 5 over binaries.
        let mut m = LinearModel::default();
        let a = m.add_var(0.0, 1.0, true);
        let b = m.add_var(0.0, 1.0, true);
        let c = m.add_var(0.0, 1.0, true);
        m.objective = LinExpr {
            constant: 0.0,
            terms: vec![(a, -5.0), (b, -4.0), (c, -3.0)],
        };
        m.add_row(
            LinExpr {
                constant: -5.0,
                terms: vec![(a, 2.0), (b, 3.0), (c, 1.0)],
            },
            Sense::Le,
        );
        m
    }

    #[test]
    fn every_compiled_backend_solves_a_small_mip() {
        for backend in available_backends() {
            let settings = Settings {
                backend,
                time_limit: Some(Duration::from_secs(10)),
                threads: 1,
            };
            let out = solve(&knapsack(), settings).unwrap();
            assert!(out.optimal, "{backend}");
            // a + b (cost 5) gives 9, a + c gives 8, b + c gives 7.
            assert!(
                (out.objective + 9.0).abs() < 1e-9,
                "{backend}: {}",
                out.objective
            );
            let mut start = knapsack();
            start.start = Some(vec![1.0, 0.0, 1.0]);
            let out = solve(&start, settings).unwrap();
            assert!((out.objective + 9.0).abs() < 1e-9);
            // An infeasible model is typed, not a string.
            let mut bad = knapsack();
            bad.add_row(
                LinExpr {
                    constant: -3.0,
                    terms: vec![(0, 1.0), (1, 1.0), (2, 1.0)],
                },
                Sense::Ge,
            );
            assert!(matches!(
                solve(&bad, settings),
                Err(MilpError::Infeasible { .. })
            ));
        }
    }

    #[test]
    fn constant_rows_are_checked_not_added() {
        let mut m = LinearModel::default();
        assert!(m.add_row(LinExpr::default(), Sense::Eq));
        assert!(!m.add_row(
            LinExpr {
                constant: 1.0,
                terms: vec![]
            },
            Sense::Le
        ));
        assert!(m.rows.is_empty());
    }
}
