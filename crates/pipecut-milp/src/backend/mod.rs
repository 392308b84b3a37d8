//! Backends: which ones this build has, how to pick one, and the one trait
//! each implements (one file per backend, good_lp-style).
//!
//! The formulations fill a [`LinearModel`]; [`solve`] hands it to the chosen
//! backend through [`SolverBackend`] and returns a [`Solved`] point or a typed
//! [`MilpError`]. Every backend maps its solver's typed status; no solver
//! message is ever parsed.
//!
//! - `good_lp_problem`: the translation of a [`LinearModel`] into good_lp
//!   variables, objective and constraints, shared by both backends;
//! - `microlp`: microlp through good_lp (pure Rust, always compiled);
//! - `highs`: HiGHS through good_lp and the `highs` crate (feature `highs`).

mod good_lp_problem;
#[cfg(feature = "highs")]
mod highs;
mod microlp;

use std::time::Duration;

use crate::error::MilpError;
use crate::linear_model::LinearModel;

/// A MILP backend.
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
            Err(self.not_compiled())
        }
    }

    fn not_compiled(self) -> MilpError {
        MilpError::BackendNotCompiled {
            requested: self.as_str(),
            available: available_backends()
                .iter()
                .map(|b| b.as_str())
                .collect::<Vec<_>>()
                .join(", "),
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
    fn from_str(s: &str) -> Result<Self, Self::Err> {
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

/// What a backend is told besides the model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Time left for the backend (`None`: no limit).
    pub time_limit: Option<Duration>,
    /// Threads, at least 1 (checked options guarantee it); microlp is
    /// single-threaded and only HiGHS reads this.
    #[cfg_attr(not(feature = "highs"), allow(dead_code))]
    pub threads: usize,
}

impl Settings {
    /// The limit in seconds, for error messages (infinite without one).
    pub fn limit_seconds(&self) -> f64 {
        self.time_limit.map_or(f64::INFINITY, |l| l.as_secs_f64())
    }
}

/// A point a backend returned.
#[derive(Debug, Clone)]
pub(crate) struct Solved {
    /// Proven optimal (gap 0).
    pub optimal: bool,
    /// Values of every variable.
    pub values: Vec<f64>,
    /// Objective value of `values`.
    pub objective: f64,
    /// Best proven lower bound, if the backend reports one.
    pub bound: Option<f64>,
}

/// One backend. `solve` returns the values of every variable; a model the
/// solver proves infeasible is [`MilpError::Infeasible`] (capacity unknown
/// here: the caller fills it in), a limit that expires before any feasible
/// point is [`MilpError::NoSolution`].
pub(crate) trait SolverBackend {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Solves `model` (gap 0) within `settings`. `Solved::objective` may be
    /// left as NaN: [`solve`] recomputes it from the values.
    fn solve(&self, model: &LinearModel, settings: Settings) -> Result<Solved, MilpError>;
}

/// The implementation of `backend`, when compiled in.
fn implementation(backend: Backend) -> Result<&'static dyn SolverBackend, MilpError> {
    match backend {
        Backend::Microlp => Ok(&microlp::Microlp),
        #[cfg(feature = "highs")]
        Backend::Highs => Ok(&highs::Highs),
        #[cfg(not(feature = "highs"))]
        Backend::Highs => Err(backend.not_compiled()),
    }
}

/// Solves `model` with `backend`. A panic inside the third-party solver is
/// caught and returned as [`MilpError::BackendPanicked`].
pub(crate) fn solve(
    model: &LinearModel,
    backend: Backend,
    settings: Settings,
) -> Result<Solved, MilpError> {
    let solver = implementation(backend)?;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        solver.solve(model, settings)
    }));
    let mut solved = result.map_err(|_| MilpError::BackendPanicked {
        backend: solver.backend().as_str(),
    })??;
    solved.objective = model.objective.eval(&solved.values);
    Ok(solved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear_model::{LinExpr, Sense};

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
                requested: "highs",
                ..
            })
        ));
        assert!(matches!(
            solve(&knapsack(), Backend::Highs, settings()),
            Err(MilpError::BackendNotCompiled { .. })
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

    fn settings() -> Settings {
        Settings {
            time_limit: Some(Duration::from_secs(10)),
            threads: 1,
        }
    }

    #[test]
    fn every_compiled_backend_solves_a_small_mip() {
        for backend in available_backends() {
            let out = solve(&knapsack(), backend, settings()).unwrap();
            assert!(out.optimal, "{backend}");
            // a + b (cost 5) gives 9, a + c gives 8, b + c gives 7.
            assert!(
                (out.objective + 9.0).abs() < 1e-9,
                "{backend}: {}",
                out.objective
            );
            let mut start = knapsack();
            start.start = Some(vec![1.0, 0.0, 1.0]);
            let out = solve(&start, backend, settings()).unwrap();
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
                solve(&bad, backend, settings()),
                Err(MilpError::Infeasible { .. })
            ));
        }
    }
}
