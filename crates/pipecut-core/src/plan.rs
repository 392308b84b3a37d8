//! Plans: what a partitioner returns, with everything a user or a report needs.

use serde::{Deserialize, Serialize};

use crate::eval::{evaluate_with, Prefix};
use crate::partition::Partition;
use crate::problem::Problem;
use crate::schedule::Schedule;

/// How much a plan's objective is worth.
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
    /// `sum_k t_k + (M - 1) max_k t_k`.
    Surrogate,
    /// The simulated step time.
    StepTime,
    /// A rule of thumb (layer counts, parameter balance) with no numeric objective.
    Rule,
}

/// What the simulator says about a partition; built by `pipecut-sim`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScheduleTiming {
    /// Makespan of one training step.
    pub step_time: f64,
    /// `1 - sum busy / (devices * step_time)`.
    pub bubble_fraction: f64,
    /// The stage whose idle-free chain of work sets the step time.
    pub critical_stage: usize,
}

/// How a plan was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveInfo {
    /// Name of the partitioner.
    pub algorithm: String,
    /// Optimal, feasible or heuristic.
    pub status: Status,
    /// What was minimised.
    pub objective: Objective,
    /// Best proven lower bound on the objective, if the algorithm proves one.
    pub bound: Option<f64>,
    /// Wall-clock seconds spent solving (not simulating the result).
    pub solve_seconds: f64,
    /// Anything the user should know (fallbacks, skipped moves, limits hit).
    pub notes: Vec<String>,
}

impl SolveInfo {
    /// A heuristic answer with no bound.
    pub fn heuristic(
        algorithm: impl Into<String>,
        objective: Objective,
        solve_seconds: f64,
    ) -> Self {
        SolveInfo {
            algorithm: algorithm.into(),
            status: Status::Heuristic,
            objective,
            bound: None,
            solve_seconds,
            notes: Vec::new(),
        }
    }
}

/// One stage of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    /// Stage index.
    pub stage: usize,
    /// Device that runs it.
    pub device: usize,
    /// First layer (inclusive).
    pub first: usize,
    /// Last layer (exclusive).
    pub end: usize,
    /// Names of its layers.
    pub names: Vec<String>,
    /// Sum of forward costs.
    pub forward: f64,
    /// Sum of backward costs.
    pub backward: f64,
    /// Communication charged to the stage.
    pub comm: f64,
    /// `speed * (forward + backward) + comm`.
    pub time: f64,
    /// Peak in-flight micro-batches.
    pub in_flight: usize,
    /// `param_bytes + in_flight * activation_bytes`.
    pub memory_bytes: u64,
}

/// A partition with its metrics: the output of every partitioner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Name of the partitioner.
    pub algorithm: String,
    /// Start of every stage.
    pub starts: Vec<usize>,
    /// Per-stage detail.
    pub stages: Vec<StagePlan>,
    /// `max_k t_k`.
    pub bottleneck: f64,
    /// Stage that attains the bottleneck.
    pub bottleneck_stage: usize,
    /// `sum_k t_k + (M - 1) max_k t_k`.
    pub surrogate_step_time: f64,
    /// Simulated step time (the ground truth reports use).
    pub step_time: f64,
    /// Simulated bubble fraction.
    pub bubble_fraction: f64,
    /// Stage whose idle-free chain sets the simulated step time.
    pub critical_stage: usize,
    /// Largest device memory.
    pub peak_memory_bytes: u64,
    /// Device memory capacity of the problem, if any.
    pub memory_capacity: Option<u64>,
    /// Whether every device fits the capacity.
    pub fits_memory: bool,
    /// Optimal, feasible or heuristic.
    pub status: Status,
    /// What the algorithm minimised.
    pub objective: Objective,
    /// Best proven lower bound on that objective, if any.
    pub bound: Option<f64>,
    /// Seconds spent solving.
    pub solve_seconds: f64,
    /// Schedule simulated.
    pub schedule: Schedule,
    /// Micro-batches simulated.
    pub micro_batches: usize,
    /// Unit of every time.
    pub unit: String,
    /// Fallbacks, limits, skipped moves.
    pub notes: Vec<String>,
}

impl Plan {
    /// Assembles a plan from a partition, how it was found and its simulated timing.
    pub fn new(
        problem: &Problem,
        partition: &Partition,
        info: SolveInfo,
        timing: ScheduleTiming,
    ) -> Plan {
        Plan::with_prefix(problem, &Prefix::new(problem), partition, info, timing)
    }

    /// [`Plan::new`] with prefix sums the caller already has.
    pub fn with_prefix(
        problem: &Problem,
        prefix: &Prefix,
        partition: &Partition,
        info: SolveInfo,
        timing: ScheduleTiming,
    ) -> Plan {
        let eval = evaluate_with(problem, prefix, partition);
        let layers = problem.chain().layers();
        let schedule = problem.schedule();
        let stages = eval
            .stages
            .iter()
            .enumerate()
            .map(|(k, s)| StagePlan {
                stage: k,
                device: schedule.device_of(k, problem.stages()),
                first: s.first,
                end: s.end,
                names: layers[s.first..s.end]
                    .iter()
                    .map(|l| l.name.clone())
                    .collect(),
                forward: s.forward,
                backward: s.backward,
                comm: s.comm,
                time: s.time,
                in_flight: s.in_flight,
                memory_bytes: s.memory_bytes,
            })
            .collect();
        Plan {
            algorithm: info.algorithm,
            starts: partition.starts().to_vec(),
            stages,
            bottleneck: eval.bottleneck,
            bottleneck_stage: eval.bottleneck_stage,
            surrogate_step_time: eval.surrogate_step_time,
            step_time: timing.step_time,
            bubble_fraction: timing.bubble_fraction,
            critical_stage: timing.critical_stage,
            peak_memory_bytes: eval.peak_memory_bytes,
            memory_capacity: problem.memory_capacity(),
            fits_memory: eval.fits_memory,
            status: info.status,
            objective: info.objective,
            bound: info.bound,
            solve_seconds: info.solve_seconds,
            schedule,
            micro_batches: problem.micro_batches(),
            unit: problem.chain().unit().to_string(),
            notes: info.notes,
        }
    }

    /// The plan's partition, re-validated (a plan may come from JSON).
    pub fn partition(&self) -> crate::Result<Partition> {
        let layers = self.stages.last().map_or(0, |s| s.end);
        Partition::new(self.starts.clone(), layers)
    }

    /// Pretty Plan JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan always serializes")
    }
}
