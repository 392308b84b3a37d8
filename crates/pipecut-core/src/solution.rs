//! What a partitioner returns: a partition and what it is worth, nothing the
//! caller computes better (timing, simulation, plan assembly).

use serde::{Deserialize, Serialize};

use crate::partition::Partition;

/// How much a solution's objective is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Proven optimal for its objective.
    Optimal,
    /// A solver's incumbent with a proven bound that does not (yet) meet it.
    Feasible,
    /// A heuristic's answer: no optimality claim.
    Heuristic,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Optimal => "optimal",
            Status::Feasible => "feasible",
            Status::Heuristic => "heuristic",
        })
    }
}

/// The quantity an algorithm minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// `max_k t_k`.
    Bottleneck,
    /// The busiest device's load `max_d sum_{k on d} t_k` (the bottleneck of
    /// schedules that run several stages per device).
    DeviceLoad,
    /// `sum_k t_k + (M - 1) max_k t_k`.
    Surrogate,
    /// The simulated step time.
    StepTime,
    /// A rule of thumb (layer counts, parameter balance) with no numeric objective.
    Rule,
}

/// A partitioner's answer: the partition, its status, what was minimised,
/// the proven bound and notes. The caller (see `pipecut_sim::Executor`) times
/// the solve, simulates the partition once and assembles the `Plan`.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The stage starts found.
    pub partition: Partition,
    /// Optimal, feasible or heuristic.
    pub status: Status,
    /// What was minimised.
    pub objective: Objective,
    /// Best proven lower bound on the objective, if the algorithm proves one.
    pub bound: Option<f64>,
    /// Anything the user should know (fallbacks, skipped moves, limits hit).
    pub notes: Vec<String>,
}

impl Solution {
    /// A heuristic answer: no bound, no notes.
    pub fn heuristic(partition: Partition, objective: Objective) -> Self {
        Solution {
            partition,
            status: Status::Heuristic,
            objective,
            bound: None,
            notes: Vec::new(),
        }
    }

    /// A proven optimum whose objective value is `value`.
    pub fn optimal(partition: Partition, objective: Objective, value: f64) -> Self {
        Solution {
            partition,
            status: Status::Optimal,
            objective,
            bound: Some(value),
            notes: Vec::new(),
        }
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Adds notes.
    pub fn with_notes(mut self, notes: impl IntoIterator<Item = String>) -> Self {
        self.notes.extend(notes);
        self
    }
}
