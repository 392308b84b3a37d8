//! Depth-first branch-and-bound over stage ends, stage by stage.

use std::time::Instant;

use pipecut_core::{Partition, Prefix, Problem};
use pipecut_sim::{Scratch, Simulator, StageTimes};

use super::bounds::{round_trip_counts, ChainBound, LastStage, RestTables, StageCost};

/// Relative slack under which a bound counts as reaching the incumbent:
/// the bounds and the simulator sum the same numbers in different orders.
pub(super) const PRUNE_SLACK: f64 = 1e-12;

/// Why the search stopped before it had visited every open node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stop {
    /// The time limit.
    Time,
    /// The node budget.
    Nodes,
}

/// The outcome: the best partition, its step time, the proven lower bound
/// (equal to the step time when the search finished) and the effort.
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    pub starts: Vec<usize>,
    pub step_time: f64,
    pub bound: f64,
    pub nodes: u64,
    pub leaves: u64,
    pub stopped: Option<Stop>,
}

/// The fixed part of a partial partition: everything the bounds read.
#[derive(Debug, Clone)]
struct Path {
    /// The first layer of every placed stage, then that of the next one.
    starts: Vec<usize>,
    /// `h_k`: head of the next stage.
    head: f64,
    /// `t_k`: the input-gradient chain back through the placed stages.
    tail: f64,
    /// Largest stage, drain and device bound of the placed stages.
    placed_bound: f64,
    /// Per device: compute of its placed stages and the head of its first.
    device_work: Vec<f64>,
    device_head: Vec<f64>,
    /// Per device: memory of its placed stages.
    device_memory: Vec<u64>,
    /// Per device: how many of its stages are placed.
    device_placed: Vec<usize>,
    /// Per placed stage: forward, backward, weight-gradient part and the
    /// delay after it, as the simulator takes them.
    placed: Vec<(f64, f64, f64, f64)>,
}

/// The search state shared by every node.
pub(super) struct Search<'a> {
    problem: &'a Problem,
    prefix: &'a Prefix,
    rest: RestTables,
    last_stage: LastStage,
    chain: Option<ChainBound>,
    /// Per stage: the operations the round-trip bound counts.
    round_trip: Vec<[f64; pipecut_core::OpKind::COUNT]>,
    splits: bool,
    device_bound: bool,
    in_flight: Vec<usize>,
    simulator: Simulator,
    scratch: Scratch,
    m: f64,
    /// The placed stages' times with every later stage at zero: by the
    /// simulator's monotonicity (no duration can make anything end
    /// earlier), its step time bounds every completion.
    partial: StageTimes,
    /// Per depth: simulated bounds tried and how many pruned. A depth where
    /// they rarely prune stops paying for them (counts, not time, decide:
    /// the search stays deterministic).
    simulated_tries: Vec<(u64, u64)>,
    /// Least stage speed, for the work still to place.
    least_speed: f64,
    best: Vec<usize>,
    best_time: f64,
    nodes: u64,
    leaves: u64,
    max_nodes: u64,
    deadline: Option<Instant>,
    stopped: Option<Stop>,
}

impl<'a> Search<'a> {
    /// A search warm-started from `start` (simulated once here).
    pub fn new(
        problem: &'a Problem,
        prefix: &'a Prefix,
        start: &Partition,
        max_nodes: u64,
        deadline: Option<Instant>,
    ) -> Result<Self, pipecut_sim::SimError> {
        let splits = problem.schedule().splits_backward();
        let round_trip = round_trip_counts(problem);
        let simulator = Simulator::new(problem);
        let mut scratch = Scratch::default();
        let best_time = simulator.step_time_with(&mut scratch, problem, prefix, start)?;
        Ok(Search {
            problem,
            prefix,
            rest: RestTables::new(problem, prefix, splits),
            last_stage: LastStage::new(problem, prefix, splits),
            chain: ChainBound::new(problem, prefix, splits, &round_trip),
            round_trip,
            splits,
            device_bound: problem.pair_overlap() == pipecut_core::PairOverlap::Sequential,
            in_flight: problem.peak_in_flight(),
            simulator,
            scratch,
            m: problem.micro_batches() as f64,
            partial: StageTimes::uniform(problem.stages(), 0.0, 0.0),
            simulated_tries: vec![(0, 0); problem.stages()],
            least_speed: (0..problem.stages())
                .map(|k| problem.speed(k))
                .fold(f64::INFINITY, f64::min),
            best: start.starts().to_vec(),
            best_time,
            nodes: 0,
            leaves: 0,
            max_nodes,
            deadline,
            stopped: None,
        })
    }

    /// The lower bound at the root: no stage placed.
    pub fn root_bound(&self) -> f64 {
        self.rest_bound(&self.root(), 0, 0)
    }

    /// Runs to completion or to a limit.
    pub fn run(mut self) -> Outcome {
        let root = self.root();
        let open = self.explore(&root, 0);
        let bound = match open {
            None => self.best_time,
            Some(lb) => lb.min(self.best_time),
        };
        Outcome {
            starts: self.best,
            step_time: self.best_time,
            bound,
            nodes: self.nodes,
            leaves: self.leaves,
            stopped: self.stopped,
        }
    }

    fn root(&self) -> Path {
        let devices = self.problem.devices();
        Path {
            starts: vec![0],
            head: 0.0,
            tail: 0.0,
            placed_bound: 0.0,
            device_work: vec![0.0; devices],
            device_head: vec![f64::INFINITY; devices],
            device_memory: vec![0; devices],
            device_placed: vec![0; devices],
            placed: Vec::with_capacity(self.problem.stages()),
        }
    }

    /// Whether a bound leaves no room for a strictly better partition.
    fn prunes(&self, bound: f64) -> bool {
        bound >= self.best_time * (1.0 - PRUNE_SLACK)
    }

    /// Bound of every completion of `path` whose next stage `k` starts at `a`.
    fn rest_bound(&self, path: &Path, k: usize, a: usize) -> f64 {
        let rest = (path.head + self.m * self.rest.work(k, a))
            .max(path.head + self.m * self.rest.input_work(k, a) + path.tail);
        let (through_work, through_drain) = match &self.chain {
            Some(chain) => chain.bounds(k, a),
            None => self.last_stage.bounds(k, a),
        };
        let last = (path.head + through_work).max(path.head + through_drain + path.tail);
        rest.max(last)
            .max(path.placed_bound)
            .max(self.shared_device_bound(path, a))
    }

    /// Where devices run several stages: the devices still missing stages
    /// share the work not yet placed, so the busiest of them carries at
    /// least their average load, after the earliest of their heads.
    fn shared_device_bound(&self, path: &Path, a: usize) -> f64 {
        let per_device = self.problem.schedule().virtual_stages();
        if !self.device_bound || per_device < 2 {
            return 0.0;
        }
        let n = self.problem.layers();
        let mut load = self.least_speed * self.prefix.work(a, n);
        let (mut open, mut head) = (0usize, f64::INFINITY);
        for d in 0..path.device_work.len() {
            if path.device_placed[d] < per_device {
                load += path.device_work[d] / self.m;
                open += 1;
                head = head.min(path.device_head[d].min(path.head));
            }
        }
        if open == 0 {
            return 0.0;
        }
        head + self.m * load / open as f64
    }

    /// Visits the subtree of `path` (stages `0..k` placed, the next starting
    /// at `a`). Returns `None` when it was fully explored, else the least
    /// lower bound over what it left open.
    fn explore(&mut self, path: &Path, k: usize) -> Option<f64> {
        let n = self.problem.layers();
        let p = self.problem.stages();
        let a = *path.starts.last().unwrap_or(&0);
        if k + 1 == p {
            return self.leaf(path, a, n);
        }
        let last_end = n - (p - 1 - k);
        let mut open: Option<f64> = None;
        for e in (a + 1)..=last_end {
            if let Some(stop) = self.limit() {
                self.stopped.get_or_insert(stop);
                let lb = self.child_bound(path, k, a, e).unwrap_or(f64::INFINITY);
                open = Some(open.map_or(lb, |o: f64| o.min(lb)));
                continue;
            }
            let Some(child) = self.child(path, k, a, e) else {
                continue;
            };
            let bound = self.rest_bound(&child, k + 1, e);
            if self.prunes(bound) {
                // A longer stage only raises the placed bounds; a shorter
                // one only raises the rest's. Past the incumbent on the
                // placed side, every longer stage is pruned too.
                if child.placed_bound >= self.best_time * (1.0 - PRUNE_SLACK) {
                    break;
                }
                continue;
            }
            if self.simulated_bound_pays(k) {
                let simulated = self.simulated_bound(&child);
                let pruned = self.prunes(simulated);
                let tries = &mut self.simulated_tries[k];
                tries.0 += 1;
                tries.1 += u64::from(pruned);
                if pruned {
                    continue;
                }
            }
            self.nodes += 1;
            if let Some(lb) = self.explore(&child, k + 1) {
                open = Some(open.map_or(lb, |o: f64| o.min(lb)));
            }
        }
        open
    }

    /// Whether the simulated bound is worth its simulation at depth `k`: on
    /// the first 256 tries, then while at least one in ten prunes.
    fn simulated_bound_pays(&self, k: usize) -> bool {
        let (tries, pruned) = self.simulated_tries[k];
        tries < 256 || pruned * 10 >= tries
    }

    /// The simulated step time of the placed stages with every later stage
    /// taking no time (0 when the simulator refuses, which never happens
    /// for a checked problem).
    fn simulated_bound(&mut self, path: &Path) -> f64 {
        let t = &mut self.partial;
        for k in 0..t.stages() {
            let (f, b, w, d) = path.placed.get(k).copied().unwrap_or_default();
            t.forward[k] = f;
            t.backward[k] = b;
            t.backward_weight[k] = w;
            t.delay[k] = d;
        }
        self.simulator
            .run_times_with(&mut self.scratch, &self.partial)
            .unwrap_or(0.0)
    }

    /// The bound of placing stage `k` as `a..e` without building it, for
    /// the open-bound bookkeeping after a limit.
    fn child_bound(&self, path: &Path, k: usize, a: usize, e: usize) -> Option<f64> {
        let child = self.child(path, k, a, e)?;
        Some(self.rest_bound(&child, k + 1, e))
    }

    /// `path` with stage `k` placed as `a..e`; `None` when a device overflows
    /// the memory capacity (placing more stages only adds memory).
    fn child(&self, path: &Path, k: usize, a: usize, e: usize) -> Option<Path> {
        let cost = StageCost::new(
            self.problem,
            self.prefix,
            self.splits,
            &self.round_trip[k],
            (k, a, e),
        );
        let d = self.problem.device_of(k);
        let mut child = path.clone();
        let memory = self.prefix.stage_memory(self.in_flight[k], a, e);
        child.device_memory[d] = child.device_memory[d].saturating_add(memory);
        child.device_placed[d] += 1;
        if let Some(cap) = self.problem.memory_capacity() {
            if child.device_memory[d] > cap {
                return None;
            }
        }
        let stage = path.head + self.m * cost.work;
        let drain = path.head + self.m * cost.input_work + path.tail;
        child.device_work[d] += self.m * cost.work;
        child.device_head[d] = child.device_head[d].min(path.head);
        let device = if self.device_bound {
            child.device_head[d] + child.device_work[d]
        } else {
            0.0
        };
        // The micro-batch of the stage's last forward crosses every later
        // stage and back before its backward here.
        let n = self.problem.layers();
        let (fr, br, wr) = self.prefix.stage_compute(self.least_speed, e, n);
        let back = if self.splits { br - wr } else { br };
        let trip = path.head + cost.round_trip_work + (fr + back.max(0.0)) + 2.0 * cost.delay;
        child.placed_bound = path
            .placed_bound
            .max(stage)
            .max(drain)
            .max(device)
            .max(trip);
        child.head = path.head + cost.forward + cost.delay;
        child.tail = path.tail + cost.input + cost.delay;
        let (f, b, w) = self.prefix.stage_compute(self.problem.speed(k), a, e);
        // The simulator's delay: charged wherever the next stage is on another device.
        let delay = if k + 1 < self.problem.stages() {
            self.prefix.delay_after(e)
        } else {
            0.0
        };
        child.placed.push((f, b, w, delay));
        child.starts.push(e);
        Some(child)
    }

    /// The last stage takes `a..n`: simulate the complete partition.
    fn leaf(&mut self, path: &Path, a: usize, n: usize) -> Option<f64> {
        let k = self.problem.stages() - 1;
        let child = self.child(path, k, a, n)?;
        if self.prunes(child.placed_bound) {
            return None;
        }
        self.leaves += 1;
        let mut starts = child.starts;
        starts.pop(); // the end of the last stage
        let part = Partition::new(starts, n).ok()?;
        let t = self
            .simulator
            .step_time_with(&mut self.scratch, self.problem, self.prefix, &part)
            .ok()?;
        if t < self.best_time {
            self.best_time = t;
            self.best = part.starts().to_vec();
        }
        None
    }

    /// A limit that has been reached, checked every 256 nodes.
    fn limit(&self) -> Option<Stop> {
        if self.stopped.is_some() {
            return self.stopped;
        }
        if self.nodes >= self.max_nodes {
            return Some(Stop::Nodes);
        }
        if self.nodes % 256 == 0 {
            if let Some(deadline) = self.deadline {
                if Instant::now() >= deadline {
                    return Some(Stop::Time);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::synthetic::{generate, Family};
    use pipecut_core::{ProblemSpec, Schedule};
    use std::collections::HashMap;

    /// Every bound of every partial partition (its first `k` stages fixed),
    /// the simulated one included, is at most the simulated step time of
    /// each of its completions.
    #[test]
    fn every_node_bound_is_at_most_every_completion() {
        let schedules = [
            Schedule::OneFOneB,
            Schedule::GPipe,
            Schedule::Interleaved1F1B { virtual_stages: 2 },
            Schedule::InterleavedZeroBubble { virtual_stages: 1 },
            Schedule::ZbvZeroBubble,
            Schedule::DualPipeV,
        ];
        let mut checked = 0;
        for (i, schedule) in schedules.into_iter().enumerate() {
            for (seed, family) in [(1, Family::Lognormal), (2, Family::Transformer)] {
                let stages = 2 * schedule.virtual_stages();
                let m = if schedule == Schedule::DualPipeV {
                    2 * stages
                } else {
                    3
                };
                let chain = generate(family, stages + 4, seed + i as u64);
                let problem = ProblemSpec::new(chain, stages)
                    .with_micro_batches(m)
                    .with_schedule(schedule)
                    .with_link(0.01 * seed as f64, 1e9)
                    .check()
                    .unwrap();
                checked += check_every_prefix(&problem);
            }
        }
        assert!(checked > 300, "{checked}");
    }

    /// Checks every (partial partition, completion) pair of `problem`.
    fn check_every_prefix(problem: &Problem) -> usize {
        let prefix = Prefix::new(problem);
        let n = problem.layers();
        let p = problem.stages();
        let all: Vec<Partition> = pipecut_testkit::partitions(n, p).collect();
        let mut search = Search::new(problem, &prefix, &all[0], 1, None).unwrap();
        let sim = Simulator::new(problem);
        // Least completion of each partial partition, keyed by its ends.
        let mut least: HashMap<Vec<usize>, f64> = HashMap::new();
        for part in &all {
            let t = sim.step_time(problem, &prefix, part).unwrap();
            let starts = part.starts();
            for k in 1..=p {
                let key: Vec<usize> = starts[1..k].to_vec();
                let entry = least.entry(key).or_insert(f64::INFINITY);
                *entry = entry.min(t);
            }
        }
        let mut checked = 0;
        for (ends, best) in &least {
            let mut path = search.root();
            let mut a = 0;
            for (k, &e) in ends.iter().enumerate() {
                path = search.child(&path, k, a, e).unwrap();
                a = e;
            }
            let bound = search.rest_bound(&path, ends.len(), a);
            assert!(bound <= best * (1.0 + 1e-12), "{ends:?}: {bound} > {best}");
            let simulated = search.simulated_bound(&path);
            assert!(
                simulated <= best * (1.0 + 1e-12),
                "{ends:?}: simulated {simulated} > {best}"
            );
            checked += 1;
        }
        checked
    }
}
