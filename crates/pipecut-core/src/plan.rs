//! Plans: a solved partition with everything a user or a report needs, built
//! once by `pipecut_sim::Executor` from a [`Solution`](crate::Solution), its
//! [`Evaluation`] and its [`Simulation`].

use serde::{Deserialize, Serialize};

use crate::eval::{Evaluation, StageEval};
use crate::partition::Partition;
use crate::problem::Problem;
use crate::schedule::Schedule;
use crate::simulation::Simulation;
use crate::solution::{Objective, Solution, Status};

/// A partition with its metrics: what `pipecut plan` prints and the harness
/// reports. It holds the evaluation and the simulation instead of copies of
/// their fields; the accessors read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "PlanRecord", try_from = "PlanRecord")]
pub struct Plan {
    /// Name of the partitioner.
    pub algorithm: String,
    /// The stage starts.
    pub partition: Partition,
    /// Stage times, bottleneck, surrogate and memory.
    pub evaluation: Evaluation,
    /// The simulated step (with its timeline when one was asked for).
    pub simulation: Simulation,
    /// Optimal, feasible or heuristic.
    pub status: Status,
    /// What the algorithm minimised.
    pub objective: Objective,
    /// Best proven lower bound on that objective, if any.
    pub bound: Option<f64>,
    /// Seconds spent solving (not simulating or assembling).
    pub solve_seconds: f64,
    /// Schedule simulated.
    pub schedule: Schedule,
    /// Micro-batches simulated.
    pub micro_batches: usize,
    /// Unit of every time.
    pub unit: String,
    /// Device memory capacity of the problem, if any.
    pub memory_capacity: Option<u64>,
    /// Fallbacks, limits, skipped moves.
    pub notes: Vec<String>,
    /// Name of every layer of the chain, in order.
    pub layer_names: Vec<String>,
}

impl Plan {
    /// Puts a solution together with its evaluation and simulation.
    pub fn assemble(
        problem: &Problem,
        algorithm: impl Into<String>,
        solution: Solution,
        evaluation: Evaluation,
        simulation: Simulation,
        solve_seconds: f64,
    ) -> Plan {
        let mut notes = solution.notes;
        notes.extend(assumed_split_note(problem));
        notes.extend(pair_overlap_note(problem));
        Plan {
            algorithm: algorithm.into(),
            partition: solution.partition,
            evaluation,
            simulation,
            status: solution.status,
            objective: solution.objective,
            bound: solution.bound,
            solve_seconds,
            schedule: problem.schedule(),
            micro_batches: problem.micro_batches(),
            unit: problem.chain().unit().to_string(),
            memory_capacity: problem.memory_capacity(),
            notes,
            layer_names: problem
                .chain()
                .layers()
                .iter()
                .map(|l| l.name.clone())
                .collect(),
        }
    }

    /// Start of every stage.
    pub fn starts(&self) -> &[usize] {
        self.partition.starts()
    }

    /// Simulated step time (the ground truth reports use).
    pub fn step_time(&self) -> f64 {
        self.simulation.step_time
    }

    /// Simulated bubble fraction.
    pub fn bubble_fraction(&self) -> f64 {
        self.simulation.bubble_fraction
    }

    /// Stage whose idle-free chain sets the simulated step time.
    pub fn critical_stage(&self) -> usize {
        self.simulation.critical_stage
    }

    /// `max_k t_k`.
    pub fn bottleneck(&self) -> f64 {
        self.evaluation.bottleneck
    }

    /// Stage that attains the bottleneck.
    pub fn bottleneck_stage(&self) -> usize {
        self.evaluation.bottleneck_stage
    }

    /// `sum_k t_k + (M - 1) max_k t_k`.
    pub fn surrogate_step_time(&self) -> f64 {
        self.evaluation.surrogate_step_time
    }

    /// Largest device memory.
    pub fn peak_memory_bytes(&self) -> u64 {
        self.evaluation.peak_memory_bytes
    }

    /// Whether every device fits the capacity.
    pub fn fits_memory(&self) -> bool {
        self.evaluation.fits_memory
    }

    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.partition.stages()
    }

    /// Device that runs stage `stage`.
    pub fn device_of(&self, stage: usize) -> usize {
        self.schedule.device_of(stage, self.partition.stages())
    }

    /// Names of the layers of stage `stage` (empty out of range).
    pub fn stage_names(&self, stage: usize) -> &[String] {
        match self.evaluation.stages.get(stage) {
            Some(s) => &self.layer_names[s.first..s.end],
            None => &[],
        }
    }

    /// Per-stage detail with device and layer names, as Plan JSON lists it.
    pub fn stage_plans(&self) -> Vec<StagePlan> {
        self.evaluation
            .stages
            .iter()
            .enumerate()
            .map(|(k, s)| StagePlan {
                stage: k,
                device: self.device_of(k),
                eval: s.clone(),
                names: self.stage_names(k).to_vec(),
            })
            .collect()
    }

    /// Pretty Plan JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan always serializes")
    }
}

/// The note a plan carries when its schedule splits backwards and some
/// layers leave the split to the default.
fn assumed_split_note(problem: &Problem) -> Option<String> {
    let layers = problem.chain().layers();
    let assumed = layers
        .iter()
        .filter(|l| l.backward_weight.is_none())
        .count();
    (problem.schedule().splits_backward() && assumed > 0).then(|| {
        format!(
            "backward_weight not given for {assumed} of {} layers: half of each of their backwards taken as its weight-gradient part (PyTorch's convention)",
            layers.len()
        )
    })
}

/// The note a plan carries when overlapped pairs were simulated as running
/// at once.
fn pair_overlap_note(problem: &Problem) -> Option<String> {
    (problem.pair_overlap() == crate::PairOverlap::Perfect).then(|| {
        "overlapped forward/backward pairs simulated as running at once (pair_overlap = perfect): \
         the best an overlap function can reach, not what PyTorch's runtime does without one"
            .to_string()
    })
}

/// One stage of a plan, as Plan JSON lists it: its index, its device, its
/// metrics and its layers' names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    /// Stage index.
    pub stage: usize,
    /// Device that runs it.
    pub device: usize,
    /// The stage's metrics.
    #[serde(flatten)]
    pub eval: StageEval,
    /// Names of its layers.
    pub names: Vec<String>,
}

/// Plan JSON: the flat layout users and scripts read.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanRecord {
    algorithm: String,
    starts: Vec<usize>,
    stages: Vec<StagePlan>,
    bottleneck: f64,
    bottleneck_stage: usize,
    surrogate_step_time: f64,
    step_time: f64,
    bubble_fraction: f64,
    critical_stage: usize,
    /// Memory of each device (the sum over its stages).
    #[serde(default)]
    device_memory_bytes: Vec<u64>,
    peak_memory_bytes: u64,
    memory_capacity: Option<u64>,
    fits_memory: bool,
    status: Status,
    objective: Objective,
    bound: Option<f64>,
    solve_seconds: f64,
    schedule: Schedule,
    micro_batches: usize,
    unit: String,
    notes: Vec<String>,
}

impl From<Plan> for PlanRecord {
    fn from(plan: Plan) -> Self {
        PlanRecord {
            stages: plan.stage_plans(),
            starts: plan.partition.starts().to_vec(),
            bottleneck: plan.evaluation.bottleneck,
            bottleneck_stage: plan.evaluation.bottleneck_stage,
            surrogate_step_time: plan.evaluation.surrogate_step_time,
            step_time: plan.simulation.step_time,
            bubble_fraction: plan.simulation.bubble_fraction,
            critical_stage: plan.simulation.critical_stage,
            device_memory_bytes: plan.evaluation.device_memory_bytes.clone(),
            peak_memory_bytes: plan.evaluation.peak_memory_bytes,
            fits_memory: plan.evaluation.fits_memory,
            memory_capacity: plan.memory_capacity,
            algorithm: plan.algorithm,
            status: plan.status,
            objective: plan.objective,
            bound: plan.bound,
            solve_seconds: plan.solve_seconds,
            schedule: plan.schedule,
            micro_batches: plan.micro_batches,
            unit: plan.unit,
            notes: plan.notes,
        }
    }
}

impl TryFrom<PlanRecord> for Plan {
    type Error = crate::Error;

    fn try_from(r: PlanRecord) -> crate::Result<Plan> {
        let layers = r.stages.last().map_or(0, |s| s.eval.end);
        let partition = Partition::new(r.starts, layers)?;
        let devices = r.stages.iter().map(|s| s.device + 1).max().unwrap_or(0);
        let mut device_memory_bytes = vec![0u64; devices];
        for s in &r.stages {
            device_memory_bytes[s.device] =
                device_memory_bytes[s.device].saturating_add(s.eval.memory_bytes);
        }
        let layer_names = r
            .stages
            .iter()
            .flat_map(|s| s.names.iter().cloned())
            .collect();
        let stages = r.stages.into_iter().map(|s| s.eval).collect();
        Ok(Plan {
            algorithm: r.algorithm,
            partition,
            evaluation: Evaluation {
                stages,
                bottleneck: r.bottleneck,
                bottleneck_stage: r.bottleneck_stage,
                surrogate_step_time: r.surrogate_step_time,
                device_memory_bytes,
                peak_memory_bytes: r.peak_memory_bytes,
                fits_memory: r.fits_memory,
            },
            simulation: Simulation {
                step_time: r.step_time,
                device_busy: Vec::new(),
                bubble_fraction: r.bubble_fraction,
                critical_stage: r.critical_stage,
                timeline: None,
            },
            status: r.status,
            objective: r.objective,
            bound: r.bound,
            solve_seconds: r.solve_seconds,
            schedule: r.schedule,
            micro_batches: r.micro_batches,
            unit: r.unit,
            memory_capacity: r.memory_capacity,
            notes: r.notes,
            layer_names,
        })
    }
}
