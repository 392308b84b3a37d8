//! The event simulation itself: fixed per-device orders, dependencies with
//! link delays, linear in the number of operations.

use pipecut_core::{evaluate_with, Op, OpKind, Partition, Prefix, Problem, Schedule};
use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// Durations and delays of every global stage, the simulator's whole input
/// besides the schedule. Build it from a partition with
/// [`StageTimes::from_partition`] or directly (e.g. from a MILP assignment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTimes {
    /// Forward time of one micro-batch on each stage (speed applied).
    pub forward: Vec<f64>,
    /// Backward time of one micro-batch on each stage (speed applied).
    pub backward: Vec<f64>,
    /// `delay[k]`: transfer time across the boundary after stage `k`, in either
    /// direction (activations forward, their gradients backward). Length `P`;
    /// the last entry is unused.
    pub delay: Vec<f64>,
}

impl StageTimes {
    /// The stage times of a partition of a checked problem.
    pub fn from_partition(problem: &Problem, prefix: &Prefix, partition: &Partition) -> StageTimes {
        let p = partition.stages();
        let mut forward = Vec::with_capacity(p);
        let mut backward = Vec::with_capacity(p);
        let mut delay = Vec::with_capacity(p);
        for (k, r) in partition.ranges().enumerate() {
            let speed = problem.speed(k);
            forward.push(speed * (prefix.forward[r.end] - prefix.forward[r.start]));
            backward.push(speed * (prefix.backward[r.end] - prefix.backward[r.start]));
            delay.push(if prefix.boundary.is_empty() || r.end == prefix.len() {
                0.0
            } else {
                prefix.boundary[r.end - 1]
            });
        }
        StageTimes {
            forward,
            backward,
            delay,
        }
    }

    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.forward.len()
    }
}

/// One executed operation, for Gantt charts and checks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimelineOp {
    /// Device that ran it.
    pub device: usize,
    /// Global stage.
    pub stage: usize,
    /// Chunk on the device.
    pub chunk: usize,
    /// Forward or backward.
    pub kind: OpKind,
    /// Micro-batch.
    pub micro_batch: usize,
    /// Start time.
    pub start: f64,
    /// End time.
    pub end: f64,
}

/// What the simulation reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimResult {
    /// Makespan: when the last operation ends.
    pub step_time: f64,
    /// Busy time of each device.
    pub device_busy: Vec<f64>,
    /// `1 - sum busy / (devices * step_time)` (0 when the step takes no time).
    pub bubble_fraction: f64,
    /// Peak number of micro-batches each stage holds at once.
    pub peak_in_flight: Vec<usize>,
    /// Peak memory of each stage: `params + peak_in_flight * activations`.
    pub stage_memory_bytes: Vec<u64>,
    /// Memory of each device (sum of its stages).
    pub device_memory_bytes: Vec<u64>,
    /// Largest device memory.
    pub peak_memory_bytes: u64,
    /// The critical stage: see [`Simulator`] for the definition.
    pub critical_stage: usize,
    /// Every operation with its start and end, if requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineOp>>,
}

/// A simulator for one problem's schedule. The per-device orders depend only
/// on the schedule, `P` and `M`, so they are built once and reused for every
/// partition simulated (AutoPipe's search simulates many).
///
/// **Critical stage.** Every operation starts either when its device frees up
/// or when its input arrives, whichever is later; following the binding one
/// back from the operation that ends last gives a chain of work with no idle
/// time between links, the critical path. The critical stage is the stage that
/// contributes the most compute time to that path (ties go to the higher
/// stage, as in AutoPipe's rule).
#[derive(Debug, Clone)]
pub struct Simulator {
    schedule: Schedule,
    stages: usize,
    micro_batches: usize,
    devices: usize,
    orders: Vec<Vec<Op>>,
    peak_in_flight: Vec<usize>,
    /// `offset[d]`: index of device `d`'s first operation in flat arrays.
    offset: Vec<usize>,
}

const NONE: u32 = u32::MAX;

impl Simulator {
    /// Builds the per-device orders of a checked problem.
    pub fn new(problem: &Problem) -> Self {
        Simulator::for_schedule(
            problem.schedule(),
            problem.stages(),
            problem.micro_batches(),
        )
    }

    /// Builds the orders for a schedule directly (inputs as a checked problem
    /// guarantees them).
    pub fn for_schedule(schedule: Schedule, stages: usize, micro_batches: usize) -> Self {
        let devices = schedule.devices(stages);
        let orders: Vec<Vec<Op>> = (0..devices)
            .map(|d| schedule.device_order(stages, micro_batches, d))
            .collect();
        let mut offset = Vec::with_capacity(devices + 1);
        let mut acc = 0;
        for o in &orders {
            offset.push(acc);
            acc += o.len();
        }
        offset.push(acc);
        Simulator {
            schedule,
            stages,
            micro_batches,
            devices,
            orders,
            peak_in_flight: schedule.peak_in_flight(stages, micro_batches),
            offset,
        }
    }

    /// Number of operations simulated per run.
    pub fn operations(&self) -> usize {
        self.offset[self.devices]
    }

    /// Simulates a partition of `problem` (the problem this simulator was built for).
    pub fn run(
        &self,
        problem: &Problem,
        partition: &Partition,
        timeline: bool,
    ) -> Result<SimResult, SimError> {
        self.run_with(problem, &Prefix::new(problem), partition, timeline)
    }

    /// [`Simulator::run`] with prefix sums the caller already has.
    pub fn run_with(
        &self,
        problem: &Problem,
        prefix: &Prefix,
        partition: &Partition,
        timeline: bool,
    ) -> Result<SimResult, SimError> {
        self.check_partition(problem, partition)?;
        let times = StageTimes::from_partition(problem, prefix, partition);
        let mut result = self.run_times(&times, timeline)?;
        let eval = evaluate_with(problem, prefix, partition);
        result.stage_memory_bytes = eval.stages.iter().map(|s| s.memory_bytes).collect();
        result.device_memory_bytes = eval.device_memory_bytes;
        result.peak_memory_bytes = eval.peak_memory_bytes;
        Ok(result)
    }

    /// Only the step time of a partition (the hot path of searches).
    pub fn step_time(
        &self,
        problem: &Problem,
        prefix: &Prefix,
        partition: &Partition,
    ) -> Result<f64, SimError> {
        self.check_partition(problem, partition)?;
        let times = StageTimes::from_partition(problem, prefix, partition);
        Ok(self.run_times(&times, false)?.step_time)
    }

    fn check_partition(&self, problem: &Problem, partition: &Partition) -> Result<(), SimError> {
        if partition.stages() != self.stages {
            return Err(SimError::Core(pipecut_core::Error::PartitionLength {
                expected: self.stages,
                got: partition.stages(),
            }));
        }
        if partition.layers() != problem.layers() {
            return Err(SimError::LayerCount {
                partition: partition.layers(),
                chain: problem.layers(),
            });
        }
        if problem.schedule() != self.schedule
            || problem.stages() != self.stages
            || problem.micro_batches() != self.micro_batches
        {
            return Err(SimError::ScheduleMismatch);
        }
        Ok(())
    }

    /// Simulates raw stage times (memory fields are left empty: they need a
    /// partition).
    pub fn run_times(&self, times: &StageTimes, timeline: bool) -> Result<SimResult, SimError> {
        if times.stages() != self.stages
            || times.backward.len() != self.stages
            || times.delay.len() != self.stages
        {
            return Err(SimError::StageTimesLength {
                expected: self.stages,
                forward: times.forward.len(),
                backward: times.backward.len(),
                delay: times.delay.len(),
            });
        }
        let p = self.stages;
        let m = self.micro_batches;
        let d_count = self.devices;
        let total = self.operations();
        // Finish time and flat op index of F/B (stage, micro-batch).
        let mut fin_f = vec![f64::NAN; p * m];
        let mut fin_b = vec![f64::NAN; p * m];
        let mut id_f = vec![NONE; p * m];
        let mut id_b = vec![NONE; p * m];
        let mut start = vec![0.0f64; total];
        let mut end = vec![0.0f64; total];
        // Which constraint set each op's start: NONE = time 0, else the flat
        // index of the binding predecessor.
        let mut binding = vec![NONE; total];
        let mut next = vec![0usize; d_count];
        let mut free = vec![0.0f64; d_count];
        let mut busy = vec![0.0f64; d_count];
        let mut last_op = vec![NONE; d_count];
        let mut stack: Vec<usize> = (0..d_count).rev().collect();
        let mut done = 0usize;
        let cross =
            |a: usize, b: usize| self.schedule.device_of(a, p) != self.schedule.device_of(b, p);
        while let Some(d) = stack.pop() {
            let order = &self.orders[d];
            while next[d] < order.len() {
                let op = order[next[d]];
                let s = self.schedule.stage_of(d, op.chunk, p);
                let mb = op.micro_batch;
                // Ready time of the input, and the op that produced it.
                let (ready, dep) = match op.kind {
                    OpKind::Forward if s == 0 => (0.0, NONE),
                    OpKind::Forward => {
                        let t = fin_f[(s - 1) * m + mb];
                        if t.is_nan() {
                            break;
                        }
                        let delay = if cross(s - 1, s) {
                            times.delay[s - 1]
                        } else {
                            0.0
                        };
                        (t + delay, id_f[(s - 1) * m + mb])
                    }
                    OpKind::Backward if s + 1 == p => {
                        let t = fin_f[s * m + mb];
                        if t.is_nan() {
                            break;
                        }
                        (t, id_f[s * m + mb])
                    }
                    OpKind::Backward => {
                        let t = fin_b[(s + 1) * m + mb];
                        if t.is_nan() {
                            break;
                        }
                        let delay = if cross(s, s + 1) { times.delay[s] } else { 0.0 };
                        (t + delay, id_b[(s + 1) * m + mb])
                    }
                };
                let idx = self.offset[d] + next[d];
                let (st, bind) = if ready > free[d] {
                    (ready, dep)
                } else {
                    (free[d], last_op[d])
                };
                let dur = match op.kind {
                    OpKind::Forward => times.forward[s],
                    OpKind::Backward => times.backward[s],
                };
                let en = st + dur;
                start[idx] = st;
                end[idx] = en;
                binding[idx] = bind;
                free[d] = en;
                busy[d] += dur;
                last_op[d] = idx as u32;
                match op.kind {
                    OpKind::Forward => {
                        fin_f[s * m + mb] = en;
                        id_f[s * m + mb] = idx as u32;
                        if s + 1 < p {
                            stack.push(self.schedule.device_of(s + 1, p));
                        } else {
                            stack.push(d);
                        }
                    }
                    OpKind::Backward => {
                        fin_b[s * m + mb] = en;
                        id_b[s * m + mb] = idx as u32;
                        if s > 0 {
                            stack.push(self.schedule.device_of(s - 1, p));
                        }
                    }
                }
                next[d] += 1;
                done += 1;
            }
        }
        if done != total {
            let device = (0..d_count)
                .find(|&d| next[d] < self.orders[d].len())
                .unwrap_or(0);
            let op = self.orders[device][next[device]];
            return Err(SimError::Deadlock {
                device,
                kind: op.kind,
                micro_batch: op.micro_batch,
                chunk: op.chunk,
            });
        }
        // The op that ends last (first such, for determinism).
        let mut last = 0usize;
        for i in 0..total {
            if end[i] > end[last] {
                last = i;
            }
        }
        let step_time = end[last];
        // Flat index -> (device, stage) for the critical-path walk.
        let mut stage_of_idx = vec![0usize; total];
        for dd in 0..d_count {
            for (j, op) in self.orders[dd].iter().enumerate() {
                stage_of_idx[self.offset[dd] + j] = self.schedule.stage_of(dd, op.chunk, p);
            }
        }
        let mut on_path = vec![0.0f64; p];
        let mut cur = last as u32;
        while cur != NONE {
            let i = cur as usize;
            on_path[stage_of_idx[i]] += end[i] - start[i];
            cur = binding[i];
        }
        let mut critical_stage = 0;
        for (k, &t) in on_path.iter().enumerate() {
            if t >= on_path[critical_stage] {
                critical_stage = k;
            }
        }
        let sum_busy: f64 = busy.iter().sum();
        let bubble_fraction = if step_time > 0.0 {
            1.0 - sum_busy / (d_count as f64 * step_time)
        } else {
            0.0
        };
        let timeline = timeline.then(|| {
            let mut ops = Vec::with_capacity(total);
            for dd in 0..d_count {
                for (j, op) in self.orders[dd].iter().enumerate() {
                    let i = self.offset[dd] + j;
                    ops.push(TimelineOp {
                        device: dd,
                        stage: stage_of_idx[i],
                        chunk: op.chunk,
                        kind: op.kind,
                        micro_batch: op.micro_batch,
                        start: start[i],
                        end: end[i],
                    });
                }
            }
            ops
        });
        Ok(SimResult {
            step_time,
            device_busy: busy,
            bubble_fraction,
            peak_in_flight: self.peak_in_flight.clone(),
            stage_memory_bytes: Vec::new(),
            device_memory_bytes: Vec::new(),
            peak_memory_bytes: 0,
            critical_stage,
            timeline,
        })
    }
}
