//! The original's partition search (`optimize_partition_model_layers`):
//! the DP baseline, then a breadth-first search over at most two
//! neighbours per partition, around its steady-phase critical stage `c`
//! (nothing when `c = 0`):
//! - left: the first layer of `c` joins the stages before it, which the DP
//!   re-splits (the prefix up to and including that layer into `c` stages);
//! - right: the last layer of `c` joins stage `c + 1`, and the DP re-splits
//!   the layers before it into `c + 1` stages.
//!
//! A move needs `c` to hold two layers or more. Partitions already seen are
//! skipped; every new one is simulated, and enqueued only when its critical
//! stage is not to the right of `c`. A strictly shorter iteration time
//! replaces the best (so the earliest of equal times wins).

use std::collections::{HashSet, VecDeque};

use super::compute_schedule::Shape;
use super::dp::BaselineTable;
use super::model::{
    check_amount, check_amounts, check_backward_splits, check_micro_batches, check_positive,
    check_ranks, invalid, length_error, Communication, TorchtitanSchedule,
};
use super::simulation::{stage_times, Program, StageInputs};
use crate::error::HeuristicError;

/// Layer-level inputs of the partitioner, as the original takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInputs {
    /// The schedule.
    pub schedule: TorchtitanSchedule,
    /// Forward FLOPs per layer.
    pub forward_flops: Vec<f64>,
    /// Backward FLOPs per layer.
    pub backward_flops: Vec<f64>,
    /// Bytes per layer boundary (`N - 1` when per boundary; a stage boundary
    /// after layer `l` carries entry `l`).
    pub communication_volume: Communication,
    /// FLOPs per time unit.
    pub device_compute_throughput: f64,
    /// Bytes per time unit.
    pub network_bandwidth: f64,
    /// Physical ranks.
    pub pp_group_size: usize,
    /// Micro-batches.
    pub n_microbatches: usize,
    /// Logical stages per rank (`None`: the original's default rule,
    /// [`TorchtitanSchedule::default_stages_per_rank`]).
    pub virtual_stages_per_rank: Option<usize>,
    /// Backward-input FLOPs per layer.
    pub backward_input_flops: Option<Vec<f64>>,
    /// Backward-weight FLOPs per layer.
    pub backward_weight_flops: Option<Vec<f64>>,
}

impl LayerInputs {
    /// Layer costs with the original's `auto_partition` defaults: no
    /// communication, throughput and bandwidth 1, the default stages per
    /// rank and backward split.
    pub fn new(
        schedule: TorchtitanSchedule,
        forward_flops: Vec<f64>,
        backward_flops: Vec<f64>,
        pp_group_size: usize,
        n_microbatches: usize,
    ) -> Self {
        LayerInputs {
            schedule,
            forward_flops,
            backward_flops,
            communication_volume: Communication::default(),
            device_compute_throughput: 1.0,
            network_bandwidth: 1.0,
            pp_group_size,
            n_microbatches,
            virtual_stages_per_rank: None,
            backward_input_flops: None,
            backward_weight_flops: None,
        }
    }

    fn layers(&self) -> usize {
        self.forward_flops.len()
    }
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchtitanSearch {
    /// Logical stages per rank used.
    pub stages_per_rank: usize,
    /// Starts of the DP baseline.
    pub base_starts: Vec<usize>,
    /// Starts of the best partition.
    pub best_starts: Vec<usize>,
    /// The baseline's iteration time in the original's simulator.
    pub base_iteration_time: f64,
    /// The best partition's.
    pub best_iteration_time: f64,
    /// The best partition's steady-phase critical stage.
    pub best_critical_stage: usize,
    /// Partitions simulated, the baseline included.
    pub explored_candidates: usize,
}

/// The original's input checks, then its logical stage count and stages
/// per rank.
fn validate(inputs: &LayerInputs) -> Result<(usize, usize), HeuristicError> {
    check_layer_costs(inputs)?;
    let n = inputs.layers();
    check_micro_batches(inputs.n_microbatches)?;
    check_ranks(inputs.pp_group_size, n)?;
    check_positive(
        inputs.device_compute_throughput,
        "device_compute_throughput",
    )?;
    check_positive(inputs.network_bandwidth, "network_bandwidth")?;
    check_backward_splits(
        &inputs.backward_input_flops,
        &inputs.backward_weight_flops,
        n,
    )?;
    stage_count(inputs)
}

/// The per-layer lists: non-empty, of one length, finite and non-negative.
fn check_layer_costs(inputs: &LayerInputs) -> Result<(), HeuristicError> {
    let n = inputs.layers();
    if n == 0 {
        return Err(invalid(
            "forward_flops",
            0,
            "forward_flops and backward_flops cannot be empty".into(),
        ));
    }
    if inputs.backward_flops.len() != n {
        return Err(length_error(
            "backward_flops",
            inputs.backward_flops.len(),
            n,
        ));
    }
    check_amounts(&inputs.forward_flops, "forward_flops")?;
    check_amounts(&inputs.backward_flops, "backward_flops")?;
    match &inputs.communication_volume {
        Communication::Uniform(v) => check_amount(*v, "communication_volume"),
        Communication::PerBoundary(v) if v.len() != n - 1 => {
            Err(length_error("communication_volume", v.len(), n - 1))
        }
        Communication::PerBoundary(v) => check_amounts(v, "communication_volume"),
    }
}

/// The original's stages per rank and logical stage count, checked.
fn stage_count(inputs: &LayerInputs) -> Result<(usize, usize), HeuristicError> {
    let (n, ranks) = (inputs.layers(), inputs.pp_group_size);
    let per_rank = inputs
        .virtual_stages_per_rank
        .unwrap_or_else(|| inputs.schedule.default_stages_per_rank(n, ranks));
    if per_rank == 0 {
        return Err(invalid(
            "virtual_stages_per_rank",
            0,
            "must be positive".into(),
        ));
    }
    if inputs.schedule == TorchtitanSchedule::OneFOneB && per_rank != 1 {
        return Err(invalid(
            "virtual_stages_per_rank",
            per_rank,
            "1F1B uses exactly one logical stage per rank".into(),
        ));
    }
    let stages = ranks * per_rank;
    if stages > n {
        return Err(invalid(
            "num_stages",
            stages,
            format!("the logical stage count exceeds the {n} layers"),
        ));
    }
    Ok((stages, per_rank))
}

/// Per-layer `F / throughput + B / throughput`, the DP's cost.
fn layer_costs(inputs: &LayerInputs) -> Vec<f64> {
    let thr = inputs.device_compute_throughput;
    inputs
        .forward_flops
        .iter()
        .zip(&inputs.backward_flops)
        .map(|(f, b)| f / thr + b / thr)
        .collect()
}

/// The original's DP baseline (`partition_model_layers`): its stage starts.
pub fn autopipe_torchtitan_baseline(inputs: &LayerInputs) -> Result<Vec<usize>, HeuristicError> {
    let (stages, _) = validate(inputs)?;
    BaselineTable::new(&layer_costs(inputs), stages).starts(inputs.layers(), stages)
}

/// Sums of `values` over each stage, in layer order.
fn stage_sums(values: &[f64], starts: &[usize]) -> Vec<f64> {
    (0..starts.len())
        .map(|k| {
            let end = starts.get(k + 1).copied().unwrap_or(values.len());
            values[starts[k]..end].iter().fold(0.0, |acc, v| acc + v)
        })
        .collect()
}

/// One search: the inputs, the shape's program and the DP table.
struct Search<'a> {
    inputs: &'a LayerInputs,
    program: Program,
    table: BaselineTable,
    stages: usize,
}

impl Search<'_> {
    /// The stage-level simulator inputs of a partition.
    fn stage_inputs(&self, starts: &[usize]) -> StageInputs {
        let i = self.inputs;
        let communication = match &i.communication_volume {
            Communication::Uniform(v) => Communication::Uniform(*v),
            Communication::PerBoundary(v) => {
                Communication::PerBoundary(starts[1..].iter().map(|&s| v[s - 1]).collect())
            }
        };
        StageInputs {
            schedule: i.schedule,
            forward_flops: stage_sums(&i.forward_flops, starts),
            backward_flops: stage_sums(&i.backward_flops, starts),
            communication_volume: communication,
            n_microbatches: i.n_microbatches,
            pp_group_size: Some(i.pp_group_size),
            backward_input_flops: i
                .backward_input_flops
                .as_ref()
                .map(|v| stage_sums(v, starts)),
            backward_weight_flops: i
                .backward_weight_flops
                .as_ref()
                .map(|v| stage_sums(v, starts)),
            device_compute_throughput: i.device_compute_throughput,
            network_bandwidth: i.network_bandwidth,
        }
    }

    /// Iteration time and steady-phase critical stage of a partition.
    fn evaluate(&self, starts: &[usize]) -> Result<(f64, usize), HeuristicError> {
        let times = stage_times(&self.stage_inputs(starts))?;
        let timing = self.program.time(&times);
        let critical = self.program.critical_stage(&timing, &times).critical_stage;
        Ok((timing.end[timing.last], critical))
    }

    /// The left and right moves around critical stage `c`.
    fn neighbours(&self, starts: &[usize], c: usize) -> Result<Vec<Vec<usize>>, HeuristicError> {
        let s = self.stages;
        let end = |k: usize| starts.get(k + 1).copied().unwrap_or(self.inputs.layers());
        let mut out = Vec::with_capacity(2);
        if c >= s || end(c) - starts[c] <= 1 {
            return Ok(out);
        }
        if c > 0 {
            let moved = starts[c];
            let mut next = self.table.starts(moved + 1, c)?;
            next.push(moved + 1);
            next.extend_from_slice(&starts[c + 1..]);
            out.push(next);
        }
        if c + 1 < s {
            let moved = end(c) - 1;
            let mut next = self.table.starts(moved, c + 1)?;
            next.push(moved);
            next.extend_from_slice(&starts[c + 2..]);
            out.push(next);
        }
        Ok(out)
    }
}

/// The original's search (`optimize_partition_model_layers`), see the
/// module docs; `auto_partition` returns [`TorchtitanSearch::best_starts`].
pub fn autopipe_torchtitan_search(
    inputs: &LayerInputs,
) -> Result<TorchtitanSearch, HeuristicError> {
    let (stages, stages_per_rank) = validate(inputs)?;
    let table = BaselineTable::new(&layer_costs(inputs), stages);
    let base = table.starts(inputs.layers(), stages)?;
    let shape = Shape {
        schedule: inputs.schedule,
        stages,
        ranks: inputs.pp_group_size,
        micro_batches: inputs.n_microbatches,
    };
    let search = Search {
        inputs,
        program: Program::new(&shape)?,
        table,
        stages,
    };
    let (base_time, base_critical) = search.evaluate(&base)?;
    let (mut best, mut best_time, mut best_critical) = (base.clone(), base_time, base_critical);
    let mut explored = 1;
    let mut visited: HashSet<Vec<usize>> = HashSet::from([base.clone()]);
    let mut queue: VecDeque<(Vec<usize>, usize)> = VecDeque::from([(base.clone(), base_critical)]);
    while let Some((starts, critical)) = queue.pop_front() {
        if critical == 0 {
            continue;
        }
        for next in search.neighbours(&starts, critical)? {
            if !visited.insert(next.clone()) {
                continue;
            }
            let (time, next_critical) = search.evaluate(&next)?;
            explored += 1;
            if time < best_time {
                (best, best_time, best_critical) = (next.clone(), time, next_critical);
            }
            if next_critical <= critical {
                queue.push_back((next, next_critical));
            }
        }
    }
    Ok(TorchtitanSearch {
        stages_per_rank,
        base_starts: base,
        best_starts: best,
        base_iteration_time: base_time,
        best_iteration_time: best_time,
        best_critical_stage: best_critical,
        explored_candidates: explored,
    })
}
