//! The event simulation itself: fixed per-device orders, dependencies with
//! link delays, linear in the number of operations.
//!
//! The order in which operations can be timed (every operation after its
//! device predecessor and after the operation whose output it consumes)
//! depends only on the schedule, `P` and `M`, never on the times. So
//! [`Simulator`] resolves it once, at construction, into a flat topological
//! list; a simulation is then one branch-light pass over that list.

use pipecut_core::schedule::in_flight_peaks;
use pipecut_core::{
    Op, OpKind, PairOverlap, Partition, Prefix, Problem, Schedule, Simulation, TimelineOp,
};
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
    /// The weight-gradient part of each backward (at most `backward`; the
    /// input-gradient part is the rest). Only schedules that split the
    /// backward read it.
    pub backward_weight: Vec<f64>,
    /// `delay[k]`: transfer time across the boundary after stage `k`, in either
    /// direction (activations forward, their gradients backward). Length `P`;
    /// the last entry is unused. Charged only where the two stages sit on
    /// different devices.
    pub delay: Vec<f64>,
}

impl StageTimes {
    /// The stage times of a partition of a checked problem: stage `k`'s forward
    /// and backward sums times `speed[k]`, and the link's transfer time of the
    /// output of stage `k`'s last layer (0 without a link).
    pub fn from_partition(problem: &Problem, prefix: &Prefix, partition: &Partition) -> StageTimes {
        let p = partition.stages();
        let mut times = StageTimes {
            forward: Vec::with_capacity(p),
            backward: Vec::with_capacity(p),
            backward_weight: Vec::with_capacity(p),
            delay: Vec::with_capacity(p),
        };
        for (k, r) in partition.ranges().enumerate() {
            let (f, b, w, d) = stage_times(problem, prefix, k, r.start, r.end);
            times.forward.push(f);
            times.backward.push(b);
            times.backward_weight.push(w);
            times.delay.push(d);
        }
        times
    }

    /// Stage times with each backward's weight-gradient part at
    /// [`DEFAULT_WEIGHT_SHARE`](pipecut_core::DEFAULT_WEIGHT_SHARE), as for
    /// layers that do not state it.
    pub fn new(forward: Vec<f64>, backward: Vec<f64>, delay: Vec<f64>) -> StageTimes {
        let backward_weight = backward
            .iter()
            .map(|b| pipecut_core::DEFAULT_WEIGHT_SHARE * b)
            .collect();
        StageTimes {
            forward,
            backward,
            backward_weight,
            delay,
        }
    }

    /// Every stage with the same forward and backward time and no delays.
    pub fn uniform(stages: usize, forward: f64, backward: f64) -> StageTimes {
        StageTimes::new(
            vec![forward; stages],
            vec![backward; stages],
            vec![0.0; stages],
        )
    }

    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.forward.len()
    }
}

/// Forward, backward, weight-gradient part and outgoing delay of stage `k`
/// holding `first..end`, all from the one stage evaluator in core.
fn stage_times(
    problem: &Problem,
    prefix: &Prefix,
    k: usize,
    first: usize,
    end: usize,
) -> (f64, f64, f64, f64) {
    let (f, b, w) = prefix.stage_compute(problem.speed(k), first, end);
    (f, b, w, prefix.delay_after(end))
}

/// Reusable buffers for [`Simulator::step_time_with`] and
/// [`Simulator::run_times_with`]: a search that simulates many partitions
/// keeps one per thread and allocates nothing per simulation.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// Every stage's duration of every operation kind (`K = OpKind::COUNT`
    /// slots per stage: `table[K k + kind.index()]`), then `delay_0 ..
    /// delay_{P-1}`, then a 0 for dependencies that cross no link.
    table: Vec<f64>,
    /// End time of every operation in topological order, after a slot 0
    /// that stays 0 (the "input" of stage-0 forwards).
    end: Vec<f64>,
    /// When each device frees up.
    free: Vec<f64>,
    /// Start times, by slot (full runs with a timeline only).
    start: Vec<f64>,
    /// Binding predecessor of every slot (0: none), for the critical path.
    binding: Vec<u32>,
    /// Last slot run on each device.
    previous: Vec<u32>,
    /// Start of the last operation run on each device (perfect pair
    /// overlap only: the second part of a pair may start there).
    last_start: Vec<f64>,
}

thread_local! {
    /// Buffers of the calls that take no [`Scratch`]: after the first call on
    /// a thread, simulations of the same size allocate only their results.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        // Unreachable (simulations call no user code), but never panic.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// One operation in topological order, as indices into [`Scratch`] arrays.
#[derive(Debug, Clone, Copy)]
struct FlatOp {
    device: u32,
    /// Index of the duration in the table.
    duration: u32,
    /// Slot in `end` of the operation whose output this one consumes (0: none).
    input: u32,
    /// Index of the input's transfer delay in the table (`(K + 1) P`: no delay).
    delay: u32,
    /// Runs alongside the operation before it on its device: the second
    /// part of an overlapped pair under [`PairOverlap::Perfect`].
    overlaps: bool,
}

/// Why a simulator cannot run (kept instead of panicking in constructors
/// whose signature cannot fail).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Invalid {
    /// The schedule's rules reject the stage or micro-batch count.
    Schedule,
    TooManyOperations,
    Deadlock {
        device: usize,
        op: Op,
    },
    /// The rules give an operation more inputs than the timing pass reads.
    Inputs {
        device: usize,
        op: Op,
    },
}

/// A simulator for one problem's schedule. The per-device orders depend only
/// on the schedule, `P` and `M`, so they are built (and put in a valid
/// timing order) once and reused for every partition simulated.
///
/// **Semantics**. `P` counts global stages (`D * v` for
/// interleaved). Each device runs its operations in its fixed order. An
/// operation starts at `max(device free, input ready)`: the input of a
/// forward of micro-batch `m` on stage `k > 0` is the forward of `m` on stage
/// `k - 1` (stage 0's is there at time 0), the input of a backward on stage
/// `k < P - 1` is the backward of `m` on stage `k + 1`, and the input of the
/// last stage's backward is its own forward. An input produced on another
/// device arrives `delay[j]` after it ends, `j` being the boundary between
/// the two stages (activations forward and gradients backward alike);
/// transfers do not occupy the devices, and stages on the same device (an
/// interleaved schedule on one device) exchange data for free. Cost: linear
/// in the number of operations `2 * P * M`.
///
/// **Critical stage.** The *binding predecessor* of an operation is the
/// producer of its input if the input arrives after the device is free by
/// more than a relative `1e-9` (so that rounding of equal sums does not
/// decide), otherwise the previous operation on its device (none for a
/// device's first operation). Starting from the last operation of the
/// lowest-numbered device that finishes at the step time and following
/// binding predecessors back gives the *critical path*: a chain of
/// operations and transfers with no idle time (up to rounding) from time 0
/// to the step time. The critical stage is the stage with the most compute
/// time on that path; ties (up to a relative `1e-9`) go to the higher stage,
/// as in AutoPipe's rule. For uniform 1F1B stages it is the last stage, and
/// a stage slower than all others together, ten times over, is always
/// critical (both are tested properties).
#[derive(Debug, Clone)]
pub struct Simulator {
    schedule: Schedule,
    stages: usize,
    micro_batches: usize,
    devices: usize,
    orders: Vec<Vec<Op>>,
    pair_overlap: PairOverlap,
    peak_in_flight: Vec<usize>,
    /// `offset[d]`: index of device `d`'s first operation in flat
    /// `(device, position)` numbering.
    offset: Vec<usize>,
    /// Every operation in a valid timing order; `flat[i]` writes `end[i + 1]`.
    flat: Vec<FlatOp>,
    /// `(device, position)` number -> slot in `end`.
    slot_of: Vec<u32>,
    /// Slot of each slot's device predecessor (0: the device's first
    /// operation), indexed by slot; read only when tracing the critical path.
    device_prev: Vec<u32>,
    invalid: Option<Invalid>,
}

/// Relative gap below which an input and its device count as ready at the
/// same time when tracing the critical path.
const TIE: f64 = 1e-9;

/// Largest number of operations `2 P M` a simulator accepts: 2^27, e.g.
/// `P = 4096` with `M = 16384`. A simulator holds about 50 bytes per
/// operation, so larger requests get [`SimError::TooManyOperations`] instead
/// of exhausting memory.
pub const MAX_OPERATIONS: usize = 1 << 27;

impl Simulator {
    /// Builds the per-device orders of a checked problem (with its
    /// [`PairOverlap`]).
    pub fn new(problem: &Problem) -> Self {
        Simulator::for_schedule(
            problem.schedule(),
            problem.stages(),
            problem.micro_batches(),
        )
        .with_pair_overlap(problem.pair_overlap())
    }

    /// Runs the schedule's overlapped pairs as `overlap` says (the default
    /// is [`PairOverlap::Sequential`]; schedules without pairs ignore it).
    /// Under [`PairOverlap::Perfect`] the second part of a pair starts as
    /// soon as its input is there and the first part has started, and the
    /// device is free once both parts have ended.
    pub fn with_pair_overlap(mut self, overlap: PairOverlap) -> Self {
        self.pair_overlap = overlap;
        for op in &mut self.flat {
            op.overlaps = false;
        }
        if overlap == PairOverlap::Perfect && self.invalid.is_none() {
            for d in 0..self.devices {
                let pairs = self
                    .schedule
                    .overlapped_pairs(self.stages, self.micro_batches, d);
                for i in pairs {
                    let slot = self.slot_of[self.offset[d] + i + 1] as usize;
                    self.flat[slot - 1].overlaps = true;
                }
            }
        }
        self
    }

    /// How overlapped pairs run.
    pub fn pair_overlap(&self) -> PairOverlap {
        self.pair_overlap
    }

    /// Builds the orders for a schedule directly. Inputs that a checked
    /// problem would reject (zero stages or micro-batches, a virtual-stage
    /// count that does not fit) do not panic: every run of the simulator then
    /// returns the typed error; [`Simulator::try_for_schedule`] returns it
    /// up front.
    pub fn for_schedule(schedule: Schedule, stages: usize, micro_batches: usize) -> Self {
        let invalid = validate(schedule, stages, micro_batches);
        let orders = if invalid.is_some() {
            Vec::new()
        } else {
            (0..schedule.devices(stages))
                .map(|d| schedule.device_order(stages, micro_batches, d))
                .collect()
        };
        Simulator::build(schedule, stages, micro_batches, orders, invalid)
    }

    /// [`Simulator::for_schedule`], returning an invalid input as an error.
    pub fn try_for_schedule(
        schedule: Schedule,
        stages: usize,
        micro_batches: usize,
    ) -> Result<Self, SimError> {
        let sim = Simulator::for_schedule(schedule, stages, micro_batches);
        sim.ready()?;
        Ok(sim)
    }

    /// A simulator for custom per-device orders (one list per device, the
    /// placement of stages on devices given by `schedule`). Each device must
    /// run the forward and the backward of every micro-batch of each of its
    /// chunks exactly once. Returns [`SimError::Deadlock`] when the orders
    /// wait on each other.
    pub fn from_orders(
        schedule: Schedule,
        stages: usize,
        micro_batches: usize,
        orders: Vec<Vec<Op>>,
    ) -> Result<Self, SimError> {
        if let Some(invalid) = validate(schedule, stages, micro_batches) {
            return Err(invalid.error(schedule, stages, micro_batches));
        }
        let devices = schedule.devices(stages);
        if orders.len() != devices {
            return Err(SimError::DeviceCount {
                expected: devices,
                got: orders.len(),
            });
        }
        let v = schedule.virtual_stages();
        let kinds = schedule.op_kinds();
        let per_device = kinds.len() * v * micro_batches;
        let mut seen = vec![false; per_device];
        for (device, order) in orders.iter().enumerate() {
            if order.len() != per_device {
                return Err(SimError::OrderLength {
                    device,
                    expected: per_device,
                    got: order.len(),
                });
            }
            seen.fill(false);
            for (position, op) in order.iter().enumerate() {
                if op.chunk >= v || op.micro_batch >= micro_batches {
                    return Err(SimError::OrderOp {
                        device,
                        position,
                        op: *op,
                        reason: "chunk or micro-batch out of range",
                    });
                }
                let Some(kind) = kinds.iter().position(|&k| k == op.kind) else {
                    return Err(SimError::OrderOp {
                        device,
                        position,
                        op: *op,
                        reason: "operation kind not used by the schedule",
                    });
                };
                let key = (op.chunk * micro_batches + op.micro_batch) * kinds.len() + kind;
                if std::mem::replace(&mut seen[key], true) {
                    return Err(SimError::OrderOp {
                        device,
                        position,
                        op: *op,
                        reason: "operation repeated",
                    });
                }
            }
        }
        let sim = Simulator::build(schedule, stages, micro_batches, orders, None);
        sim.ready()?;
        Ok(sim)
    }

    fn build(
        schedule: Schedule,
        stages: usize,
        micro_batches: usize,
        orders: Vec<Vec<Op>>,
        mut invalid: Option<Invalid>,
    ) -> Self {
        let devices = orders.len();
        let mut offset = Vec::with_capacity(devices + 1);
        let mut acc = 0;
        for o in &orders {
            offset.push(acc);
            acc += o.len();
        }
        offset.push(acc);
        // Global stage of every (device, chunk), looked up per operation below.
        let chunks = schedule.virtual_stages();
        let stage_at: Vec<usize> = (0..devices * chunks)
            .map(|i| schedule.stage_of(i / chunks, i % chunks, stages))
            .collect();
        let peak_in_flight = if invalid.is_some() {
            Vec::new()
        } else {
            in_flight_peaks(stages, &orders, |d, c| stage_at[d * chunks + c])
        };
        let (flat, slot_of) = if invalid.is_some() {
            (Vec::new(), Vec::new())
        } else {
            match topological(schedule, stages, micro_batches, &orders, &offset, &stage_at) {
                Ok(x) => x,
                Err(deadlock) => {
                    invalid = Some(deadlock);
                    (Vec::new(), Vec::new())
                }
            }
        };
        Simulator {
            schedule,
            stages,
            micro_batches,
            devices,
            orders,
            pair_overlap: PairOverlap::Sequential,
            peak_in_flight,
            device_prev: device_predecessors(&offset, &slot_of),
            offset,
            flat,
            slot_of,
            invalid,
        }
    }

    fn ready(&self) -> Result<(), SimError> {
        match self.invalid {
            None => Ok(()),
            Some(i) => Err(i.error(self.schedule, self.stages, self.micro_batches)),
        }
    }

    /// Number of operations simulated per run.
    pub fn operations(&self) -> usize {
        self.offset.last().copied().unwrap_or(0)
    }

    /// The schedule.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// Number of global stages `P`.
    pub fn stages(&self) -> usize {
        self.stages
    }

    /// Number of micro-batches `M`.
    pub fn micro_batches(&self) -> usize {
        self.micro_batches
    }

    /// Number of devices.
    pub fn devices(&self) -> usize {
        self.devices
    }

    /// Each device's operation order.
    pub fn orders(&self) -> &[Vec<Op>] {
        &self.orders
    }

    /// Peak in-flight micro-batches of each stage under these orders.
    pub fn peak_in_flight(&self) -> &[usize] {
        &self.peak_in_flight
    }

    /// Simulates a partition of `problem` (the problem this simulator was built for).
    pub fn run(
        &self,
        problem: &Problem,
        partition: &Partition,
        timeline: bool,
    ) -> Result<Simulation, SimError> {
        self.run_with(problem, &Prefix::new(problem), partition, timeline)
    }

    /// [`Simulator::run`] with prefix sums the caller already has.
    pub fn run_with(
        &self,
        problem: &Problem,
        prefix: &Prefix,
        partition: &Partition,
        timeline: bool,
    ) -> Result<Simulation, SimError> {
        self.check_partition(problem, prefix, partition)?;
        let times = StageTimes::from_partition(problem, prefix, partition);
        self.run_times(&times, timeline)
    }

    /// Only the step time of a partition (the hot path of searches). Same
    /// arithmetic as [`Simulator::run`], so the two agree to the last bit.
    /// Uses per-thread buffers, so it allocates nothing after the first call
    /// on a thread; [`Simulator::step_time_with`] takes them from the caller.
    pub fn step_time(
        &self,
        problem: &Problem,
        prefix: &Prefix,
        partition: &Partition,
    ) -> Result<f64, SimError> {
        with_scratch(|scratch| self.step_time_with(scratch, problem, prefix, partition))
    }

    /// [`Simulator::step_time`] with caller-owned buffers: no allocation once
    /// `scratch` has grown to this simulator's size.
    pub fn step_time_with(
        &self,
        scratch: &mut Scratch,
        problem: &Problem,
        prefix: &Prefix,
        partition: &Partition,
    ) -> Result<f64, SimError> {
        self.ready()?;
        self.check_partition(problem, prefix, partition)?;
        let layout = TableLayout {
            stages: self.stages,
        };
        scratch.table.clear();
        scratch.table.resize(layout.len(), 0.0);
        for (k, r) in partition.ranges().enumerate() {
            let (f, b, w, d) = stage_times(problem, prefix, k, r.start, r.end);
            layout.fill(&mut scratch.table, k, (f, b, w), d);
        }
        Ok(self.pass(scratch))
    }

    /// Only the step time of raw stage times, with caller-owned buffers.
    pub fn run_times_with(
        &self,
        scratch: &mut Scratch,
        times: &StageTimes,
    ) -> Result<f64, SimError> {
        self.ready()?;
        self.check_times(times)?;
        self.fill_table(scratch, times);
        Ok(self.pass(scratch))
    }

    fn fill_table(&self, scratch: &mut Scratch, times: &StageTimes) {
        let layout = TableLayout {
            stages: self.stages,
        };
        scratch.table.clear();
        scratch.table.resize(layout.len(), 0.0);
        for k in 0..self.stages {
            let compute = (
                times.forward[k],
                times.backward[k],
                times.backward_weight[k],
            );
            layout.fill(&mut scratch.table, k, compute, times.delay[k]);
        }
    }

    /// The timing pass: every operation once, in topological order.
    fn pass(&self, scratch: &mut Scratch) -> f64 {
        match self.pair_overlap {
            PairOverlap::Sequential => self.pass_with::<false>(scratch),
            PairOverlap::Perfect => self.pass_with::<true>(scratch),
        }
    }

    /// [`Simulator::pass`], compiled without the pair-overlap branch unless
    /// `PAIRS`.
    fn pass_with<const PAIRS: bool>(&self, scratch: &mut Scratch) -> f64 {
        let Scratch {
            table,
            end,
            free,
            last_start,
            ..
        } = scratch;
        end.clear();
        end.resize(self.flat.len() + 1, 0.0);
        free.clear();
        free.resize(self.devices, 0.0);
        if PAIRS {
            last_start.clear();
            last_start.resize(self.devices, 0.0);
        }
        for (i, op) in self.flat.iter().enumerate() {
            let d = op.device as usize;
            let ready = end[op.input as usize] + table[op.delay as usize];
            let device_free = if PAIRS && op.overlaps {
                last_start[d]
            } else {
                free[d]
            };
            let start = if ready > device_free {
                ready
            } else {
                device_free
            };
            let finish = start + table[op.duration as usize];
            end[i + 1] = finish;
            if PAIRS {
                last_start[d] = start;
                free[d] = if op.overlaps {
                    free[d].max(finish)
                } else {
                    finish
                };
            } else {
                free[d] = finish;
            }
        }
        // Durations are >= 0, so each device finishes with its last operation.
        free.iter().copied().fold(0.0, f64::max)
    }

    fn check_partition(
        &self,
        problem: &Problem,
        prefix: &Prefix,
        partition: &Partition,
    ) -> Result<(), SimError> {
        if problem.schedule() != self.schedule
            || problem.stages() != self.stages
            || problem.micro_batches() != self.micro_batches
        {
            return Err(SimError::ScheduleMismatch {
                simulator: self.schedule,
                problem: problem.schedule(),
                simulator_stages: self.stages,
                problem_stages: problem.stages(),
                simulator_micro_batches: self.micro_batches,
                problem_micro_batches: problem.micro_batches(),
            });
        }
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
        if prefix.len() != problem.layers() {
            return Err(SimError::PrefixLength {
                prefix: prefix.len(),
                chain: problem.layers(),
            });
        }
        Ok(())
    }

    fn check_times(&self, times: &StageTimes) -> Result<(), SimError> {
        let lengths = [
            times.forward.len(),
            times.backward.len(),
            times.backward_weight.len(),
            times.delay.len(),
        ];
        if lengths.iter().any(|&n| n != self.stages) {
            return Err(SimError::StageTimesLength {
                expected: self.stages,
                forward: lengths[0],
                backward: lengths[1],
                backward_weight: lengths[2],
                delay: lengths[3],
            });
        }
        for (field, values) in [
            ("forward", &times.forward),
            ("backward", &times.backward),
            ("backward_weight", &times.backward_weight),
            ("delay", &times.delay),
        ] {
            if let Some((stage, &value)) = values
                .iter()
                .enumerate()
                .find(|(_, t)| !t.is_finite() || **t < 0.0)
            {
                return Err(SimError::InvalidStageTime {
                    field,
                    stage,
                    value,
                });
            }
        }
        let over = |k: &usize| times.backward_weight[*k] > times.backward[*k];
        if let Some(stage) = (0..self.stages).find(over) {
            return Err(SimError::InvalidStageTime {
                field: "backward_weight",
                stage,
                value: times.backward_weight[stage],
            });
        }
        Ok(())
    }

    /// Simulates raw stage times. Every entry must be finite and `>= 0`. Works in per-thread
    /// buffers: only the result is allocated.
    pub fn run_times(&self, times: &StageTimes, timeline: bool) -> Result<Simulation, SimError> {
        with_scratch(|scratch| self.run_times_in(scratch, times, timeline))
    }

    fn run_times_in(
        &self,
        scratch: &mut Scratch,
        times: &StageTimes,
        timeline: bool,
    ) -> Result<Simulation, SimError> {
        self.ready()?;
        self.check_times(times)?;
        self.fill_table(scratch, times);
        if self.pair_overlap == PairOverlap::Perfect {
            return Ok(self.overlapped_run(scratch, timeline));
        }
        // The fast pass, then the critical path traced backwards from the
        // end times alone: each operation's binding predecessor is decided
        // by the same comparison the pass made, so nothing per operation is
        // kept besides its end.
        let step_time = self.pass(scratch);
        let busy = self.device_busy(scratch);
        let critical_stage = self.traced_critical_stage(scratch, step_time);
        let timeline = timeline.then(|| {
            self.fill_starts(scratch);
            self.timeline(scratch)
        });
        Ok(self.simulation(step_time, busy, critical_stage, timeline))
    }

    /// Assembles the result, with the bubble fraction from the busy times.
    fn simulation(
        &self,
        step_time: f64,
        busy: Vec<f64>,
        critical_stage: usize,
        timeline: Option<Vec<TimelineOp>>,
    ) -> Simulation {
        let sum_busy: f64 = busy.iter().sum();
        let bubble_fraction = if step_time > 0.0 {
            (1.0 - sum_busy / (self.devices as f64 * step_time)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Simulation {
            step_time,
            device_busy: busy,
            bubble_fraction,
            critical_stage,
            timeline,
        }
    }

    /// Each device's total operation time: every device runs the forward
    /// and the backward (whole, or as its two parts) of every micro-batch on
    /// each of its chunks, so it is `M` times the sum of its stages'
    /// `F + B` (no pass over the operations).
    fn device_busy(&self, scratch: &Scratch) -> Vec<f64> {
        let layout = TableLayout {
            stages: self.stages,
        };
        let m = self.micro_batches as f64;
        let chunks = self.schedule.virtual_stages();
        let work = |k: usize| {
            scratch.table[layout.duration(k, OpKind::Forward) as usize]
                + scratch.table[layout.duration(k, OpKind::Backward) as usize]
        };
        (0..self.devices)
            .map(|d| {
                let per_micro_batch: f64 = (0..chunks)
                    .map(|c| work(self.schedule.stage_of(d, c, self.stages)))
                    .sum();
                m * per_micro_batch
            })
            .collect()
    }

    /// When the operation in `slot` became ready (its input there) and when
    /// its device was free, as the sequential pass computed them.
    #[inline]
    fn ready_and_free(&self, scratch: &Scratch, slot: usize) -> (f64, f64) {
        let op = &self.flat[slot - 1];
        let ready = scratch.end[op.input as usize] + scratch.table[op.delay as usize];
        (ready, scratch.end[self.device_prev[slot] as usize])
    }

    /// [`Simulator::critical_stage`] for the sequential pass, which keeps no
    /// binding predecessors: they are recomputed along the path.
    fn traced_critical_stage(&self, scratch: &Scratch, step_time: f64) -> usize {
        let layout = TableLayout {
            stages: self.stages,
        };
        let mut on_path = vec![0.0f64; self.stages];
        let last = (0..self.devices)
            .find(|&d| scratch.free[d] == step_time && self.offset[d + 1] > self.offset[d]);
        if let Some(d) = last {
            let mut cur = self.slot_of[self.offset[d + 1] - 1] as usize;
            while cur != 0 {
                let op = &self.flat[cur - 1];
                on_path[layout.stage_of(op.duration)] += scratch.table[op.duration as usize];
                let (ready, device_free) = self.ready_and_free(scratch, cur);
                cur = if ready - device_free > TIE * ready.abs() {
                    op.input as usize
                } else {
                    self.device_prev[cur] as usize
                };
            }
        }
        most_loaded(&on_path)
    }

    /// Start times of the sequential pass, for a timeline.
    fn fill_starts(&self, scratch: &mut Scratch) {
        let total = self.flat.len();
        let mut start = std::mem::take(&mut scratch.start);
        start.clear();
        start.resize(total + 1, 0.0);
        for (slot, st) in start.iter_mut().enumerate().skip(1) {
            let (ready, device_free) = self.ready_and_free(scratch, slot);
            *st = if ready > device_free {
                ready
            } else {
                device_free
            };
        }
        scratch.start = start;
    }

    /// The full pass under [`PairOverlap::Perfect`], keeping binding
    /// predecessors (the device predecessor is not static there: after a
    /// pair the device waits for whichever part ends last).
    fn overlapped_run(&self, scratch: &mut Scratch, timeline: bool) -> Simulation {
        let total = self.flat.len();
        let Scratch {
            table,
            end,
            free,
            start,
            binding,
            previous,
            last_start,
        } = &mut *scratch;
        end.clear();
        end.resize(total + 1, 0.0);
        binding.clear();
        binding.resize(total + 1, 0);
        start.clear();
        start.resize(total + 1, 0.0);
        free.clear();
        free.resize(self.devices, 0.0);
        previous.clear();
        previous.resize(self.devices, 0);
        last_start.clear();
        last_start.resize(self.devices, 0.0);
        let mut busy = vec![0.0f64; self.devices];
        for (i, op) in self.flat.iter().enumerate() {
            let slot = i + 1;
            let d = op.device as usize;
            let ready = end[op.input as usize] + table[op.delay as usize];
            // The second part of a pair may start with the first.
            let device_free = if op.overlaps { last_start[d] } else { free[d] };
            let st = if ready > device_free {
                ready
            } else {
                device_free
            };
            binding[slot] = if ready - device_free > TIE * ready.abs() {
                op.input
            } else {
                previous[d]
            };
            let duration = table[op.duration as usize];
            let finish = st + duration;
            start[slot] = st;
            end[slot] = finish;
            // Busy time counts the device's covered time once.
            busy[d] += if op.overlaps {
                (finish - st.max(free[d])).max(0.0)
            } else {
                duration
            };
            if !op.overlaps || finish >= free[d] {
                previous[d] = slot as u32;
            }
            free[d] = if op.overlaps {
                free[d].max(finish)
            } else {
                finish
            };
            last_start[d] = st;
        }
        let step_time = free.iter().copied().fold(0.0, f64::max);
        let critical_stage = self.critical_stage(scratch, step_time);
        let timeline = timeline.then(|| self.timeline(scratch));
        self.simulation(step_time, busy, critical_stage, timeline)
    }

    /// The stage with the most compute time on the critical path, traced
    /// back from the last operation of the first device to finish last
    /// (after a full pass of [`Simulator::run_times_in`]).
    fn critical_stage(&self, scratch: &Scratch, step_time: f64) -> usize {
        let layout = TableLayout {
            stages: self.stages,
        };
        let mut on_path = vec![0.0f64; self.stages];
        if let Some(d) = (0..self.devices).find(|&d| scratch.free[d] == step_time) {
            let mut cur = scratch.previous[d];
            while cur != 0 {
                let i = cur as usize;
                let duration = self.flat[i - 1].duration;
                on_path[layout.stage_of(duration)] += scratch.table[duration as usize];
                cur = scratch.binding[i];
            }
        }
        most_loaded(&on_path)
    }

    /// Every operation with its start and end, device by device (after a
    /// full pass that kept start times).
    fn timeline(&self, scratch: &Scratch) -> Vec<TimelineOp> {
        let mut ops = Vec::with_capacity(self.flat.len());
        for (d, order) in self.orders.iter().enumerate() {
            for (j, op) in order.iter().enumerate() {
                let slot = self.slot_of[self.offset[d] + j] as usize;
                ops.push(TimelineOp {
                    device: d,
                    stage: self.schedule.stage_of(d, op.chunk, self.stages),
                    chunk: op.chunk,
                    kind: op.kind,
                    micro_batch: op.micro_batch,
                    start: scratch.start[slot],
                    end: scratch.end[slot],
                });
            }
        }
        ops
    }
}

/// The stage with the most time on the critical path; ties (up to a relative
/// [`TIE`]) go to the higher stage.
fn most_loaded(on_path: &[f64]) -> usize {
    let most = on_path.iter().copied().fold(0.0, f64::max);
    on_path
        .iter()
        .rposition(|&t| t >= most * (1.0 - TIE))
        .unwrap_or(0)
}

/// For every slot, the slot of the operation before it on its device (0 for
/// a device's first operation and for the unused slot 0).
fn device_predecessors(offset: &[usize], slot_of: &[u32]) -> Vec<u32> {
    let mut prev = vec![0u32; slot_of.len() + 1];
    // An invalid simulator (deadlock, rejected sizes) has no slots.
    if offset.last() != Some(&slot_of.len()) {
        return prev;
    }
    for window in offset.windows(2) {
        let slots = &slot_of[window[0]..window[1]];
        for pair in slots.windows(2) {
            prev[pair[1] as usize] = pair[0];
        }
    }
    prev
}

/// The checks a [`Problem`] makes on the schedule, plus the operation limit.
fn validate(schedule: Schedule, stages: usize, micro_batches: usize) -> Option<Invalid> {
    if schedule.check(stages, micro_batches).is_err() {
        return Some(Invalid::Schedule);
    }
    let fits = stages
        .checked_mul(micro_batches)
        .and_then(|x| x.checked_mul(schedule.op_kinds().len()))
        .is_some_and(|ops| ops <= MAX_OPERATIONS);
    if !fits {
        return Some(Invalid::TooManyOperations);
    }
    None
}

impl Invalid {
    fn error(self, schedule: Schedule, stages: usize, micro_batches: usize) -> SimError {
        match self {
            Invalid::Schedule => match schedule.check(stages, micro_batches) {
                Err(e) => e.into(),
                // Unreachable: `Schedule` is recorded only when the check fails.
                Ok(()) => SimError::Core(pipecut_core::Error::ZeroStages),
            },
            Invalid::TooManyOperations => SimError::TooManyOperations {
                stages,
                micro_batches,
                limit: MAX_OPERATIONS,
            },
            Invalid::Inputs { device, op } => SimError::TooManyInputs {
                device,
                kind: op.kind,
                micro_batch: op.micro_batch,
                chunk: op.chunk,
            },
            Invalid::Deadlock { device, op } => SimError::Deadlock {
                device,
                kind: op.kind,
                micro_batch: op.micro_batch,
                chunk: op.chunk,
            },
        }
    }
}

/// Where each operation's duration and input delays sit in the table.
struct TableLayout {
    stages: usize,
}

impl TableLayout {
    const KINDS: usize = OpKind::COUNT;

    fn duration(&self, stage: usize, kind: OpKind) -> u32 {
        (stage * Self::KINDS + kind.index()) as u32
    }

    fn delay(&self, boundary: usize) -> u32 {
        (Self::KINDS * self.stages + boundary) as u32
    }

    fn no_delay(&self) -> u32 {
        ((Self::KINDS + 1) * self.stages) as u32
    }

    fn len(&self) -> usize {
        (Self::KINDS + 1) * self.stages + 1
    }

    /// Writes stage `k`'s duration of every kind (from its forward, backward
    /// and weight-gradient times) and its outgoing delay.
    fn fill(&self, table: &mut [f64], k: usize, (f, b, w): (f64, f64, f64), delay: f64) {
        for kind in OpKind::ALL {
            table[self.duration(k, kind) as usize] = kind.duration(f, b, w);
        }
        table[self.delay(k) as usize] = delay;
    }

    /// Stage of a duration slot.
    fn stage_of(&self, duration: u32) -> usize {
        duration as usize / Self::KINDS
    }
}

/// For every (stage, kind), the devices of the operations on other stages
/// that take it as input, read off the rules at micro-batch 0.
fn consumer_devices(schedule: Schedule, p: usize) -> Vec<Vec<usize>> {
    let mut consumers = vec![Vec::new(); p * OpKind::COUNT];
    for stage in 0..p {
        let at = schedule.placement(stage, p);
        for &kind in schedule.op_kinds() {
            let op = Op {
                kind,
                micro_batch: 0,
                chunk: at.chunk,
            };
            for dep in schedule.inputs(stage, p, op).as_slice() {
                let list: &mut Vec<usize> =
                    &mut consumers[dep.stage * OpKind::COUNT + dep.kind.index()];
                if dep.stage != stage && !list.contains(&at.device) {
                    list.push(at.device);
                }
            }
        }
    }
    consumers
}

/// Puts every operation in a valid timing order: each after its device
/// predecessor and after the producers of its inputs (as the schedule's rules
/// define them). A device advances until its next operation waits on an
/// operation not yet placed; it is parked on that producer, and placing the
/// producer wakes it. Linear in the number of operations.
fn topological(
    schedule: Schedule,
    p: usize,
    m: usize,
    orders: &[Vec<Op>],
    offset: &[usize],
    stage_at: &[usize],
) -> Result<(Vec<FlatOp>, Vec<u32>), Invalid> {
    let devices = orders.len();
    let total = offset[devices];
    let layout = TableLayout { stages: p };
    // Slot (1-based position in `flat`) of every (stage, kind, micro-batch);
    // 0 = not placed yet.
    let key =
        |stage: usize, kind: OpKind, mb: usize| (stage * OpKind::COUNT + kind.index()) * m + mb;
    let mut slot = vec![0u32; p * OpKind::COUNT * m];
    // Placing an operation first hands over to the devices that consume it
    // on other stages (depth first, which keeps the timing pass's reads
    // close together); a device blocked on a producer outside that map is
    // parked on it until that producer is placed.
    let consumers = consumer_devices(schedule, p);
    // (producer key, device) pairs; rare, so a short list scanned on
    // placement beats a table the size of `slot`.
    let mut parked: Vec<(usize, usize)> = Vec::new();
    let mut slot_of = vec![0u32; total];
    let mut flat = Vec::with_capacity(total);
    let mut next = vec![0usize; devices];
    let mut stack: Vec<usize> = (0..devices).rev().collect();
    let device_of: Vec<usize> = (0..p).map(|s| schedule.device_of(s, p)).collect();
    let chunks = schedule.virtual_stages();
    while let Some(d) = stack.pop() {
        let order = &orders[d];
        'device: while next[d] < order.len() {
            let op = order[next[d]];
            let s = stage_at[d * chunks + op.chunk];
            let inputs = schedule.inputs(s, p, op);
            // The timing pass reads one input per operation, which is all
            // the rules here produce; more would need a wider `FlatOp`.
            let (input, delay) = match inputs.as_slice() {
                [] => (0u32, layout.no_delay()),
                [dep] => {
                    let k = key(dep.stage, dep.kind, dep.micro_batch);
                    if slot[k] == 0 {
                        let handed =
                            consumers[dep.stage * OpKind::COUNT + dep.kind.index()].contains(&d);
                        if !handed && !parked.contains(&(k, d)) {
                            parked.push((k, d));
                        }
                        break 'device;
                    }
                    let delay = if device_of[dep.stage] != d && dep.stage != s {
                        layout.delay(dep.stage.min(s))
                    } else {
                        layout.no_delay()
                    };
                    (slot[k], delay)
                }
                _ => return Err(Invalid::Inputs { device: d, op }),
            };
            flat.push(FlatOp {
                device: d as u32,
                duration: layout.duration(s, op.kind),
                input,
                delay,
                overlaps: false,
            });
            let placed = flat.len() as u32;
            slot_of[offset[d] + next[d]] = placed;
            for &kind in op.kind.provides() {
                let k = key(s, kind, op.micro_batch);
                slot[k] = placed;
                if !parked.is_empty() {
                    parked.retain(|&(on, waiter)| {
                        if on == k {
                            stack.push(waiter);
                        }
                        on != k
                    });
                }
                stack.extend_from_slice(&consumers[s * OpKind::COUNT + kind.index()]);
            }
            next[d] += 1;
        }
    }
    if flat.len() != total {
        let device = (0..devices)
            .find(|&d| next[d] < orders[d].len())
            .unwrap_or(0);
        return Err(Invalid::Deadlock {
            device,
            op: orders[device][next[device]],
        });
    }
    Ok((flat, slot_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stage times that vary by stage and kind, with transfer delays.
    fn uneven_times(stages: usize, salt: usize) -> StageTimes {
        let wave = |k: usize, m: usize| 0.5 + ((k * 7 + salt * 3 + m) % 5) as f64 * 0.3;
        let mut t = StageTimes::new(
            (0..stages).map(|k| wave(k, 0)).collect(),
            (0..stages).map(|k| 2.0 * wave(k, 1)).collect(),
            (0..stages).map(|k| 0.1 * wave(k, 2)).collect(),
        );
        t.backward_weight = t.backward.iter().map(|b| b * 0.4).collect();
        t
    }

    /// The sequential run traces the critical path from end times alone;
    /// the pass that keeps every binding predecessor (the one perfect
    /// overlap uses, here with no pair overlapping) must agree on every field.
    #[test]
    fn traced_critical_path_equals_the_kept_bindings() {
        let mut checked = 0;
        for schedule in Schedule::all(2) {
            for devices in 1..=4 {
                let stages = devices * schedule.virtual_stages();
                for m in [2 * stages, 2 * stages + 3] {
                    let sim = Simulator::for_schedule(schedule, stages, m);
                    if sim.ready().is_err() {
                        continue;
                    }
                    for salt in 0..3 {
                        let times = uneven_times(stages, salt);
                        let fast = sim.run_times(&times, true).unwrap();
                        let mut scratch = Scratch::default();
                        sim.fill_table(&mut scratch, &times);
                        let mut kept = sim.overlapped_run(&mut scratch, true);
                        // Busy times: `M` x per-micro-batch sums against the
                        // pass's running sums, equal up to rounding.
                        for (a, b) in fast.device_busy.iter().zip(&kept.device_busy) {
                            assert!((a - b).abs() <= 1e-12 * b, "{a} vs {b}");
                        }
                        kept.device_busy = fast.device_busy.clone();
                        kept.bubble_fraction = fast.bubble_fraction;
                        assert_eq!(fast, kept, "{schedule} D={devices} M={m}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
