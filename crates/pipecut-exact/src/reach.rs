//! The machinery behind `exact`: lean prefix sums, the feasibility probe over
//! reachable stage ends, and the reconstruction of the earliest-cut and
//! latest-cut partitions.
//!
//! For a threshold `T`, let `R_k` be the set of positions `b` such that layers
//! `0..b` split into exactly `k` non-empty stages, stage `j` fitting `T` and the
//! memory cap with its own speed and in-flight count. Because any sub-run of a
//! stage that fits also fits (stage time and memory only grow with the
//! extent), `R_{k+1}` is
//!
//! `{a + 1 : a in R_k, layer a alone fits stage k}  ∪  (h, e_k(h)]` for every
//! maximal interval `[l, h]` of `R_k`,
//!
//! where `e_k(h)` is the furthest end a stage `k` starting at `h` can reach
//! (the greedy probe's binary search). With equal speeds and no memory cap
//! every layer alone fits as soon as `T >= max w`, so each `R_k` is one interval
//! and the probe is the classic greedy in `O(P log N)`. Layers that fit a fast
//! stage but not a slow one (or a stage with fewer in-flight micro-batches but
//! not one with more) punch holes; the plain greedy would be wrong there, so
//! they are found with a segment tree and the sets are kept as interval lists.

use pipecut_core::{Layer, Problem, Schedule};

/// Forward and backward running sums are kept every `CHECKPOINT` layers only;
/// the tie-break recomputes the exact prefix value at a cut from the nearest
/// checkpoint with the same additions `Prefix::new` performs.
const CHECKPOINT: usize = 64;

/// Prefix sums the exact solver needs, built in one pass.
#[derive(Debug, Clone)]
pub(crate) struct Sums<'a> {
    layers: &'a [Layer],
    /// `work[i]`: the same running sum of `forward + backward` as
    /// `pipecut_core::Prefix::work`, bit for bit.
    pub work: Vec<f64>,
    /// Largest single-layer work `work[i + 1] - work[i]`.
    pub max_layer: f64,
    /// `(forward, backward)` running sums at every multiple of `CHECKPOINT`.
    checkpoints: Vec<(f64, f64)>,
    /// Parameter and activation byte prefixes (empty without a memory cap).
    pub params: Vec<u64>,
    pub acts: Vec<u64>,
    /// Fewest in-flight micro-batches any single layer tolerates under the
    /// cap, or the largest in-flight count of any stage when every layer
    /// tolerates that (`u64::MAX` without a cap).
    pub min_tolerated: u64,
}

/// Largest in-flight count `c` with `params + c * acts <= capacity` for one
/// layer (0 when even its parameters do not fit).
fn tolerated(capacity: u64, params: u64, acts: u64) -> u64 {
    if params > capacity {
        0
    } else {
        (capacity - params).checked_div(acts).unwrap_or(u64::MAX)
    }
}

/// The running sums of one pass, in `Prefix::new`'s order of additions.
#[derive(Default)]
struct Running {
    forward: f64,
    backward: f64,
    work: f64,
    max_layer: f64,
}

impl Running {
    #[inline]
    fn add(&mut self, l: &Layer) -> f64 {
        self.forward += l.forward;
        self.backward += l.backward;
        let next = self.work + (l.forward + l.backward);
        let single = next - self.work;
        if single > self.max_layer {
            self.max_layer = single;
        }
        self.work = next;
        next
    }
}

impl<'a> Sums<'a> {
    /// One pass over the chain; the byte prefixes only under a memory cap,
    /// given as `(capacity, largest in-flight count of any stage)`.
    pub fn new(problem: &'a Problem, memory: Option<(u64, u64)>) -> Self {
        let layers = problem.chain().layers();
        let n = layers.len();
        let mut work = Vec::with_capacity(n + 1);
        let mut checkpoints = Vec::with_capacity(n / CHECKPOINT + 1);
        let (mut params, mut acts) = (Vec::new(), Vec::new());
        let mut run = Running::default();
        work.push(0.0);
        let mut largest_single = 0u64;
        match memory {
            None => {
                for chunk in layers.chunks(CHECKPOINT) {
                    checkpoints.push((run.forward, run.backward));
                    for l in chunk {
                        work.push(run.add(l));
                    }
                }
            }
            Some((_, max_in_flight)) => {
                params.reserve(n + 1);
                acts.reserve(n + 1);
                let (mut p, mut a) = (0u64, 0u64);
                params.push(p);
                acts.push(a);
                for chunk in layers.chunks(CHECKPOINT) {
                    checkpoints.push((run.forward, run.backward));
                    for l in chunk {
                        work.push(run.add(l));
                        // A checked problem guarantees the totals fit in 64 bits.
                        p += l.param_bytes;
                        a += l.activation_bytes;
                        params.push(p);
                        acts.push(a);
                        let single = l
                            .param_bytes
                            .saturating_add(l.activation_bytes.saturating_mul(max_in_flight));
                        largest_single = largest_single.max(single);
                    }
                }
            }
        }
        let mut sums = Sums {
            layers,
            work,
            max_layer: run.max_layer,
            checkpoints,
            params,
            acts,
            min_tolerated: u64::MAX,
        };
        if let Some((capacity, max_in_flight)) = memory {
            // The exact minimum costs a division per layer: only when some
            // layer alone does not fit the busiest stage.
            sums.min_tolerated = if largest_single <= capacity {
                max_in_flight
            } else {
                (0..n)
                    .map(|i| sums.single_tolerated(Some(capacity), i))
                    .min()
                    .unwrap_or(u64::MAX)
            };
        }
        sums
    }

    pub fn len(&self) -> usize {
        self.work.len() - 1
    }

    /// `(forward, backward)` running sums at position `i`, equal to
    /// `Prefix::forward[i]` and `Prefix::backward[i]`.
    pub fn forward_backward_at(&self, i: usize) -> (f64, f64) {
        // The chain's end has no checkpoint of its own when N is a multiple.
        let c = (i / CHECKPOINT).min(self.checkpoints.len() - 1);
        let (mut f, mut b) = self.checkpoints[c];
        for l in &self.layers[c * CHECKPOINT..i] {
            f += l.forward;
            b += l.backward;
        }
        (f, b)
    }

    /// Work of layer `i` alone, as a stage time sees it.
    fn single(&self, i: usize) -> f64 {
        self.work[i + 1] - self.work[i]
    }

    /// In-flight micro-batches layer `i` alone tolerates under `capacity`.
    fn single_tolerated(&self, capacity: Option<u64>, i: usize) -> u64 {
        capacity.map_or(u64::MAX, |cap| {
            tolerated(
                cap,
                self.params[i + 1] - self.params[i],
                self.acts[i + 1] - self.acts[i],
            )
        })
    }

    /// Memory of layers `first..end` with `in_flight` micro-batches, the
    /// formula of `Prefix::stage_memory`.
    pub fn memory(&self, in_flight: usize, first: usize, end: usize) -> u64 {
        let params = self.params[end] - self.params[first];
        let acts = self.acts[end] - self.acts[first];
        params.saturating_add(acts.saturating_mul(in_flight as u64))
    }
}

/// Per-stage parameters of the probe.
#[derive(Debug, Clone)]
pub(crate) struct StageModel {
    pub speed: Vec<f64>,
    pub in_flight: Vec<usize>,
    pub capacity: Option<u64>,
}

impl StageModel {
    pub fn new(problem: &Problem) -> Self {
        let p = problem.stages();
        let speed = match problem.speeds() {
            Some(s) => s.to_vec(),
            None => vec![1.0; p],
        };
        let capacity = problem.memory_capacity();
        // In-flight counts only matter under a cap. 1F1B and GPipe have closed
        // forms (the ones `Schedule::peak_in_flight` is tested against), which
        // spare the `O(P M)` walk of the schedule.
        let m = problem.micro_batches();
        let in_flight = match (capacity, problem.schedule()) {
            (None, _) => vec![0; p],
            (Some(_), Schedule::OneFOneB) => (0..p).map(|k| (p - k).min(m)).collect(),
            (Some(_), Schedule::GPipe) => vec![m; p],
            (Some(_), _) => problem.peak_in_flight(),
        };
        StageModel {
            speed,
            in_flight,
            capacity,
        }
    }

    pub fn stages(&self) -> usize {
        self.speed.len()
    }

    /// `(capacity, largest in-flight count)` under a cap, for [`Sums::new`].
    pub fn memory(&self) -> Option<(u64, u64)> {
        self.capacity
            .map(|c| (c, self.in_flight.iter().copied().max().unwrap_or(0) as u64))
    }
}

/// The layers that cannot be a stage on their own (too slow for the stage's
/// speed at the threshold, or too large for its in-flight count), found fast.
///
/// Probes never go below the search's lower bound `LB`, so only layers with
/// `max_speed * w > LB` can ever be too slow; there are at most
/// `P * max_speed / min_speed` of them, as each carries more than `1 / P` of
/// the slowest-stage share of the total. They, and the layers some stage's
/// in-flight count does not fit, are kept in a sorted list; a segment tree
/// takes over when that list is long (tight memory caps).
#[derive(Debug, Clone)]
enum DeadIndex {
    /// `(layer, work, tolerated in-flight)` of every candidate, ascending.
    List(Vec<(usize, f64, u64)>),
    /// Max work and min tolerated in-flight over power-of-two ranges.
    Tree {
        size: usize,
        max_work: Vec<f64>,
        min_tolerated: Vec<u64>,
    },
}

impl DeadIndex {
    fn new(sums: &Sums<'_>, model: &StageModel, floor: f64, max_list: usize) -> Self {
        let capacity = model.capacity;
        let max_speed = model.speed.iter().copied().fold(0.0, f64::max);
        let max_in_flight = model.in_flight.iter().copied().max().unwrap_or(0) as u64;
        let mut list = Vec::new();
        for i in 0..sums.len() {
            let w = sums.single(i);
            let t = sums.single_tolerated(capacity, i);
            if max_speed * w > floor || t < max_in_flight {
                list.push((i, w, t));
                if list.len() > max_list {
                    return DeadIndex::tree(sums, capacity);
                }
            }
        }
        DeadIndex::List(list)
    }

    fn tree(sums: &Sums<'_>, capacity: Option<u64>) -> Self {
        let n = sums.len();
        let size = n.next_power_of_two();
        let mut max_work = vec![0.0f64; 2 * size];
        let mut min_tolerated = vec![u64::MAX; 2 * size];
        for i in 0..n {
            max_work[size + i] = sums.single(i);
            min_tolerated[size + i] = sums.single_tolerated(capacity, i);
        }
        for v in (1..size).rev() {
            max_work[v] = max_work[2 * v].max(max_work[2 * v + 1]);
            min_tolerated[v] = min_tolerated[2 * v].min(min_tolerated[2 * v + 1]);
        }
        DeadIndex::Tree {
            size,
            max_work,
            min_tolerated,
        }
    }

    /// Appends to `found` every layer in `first..=last` (ascending) whose
    /// work times `speed` exceeds `limit` or that tolerates fewer than
    /// `in_flight` micro-batches.
    fn find_dead(
        &self,
        (first, last): (usize, usize),
        (speed, limit, in_flight): (f64, f64, u64),
        stack: &mut Vec<(usize, usize, usize)>,
        found: &mut Vec<usize>,
    ) {
        match self {
            DeadIndex::List(list) => {
                let from = list.partition_point(|&(i, _, _)| i < first);
                for &(i, w, t) in list[from..].iter().take_while(|&&(i, _, _)| i <= last) {
                    if speed * w > limit || t < in_flight {
                        found.push(i);
                    }
                }
            }
            DeadIndex::Tree {
                size,
                max_work,
                min_tolerated,
            } => {
                stack.clear();
                stack.push((1, 0, size - 1));
                while let Some((v, lo, hi)) = stack.pop() {
                    if hi < first || lo > last {
                        continue;
                    }
                    if speed * max_work[v] <= limit && min_tolerated[v] >= in_flight {
                        continue;
                    }
                    if lo == hi {
                        found.push(lo);
                        continue;
                    }
                    let mid = lo + (hi - lo) / 2;
                    // Right child first so that the left one pops first.
                    stack.push((2 * v + 1, mid + 1, hi));
                    stack.push((2 * v, lo, mid));
                }
            }
        }
    }
}

/// What one probe found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProbeOutcome {
    pub feasible: bool,
    /// When infeasible: the first stage whose reachable ends came out empty
    /// (`P - 1` when the last stage cannot reach the end of the chain).
    pub failed_stage: usize,
    /// When infeasible: a stage time no larger than the smallest threshold
    /// above the probed one at which the outcome can change (`+inf` if none).
    pub next_value: f64,
}

/// A reusable probe over one problem.
pub(crate) struct Prober<'s, 'a> {
    pub sums: &'s Sums<'a>,
    pub model: &'s StageModel,
    dead: Option<DeadIndex>,
    /// Reachable ends, flat: `R_k` is `ivals[off[k]..off[k + 1]]`.
    ivals: Vec<(usize, usize)>,
    off: Vec<usize>,
    /// Last extent found per stage: where the next search starts.
    hint: Vec<usize>,
    stack: Vec<(usize, usize, usize)>,
    dead_buf: Vec<usize>,
    pub probes: usize,
    /// Threshold of the last probe (what `ivals` describe).
    threshold: f64,
    /// No probe goes below this (the search's lower bound).
    floor: f64,
    /// Longest candidate list before the segment tree takes over.
    pub max_list: usize,
}

impl<'s, 'a> Prober<'s, 'a> {
    /// A prober whose thresholds will all be at least `floor`.
    pub fn new(sums: &'s Sums<'a>, model: &'s StageModel, floor: f64) -> Self {
        let p = model.stages();
        Prober {
            sums,
            model,
            dead: None,
            ivals: Vec::with_capacity(p + 1),
            off: Vec::with_capacity(p + 2),
            hint: vec![usize::MAX; p],
            stack: Vec::new(),
            dead_buf: Vec::new(),
            probes: 0,
            threshold: f64::NAN,
            floor,
            max_list: sums.len() / 16 + 64,
        }
    }

    #[inline]
    fn mem_ok(&self, k: usize, first: usize, end: usize) -> bool {
        match self.model.capacity {
            None => true,
            Some(cap) => self.sums.memory(self.model.in_flight[k], first, end) <= cap,
        }
    }

    #[inline]
    fn time(&self, k: usize, first: usize, end: usize) -> f64 {
        self.model.speed[k] * (self.sums.work[end] - self.sums.work[first])
    }

    /// Whether stage `k` holding `first..end` meets `limit` and the cap.
    #[inline]
    pub fn fits(&self, k: usize, first: usize, end: usize, limit: f64) -> bool {
        self.time(k, first, end) <= limit && self.mem_ok(k, first, end)
    }

    /// Largest `b` in `first + 1..=bound` with `fits(k, first, b)`, given that
    /// `first + 1` fits. Gallops from the previous answer for this stage,
    /// which is close once the search has narrowed.
    fn extent(&mut self, k: usize, first: usize, bound: usize, limit: f64) -> usize {
        // Invariant: fits at `good`, fails at `bad` (`bad` may be bound + 1).
        let mut good = first + 1;
        let mut bad = bound + 1;
        let hint = self.hint[k];
        if hint != usize::MAX && hint > good && hint <= bound {
            if self.fits(k, first, hint, limit) {
                good = hint;
            } else {
                bad = hint;
                // Gallop down from the failing hint.
                let mut step = 1usize;
                while bad - good > step {
                    let probe = bad - step;
                    if self.fits(k, first, probe, limit) {
                        good = probe;
                        break;
                    }
                    bad = probe;
                    step *= 2;
                }
            }
        }
        let mut step = 1usize;
        while good + step < bad {
            let probe = good + step;
            if self.fits(k, first, probe, limit) {
                good = probe;
                step *= 2;
            } else {
                bad = probe;
                break;
            }
        }
        while bad - good > 1 {
            let mid = good + (bad - good) / 2;
            if self.fits(k, first, mid, limit) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        self.hint[k] = good;
        good
    }

    fn push(&mut self, first: usize, last: usize, clip: usize, base: usize) {
        let last = last.min(clip);
        if first > last {
            return;
        }
        if self.ivals.len() > base {
            let top = self.ivals.last_mut().expect("non-empty");
            if first <= top.1 + 1 {
                top.1 = top.1.max(last);
                return;
            }
        }
        self.ivals.push((first, last));
    }

    /// Runs the probe at `limit`, keeping every `R_k` for reconstruction.
    pub fn probe(&mut self, limit: f64) -> ProbeOutcome {
        debug_assert!(limit >= self.floor);
        self.probes += 1;
        self.threshold = limit;
        let n = self.sums.len();
        let p = self.model.stages();
        self.ivals.clear();
        self.off.clear();
        self.off.push(0);
        self.ivals.push((0, 0));
        self.off.push(1);
        let mut next_value = f64::INFINITY;
        for k in 0..p {
            // Stage k must end by `clip` so that each later stage keeps a layer.
            let clip = n - (p - 1 - k);
            let speed = self.model.speed[k];
            let in_flight = self.model.in_flight[k] as u64;
            let time_dead = speed * self.sums.max_layer > limit;
            let mem_dead = self.sums.min_tolerated < in_flight;
            if (time_dead || mem_dead) && self.dead.is_none() {
                self.dead = Some(DeadIndex::new(
                    self.sums,
                    self.model,
                    self.floor,
                    self.max_list,
                ));
            }
            let (src_start, src_end) = (self.off[k], self.off[k + 1]);
            let base = self.ivals.len();
            for idx in src_start..src_end {
                let (l, h) = self.ivals[idx];
                if l >= clip {
                    break;
                }
                let h = h.min(clip - 1);
                let mut h_dead = false;
                if time_dead || mem_dead {
                    let dead = self.dead.take().expect("built above");
                    let mut stack = std::mem::take(&mut self.stack);
                    let mut found = std::mem::take(&mut self.dead_buf);
                    found.clear();
                    dead.find_dead((l, h), (speed, limit, in_flight), &mut stack, &mut found);
                    self.dead = Some(dead);
                    self.stack = stack;
                    let mut run_start = l;
                    for &a in &found {
                        // The tree's screen is exact (same arithmetic); a
                        // layer that fits its memory is dead only for time.
                        if self.mem_ok(k, a, a + 1) {
                            next_value = next_value.min(self.time(k, a, a + 1));
                        }
                        if a > run_start {
                            self.push(run_start + 1, a, clip, base);
                        }
                        run_start = a + 1;
                    }
                    if run_start <= h {
                        self.push(run_start + 1, h + 1, clip, base);
                    }
                    h_dead = found.last() == Some(&h);
                    self.dead_buf = found;
                } else {
                    self.push(l + 1, h + 1, clip, base);
                }
                if !h_dead && h + 1 < clip {
                    let e = self.extent(k, h, clip, limit);
                    self.push(h + 1, e, clip, base);
                    if e < clip && self.mem_ok(k, h, e + 1) {
                        next_value = next_value.min(self.time(k, h, e + 1));
                    }
                }
            }
            self.off.push(self.ivals.len());
            if self.ivals.len() == base {
                return ProbeOutcome {
                    feasible: false,
                    failed_stage: k,
                    next_value,
                };
            }
        }
        let feasible = self.ivals.last().is_some_and(|&(_, h)| h == n);
        ProbeOutcome {
            feasible,
            failed_stage: p - 1,
            next_value,
        }
    }

    fn set(&self, k: usize) -> &[(usize, usize)] {
        &self.ivals[self.off[k]..self.off[k + 1]]
    }

    /// The partition with every cut as late as possible, after a feasible probe.
    pub fn latest(&self) -> Vec<usize> {
        let p = self.model.stages();
        let mut starts = vec![0usize; p];
        let mut end = self.sums.len();
        for k in (1..p).rev() {
            let set = self.set(k);
            // Last interval starting before `end`.
            let i = set.partition_point(|&(l, _)| l < end) - 1;
            let a = set[i].1.min(end - 1);
            starts[k] = a;
            end = a;
        }
        starts
    }

    /// The partition with every cut as early as possible, after a feasible probe.
    pub fn earliest(&self) -> Vec<usize> {
        let p = self.model.stages();
        let limit = self.threshold;
        let mut starts = vec![0usize; p];
        let mut end = self.sums.len();
        for k in (1..p).rev() {
            // Smallest start that stage k can have while ending at `end`
            // (fits is monotone in the start): gallop down, then bisect.
            let mut good = end - 1;
            let mut bad: Option<usize> = None;
            let mut step = 1usize;
            while good > 0 {
                let probe = good.saturating_sub(step);
                if self.fits(k, probe, end, limit) {
                    good = probe;
                    step *= 2;
                } else {
                    bad = Some(probe);
                    break;
                }
            }
            if let Some(mut bad) = bad {
                while good - bad > 1 {
                    let mid = bad + (good - bad) / 2;
                    if self.fits(k, mid, end, limit) {
                        good = mid;
                    } else {
                        bad = mid;
                    }
                }
            }
            let set = self.set(k);
            let i = set.partition_point(|&(_, h)| h < good);
            let a = set[i].0.max(good);
            starts[k] = a;
            end = a;
        }
        starts
    }

    /// `max_k speed_k * work_k` of a partition.
    pub fn bottleneck(&self, starts: &[usize]) -> f64 {
        let n = self.sums.len();
        let mut worst = f64::NEG_INFINITY;
        for (k, &a) in starts.iter().enumerate() {
            let b = starts.get(k + 1).copied().unwrap_or(n);
            let t = self.time(k, a, b);
            if t > worst {
                worst = t;
            }
        }
        worst
    }

    /// The smallest memory stage `failed` could use given where it can
    /// start, after an infeasible probe at `+inf` (for the typed error).
    pub fn required_memory(&self, failed: usize) -> u64 {
        let n = self.sums.len();
        let p = self.model.stages();
        let in_flight = self.model.in_flight[failed];
        let set = self.set(failed);
        if failed == p - 1 {
            // The last stage runs to layer N: smallest from its latest start.
            let a = set.last().map_or(0, |&(_, h)| h.min(n - 1));
            return self.sums.memory(in_flight, a, n);
        }
        set.iter()
            .flat_map(|&(l, h)| l..=h.min(n - 1))
            .map(|a| self.sums.memory(in_flight, a, a + 1))
            .min()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{Chain, Prefix, ProblemSpec};

    #[test]
    fn sums_match_core_prefix_bit_for_bit() {
        let layers: Vec<Layer> = (0..320)
            .map(|i| {
                let x = 0.1 + (i as f64 * 0.37).sin().abs() * 3.3;
                Layer::new(format!("l{i}"), x, 2.1 * x + 1e-3).with_bytes(i, 2 * i, 0)
            })
            .collect();
        let chain = Chain::new("c", "s", layers).unwrap();
        let problem = ProblemSpec::new(chain, 3)
            .with_memory_capacity(1 << 40)
            .check()
            .unwrap();
        let prefix = Prefix::new(&problem);
        let sums = Sums::new(&problem, Some((1 << 40, 3)));
        assert_eq!(prefix.work, sums.work);
        assert_eq!(prefix.params, sums.params);
        assert_eq!(prefix.activations, sums.acts);
        for i in 0..=320 {
            let (f, b) = sums.forward_backward_at(i);
            assert_eq!(f.to_bits(), prefix.forward[i].to_bits());
            assert_eq!(b.to_bits(), prefix.backward[i].to_bits());
            assert_eq!(sums.memory(3, 0, i), prefix.stage_memory(3, 0, i));
        }
        let max = (0..320)
            .map(|i| prefix.work[i + 1] - prefix.work[i])
            .fold(0.0, f64::max);
        assert_eq!(sums.max_layer, max);
    }

    #[test]
    fn plain_greedy_is_wrong_with_speeds_but_the_probe_is_not() {
        // Stage 1 is ten times slower: the greedy that lets stage 0 take two
        // layers leaves stage 1 with a layer it cannot run within 10.
        let layers = [1.0, 1.0, 5.0, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &c)| Layer::new(format!("l{i}"), c, 0.0))
            .collect();
        let chain = Chain::new("c", "s", layers).unwrap();
        let problem = ProblemSpec::new(chain, 3)
            .with_speeds(vec![1.0, 10.0, 1.0])
            .check()
            .unwrap();
        let model = StageModel::new(&problem);
        let sums = Sums::new(&problem, model.memory());
        let mut prober = Prober::new(&sums, &model, 0.0);
        assert!(prober.probe(10.0).feasible);
        assert_eq!(prober.latest(), vec![0, 1, 2]);
        assert_eq!(prober.earliest(), vec![0, 1, 2]);
        assert!(!prober.probe(9.99).feasible);
    }

    /// The list and the tree find the same dead layers, so the probe's
    /// reachable sets agree on problems with speeds and tight caps.
    #[test]
    fn candidate_list_and_tree_agree() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let (mut with_index, mut with_holes) = (0, 0);
        for case in 0..200 {
            let n = 5 + case % 60;
            let p = 1 + case % n.min(17);
            let layers: Vec<Layer> = (0..n)
                .map(|i| {
                    let c = (next() * 4.0).exp();
                    Layer::new(format!("l{i}"), c, c).with_bytes(
                        (next() * 50.0) as u64,
                        (next() * 9.0) as u64,
                        0,
                    )
                })
                .collect();
            let speeds = (0..p).map(|_| 0.25 + next() * 3.0).collect();
            let problem = ProblemSpec::new(Chain::new("c", "s", layers).unwrap(), p)
                .with_micro_batches(1 + case % 7)
                .with_speeds(speeds)
                .with_memory_capacity(60 + (next() * 200.0) as u64)
                .check()
                .unwrap();
            let model = StageModel::new(&problem);
            let sums = Sums::new(&problem, model.memory());
            assert_eq!(model.in_flight, problem.peak_in_flight());
            let mut list = Prober::new(&sums, &model, 0.0);
            let mut tree = Prober::new(&sums, &model, 0.0);
            tree.max_list = 0;
            let total = sums.work[n];
            for step in 0..=40 {
                let limit = total * step as f64 / 40.0;
                let (a, b) = (list.probe(limit), tree.probe(limit));
                assert!(matches!(list.dead, Some(DeadIndex::List(_)) | None));
                assert!(matches!(tree.dead, Some(DeadIndex::Tree { .. }) | None));
                assert_eq!(a.feasible, b.feasible);
                assert_eq!(a.next_value, b.next_value);
                assert_eq!(list.ivals, tree.ivals);
                with_index += usize::from(tree.dead.is_some());
                with_holes += usize::from(list.ivals.len() > list.off.len() - 1);
                if a.feasible {
                    assert_eq!(list.latest(), tree.latest());
                    assert_eq!(list.earliest(), tree.earliest());
                }
            }
        }
        // The cases do exercise dead layers and reachable sets with holes.
        assert!(with_index > 1000, "{with_index}");
        assert!(with_holes > 100, "{with_holes}");
    }
}
