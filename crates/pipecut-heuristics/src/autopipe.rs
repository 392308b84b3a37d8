//! `autopipe`: the AutoPipe search idea driven by the real simulator.
//!
//! Differences from [`autopipe-reference`](mod@crate::reference):
//! - every candidate is timed by [`pipecut_sim::Simulator`] with the
//!   problem's own `M`, schedule (GPipe, 1F1B, interleaved), link delays and
//!   per-stage speeds; the critical stage is the simulator's;
//! - the DP behind the start and the re-splits minimises the bottleneck of
//!   real stage times (`speed[k] * (F + B) + comm`, DESIGN section 3), with
//!   memory-infeasible stages excluded when there is a capacity;
//! - besides the reference move (the first layer of the critical stage `c`
//!   goes to the stages before it, which are re-split by the prefix DP) it
//!   tries the mirror move: the last layer of `c` goes to the stages after
//!   it, which are re-split by a suffix DP (the stage next to `c` gets as
//!   many layers as the optimum allows, mirroring the reference's tie-break);
//! - a move that would empty a stage is skipped;
//! - the search is bounded by [`AutoPipe::max_evaluations`] simulations.
//!
//! **Memory.** The search starts from the bottleneck-DP partition if it fits
//! the capacity, otherwise from the memory-aware DP's partition, and only
//! ever enqueues partitions that fit, so the result fits whenever the start
//! does. Without interleaving a stage is a device and the memory-aware DP is
//! exact: when it finds nothing, no partition fits and the error is
//! [`pipecut_core::Error::MemoryInfeasible`] naming the first stage that
//! cannot be placed. With interleaving a device holds several stages; the
//! per-stage caps are then tightened on over-full devices for up to
//! [`INTERLEAVED_CAP_ROUNDS`] rounds, then tried uniformly on a grid of
//! [`INTERLEAVED_CAP_GRID`] steps, and problems with at most
//! [`ENUMERATION_LIMIT`] partitions are enumerated (exact: the fitting one
//! with the least bottleneck, or `MemoryInfeasible`). Only larger problems
//! can end in [`HeuristicError::NoFittingStart`] (not proven infeasible).

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use pipecut_core::{Objective, Partition, Partitioner, Plan, Prefix, Problem, Result};
use pipecut_sim::{Simulator, StageTimes};

use crate::baselines::heuristic_plan;
use crate::error::HeuristicError;

/// Rounds of per-stage cap tightening for interleaved schedules.
pub const INTERLEAVED_CAP_ROUNDS: usize = 32;

/// Default [`AutoPipe::max_evaluations`].
pub const DEFAULT_MAX_EVALUATIONS: usize = 1000;

/// Bottleneck DP tables over real stage times, prefix and suffix.
struct Tables<'a> {
    prefix: &'a Prefix,
    in_flight: Vec<usize>,
    caps: Option<Vec<u64>>,
    speeds: Vec<f64>,
    n: usize,
    p: usize,
    /// `pre[q * (n + 1) + i]`: best bottleneck of stages `0..q` over layers `0..i`.
    pre: Vec<f64>,
    /// `suf[q * (n + 1) + i]`: best bottleneck of stages `p-q..p` over layers `i..n`.
    suf: Vec<f64>,
}

impl<'a> Tables<'a> {
    fn new(problem: &'a Problem, prefix: &'a Prefix, caps: Option<Vec<u64>>) -> Self {
        let (n, p) = (problem.layers(), problem.stages());
        let mut t = Tables {
            prefix,
            in_flight: problem.peak_in_flight(),
            caps,
            speeds: (0..p).map(|k| problem.speed(k)).collect(),
            n,
            p,
            pre: vec![f64::INFINITY; (p + 1) * (n + 1)],
            suf: vec![f64::INFINITY; (p + 1) * (n + 1)],
        };
        t.fill();
        t
    }

    #[inline]
    fn memory_ok(&self, k: usize, first: usize, end: usize) -> bool {
        self.caps
            .as_ref()
            .is_none_or(|caps| self.prefix.stage_memory(self.in_flight[k], first, end) <= caps[k])
    }

    /// Compute time without communication: a lower bound of the stage time
    /// that only grows with the stage (communication is `>= 0`).
    #[inline]
    fn compute(&self, k: usize, first: usize, end: usize) -> f64 {
        self.speeds[k] * (self.prefix.work[end] - self.prefix.work[first])
    }

    /// `speed * (F + B) + comm`, the arithmetic of [`Prefix::stage_time`].
    #[inline]
    fn time(&self, k: usize, first: usize, end: usize) -> f64 {
        let b = &self.prefix.boundary;
        if b.is_empty() {
            return self.compute(k, first, end) + 0.0;
        }
        let mut comm = 0.0;
        if first > 0 {
            comm += b[first - 1];
        }
        if end < self.n {
            comm += b[end - 1];
        }
        self.compute(k, first, end) + comm
    }

    /// Fills both tables. For a state, the candidates are scanned outwards
    /// from where a lower envelope of the two terms crosses, and each side
    /// stops as soon as no further candidate can beat the best so far:
    /// towards bigger stages the compute time (a lower bound of the stage
    /// time, growing with the stage; memory also grows), towards smaller
    /// stages the running minimum of the neighbouring column (a lower bound
    /// of the other term, monotone by construction). Every skipped candidate
    /// is provably no better, so the values are the exact DP minima.
    fn fill(&mut self) {
        let (n, p) = (self.n, self.p);
        let w = n + 1;
        self.pre[0] = 0.0;
        // One stage: only j = 0 is a finite predecessor.
        for i in 1..=n {
            if self.memory_ok(0, 0, i) {
                self.pre[w + i] = self.time(0, 0, i);
            }
        }
        let mut envelope = vec![f64::INFINITY; w];
        for q in 2..=p {
            let k = q - 1;
            // envelope[j] = min of pre[q-1][j..=n]: never above pre[q-1][j'] for j' >= j.
            let mut run = f64::INFINITY;
            for j in (0..=n).rev() {
                run = run.min(self.pre[(q - 1) * w + j]);
                envelope[j] = run;
            }
            for i in q..=n {
                let mut best = f64::INFINITY;
                let cross = crate::reference::first_true(q - 1, i, |j| {
                    envelope[j] >= self.compute(k, j, i)
                });
                for j in (q - 1..cross).rev() {
                    if self.compute(k, j, i) >= best || !self.memory_ok(k, j, i) {
                        break;
                    }
                    let a = self.pre[(q - 1) * w + j];
                    if a < best {
                        best = best.min(a.max(self.time(k, j, i)));
                    }
                }
                for (j, &floor) in envelope.iter().enumerate().take(i).skip(cross) {
                    if floor >= best {
                        break;
                    }
                    let a = self.pre[(q - 1) * w + j];
                    if a < best && self.memory_ok(k, j, i) {
                        best = best.min(a.max(self.time(k, j, i)));
                    }
                }
                self.pre[q * w + i] = best;
            }
        }
        self.suf[n] = 0.0;
        // One stage: only e = n is a finite successor.
        for i in 0..n {
            if self.memory_ok(p - 1, i, n) {
                self.suf[w + i] = self.time(p - 1, i, n);
            }
        }
        for q in 2..=p {
            let k = p - q;
            // envelope[e] = min of suf[q-1][0..=e].
            let mut run = f64::INFINITY;
            for (e, slot) in envelope.iter_mut().enumerate() {
                run = run.min(self.suf[(q - 1) * w + e]);
                *slot = run;
            }
            let hi = n - (q - 1) + 1;
            for i in (0..=n - q).rev() {
                let mut best = f64::INFINITY;
                let cross = crate::reference::first_true(i + 1, hi, |e| {
                    self.compute(k, i, e) >= envelope[e]
                });
                for e in cross..hi {
                    if self.compute(k, i, e) >= best || !self.memory_ok(k, i, e) {
                        break;
                    }
                    let a = self.suf[(q - 1) * w + e];
                    if a < best {
                        best = best.min(a.max(self.time(k, i, e)));
                    }
                }
                for e in (i + 1..cross).rev() {
                    if envelope[e] >= best {
                        break;
                    }
                    let a = self.suf[(q - 1) * w + e];
                    if a < best && self.memory_ok(k, i, e) {
                        best = best.min(a.max(self.time(k, i, e)));
                    }
                }
                self.suf[q * w + i] = best;
            }
        }
    }

    /// Starts of stages `0..q` over layers `0..i`, last stage first, each
    /// taking the smallest start that attains the optimum (the reference's
    /// tie-break).
    fn reconstruct_prefix(&self, i: usize, q: usize) -> Option<Vec<usize>> {
        let w = self.n + 1;
        let mut starts = vec![0; q];
        let mut end = i;
        for r in (1..=q).rev() {
            let target = self.pre[r * w + end];
            if target.is_infinite() {
                return None;
            }
            let j = (r - 1..end).find(|&j| {
                let a = self.pre[(r - 1) * w + j];
                a.is_finite()
                    && self.memory_ok(r - 1, j, end)
                    && a.max(self.time(r - 1, j, end)) == target
            })?;
            starts[r - 1] = j;
            end = j;
        }
        Some(starts)
    }

    /// Starts of the last `q` stages over layers `i..n`, first stage first,
    /// each taking the largest end that attains the optimum (the mirror of
    /// the reference's tie-break).
    fn reconstruct_suffix(&self, i: usize, q: usize) -> Option<Vec<usize>> {
        let (n, p, w) = (self.n, self.p, self.n + 1);
        let mut starts = Vec::with_capacity(q);
        let mut first = i;
        for r in (1..=q).rev() {
            let k = p - r;
            let target = self.suf[r * w + first];
            if target.is_infinite() {
                return None;
            }
            let e = (first + 1..=n - (r - 1)).rev().find(|&e| {
                let a = self.suf[(r - 1) * w + e];
                a.is_finite()
                    && self.memory_ok(k, first, e)
                    && a.max(self.time(k, first, e)) == target
            })?;
            starts.push(first);
            first = e;
        }
        Some(starts)
    }
}

/// The first device over the capacity, with its memory.
fn over_capacity(
    problem: &Problem,
    prefix: &Prefix,
    in_flight: &[usize],
    starts: &[usize],
) -> Option<(usize, u64)> {
    let cap = problem.memory_capacity()?;
    let n = problem.layers();
    let schedule = problem.schedule();
    let mut device = vec![0u64; problem.devices()];
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        let d = schedule.device_of(k, problem.stages());
        device[d] = device[d].saturating_add(prefix.stage_memory(in_flight[k], s, end));
    }
    device
        .iter()
        .enumerate()
        .find(|(_, &m)| m > cap)
        .map(|(d, &m)| (d, m))
}

/// The core error for a capacity that no partition meets stage by stage:
/// the first stage that cannot be placed after every feasible placement of
/// the stages before it, and the least memory it would need.
fn memory_infeasible(problem: &Problem, prefix: &Prefix, cap: u64) -> pipecut_core::Error {
    let (n, p) = (problem.layers(), problem.stages());
    let in_flight = problem.peak_in_flight();
    let mut reach = vec![false; n + 1];
    reach[0] = true;
    for (k, &held) in in_flight.iter().enumerate() {
        let max_end = n - (p - k - 1);
        let mut next = vec![false; n + 1];
        for s in (0..max_end).filter(|&s| reach[s]) {
            for (e, slot) in next.iter_mut().enumerate().take(max_end + 1).skip(s + 1) {
                if prefix.stage_memory(held, s, e) > cap {
                    break;
                }
                *slot = true;
            }
        }
        let placed = if k + 1 == p {
            next[n]
        } else {
            next.iter().any(|&r| r)
        };
        if !placed {
            let required = (0..max_end)
                .filter(|&s| reach[s])
                .map(|s| {
                    let end = if k + 1 == p { n } else { s + 1 };
                    prefix.stage_memory(in_flight[k], s, end)
                })
                .min()
                .unwrap_or(0);
            return pipecut_core::Error::MemoryInfeasible {
                stage: k,
                required,
                capacity: cap,
            };
        }
        reach = next;
    }
    // Unreachable when the memory-aware DP found nothing; name the last stage.
    pipecut_core::Error::MemoryInfeasible {
        stage: p - 1,
        required: prefix.stage_memory(in_flight[p - 1], n - 1, n),
        capacity: cap,
    }
}

/// The partition [`autopipe_search`] starts from, with the DP tables its moves
/// use and a note when memory forced a different start.
fn start<'a>(
    problem: &'a Problem,
    prefix: &'a Prefix,
) -> std::result::Result<(Vec<usize>, Tables<'a>, Option<String>), HeuristicError> {
    let (n, p) = (problem.layers(), problem.stages());
    let free = Tables::new(problem, prefix, None);
    let dp_start = free
        .reconstruct_prefix(n, p)
        .unwrap_or_else(|| (0..p).collect());
    let Some(cap) = problem.memory_capacity() else {
        return Ok((dp_start, free, None));
    };
    let in_flight = problem.peak_in_flight();
    let first_violation = over_capacity(problem, prefix, &in_flight, &dp_start);
    let mut caps = vec![cap; p];
    let mut last_violation = None;
    for round in 0..INTERLEAVED_CAP_ROUNDS {
        let tables = Tables::new(problem, prefix, Some(caps.clone()));
        let Some(candidate) = tables.reconstruct_prefix(n, p) else {
            if round == 0 {
                return Err(memory_infeasible(problem, prefix, cap).into());
            }
            break;
        };
        let chosen = if first_violation.is_none() {
            dp_start.clone()
        } else {
            candidate
        };
        let Some((device, memory)) = over_capacity(problem, prefix, &in_flight, &chosen) else {
            let note = first_violation.map(|(d, m)| {
                format!(
                    "the bottleneck-DP start needs {m} bytes on device {d} > capacity {cap}; started from the memory-aware DP"
                )
            });
            return Ok((chosen, tables, note));
        };
        last_violation = Some((device, memory));
        // Interleaved only: shrink the caps of that device's stages in
        // proportion to its overflow, by at least one byte each.
        let schedule = problem.schedule();
        for k in (0..p).filter(|&k| schedule.device_of(k, p) == device) {
            let end = chosen.get(k + 1).copied().unwrap_or(n);
            let mem = prefix.stage_memory(in_flight[k], chosen[k], end);
            let scaled = (u128::from(mem) * u128::from(cap) / u128::from(memory.max(1))) as u64;
            caps[k] = caps[k].min(scaled.min(mem.saturating_sub(1)));
        }
    }
    // Interleaved only from here. Uniform per-stage caps from cap down to
    // cap / INTERLEAVED_CAP_GRID (a per-stage cap <= capacity / v always
    // gives a fitting device, so the low steps are safe bets).
    let note = Some(format!(
        "interleaved chunks share a device: the start was searched with tightened per-stage memory caps (capacity {cap})"
    ));
    for step in (1..INTERLEAVED_CAP_GRID).rev() {
        let stage_cap = (u128::from(cap) * step as u128 / INTERLEAVED_CAP_GRID as u128) as u64;
        let tables = Tables::new(problem, prefix, Some(vec![stage_cap; p]));
        if let Some(candidate) = tables.reconstruct_prefix(n, p) {
            if over_capacity(problem, prefix, &in_flight, &candidate).is_none() {
                return Ok((candidate, tables, note));
            }
        }
    }
    // Small problems: every partition, the fitting one with the least
    // bottleneck, or a proof that none fits.
    if let Some(found) = enumerate_fitting(problem, prefix, &in_flight, cap) {
        return match found {
            Ok(starts) => Ok((
                starts,
                Tables::new(problem, prefix, Some(vec![cap; p])),
                note,
            )),
            Err(e) => Err(e.into()),
        };
    }
    let (device, required) = last_violation.unwrap_or((0, 0));
    Err(HeuristicError::NoFittingStart {
        device,
        required,
        capacity: cap,
    })
}

/// Steps of the uniform per-stage cap grid for interleaved schedules.
pub const INTERLEAVED_CAP_GRID: usize = 16;

/// Interleaved schedules with a memory capacity: when the cap searches find
/// no fitting start, problems with at most this many partitions are
/// enumerated (an exact answer either way).
pub const ENUMERATION_LIMIT: u64 = 200_000;

/// Enumerates every partition when there are at most [`ENUMERATION_LIMIT`]:
/// `Some(Ok(starts))` for the fitting one with the least bottleneck,
/// `Some(Err(MemoryInfeasible))` when none fits (naming the first stage of
/// the fullest device in the partition whose fullest device is least full,
/// and that device's memory), `None` when there are too many.
fn enumerate_fitting(
    problem: &Problem,
    prefix: &Prefix,
    in_flight: &[usize],
    cap: u64,
) -> Option<std::result::Result<Vec<usize>, pipecut_core::Error>> {
    let (n, p) = (problem.layers(), problem.stages());
    // C(n - 1, p - 1), stopping once past the limit.
    let mut count: u64 = 1;
    for i in 0..(p - 1) as u64 {
        count = count * (n as u64 - 1 - i) / (i + 1);
        if count > ENUMERATION_LIMIT {
            return None;
        }
    }
    let schedule = problem.schedule();
    let devices = problem.devices();
    let mut starts: Vec<usize> = (0..p).collect();
    let mut best: Option<(f64, Vec<usize>)> = None;
    let mut least_full: Option<(u64, usize)> = None;
    let mut device = vec![0u64; devices];
    loop {
        device.iter_mut().for_each(|d| *d = 0);
        let mut bottleneck = 0.0f64;
        for k in 0..p {
            let end = starts.get(k + 1).copied().unwrap_or(n);
            let d = schedule.device_of(k, p);
            device[d] = device[d].saturating_add(prefix.stage_memory(in_flight[k], starts[k], end));
            bottleneck = bottleneck.max(prefix.stage_time(problem.speed(k), starts[k], end));
        }
        let (fullest, peak) =
            device.iter().enumerate().fold(
                (0, 0u64),
                |acc, (d, &m)| if m > acc.1 { (d, m) } else { acc },
            );
        if peak <= cap {
            if best.as_ref().is_none_or(|(b, _)| bottleneck < *b) {
                best = Some((bottleneck, starts.clone()));
            }
        } else if least_full.is_none_or(|(m, _)| peak < m) {
            least_full = Some((peak, fullest));
        }
        // Next combination: the last start that can still move right.
        let Some(k) = (1..p).rev().find(|&k| starts[k] < n - (p - k)) else {
            break;
        };
        starts[k] += 1;
        for j in k + 1..p {
            starts[j] = starts[j - 1] + 1;
        }
    }
    Some(match best {
        Some((_, starts)) => Ok(starts),
        None => {
            let (required, fullest) = least_full.unwrap_or((0, 0));
            Err(pipecut_core::Error::MemoryInfeasible {
                stage: fullest,
                required,
                capacity: cap,
            })
        }
    })
}

/// The partition `autopipe` starts from: the bottleneck DP over real stage
/// times (smallest-start reconstruction), or the memory-aware DP's when that
/// does not fit the capacity.
pub fn autopipe_start(problem: &Problem) -> std::result::Result<Partition, HeuristicError> {
    let prefix = Prefix::new(problem);
    let (starts, _, _) = start(problem, &prefix)?;
    Ok(Partition::new(starts, problem.layers())?)
}

/// What the simulator-driven search found.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoPipeSearch {
    /// The start (see [`autopipe_start`]).
    pub start: Partition,
    /// Its simulated step time.
    pub start_step_time: f64,
    /// The best partition found (never worse than the start; fits the
    /// capacity when the start does).
    pub best: Partition,
    /// Its simulated step time.
    pub best_step_time: f64,
    /// Simulations run.
    pub evaluations: usize,
    /// Whether the evaluation limit stopped the search with candidates left.
    pub limit_hit: bool,
    /// Set when memory forced a start other than the bottleneck-DP one.
    pub start_note: Option<String>,
}

/// Runs the simulator-driven AutoPipe search with at most `max_evaluations`
/// simulations (at least the start is always simulated).
pub fn autopipe_search(
    problem: &Problem,
    max_evaluations: usize,
) -> std::result::Result<AutoPipeSearch, HeuristicError> {
    let prefix = Prefix::new(problem);
    let (start_starts, tables, start_note) = start(problem, &prefix)?;
    let (n, p) = (problem.layers(), problem.stages());
    let sim = Simulator::new(problem);
    let in_flight = problem.peak_in_flight();
    let evaluate = |starts: &[usize]| -> std::result::Result<(f64, usize), HeuristicError> {
        let part = Partition::new(starts.to_vec(), n)?;
        let times = StageTimes::from_partition(problem, &prefix, &part);
        let r = sim.run_times(&times, false)?;
        Ok((r.step_time, r.critical_stage))
    };
    let limit = max_evaluations.max(1);
    let mut visited: HashSet<Vec<usize>> = HashSet::new();
    let mut queue = VecDeque::new();
    visited.insert(start_starts.clone());
    queue.push_back(start_starts.clone());
    let mut best = start_starts.clone();
    let mut best_time = f64::INFINITY;
    let mut start_time = f64::INFINITY;
    let mut evaluations = 0;
    while let Some(cur) = queue.pop_front() {
        if evaluations >= limit {
            queue.push_front(cur);
            break;
        }
        let (t, c) = evaluate(&cur)?;
        evaluations += 1;
        if evaluations == 1 {
            start_time = t;
        }
        if t < best_time {
            best_time = t;
            best = cur.clone();
        }
        let end_c = cur.get(c + 1).copied().unwrap_or(n);
        if end_c - cur[c] < 2 {
            // Either move would empty the critical stage.
            continue;
        }
        let mut candidates = Vec::with_capacity(2);
        if c > 0 {
            if let Some(mut next) = tables.reconstruct_prefix(cur[c] + 1, c) {
                next.push(cur[c] + 1);
                next.extend_from_slice(&cur[c + 1..]);
                candidates.push(next);
            }
        }
        if c + 1 < p {
            if let Some(suffix) = tables.reconstruct_suffix(end_c - 1, p - c - 1) {
                let mut next = cur[..=c].to_vec();
                next.extend(suffix);
                candidates.push(next);
            }
        }
        for next in candidates {
            if over_capacity(problem, &prefix, &in_flight, &next).is_none()
                && visited.insert(next.clone())
            {
                queue.push_back(next);
            }
        }
    }
    Ok(AutoPipeSearch {
        start: Partition::new(start_starts, n)?,
        start_step_time: start_time,
        best: Partition::new(best, n)?,
        best_step_time: best_time,
        evaluations,
        limit_hit: !queue.is_empty(),
        start_note,
    })
}

/// `autopipe`: the simulator-driven AutoPipe, see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct AutoPipe {
    /// Most simulations per solve (default [`DEFAULT_MAX_EVALUATIONS`]); the
    /// search stops there and notes it in the plan.
    pub max_evaluations: usize,
}

impl Default for AutoPipe {
    fn default() -> Self {
        AutoPipe {
            max_evaluations: DEFAULT_MAX_EVALUATIONS,
        }
    }
}

impl Partitioner for AutoPipe {
    fn name(&self) -> &str {
        "autopipe"
    }
    fn description(&self) -> &str {
        "AutoPipe's critical-stage search on the real simulator (M, schedule, link, speeds, memory), moves both ways, bounded"
    }
    fn solve(&self, problem: &Problem) -> Result<Plan> {
        let t = Instant::now();
        let r =
            autopipe_search(problem, self.max_evaluations).map_err(|e| e.into_core(self.name()))?;
        let mut notes = vec![format!(
            "simulated step time: start {} -> {} after {} simulation(s)",
            r.start_step_time, r.best_step_time, r.evaluations
        )];
        if r.limit_hit {
            notes.push(format!(
                "stopped at max_evaluations = {} with candidates left",
                self.max_evaluations
            ));
        }
        notes.extend(r.start_note);
        heuristic_plan(problem, &r.best, self.name(), Objective::StepTime, t, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{Chain, Layer, ProblemSpec, Schedule};

    fn chain(costs: &[f64], activation: u64) -> Chain {
        Chain::new(
            "c",
            "s",
            costs
                .iter()
                .enumerate()
                .map(|(i, &c)| Layer::new(format!("l{i}"), c, 2.0 * c).with_bytes(0, activation, 0))
                .collect(),
        )
        .unwrap()
    }

    /// Full scans of both recurrences, nothing pruned.
    fn brute_tables(t: &Tables) -> (Vec<f64>, Vec<f64>) {
        let (n, p, w) = (t.n, t.p, t.n + 1);
        let mut pre = vec![f64::INFINITY; (p + 1) * w];
        let mut suf = vec![f64::INFINITY; (p + 1) * w];
        pre[0] = 0.0;
        suf[n] = 0.0;
        for q in 1..=p {
            for i in 0..=n {
                for j in 0..i {
                    let a = pre[(q - 1) * w + j];
                    if a.is_finite() && t.memory_ok(q - 1, j, i) {
                        pre[q * w + i] = pre[q * w + i].min(a.max(t.time(q - 1, j, i)));
                    }
                }
            }
            for i in (0..=n).rev() {
                for e in i + 1..=n {
                    let a = suf[(q - 1) * w + e];
                    if a.is_finite() && t.memory_ok(p - q, i, e) {
                        suf[q * w + i] = suf[q * w + i].min(a.max(t.time(p - q, i, e)));
                    }
                }
            }
        }
        (pre, suf)
    }

    #[test]
    fn pruned_tables_equal_full_scans() {
        let costs: Vec<f64> = (0..23)
            .map(|i| ((i * 37 + 11) % 13) as f64 * 0.5 + if i == 20 { 9.0 } else { 0.0 })
            .collect();
        let layers: Vec<Layer> = costs
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                Layer::new(format!("l{i}"), c, 2.0 * c).with_bytes(
                    (i as u64 * 7) % 5,
                    (i as u64 * 3) % 4,
                    (i as u64 * 13) % 9 * 100,
                )
            })
            .collect();
        let c = Chain::new("t", "s", layers).unwrap();
        let specs = [
            ProblemSpec::new(c.clone(), 5),
            ProblemSpec::new(c.clone(), 5).with_link(0.3, 100.0),
            ProblemSpec::new(c.clone(), 4).with_speeds(vec![1.0, 3.0, 0.5, 2.0]),
            ProblemSpec::new(c.clone(), 6)
                .with_micro_batches(6)
                .with_link(0.1, 50.0)
                .with_speeds(vec![2.0, 1.0, 1.0, 0.5, 1.5, 1.0]),
        ];
        for spec in specs {
            let problem = spec.check().unwrap();
            let prefix = Prefix::new(&problem);
            for caps in [
                None,
                Some(vec![20u64; problem.stages()]),
                Some(vec![12u64; problem.stages()]),
            ] {
                let t = Tables::new(&problem, &prefix, caps);
                let (pre, suf) = brute_tables(&t);
                assert_eq!(t.pre, pre);
                assert_eq!(t.suf, suf);
            }
        }
    }

    #[test]
    fn reconstructions_break_ties_towards_the_critical_stage() {
        // Costs 1, 0, 1 (F + B = 3, 0, 3) in 2 stages: [0][1 2] and [0 1][2]
        // both have bottleneck 3. The prefix re-split (stages before the
        // critical one) takes the smallest start, giving its last stage the
        // middle layer; the suffix re-split (stages after it) takes the
        // largest end, giving its first stage the middle layer.
        let problem = ProblemSpec::new(chain(&[1.0, 0.0, 1.0], 0), 2)
            .check()
            .unwrap();
        let prefix = Prefix::new(&problem);
        let t = Tables::new(&problem, &prefix, None);
        assert_eq!(t.reconstruct_prefix(3, 2), Some(vec![0, 1]));
        assert_eq!(t.reconstruct_suffix(0, 2), Some(vec![0, 2]));
        // Suffix of layers 1..3 in the last stage only.
        assert_eq!(t.reconstruct_suffix(1, 1), Some(vec![1]));
    }

    #[test]
    fn single_layer_critical_stage_gives_a_valid_partition() {
        let mut costs = vec![1.0; 7];
        costs.push(10.0);
        let problem = ProblemSpec::new(chain(&costs, 0), 4)
            .with_micro_batches(8)
            .check()
            .unwrap();
        let plan = AutoPipe::default().solve(&problem).unwrap();
        let part = Partition::for_problem(plan.starts.clone(), &problem).unwrap();
        assert_eq!(part.range(3), 7..8, "the heavy layer is a stage of its own");
        assert_eq!(plan.objective, Objective::StepTime);
    }

    #[test]
    fn memory_forces_a_fitting_start() {
        // 1F1B, P = 2, M = 4: in-flight [2, 1]; 10 activation bytes per layer.
        // The time DP start [0, 2] needs 2 * 20 = 40 bytes on stage 0 > 30;
        // [0, 1] needs 20 and 30: the only fitting split.
        let problem = ProblemSpec::new(chain(&[1.0; 4], 10), 2)
            .with_micro_batches(4)
            .with_memory_capacity(30)
            .check()
            .unwrap();
        let r = autopipe_search(&problem, 100).unwrap();
        assert_eq!(r.start.starts(), &[0, 1]);
        assert_eq!(r.best.starts(), &[0, 1]);
        assert!(r.start_note.is_some());
        let plan = AutoPipe::default().solve(&problem).unwrap();
        assert!(plan.fits_memory);
    }

    #[test]
    fn memory_infeasible_names_the_stage() {
        let spec = ProblemSpec::new(chain(&[1.0; 4], 10), 2).with_micro_batches(4);
        // Stage 0 holds 2 micro-batches: even one layer needs 20 > 15.
        let p = spec.clone().with_memory_capacity(15).check().unwrap();
        assert!(matches!(
            AutoPipe::default().solve(&p),
            Err(pipecut_core::Error::MemoryInfeasible {
                stage: 0,
                required: 20,
                capacity: 15
            })
        ));
        // Capacity 25: stage 0 takes one layer at most, leaving 3 layers
        // (30 bytes) for stage 1.
        let p = spec.with_memory_capacity(25).check().unwrap();
        assert!(matches!(
            AutoPipe::default().solve(&p),
            Err(pipecut_core::Error::MemoryInfeasible {
                stage: 1,
                required: 30,
                capacity: 25
            })
        ));
    }

    #[test]
    fn interleaved_speeds_and_link_are_simulated() {
        let costs: Vec<f64> = (0..12).map(|i| 1.0 + (i % 3) as f64).collect();
        let problem = ProblemSpec::new(chain(&costs, 0), 4)
            .with_schedule(Schedule::Interleaved { virtual_stages: 2 })
            .with_micro_batches(4)
            .with_link(0.5, 1.0)
            .with_speeds(vec![1.0, 2.0, 1.0, 2.0])
            .check()
            .unwrap();
        let r = autopipe_search(&problem, 50).unwrap();
        assert!(r.best_step_time <= r.start_step_time);
        let sim = pipecut_sim::simulate(&problem, &r.best, false).unwrap();
        assert_eq!(sim.step_time, r.best_step_time);
        let plan = AutoPipe::default().solve(&problem).unwrap();
        assert_eq!(plan.step_time, r.best_step_time);
    }

    #[test]
    fn evaluation_limit_is_honoured() {
        let costs: Vec<f64> = (0..40).map(|i| 1.0 + ((i * 7) % 5) as f64).collect();
        let problem = ProblemSpec::new(chain(&costs, 0), 6)
            .with_micro_batches(12)
            .check()
            .unwrap();
        let r = autopipe_search(&problem, 1).unwrap();
        assert_eq!(r.evaluations, 1);
        assert_eq!(r.best, r.start);
        let full = autopipe_search(&problem, 10_000).unwrap();
        assert!(!full.limit_hit);
        assert!(full.best_step_time <= r.best_step_time);
    }
}
