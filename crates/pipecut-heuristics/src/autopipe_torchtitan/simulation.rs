//! The original's simulator on stage-level inputs
//! (`simulate_pipeline_schedule`) and its steady-phase critical stage
//! (`identify_steady_critical_stage`), as one [`Program`] per schedule
//! shape: the schedule, its lowering, its step numbering and its graph do
//! not depend on the costs, so a search builds them once.

use super::action_graph::{ActionGraph, Durations, Timing};
use super::aligned_steps::aligned_steps;
use super::comm_lowering::add_send_recv;
use super::compute_schedule::{build, Shape};
use super::model::{
    backward_split, check_amount, check_amounts, check_backward_splits, check_micro_batches,
    check_positive, check_ranks, length_error, Action, Communication, TorchtitanSchedule,
};
use crate::error::HeuristicError;

/// Stage-level inputs of the simulator, as the original takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInputs {
    /// The schedule.
    pub schedule: TorchtitanSchedule,
    /// Forward FLOPs per logical stage.
    pub forward_flops: Vec<f64>,
    /// Backward FLOPs per logical stage.
    pub backward_flops: Vec<f64>,
    /// Bytes per boundary (`S - 1` when per boundary).
    pub communication_volume: Communication,
    /// Micro-batches.
    pub n_microbatches: usize,
    /// Physical ranks (`None`: one per stage).
    pub pp_group_size: Option<usize>,
    /// Backward-input FLOPs per stage (see the original's default split).
    pub backward_input_flops: Option<Vec<f64>>,
    /// Backward-weight FLOPs per stage.
    pub backward_weight_flops: Option<Vec<f64>>,
    /// FLOPs per time unit.
    pub device_compute_throughput: f64,
    /// Bytes per time unit.
    pub network_bandwidth: f64,
}

impl StageInputs {
    /// Stage costs with the original's defaults: one rank per stage, no
    /// communication, the default backward split, throughput and bandwidth 1.
    pub fn new(
        schedule: TorchtitanSchedule,
        forward_flops: Vec<f64>,
        backward_flops: Vec<f64>,
        n_microbatches: usize,
    ) -> Self {
        StageInputs {
            schedule,
            forward_flops,
            backward_flops,
            communication_volume: Communication::default(),
            n_microbatches,
            pp_group_size: None,
            backward_input_flops: None,
            backward_weight_flops: None,
            device_compute_throughput: 1.0,
            network_bandwidth: 1.0,
        }
    }
}

/// One timed action.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedAction {
    /// Physical rank.
    pub rank: usize,
    /// The action.
    pub action: Action,
    /// Its duration.
    pub duration: f64,
    /// When it starts.
    pub start: f64,
    /// When it ends.
    pub end: f64,
}

/// The stage that dominates the steady phase of the critical path.
#[derive(Debug, Clone, PartialEq)]
pub struct SteadyCriticalStage {
    /// First step of the steady phase (inclusive).
    pub steady_start_step: usize,
    /// Last step of the steady phase (inclusive).
    pub steady_end_step: usize,
    /// Critical-path time per stage inside the window (stages with an
    /// action there; all of the path when none falls inside), by stage.
    pub stage_durations: Vec<(usize, f64)>,
    /// The stage with the most, the lowest such stage on ties.
    pub critical_stage: usize,
}

/// What the simulator reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// The iteration time: the latest end of any action.
    pub iteration_time: f64,
    /// One critical path, first action first.
    pub critical_path: Vec<TimedAction>,
    /// Every action, ranks in order, each rank's list in order.
    pub operations: Vec<TimedAction>,
    /// The steady-phase critical stage of this path.
    pub steady: SteadyCriticalStage,
}

/// A schedule shape's graph and step numbering.
pub(crate) struct Program {
    graph: ActionGraph,
    node_step: Vec<Option<usize>>,
    steady: (usize, usize),
    stages: usize,
}

impl Program {
    pub(crate) fn new(shape: &Shape) -> Result<Self, HeuristicError> {
        let lists = add_send_recv(shape, &build(shape)?)?;
        let steps = aligned_steps(shape, &lists)?;
        let graph = ActionGraph::new(shape, &lists)?;
        let node_step = graph
            .nodes
            .iter()
            .map(|(_, a)| steps.step_of.get(a))
            .collect();
        Ok(Program {
            graph,
            node_step,
            steady: steps.steady,
            stages: shape.stages,
        })
    }

    pub(crate) fn time(&self, times: &Durations) -> Timing {
        self.graph.time(times)
    }

    /// The iteration time and steady-phase critical stage of one timing.
    pub(crate) fn critical_stage(&self, timing: &Timing, times: &Durations) -> SteadyCriticalStage {
        let path = timing.critical_path();
        let (lo, hi) = self.steady;
        let mut stage_durations = self.stage_totals(
            &path,
            times,
            |step| matches!(step, Some(step) if lo <= step && step <= hi),
        );
        if stage_durations.is_empty() {
            stage_durations = self.stage_totals(&path, times, |_| true);
        }
        let mut critical = stage_durations[0];
        for &entry in &stage_durations[1..] {
            if entry.1 > critical.1 {
                critical = entry;
            }
        }
        SteadyCriticalStage {
            steady_start_step: lo,
            steady_end_step: hi,
            stage_durations,
            critical_stage: critical.0,
        }
    }

    /// Time on `path` per stage, over the actions whose step `counts`, for
    /// the stages with such an action, by stage.
    fn stage_totals(
        &self,
        path: &[usize],
        times: &Durations,
        counts: impl Fn(Option<usize>) -> bool,
    ) -> Vec<(usize, f64)> {
        let mut per_stage: Vec<Option<f64>> = vec![None; self.stages];
        for &n in path.iter().filter(|&&n| counts(self.node_step[n])) {
            let a = &self.graph.nodes[n].1;
            *per_stage[a.stage].get_or_insert(0.0) += times.of(a);
        }
        per_stage
            .iter()
            .enumerate()
            .filter_map(|(s, t)| t.map(|t| (s, t)))
            .collect()
    }

    fn timed(&self, timing: &Timing, times: &Durations, n: usize) -> TimedAction {
        let (rank, action) = self.graph.nodes[n];
        TimedAction {
            rank,
            action,
            duration: times.of(&action),
            start: timing.start[n],
            end: timing.end[n],
        }
    }

    pub(crate) fn simulate(&self, times: &Durations) -> Simulation {
        let timing = self.time(times);
        Simulation {
            iteration_time: timing.end[timing.last],
            critical_path: timing
                .critical_path()
                .into_iter()
                .map(|n| self.timed(&timing, times, n))
                .collect(),
            operations: (0..self.graph.nodes.len())
                .map(|n| self.timed(&timing, times, n))
                .collect(),
            steady: self.critical_stage(&timing, times),
        }
    }
}

/// Per-boundary communication times for `stages` stages.
pub(crate) fn communication_times(
    volume: &Communication,
    stages: usize,
    bandwidth: f64,
) -> Result<Vec<f64>, HeuristicError> {
    check_positive(bandwidth, "network_bandwidth")?;
    // Like the original, a single stage has no boundary to check.
    if stages <= 1 {
        return Ok(Vec::new());
    }
    let boundaries = stages - 1;
    match volume {
        Communication::Uniform(v) => {
            check_amount(*v, "communication_volume")?;
            Ok(vec![v / bandwidth; boundaries])
        }
        Communication::PerBoundary(v) => {
            check_amounts(v, "communication_volume")?;
            if v.len() != boundaries {
                return Err(length_error("communication_volume", v.len(), boundaries));
            }
            Ok(v.iter().map(|x| x / bandwidth).collect())
        }
    }
}

/// Stage durations from stage FLOPs (the original's normalisation).
pub(crate) fn stage_times(inputs: &StageInputs) -> Result<Durations, HeuristicError> {
    let s = inputs.forward_flops.len();
    let thr = inputs.device_compute_throughput;
    check_positive(thr, "device_compute_throughput")?;
    let communication =
        communication_times(&inputs.communication_volume, s, inputs.network_bandwidth)?;
    check_backward_splits(
        &inputs.backward_input_flops,
        &inputs.backward_weight_flops,
        s,
    )?;
    let (input, weight) = backward_split(
        &inputs.backward_flops,
        inputs.backward_input_flops.as_deref(),
        inputs.backward_weight_flops.as_deref(),
    )?;
    let per = |v: &[f64]| v.iter().map(|x| x / thr).collect::<Vec<f64>>();
    Ok(Durations {
        forward: per(&inputs.forward_flops),
        backward: per(&inputs.backward_flops),
        backward_input: per(&input),
        backward_weight: per(&weight),
        communication,
    })
}

/// The original's simulator on stage-level inputs: the iteration time, one
/// critical path, every action's times and the steady-phase critical stage.
///
/// ```
/// use pipecut_heuristics::autopipe_torchtitan::{iteration_time, StageInputs, TorchtitanSchedule};
/// let inputs = StageInputs::new(TorchtitanSchedule::OneFOneB, vec![1.0, 1.0], vec![2.0, 2.0], 2);
/// let sim = iteration_time(&inputs)?;
/// // F0 F1 on stage 0, then stage 1's F0 B0 F1 B1, then stage 0's B1.
/// assert_eq!(sim.iteration_time, 9.0);
/// # Ok::<(), pipecut_heuristics::HeuristicError>(())
/// ```
pub fn iteration_time(inputs: &StageInputs) -> Result<Simulation, HeuristicError> {
    let s = inputs.forward_flops.len();
    check_micro_batches(inputs.n_microbatches)?;
    if s == 0 || inputs.backward_flops.len() != s {
        return Err(length_error(
            "backward_flops",
            inputs.backward_flops.len(),
            s.max(1),
        ));
    }
    check_amounts(&inputs.forward_flops, "forward_flops")?;
    check_amounts(&inputs.backward_flops, "backward_flops")?;
    let ranks = inputs.pp_group_size.unwrap_or(s);
    check_ranks(ranks, s)?;
    let times = stage_times(inputs)?;
    let shape = Shape {
        schedule: inputs.schedule,
        stages: s,
        ranks,
        micro_batches: inputs.n_microbatches,
    };
    Ok(Program::new(&shape)?.simulate(&times))
}
