//! The exact minimum of the busiest device's load, for schedules that place
//! several stages on one device.
//!
//! Device `d`'s load is the sum of the times of the stages placed on it
//! (`Problem::device_of`), added in stage order; its memory is the sum of
//! their memory (as `pipecut_core::eval::device_memory` adds it). The
//! objective is `L = max_d load_d`: with several stages per device the
//! device, not the stage, limits the step.
//!
//! Stages on one device are not adjacent, so there is no chain DP over
//! stages. The search goes device by device instead, cutting all of a
//! device's stages at once (choosing whichever of their boundaries are not
//! yet fixed). Once devices `0..d` are cut, the devices still to cut carry
//! no load and no memory, so what remains depends only on the fixed
//! boundaries that touch a stage still to cut: that tuple is the whole
//! state. With loop placement and `v` stages per device it has `2v - 1`
//! entries, with V placement 2.
//!
//! A memoised search over those states: a state's value is the least
//! largest load of the devices still to cut, `V(s) = min over the next
//! device's cuts of max(its load, V(s'))`. Each state is searched only as
//! far as its caller needs, between a value that is good enough (the
//! caller's own device load, or the proven lower bound at the top: nothing
//! below it helps) and a cutoff (the best the caller has: nothing above it
//! helps), and what it proves is remembered as bounds with the cuts that
//! attain the upper one, so a state met again from another past is not
//! searched again unless the new window asks for more. The top cutoff is
//! the busiest load of core's bottleneck-optimal partition (when it fits the
//! devices' memory). Pruning: a device's load (its partial sums only grow)
//! and memory, and the work left against what the devices still to cut can
//! hold below the cutoff. Devices that on their own need half the
//! reference load go first (they decide the optimum); the rest in index
//! order, which keeps the states small. The lower bound is `max(T_b, W / H,
//! A)`: `T_b` the bottleneck optimum (no device load is below a stage
//! time), `W` the total work, `H = sum_d 1 / min_{k on d} speed_k`, and `A`
//! the largest load any device needs on its own.
//!
//! Every value is a load computed with the evaluator's stage times, so the
//! optimum is exact to the last bit. Ties go to the first cuts found at
//! the optimum, in a fixed order (each boundary tried outwards from the
//! bottleneck-optimal partition's), so the result is deterministic.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pipecut_core::dp::{BottleneckTables, Tie};
use pipecut_core::format::number;
use pipecut_core::{evaluate_with, memory_infeasible, Error, Partition, Prefix, Problem};

use crate::error::ExactError;

/// Largest number of search states [`solve`] visits before it gives up:
/// each costs about 100 bytes and a few microseconds, so about 200 MB and
/// ten seconds at most.
pub(crate) const DEFAULT_MAX_DEVICE_STATES: usize = 1 << 21;

/// Relative slack on the work-capacity pruning, far above the rounding of
/// the sums involved, so that it never cuts a feasible branch.
const MARGIN: f64 = 1e-9;

/// A proven optimum of the busiest device's load.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeviceLoadSolution {
    pub partition: Partition,
    /// The busiest device's load of `partition`, the optimum.
    pub value: f64,
    /// The proven lower bound the search started from.
    pub lower_bound: f64,
    /// The busiest device's load of the starting incumbent (`inf` when the
    /// bottleneck-optimal partition does not fit the devices' memory).
    pub upper_bound: f64,
    /// Search states visited.
    pub states: usize,
}

/// What [`solve`] found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Solved(DeviceLoadSolution),
    /// No partition fits the memory capacity.
    MemoryInfeasible,
    /// The search visited more than its state budget.
    TooLarge {
        states: usize,
    },
}

/// Per-device loads of a partition: the sum of each device's stage times in
/// stage order.
pub(crate) fn device_loads(problem: &Problem, prefix: &Prefix, starts: &[usize]) -> Vec<f64> {
    let n = prefix.len();
    let mut loads = vec![0.0; device_count(problem)];
    for (k, &a) in starts.iter().enumerate() {
        let b = starts.get(k + 1).copied().unwrap_or(n);
        if let Some(slot) = loads.get_mut(problem.device_of(k)) {
            *slot += prefix.stage_time(problem.speed(k), a, b);
        }
    }
    loads
}

/// The busiest device's load of a partition.
pub(crate) fn busiest(problem: &Problem, prefix: &Prefix, starts: &[usize]) -> f64 {
    largest(&device_loads(problem, prefix, starts))
}

fn largest(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Devices, robust to a placement that names more than `Problem::devices`.
fn device_count(problem: &Problem) -> usize {
    (0..problem.stages())
        .map(|k| problem.device_of(k) + 1)
        .max()
        .unwrap_or(0)
        .max(problem.devices())
}

/// Minimises the busiest device's load of `problem` (`prefix` is
/// `Prefix::new(problem)`), visiting at most `max_states` states.
pub(crate) fn solve(problem: &Problem, prefix: &Prefix, max_states: usize) -> Outcome {
    let (n, p) = (problem.layers(), problem.stages());
    let capacity = problem.memory_capacity();
    // Every stage of a fitting partition fits the cap alone, so the
    // bottleneck optimum under per-stage caps bounds the optimum from below.
    let tables = BottleneckTables::new(problem, prefix, capacity.map(|c| vec![c; p]));
    let (Some(bottleneck), Some(start)) = (tables.optimum(), tables.partition(Tie::Latest)) else {
        return Outcome::MemoryInfeasible;
    };
    let stages = stages_of(problem);
    let alone = alone_floors(problem, prefix, &stages);
    let total = prefix.work[n];
    let harmonic: f64 = stages
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            1.0 / s
                .iter()
                .map(|&k| problem.speed(k))
                .fold(f64::INFINITY, f64::min)
        })
        .sum();
    // Each rounding in `W / H` is within a unit in the last place; the sum
    // of `D` reciprocals and the division stay below `(P + 8) * 2^-52`.
    let rounding = (p as f64 + 8.0) * f64::EPSILON;
    let lower_bound = bottleneck
        .max(total / harmonic * (1.0 - rounding))
        .max(largest(&alone));
    let incumbent = evaluate_with(problem, prefix, &start)
        .fits_memory
        .then(|| busiest(problem, prefix, start.starts()));
    let order = processing_order(&alone, incumbent.unwrap_or(bottleneck));
    let mut search = Search::new(problem, prefix, order, max_states);
    search.target = cut_vector(start.starts(), n);
    let upper_bound = incumbent.unwrap_or(f64::INFINITY);
    let mut cuts = incumbent.map(|_| search.target.clone());
    if upper_bound > lower_bound {
        let (_, bound) = search.value(0, lower_bound, upper_bound, total);
        if search.too_large {
            return Outcome::TooLarge {
                states: search.states,
            };
        }
        if bound != Bound::AtLeast {
            let root = search.memo[0]
                .values()
                .next()
                .map(|k| k.choice.clone())
                .unwrap_or_default();
            match search.reconstruct(&root) {
                Some(found) => cuts = Some(found),
                None => {
                    return Outcome::TooLarge {
                        states: search.states,
                    }
                }
            }
        }
    }
    let Some(cuts) = cuts else {
        return Outcome::MemoryInfeasible;
    };
    // The partition's own load: at most the value the search proved (a
    // state's upper bound may have improved after its parent read it), and
    // never below the optimum.
    let value = busiest(problem, prefix, &cuts[..p]);
    let Ok(partition) = Partition::new(cuts[..p].to_vec(), n) else {
        return Outcome::MemoryInfeasible;
    };
    Outcome::Solved(DeviceLoadSolution {
        partition,
        value,
        lower_bound: lower_bound.min(value),
        upper_bound,
        states: search.states,
    })
}

/// [`solve`] with the crate's errors: a cap nothing fits is core's
/// `MemoryInfeasible` diagnosis, an exhausted state budget
/// [`ExactError::DeviceSearchTooLarge`] for `algorithm`.
pub(crate) fn solve_or_error(
    problem: &Problem,
    algorithm: &str,
) -> Result<DeviceLoadSolution, Error> {
    let prefix = Prefix::new(problem);
    let total = prefix.work[prefix.len()];
    if !total.is_finite() {
        return Err(ExactError::NonFiniteTotal { total }.into_core(algorithm));
    }
    match solve(problem, &prefix, DEFAULT_MAX_DEVICE_STATES) {
        Outcome::Solved(solution) => Ok(solution),
        Outcome::MemoryInfeasible => Err(memory_infeasible(problem, &prefix)),
        Outcome::TooLarge { states } => Err(ExactError::DeviceSearchTooLarge {
            layers: problem.layers(),
            stages: problem.stages(),
            devices: problem.devices(),
            states,
        }
        .into_core(algorithm)),
    }
}

/// The note both solvers attach to a device-load optimum.
pub(crate) fn note(solution: &DeviceLoadSolution) -> String {
    format!(
        "minimised the busiest device's load (several stages per device): {} search states \
         between the bounds {} and {}",
        solution.states,
        number(solution.lower_bound),
        number(solution.upper_bound)
    )
}

/// The stages of each device, in stage order.
fn stages_of(problem: &Problem) -> Vec<Vec<usize>> {
    let mut stages = vec![Vec::new(); device_count(problem)];
    for k in 0..problem.stages() {
        stages[problem.device_of(k)].push(k);
    }
    stages
}

/// Largest `P N^2` for which the per-device floors are computed.
const MAX_FLOOR_CELLS: u128 = 1 << 25;

/// Per device, the least load it can have on its own (every stage keeping a
/// layer, the other devices' loads ignored): a floor of the optimum. A DP
/// over the device's stages, `O(N^2)` each, adding stage times in the
/// evaluator's order (addition is monotone, so the minimum of the sums is
/// the sum of the minima); all zero above [`MAX_FLOOR_CELLS`].
fn alone_floors(problem: &Problem, prefix: &Prefix, stages: &[Vec<usize>]) -> Vec<f64> {
    let (n, p) = (problem.layers(), problem.stages());
    if p as u128 * (n as u128) * (n as u128) > MAX_FLOOR_CELLS {
        return vec![0.0; stages.len()];
    }
    stages
        .iter()
        .map(|own| {
            // best[b]: least sum with the device's latest stage so far ending at b.
            let mut best = vec![f64::INFINITY; n + 1];
            let mut last: Option<usize> = None;
            for &k in own {
                let time = |a: usize, b: usize| prefix.stage_time(problem.speed(k), a, b);
                let first_start = if k == 0 { 0 } else { k };
                let last_start = if k == 0 { 0 } else { n - (p - k) };
                let mut next = vec![f64::INFINITY; n + 1];
                // before[a]: least sum of the earlier stages with this one starting at a.
                let before: Vec<f64> = match last {
                    None => vec![0.0; n + 1],
                    Some(j) if j + 1 == k => best.clone(),
                    Some(j) => {
                        let gap = k - j - 1;
                        let mut run = f64::INFINITY;
                        (0..=n)
                            .map(|a| {
                                if a >= gap {
                                    run = run.min(best[a - gap]);
                                }
                                run
                            })
                            .collect()
                    }
                };
                let starts = before.iter().enumerate();
                for (a, &prior) in starts.take(last_start + 1).skip(first_start) {
                    if prior == f64::INFINITY {
                        continue;
                    }
                    let ends = if k + 1 == p {
                        n..=n
                    } else {
                        a + 1..=n - (p - k - 1)
                    };
                    for b in ends {
                        let sum = prior + time(a, b);
                        if sum < next[b] {
                            next[b] = sum;
                        }
                    }
                }
                best = next;
                last = Some(k);
            }
            best.iter().copied().fold(f64::INFINITY, f64::min).max(0.0)
        })
        .collect()
}

/// Devices in the order the search cuts them: those that on their own
/// already need half the reference load first (heaviest first), since they
/// decide the optimum and prune hardest; then the rest by index, which for
/// loop and V placement keeps the state small.
fn processing_order(alone: &[f64], reference: f64) -> Vec<usize> {
    let critical = |d: &usize| alone[*d] >= 0.5 * reference;
    let mut first: Vec<usize> = (0..alone.len()).filter(critical).collect();
    first.sort_by(|&a, &b| alone[b].total_cmp(&alone[a]).then(a.cmp(&b)));
    first.extend((0..alone.len()).filter(|d| !critical(d)));
    first
}

/// Starts plus the chain's end: the `P + 1` stage boundaries.
fn cut_vector(starts: &[usize], n: usize) -> Vec<usize> {
    let mut cuts = starts.to_vec();
    cuts.push(n);
    cuts
}

/// What a boundary being chosen is to the stage cut next.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// The end of stage `k`, whose start is fixed.
    End(usize),
    /// The start of stage `k`, whose end is fixed.
    Start(usize),
    /// The start of a stage whose end is chosen next.
    Free,
}

/// One step of the fixed order the search cuts in.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Chooses boundary `cut`, between the nearest fixed ones `below` and
    /// `above` (every stage keeps a layer).
    Choose {
        cut: usize,
        below: usize,
        above: usize,
        role: Role,
    },
    /// Adds stage `stage` to its device's load and memory.
    Stage(usize),
    /// The device at position `pos` of the processing order is complete.
    Close(usize),
}

/// A multiplicative hash for the small integer tuples of the failed-state
/// record (deterministic; the record is only ever queried, never iterated).
#[derive(Default)]
struct TupleHasher(u64);

impl Hasher for TupleHasher {
    fn finish(&self) -> u64 {
        // The splitmix64 finaliser: the table reads both ends of the hash.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn write_u128(&mut self, x: u128) {
        self.write_u64(x as u64);
        self.write_u64((x >> 64) as u64);
    }
}

/// A state: its boundaries packed 16 bits each when they fit, else listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Packed(u128),
    Wide(Vec<usize>),
}

/// What is known about a state: bounds on the least largest load of the
/// devices still to cut, and the boundaries (those the next device
/// chooses) of a way to cut them that attains the upper bound.
#[derive(Debug, Clone)]
struct Known {
    lower: f64,
    upper: f64,
    choice: Vec<usize>,
}

/// How a returned value bounds a state's least largest load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Exact,
    /// At most the value, which is at most the caller's `good`.
    AtMost,
    /// At least the value, which is at least the caller's `cutoff`.
    AtLeast,
}

type Memo = HashMap<Key, Known, BuildHasherDefault<TupleHasher>>;

/// The search at one position of the device order: the best value of the
/// state being explored there so far, the boundaries that attain it, and
/// the value that is good enough to stop at.
#[derive(Debug, Clone)]
struct Level {
    best: f64,
    good: f64,
    choice: Option<Vec<usize>>,
}

struct Search<'a> {
    prefix: &'a Prefix,
    steps: Vec<Step>,
    /// Per position of `order`: the index in `steps` where its device starts.
    first_step: Vec<usize>,
    /// Per step: the position of its device.
    step_pos: Vec<usize>,
    /// Whether states pack into 128 bits.
    packed: bool,
    speed: Vec<f64>,
    in_flight: Vec<usize>,
    device: Vec<usize>,
    capacity: Option<u64>,
    /// Devices in the order they are cut.
    order: Vec<usize>,
    /// Per position: the fixed boundaries touching a stage still to cut
    /// before that device is cut (the state).
    open: Vec<Vec<usize>>,
    /// Per position: the boundaries its device chooses.
    chosen: Vec<Vec<usize>>,
    /// Per position: what is known about the states there.
    memo: Vec<Memo>,
    levels: Vec<Level>,
    /// `rest[i] = sum over positions j >= i of 1 / min_{k on order[j]} speed_k`.
    rest: Vec<f64>,
    total: f64,
    cut: Vec<usize>,
    load: Vec<f64>,
    memory: Vec<u64>,
    /// Each boundary is tried outwards from this one (the bottleneck
    /// optimum's).
    target: Vec<usize>,
    states: usize,
    max_states: usize,
    too_large: bool,
}

impl<'a> Search<'a> {
    fn new(problem: &Problem, prefix: &'a Prefix, order: Vec<usize>, max_states: usize) -> Self {
        let (n, p) = (problem.layers(), problem.stages());
        let devices = order.len();
        let device: Vec<usize> = (0..p).map(|k| problem.device_of(k)).collect();
        let speed: Vec<f64> = (0..p).map(|k| problem.speed(k)).collect();
        let stages_of = stages_of(problem);
        let mut fixed = vec![false; p + 1];
        fixed[0] = true;
        fixed[p] = true;
        let mut cut_done = vec![false; p];
        let mut steps = Vec::with_capacity(3 * p + devices);
        let mut first_step = Vec::with_capacity(devices);
        let mut open = Vec::with_capacity(devices);
        let mut chosen = Vec::with_capacity(devices);
        for (pos, &d) in order.iter().enumerate() {
            open.push(
                (0..=p)
                    .filter(|&i| {
                        fixed[i] && ((i > 0 && !cut_done[i - 1]) || (i < p && !cut_done[i]))
                    })
                    .collect(),
            );
            first_step.push(steps.len());
            let mut mine = Vec::new();
            for &k in stages_of.get(d).map_or(&[][..], |s| &s[..]) {
                for i in [k, k + 1] {
                    if fixed[i] {
                        continue;
                    }
                    let below = (0..i).rev().find(|&j| fixed[j]).unwrap_or(0);
                    let above = (i + 1..=p).find(|&j| fixed[j]).unwrap_or(p);
                    let role = if i == k + 1 {
                        Role::End(k)
                    } else if fixed[k + 1] {
                        Role::Start(k)
                    } else {
                        Role::Free
                    };
                    steps.push(Step::Choose {
                        cut: i,
                        below,
                        above,
                        role,
                    });
                    mine.push(i);
                    fixed[i] = true;
                }
                steps.push(Step::Stage(k));
                cut_done[k] = true;
            }
            steps.push(Step::Close(pos));
            chosen.push(mine);
        }
        let mut rest = vec![0.0; devices + 1];
        for (pos, &d) in order.iter().enumerate().rev() {
            let slowest = stages_of[d]
                .iter()
                .map(|&k| speed[k])
                .fold(f64::INFINITY, f64::min);
            let inverse = if stages_of[d].is_empty() {
                0.0
            } else {
                1.0 / slowest
            };
            rest[pos] = rest[pos + 1] + inverse;
        }
        let mut cut = vec![0; p + 1];
        cut[p] = n;
        let mut step_pos = vec![0; steps.len()];
        for (pos, &f) in first_step.iter().enumerate() {
            for slot in &mut step_pos[f..] {
                *slot = pos;
            }
        }
        let packed = n < 1 << 16 && open.iter().all(|o: &Vec<usize>| o.len() <= 8);
        Search {
            prefix,
            steps,
            first_step,
            step_pos,
            packed,
            speed,
            in_flight: problem.peak_in_flight(),
            device,
            capacity: problem.memory_capacity(),
            memo: (0..devices).map(|_| Memo::default()).collect(),
            levels: vec![
                Level {
                    best: f64::INFINITY,
                    good: f64::NEG_INFINITY,
                    choice: None,
                };
                devices
            ],
            order,
            open,
            chosen,
            rest,
            total: prefix.work[n],
            cut,
            load: vec![0.0; devices],
            memory: vec![0; devices],
            target: Vec::new(),
            states: 0,
            max_states,
            too_large: false,
        }
    }

    fn stage_memory(&self, k: usize, a: usize, b: usize) -> u64 {
        self.prefix.stage_memory(self.in_flight[k], a, b)
    }

    /// Whether stage `k` on `a..b` may still beat `limit`: its compute (a
    /// lower bound of its time, growing with the stage) and its memory (also
    /// growing) on top of its device's.
    fn may_fit(&self, k: usize, a: usize, b: usize, limit: f64) -> bool {
        let d = self.device[k];
        self.load[d] + self.speed[k] * self.prefix.work(a, b) < limit
            && self
                .capacity
                .is_none_or(|cap| self.memory[d].saturating_add(self.stage_memory(k, a, b)) <= cap)
    }

    /// The least largest load of the devices at positions `pos..` from the
    /// current boundaries (`left` is the work not yet cut), searched only as
    /// far as the caller needs: a value at most `good` is as good as any,
    /// one at least `cutoff` is of no use.
    fn value(&mut self, pos: usize, good: f64, cutoff: f64, left: f64) -> (f64, Bound) {
        if pos == self.order.len() {
            return (f64::NEG_INFINITY, Bound::Exact);
        }
        // The work left must fit below the cutoff on the devices left.
        if left - self.total * MARGIN > cutoff * self.rest[pos] * (1.0 + MARGIN) {
            return (cutoff, Bound::AtLeast);
        }
        let key = self.key(pos);
        let mut level = Level {
            best: cutoff,
            good,
            choice: None,
        };
        let mut lower = f64::NEG_INFINITY;
        if let Some(k) = self.memo[pos].get(&key) {
            if k.upper <= good {
                return (k.upper, Bound::AtMost);
            }
            if k.lower >= cutoff {
                return (k.lower, Bound::AtLeast);
            }
            if k.lower == k.upper {
                return (k.upper, Bound::Exact);
            }
            lower = k.lower;
            if k.upper < cutoff {
                level.best = k.upper;
                level.choice = Some(k.choice.clone());
            }
        }
        self.states += 1;
        if self.states > self.max_states {
            self.too_large = true;
            return (cutoff, Bound::AtLeast);
        }
        self.levels[pos] = level;
        self.walk(self.first_step[pos], left);
        if self.too_large {
            return (cutoff, Bound::AtLeast);
        }
        let level = std::mem::replace(
            &mut self.levels[pos],
            Level {
                best: f64::INFINITY,
                good: f64::NEG_INFINITY,
                choice: None,
            },
        );
        let entry = self.memo[pos].entry(key).or_insert(Known {
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
            choice: Vec::new(),
        });
        match level.choice {
            Some(choice) => {
                let bound = if level.best <= good {
                    Bound::AtMost
                } else {
                    // Every way below the best was explored.
                    entry.lower = level.best;
                    Bound::Exact
                };
                if level.best <= entry.upper {
                    entry.upper = level.best;
                    entry.choice = choice;
                }
                (level.best, bound)
            }
            None => {
                entry.lower = entry.lower.max(cutoff).max(lower);
                (cutoff, Bound::AtLeast)
            }
        }
    }

    /// Cuts the device of the current position from step `s` on.
    fn walk(&mut self, s: usize, left: f64) {
        match self.steps[s] {
            Step::Choose {
                cut,
                below,
                above,
                role,
            } => {
                let pos = self.position(s);
                let limit = self.levels[pos].best;
                let mut lo = self.cut[below] + (cut - below);
                let mut hi = self.cut[above] - (above - cut);
                match role {
                    Role::End(k) => {
                        let a = self.cut[k];
                        hi = last_true(lo, hi, |e| self.may_fit(k, a, e, limit));
                        if matches!(self.steps.get(s + 2), Some(Step::Close(_))) {
                            // The device's last stage: skip the ends that
                            // leave more work than the later devices can take
                            // (the very test `value` would fail them on).
                            let room = limit * self.rest[pos + 1] * (1.0 + MARGIN);
                            let margin = self.total * MARGIN;
                            lo = first_true(lo, hi, |e| {
                                left - self.prefix.work(a, e) - margin <= room
                            });
                        }
                    }
                    Role::Start(k) => {
                        let b = self.cut[k + 1];
                        lo = first_true(lo, hi, |a| self.may_fit(k, a, b, limit));
                    }
                    Role::Free => {}
                }
                if lo > hi || hi == usize::MAX {
                    return;
                }
                let centre = self.target.get(cut).copied().unwrap_or(lo).clamp(lo, hi);
                let (mut up, mut down) = (centre, centre);
                let mut upwards = true;
                loop {
                    let (can_up, can_down) = (up <= hi, down > lo);
                    let c = if can_up && (upwards || !can_down) {
                        up += 1;
                        up - 1
                    } else if can_down {
                        down -= 1;
                        down
                    } else {
                        return;
                    };
                    upwards = !upwards;
                    self.cut[cut] = c;
                    self.walk(s + 1, left);
                    let level = &self.levels[pos];
                    if self.too_large || level.best <= level.good {
                        return;
                    }
                }
            }
            Step::Stage(k) => {
                let (a, b) = (self.cut[k], self.cut[k + 1]);
                let d = self.device[k];
                let pos = self.position(s);
                let load = self.load[d] + self.prefix.stage_time(self.speed[k], a, b);
                if load >= self.levels[pos].best {
                    return;
                }
                let memory = self.memory[d].saturating_add(self.stage_memory(k, a, b));
                if self.capacity.is_some_and(|cap| memory > cap) {
                    return;
                }
                let saved = (self.load[d], self.memory[d]);
                self.load[d] = load;
                self.memory[d] = memory;
                self.walk(s + 1, left - self.prefix.work(a, b));
                (self.load[d], self.memory[d]) = saved;
            }
            Step::Close(pos) => {
                let here = self.load[self.order[pos]];
                let (good, best) = (self.levels[pos].good, self.levels[pos].best);
                // An option is worth `max(here, later)`: later devices need
                // not go below `here`.
                let (later, bound) = self.value(pos + 1, here.max(good), best, left);
                let value = here.max(later);
                if bound != Bound::AtLeast && value < self.levels[pos].best {
                    let choice = self.chosen[pos].iter().map(|&i| self.cut[i]).collect();
                    let level = &mut self.levels[pos];
                    level.best = value;
                    level.choice = Some(choice);
                }
            }
        }
    }

    /// The position of the device whose steps include `s`.
    fn position(&self, s: usize) -> usize {
        self.step_pos[s]
    }

    /// The state before the device at `pos` is cut.
    fn key(&self, pos: usize) -> Key {
        let open = &self.open[pos];
        if self.packed {
            let mut x = 0u128;
            for &i in open {
                x = (x << 16) | self.cut[i] as u128;
            }
            Key::Packed(x)
        } else {
            Key::Wide(open.iter().map(|&i| self.cut[i]).collect())
        }
    }

    /// The boundaries of the optimum, read back from the first level and
    /// the exact values remembered below it.
    fn reconstruct(&mut self, root: &[usize]) -> Option<Vec<usize>> {
        let mut choice = root.to_vec();
        for pos in 0..self.order.len() {
            for (&i, &c) in self.chosen[pos].iter().zip(&choice) {
                self.cut[i] = c;
            }
            if pos + 1 == self.order.len() {
                break;
            }
            let known = self.memo[pos + 1].get(&self.key(pos + 1))?;
            if known.upper == f64::INFINITY {
                return None;
            }
            choice = known.choice.clone();
        }
        Some(self.cut.clone())
    }
}

/// The largest `x` in `lo..=hi` where a monotone (true, then false)
/// predicate holds; `lo - 1` (or `usize::MAX` at `lo = 0`) when none does.
fn last_true(lo: usize, hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    if lo > hi || !pred(lo) {
        return lo.wrapping_sub(1);
    }
    let (mut good, mut bad) = (lo, hi + 1);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if pred(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}

/// The smallest `x` in `lo..=hi` where a monotone (false, then true)
/// predicate holds; `hi + 1` when none does.
fn first_true(lo: usize, hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    pipecut_core::dp::first_index(lo..hi + 1, pred)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{evaluate, ProblemSpec, Schedule};
    use pipecut_testkit::{chain_of, partitions};

    /// Makes the last layer as heavy as all the others together.
    fn rows_heavy(spec: &mut ProblemSpec) {
        let layers = spec.chain.layers();
        let total: f64 = layers.iter().map(|l| l.forward + l.backward).sum();
        let rows: Vec<_> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let c = if i + 1 == layers.len() {
                    total
                } else {
                    l.forward
                };
                (
                    c,
                    if i + 1 == layers.len() {
                        0.0
                    } else {
                        l.backward
                    },
                    l.param_bytes,
                    l.activation_bytes,
                    l.output_bytes,
                )
            })
            .collect();
        spec.chain = chain_of(&rows);
    }

    /// The optimum by enumerating every partition.
    fn brute(problem: &Problem, prefix: &Prefix) -> Option<f64> {
        partitions(problem.layers(), problem.stages())
            .filter(|part| evaluate(problem, part).fits_memory)
            .map(|part| busiest(problem, prefix, part.starts()))
            .reduce(f64::min)
    }

    #[test]
    fn matches_brute_force_on_loop_placements() {
        let mut seed = 11u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for case in 0..300 {
            let v = 2 + case % 2;
            let d = 1 + case % 3;
            let p = v * d;
            let n = p + (next() * (10 - p.min(9)) as f64) as usize;
            if n < p {
                continue;
            }
            let rows: Vec<_> = (0..n)
                .map(|_| {
                    let c = (next() * 3.0).exp();
                    (
                        c,
                        2.0 * c,
                        (next() * 20.0) as u64,
                        (next() * 5.0) as u64,
                        (next() * 50.0) as u64,
                    )
                })
                .collect();
            let schedule = if case % 4 < 2 {
                Schedule::Interleaved { virtual_stages: v }
            } else {
                Schedule::LoopedBfs { virtual_stages: v }
            };
            let mut spec = ProblemSpec::new(chain_of(&rows), p)
                .with_micro_batches(d * (1 + case % 3))
                .with_schedule(schedule);
            if case % 3 == 0 {
                spec = spec.with_memory_capacity(40 + (next() * 120.0) as u64);
            }
            if case % 7 == 2 {
                spec = spec.with_link(next(), 1.0 + next() * 100.0);
            }
            if case % 11 == 3 {
                // One heavy layer: its device goes first.
                rows_heavy(&mut spec);
            }
            if case % 5 == 1 {
                spec = spec.with_speeds((0..p).map(|_| 0.5 + next() * 2.0).collect());
            }
            let problem = spec.check().unwrap();
            let prefix = Prefix::new(&problem);
            let want = brute(&problem, &prefix);
            match solve(&problem, &prefix, DEFAULT_MAX_DEVICE_STATES) {
                Outcome::Solved(s) => {
                    assert_eq!(Some(s.value), want, "case {case}");
                    assert_eq!(busiest(&problem, &prefix, s.partition.starts()), s.value);
                    assert!(evaluate(&problem, &s.partition).fits_memory);
                    assert!(s.lower_bound <= s.value);
                }
                Outcome::MemoryInfeasible => assert_eq!(want, None, "case {case}"),
                Outcome::TooLarge { .. } => panic!("case {case}"),
            }
        }
    }

    #[test]
    fn gives_up_past_the_state_budget_and_solves_within_it() {
        let rows: Vec<_> = (0..40)
            .map(|i| (1.0 + (i * 7 % 5) as f64, 0.3 * (i % 3) as f64, 0, 0, 0))
            .collect();
        let problem = ProblemSpec::new(chain_of(&rows), 8)
            .with_micro_batches(4)
            .with_schedule(Schedule::Interleaved { virtual_stages: 2 })
            .check()
            .unwrap();
        let prefix = Prefix::new(&problem);
        let outcome = solve(&problem, &prefix, 1);
        assert!(
            matches!(outcome, Outcome::TooLarge { states: 2 }),
            "{outcome:?}"
        );
        let Outcome::Solved(s) = solve(&problem, &prefix, DEFAULT_MAX_DEVICE_STATES) else {
            panic!("unsolved");
        };
        assert!(s.lower_bound <= s.value && s.value <= s.upper_bound);
        assert_eq!(busiest(&problem, &prefix, s.partition.starts()), s.value);
        // The same answer every time.
        assert_eq!(
            solve(&problem, &prefix, DEFAULT_MAX_DEVICE_STATES),
            Outcome::Solved(s)
        );
    }
}
