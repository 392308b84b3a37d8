//! Every partitioner by name: one static table ([`ALGORITHMS`]) of name,
//! kind, objective, description and constructor. Only what is asked for is
//! built; the names come from the partitioners themselves.

use crate::config::SolverSettings;
use crate::core::{Objective, Partitioner, Threaded, TimeLimited};
use crate::error::Error;
use crate::portfolio::Auto;
use crate::{exact, heuristics, milp};

/// What family a partitioner belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Proven optimal for its objective, in polynomial time.
    Exact,
    /// A search without an optimality proof (AutoPipe).
    Heuristic,
    /// What a framework ships today, reproduced.
    Baseline,
    /// A mixed-integer program: proven optimal or bounded within a time limit.
    Milp,
    /// Runs several methods and keeps the best simulated split.
    Portfolio,
}

impl Kind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Heuristic => "heuristic",
            Kind::Baseline => "baseline",
            Kind::Milp => "milp",
            Kind::Portfolio => "portfolio",
        }
    }
}

/// One row of the registry.
#[derive(Debug)]
pub struct Algorithm {
    /// Name on the command line (`exact`, `torchtitan`, ...).
    pub name: &'static str,
    /// Family.
    pub kind: Kind,
    /// What it minimises.
    pub objective: Objective,
    /// One line saying what it does and what it guarantees.
    pub description: &'static str,
    build: fn(&SolverSettings) -> Box<dyn Partitioner>,
}

impl Algorithm {
    /// Builds the partitioner with `settings`.
    pub fn build(&self, settings: &SolverSettings) -> Box<dyn Partitioner> {
        (self.build)(settings)
    }
}

/// Every partitioner: the default portfolio, the exact solvers, then
/// AutoPipe, the framework baselines and the MILP models (the order
/// `pipecut algorithms` lists).
pub static ALGORITHMS: &[Algorithm] = &[
    Algorithm {
        name: Auto::NAME,
        kind: Kind::Portfolio,
        objective: Objective::StepTime,
        description: Auto::DESCRIPTION,
        build: |_| Box::new(Auto::default()),
    },
    Algorithm {
        name: exact::Exact::NAME,
        kind: Kind::Exact,
        objective: Objective::Bottleneck,
        description: exact::Exact::DESCRIPTION,
        build: |_| Box::new(exact::Exact::default()),
    },
    Algorithm {
        name: exact::Dp::BOTTLENECK_NAME,
        kind: Kind::Exact,
        objective: Objective::Bottleneck,
        description: exact::Dp::BOTTLENECK_DESCRIPTION,
        build: |_| Box::new(exact::Dp::bottleneck()),
    },
    Algorithm {
        name: exact::Dp::SURROGATE_NAME,
        kind: Kind::Exact,
        objective: Objective::Surrogate,
        description: exact::Dp::SURROGATE_DESCRIPTION,
        build: |_| Box::new(exact::Dp::surrogate()),
    },
    Algorithm {
        name: exact::ExactStepTime::NAME,
        kind: Kind::Exact,
        objective: Objective::StepTime,
        description: exact::ExactStepTime::DESCRIPTION,
        build: |s| {
            let mut solver = exact::ExactStepTime::default();
            solver.set_time_limit(s.time_limit());
            Box::new(solver)
        },
    },
    Algorithm {
        name: heuristics::Uniform::NAME,
        kind: Kind::Baseline,
        objective: Objective::Rule,
        description: heuristics::Uniform::DESCRIPTION,
        build: |_| Box::new(heuristics::Uniform),
    },
    Algorithm {
        name: heuristics::Torchtitan::NAME,
        kind: Kind::Baseline,
        objective: Objective::Rule,
        description: heuristics::Torchtitan::DESCRIPTION,
        build: |_| Box::new(heuristics::Torchtitan::default()),
    },
    Algorithm {
        name: heuristics::Megatron::NAME,
        kind: Kind::Baseline,
        objective: Objective::Rule,
        description: heuristics::Megatron::DESCRIPTION,
        build: |_| Box::new(heuristics::Megatron),
    },
    Algorithm {
        name: heuristics::DeepSpeed::NAME,
        kind: Kind::Baseline,
        objective: Objective::Rule,
        description: heuristics::DeepSpeed::DESCRIPTION,
        build: |_| Box::new(heuristics::DeepSpeed),
    },
    Algorithm {
        name: heuristics::Greedy::NAME,
        kind: Kind::Baseline,
        objective: Objective::Bottleneck,
        description: heuristics::Greedy::DESCRIPTION,
        build: |_| Box::new(heuristics::Greedy),
    },
    Algorithm {
        name: heuristics::AutoPipeReference::NAME,
        kind: Kind::Heuristic,
        objective: Objective::StepTime,
        description: heuristics::AutoPipeReference::DESCRIPTION,
        build: |_| Box::new(heuristics::AutoPipeReference),
    },
    Algorithm {
        name: heuristics::AutoPipe::NAME,
        kind: Kind::Heuristic,
        objective: Objective::StepTime,
        description: heuristics::AutoPipe::DESCRIPTION,
        build: |_| Box::new(heuristics::AutoPipe::default()),
    },
    // What torchtitan's autopartition experiment ships, so a baseline: like
    // the other framework rules it refuses the schedules it does not model.
    Algorithm {
        name: heuristics::AutoPipeTorchtitan::NAME,
        kind: Kind::Baseline,
        objective: Objective::StepTime,
        description: heuristics::AutoPipeTorchtitan::DESCRIPTION,
        build: |_| Box::new(heuristics::AutoPipeTorchtitan),
    },
    Algorithm {
        name: milp::MilpBottleneck::NAME,
        kind: Kind::Milp,
        objective: Objective::Bottleneck,
        description: milp::MilpBottleneck::DESCRIPTION,
        build: |s| Box::new(configured(milp::MilpBottleneck::default(), s)),
    },
    Algorithm {
        name: milp::MilpStepTime::NAME,
        kind: Kind::Milp,
        objective: Objective::StepTime,
        description: milp::MilpStepTime::DESCRIPTION,
        build: |s| Box::new(configured(milp::MilpStepTime::default(), s)),
    },
];

/// A MILP partitioner with the settings applied.
fn configured<T: TimeLimited + Threaded + milp::BackendChoice>(
    mut solver: T,
    s: &SolverSettings,
) -> T {
    if let Some(backend) = s.milp_backend() {
        solver.set_backend(backend);
    }
    solver.set_time_limit(s.time_limit());
    solver.set_threads(s.threads());
    solver
}

/// The algorithm `pipecut plan` uses unless told otherwise: the portfolio
/// that keeps the least simulated step time ([`Auto`]).
pub const DEFAULT_ALGORITHM: &str = Auto::NAME;

/// The registry row called `name`.
pub fn find(name: &str) -> Result<&'static Algorithm, Error> {
    ALGORITHMS
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| Error::UnknownAlgorithm {
            name: name.to_string(),
            known: names().map(str::to_string).collect(),
        })
}

/// The partitioner called `name`, built with `settings`.
pub fn build(name: &str, settings: &SolverSettings) -> Result<Box<dyn Partitioner>, Error> {
    Ok(find(name)?.build(settings))
}

/// Every partitioner, in table order, built with `settings` (what `compare`
/// and the harness run by default).
pub fn build_all(settings: &SolverSettings) -> Vec<Box<dyn Partitioner>> {
    ALGORITHMS.iter().map(|a| a.build(settings)).collect()
}

/// The partitioners called `names`, or every one when `names` is empty.
pub fn build_named(
    names: &[String],
    settings: &SolverSettings,
) -> Result<Vec<Box<dyn Partitioner>>, Error> {
    if names.is_empty() {
        return Ok(build_all(settings));
    }
    names.iter().map(|n| build(n, settings)).collect()
}

/// Every name, in table order.
pub fn names() -> impl Iterator<Item = &'static str> {
    ALGORITHMS.iter().map(|a| a.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_match_what_is_built() {
        let settings = crate::SolverConfig::default().check().unwrap();
        let mut seen = std::collections::HashSet::new();
        for a in ALGORITHMS {
            assert!(seen.insert(a.name), "duplicate {}", a.name);
            let built = a.build(&settings);
            assert_eq!(built.name(), a.name);
            assert_eq!(built.description(), a.description);
        }
        assert!(find(DEFAULT_ALGORITHM).is_ok());
        assert!(matches!(find("nope"), Err(Error::UnknownAlgorithm { .. })));
    }
}
