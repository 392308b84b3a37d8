//! `autopipe-reference`: the reference AutoPipe (torchtitan's `autopartition`
//! experiment, from Merak), steps 1-5 of DESIGN section 6, on exact
//! arithmetic.
//!
//! 1. DP over prefix sums of `w = F + B`: `dp[i][p] = min_{j<i} max(dp[j][p-1],
//!    W[i] - W[j])`, `dp[0][0] = 0`, every other `dp[j][0]` infinite
//!    (an explicit infinity: `None`).
//! 2. Reconstruction from the last stage backwards, taking the smallest `j`
//!    that attains `dp[i][p]`.
//! 3. The reference's own 1F1B timing model ([`reference_model`]): `M = 2S`
//!    micro-batches, no communication, the critical stage and the cool-down.
//! 4. Breadth-first search from the DP partition with a visited set; a
//!    strictly smaller model time wins.
//! 5. The stage starts.
//!
//! Each partition yields at most one move, so the search is a path that ends
//! at `c = 0`, a skipped move or a repeat (the visited set); like the
//! reference it has no other limit, and in practice it takes a handful of
//! evaluations (at most 13 in 4,000 random chains of up to 40 layers).
//!
//! **The one deliberate deviation**: when the critical stage holds a single
//! layer the reference's move empties it (undefined behaviour in the
//! original); here that move is skipped and counted
//! ([`ReferenceSearch::skipped_moves`], and a note in the plan).
//!
//! **Arithmetic.** The reference works on integer costs. pipecut scales the
//! given `f64` costs *exactly* to integers: every finite double is
//! `m * 2^e`; all costs are multiplied by `2^-e_min` (the smallest exponent
//! among the non-zero costs), which makes each an integer held in `u128`,
//! and every comparison, tie and critical-stage test is then exact and
//! invariant under scaling the costs. Before running, the largest value the
//! model can produce (`(4S + 4) * sum(F + B)`) is checked to fit in `u128`,
//! so no sum can overflow. Integer costs below 2^64 always take this path.
//! Only when the costs span a range too wide for 128 bits (e.g. `1e-300` next
//! to `1e300`) does the same logic run on the given `f64` numbers (noted in
//! [`ReferenceSearch::arithmetic`]); the critical-stage tests stay exact
//! there too because they compare a `max` with one of its own operands.
//!
//! **No idle-free stage.** The reference raises an error when no stage
//! passes its critical-stage test; pipecut then takes stage 0 (whose
//! forwards never wait on a predecessor) and reports it in
//! [`ModelTime::idle_free`].

use std::collections::{HashSet, VecDeque};
use std::ops::{Add, Sub};
use std::time::Instant;

use pipecut_core::{Objective, Partition, Partitioner, Plan, Problem, Result};

use crate::baselines::heuristic_plan;
use crate::error::HeuristicError;

/// The numbers the reference logic runs on: exact `u128` or plain `f64`.
pub trait Scalar:
    Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + std::fmt::Debug
{
    /// Zero.
    const ZERO: Self;
    /// The larger of two values (the first on ties).
    fn max_of(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
}

impl Scalar for u128 {
    const ZERO: Self = 0;
}

impl Scalar for f64 {
    const ZERO: Self = 0.0;
}

/// The result of the reference timing model on one partition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelTime<T> {
    /// `D[0][0] + sum of B[0..=c]`.
    pub step_time: T,
    /// The critical stage `c`.
    pub critical_stage: usize,
    /// Whether `c` passed the idle-free test (false: no stage did and `c = 0`).
    pub idle_free: bool,
}

/// The reference's 1F1B timing model (DESIGN section 6, AutoPipe step 3) on
/// per-stage forward and backward sums `f`, `b` (same length `S >= 1`):
/// `M = 2S` micro-batches, no communication.
pub fn reference_model<T: Scalar>(f: &[T], b: &[T]) -> ModelTime<T> {
    let s_count = f.len().min(b.len());
    if s_count == 0 {
        return ModelTime {
            step_time: T::ZERO,
            critical_stage: 0,
            idle_free: true,
        };
    }
    let m = 2 * s_count;
    // last[s] = M - S + s: the last micro-batch stage s forwards in the steady phase.
    let last = |s: usize| m - s_count + s;
    let at = |s: usize, k: usize| s * m + k;
    let mut tf = vec![T::ZERO; s_count * m];
    let mut tb = vec![T::ZERO; s_count * m];
    let mut acc = f[..s_count].iter().fold(T::ZERO, |a, &x| a + x);
    for s in (0..s_count).rev() {
        tb[at(s, 0)] = acc;
        acc = acc + b[s];
    }
    for k in 1..m {
        for s in 0..s_count {
            if k <= last(s) {
                let mut v = tb[at(s, k - 1)] + b[s];
                // Tf[.][0] is never defined: no predecessor term for k = 1.
                if s > 0 && k > 1 {
                    v = (tf[at(s - 1, k - 1)] + f[s - 1]).max_of(v);
                }
                tf[at(s, k)] = v;
            }
        }
        for s in (0..s_count).rev() {
            if k <= last(s) {
                let mut v = tf[at(s, k)] + f[s];
                if s + 1 < s_count {
                    v = (tb[at(s + 1, k)] + b[s + 1]).max_of(v);
                }
                tb[at(s, k)] = v;
            }
        }
    }
    let idle_free = |c: usize| {
        (1..=last(c))
            .all(|k| tf[at(c, k)] == tb[at(c, k - 1)] + b[c] && tb[at(c, k)] == tf[at(c, k)] + f[c])
    };
    let found = (0..s_count).rev().find(|&c| idle_free(c));
    let c = found.unwrap_or(0);
    // Cool-down over stages c..S.
    let n = s_count - c;
    let mut d = vec![T::ZERO; n * n];
    let mut x = tf[at(c, last(c))];
    for i in 0..n {
        x = x + f[c + i];
        d[i * n + (n - 1 - i)] = x;
    }
    for col in (0..n.saturating_sub(1)).rev() {
        for row in (0..=n - col - 2).rev() {
            let mut v =
                (d[row * n + col + 1] + b[c + row]).max_of(d[(row + 1) * n + col] + b[c + row + 1]);
            if row > 0 {
                v = v.max_of(d[(row - 1) * n + col + 1]);
            }
            d[row * n + col] = v;
        }
    }
    let step_time = b[..=c].iter().fold(d[0], |a, &x| a + x);
    ModelTime {
        step_time,
        critical_stage: c,
        idle_free: found.is_some(),
    }
}

/// Step 1's DP table over prefix sums of per-layer work, with an explicit
/// infinity (`None`).
#[derive(Debug, Clone)]
pub struct DpTable<T> {
    stages: usize,
    prefix: Vec<T>,
    dp: Vec<Option<T>>,
}

impl<T: Scalar> DpTable<T> {
    /// Builds `dp[i][p]` for `i <= N`, `p <= stages`.
    ///
    /// For `p >= 2` and `j >= p - 1`, `dp[j][p-1]` never decreases as `j`
    /// grows (removing a layer cannot raise the best bottleneck, also in
    /// rounded `f64`) and `W[i] - W[j]` never increases, so
    /// `max(dp[j][p-1], W[i] - W[j])` falls and then rises in `j`: its minimum
    /// is at the first `j` where the first term reaches the second, or just
    /// before it. A binary search finds that `j`, so the value is exactly the
    /// reference's full-scan minimum in `O(S N log N)` (a test checks it
    /// against the scan).
    pub fn new(work: &[T], stages: usize) -> Self {
        let n = work.len();
        let prefix = prefix_of(work);
        let width = stages + 1;
        let mut dp: Vec<Option<T>> = vec![None; (n + 1) * width];
        dp[0] = Some(T::ZERO);
        if stages >= 1 {
            // dp[j][0] is finite only at j = 0.
            for i in 1..=n {
                dp[i * width + 1] = Some(prefix[i]);
            }
        }
        for p in 2..=stages {
            for i in p..=n {
                let a = |j: usize| dp[j * width + p - 1].unwrap_or(T::ZERO);
                let t = |j: usize| prefix[i] - prefix[j];
                let cross = first_true(p - 1, i, |j| a(j) >= t(j));
                let mut best: Option<T> = None;
                for j in [cross.wrapping_sub(1), cross] {
                    if j >= p - 1 && j < i {
                        let v = a(j).max_of(t(j));
                        if best.is_none_or(|b| v < b) {
                            best = Some(v);
                        }
                    }
                }
                dp[i * width + p] = best;
            }
        }
        DpTable { stages, prefix, dp }
    }

    /// `dp[i][p]` (`None`: infinite).
    pub fn value(&self, i: usize, p: usize) -> Option<T> {
        self.dp.get(i * (self.stages + 1) + p).copied().flatten()
    }

    /// Step 2: the starts of `p` stages covering layers `0..i`, from the last
    /// stage backwards, each taking the smallest `j` with
    /// `dp[i][p] == max(dp[j][p-1], W[i] - W[j])`. `None` when `dp[i][p]` is
    /// infinite.
    pub fn reconstruct(&self, i: usize, p: usize) -> Option<Vec<usize>> {
        let mut starts = vec![0; p];
        let mut end = i;
        for q in (1..=p).rev() {
            let target = self.value(end, q)?;
            // No j below the first with W[end] - W[j] <= target can attain it.
            let lo = first_true(q - 1, end, |j| self.prefix[end] - self.prefix[j] <= target);
            let j = (lo..end).find(|&j| {
                self.value(j, q - 1)
                    .is_some_and(|a| a.max_of(self.prefix[end] - self.prefix[j]) == target)
            })?;
            starts[q - 1] = j;
            end = j;
        }
        Some(starts)
    }
}

/// The first index in `lo..hi` where the monotone (false, then true)
/// predicate holds, or `hi`.
pub(crate) fn first_true(mut lo: usize, mut hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// How the reference's numbers were represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arithmetic {
    /// Exact: every cost times `2^-exponent` is an integer (`u128`).
    Exact {
        /// The scale is `2^exponent`: integer `x` stands for `x * 2^exponent`.
        exponent: i32,
    },
    /// The costs span too wide a range for 128 bits; `f64` on the given numbers.
    Float,
}

/// What the reference search found.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceSearch {
    /// The DP partition (steps 1-2).
    pub start: Partition,
    /// Its model time, in the chain's unit.
    pub start_time: f64,
    /// The best partition found (step 5).
    pub best: Partition,
    /// Its model time.
    pub best_time: f64,
    /// Partitions timed.
    pub evaluations: usize,
    /// Moves skipped because the critical stage held a single layer.
    pub skipped_moves: usize,
    /// Partitions whose model found no idle-free stage (stage 0 was taken).
    pub no_idle_free_stage: usize,
    /// Exact or float.
    pub arithmetic: Arithmetic,
}

/// `x = m * 2^e` with `m` odd (or zero).
fn decompose(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let exp_field = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if exp_field == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_field - 1075)
    };
    if m == 0 {
        return (0, 0);
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    (m, e)
}

/// `x * 2^e` without going through a possibly-overflowing `2^e`.
fn ldexp(mut x: f64, mut e: i32) -> f64 {
    while e > 0 {
        let step = e.min(1000);
        x *= 2f64.powi(step);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        x /= 2f64.powi(step);
        e += step;
    }
    x
}

/// Exact integer images of `values` and the common exponent, when the whole
/// reference computation on `stages` stages fits in `u128`.
fn exact_scale(values: &[f64], stages: usize) -> Option<(Vec<u128>, i32)> {
    let parts: Vec<(u64, i32)> = values.iter().map(|&x| decompose(x)).collect();
    let e_min = parts
        .iter()
        .filter(|(m, _)| *m != 0)
        .map(|&(_, e)| e)
        .min()
        .unwrap_or(0);
    let mut ints = Vec::with_capacity(values.len());
    let mut total: u128 = 0;
    for (m, e) in parts {
        let v = if m == 0 {
            0
        } else {
            let shift = u32::try_from(e - e_min).ok()?;
            if 128 - u128::from(m).leading_zeros() + shift > 127 {
                return None;
            }
            u128::from(m) << shift
        };
        total = total.checked_add(v)?;
        ints.push(v);
    }
    // Every model value is a sum of distinct operations over 2S micro-batches
    // plus the initial and final sums: below (2S + 3) * total.
    let factor = u128::try_from(stages)
        .ok()?
        .checked_mul(4)?
        .checked_add(4)?;
    total.checked_mul(factor)?;
    Some((ints, e_min))
}

struct Outcome<T> {
    start: Vec<usize>,
    start_time: T,
    best: Vec<usize>,
    best_time: T,
    evaluations: usize,
    skipped_moves: usize,
    no_idle_free_stage: usize,
}

fn stage_sums<T: Scalar>(prefix: &[T], starts: &[usize], n: usize) -> Vec<T> {
    (0..starts.len())
        .map(|k| {
            let end = starts.get(k + 1).copied().unwrap_or(n);
            prefix[end] - prefix[starts[k]]
        })
        .collect()
}

fn prefix_of<T: Scalar>(xs: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(xs.len() + 1);
    let mut acc = T::ZERO;
    out.push(acc);
    for &x in xs {
        acc = acc + x;
        out.push(acc);
    }
    out
}

/// Steps 1-4 on one arithmetic. `1 <= stages <= f.len() == b.len()`.
fn search<T: Scalar>(f: &[T], b: &[T], stages: usize) -> Outcome<T> {
    let n = f.len();
    let work: Vec<T> = f.iter().zip(b).map(|(&x, &y)| x + y).collect();
    let table = DpTable::new(&work, stages);
    let pf = prefix_of(f);
    let pb = prefix_of(b);
    let time = |starts: &[usize]| {
        reference_model(&stage_sums(&pf, starts, n), &stage_sums(&pb, starts, n))
    };
    // 1 <= stages <= n makes dp[n][stages] finite.
    let start = table
        .reconstruct(n, stages)
        .unwrap_or_else(|| (0..stages).collect());
    let mut out = Outcome {
        start_time: time(&start).step_time,
        start: start.clone(),
        best: start.clone(),
        best_time: T::ZERO,
        evaluations: 0,
        skipped_moves: 0,
        no_idle_free_stage: 0,
    };
    let mut best: Option<T> = None;
    let mut visited: HashSet<Vec<usize>> = HashSet::new();
    let mut queue = VecDeque::new();
    visited.insert(start.clone());
    queue.push_back(start);
    while let Some(cur) = queue.pop_front() {
        let mt = time(&cur);
        out.evaluations += 1;
        if !mt.idle_free {
            out.no_idle_free_stage += 1;
        }
        if best.is_none_or(|t| mt.step_time < t) {
            best = Some(mt.step_time);
            out.best = cur.clone();
        }
        let c = mt.critical_stage;
        if c == 0 {
            continue;
        }
        let end_c = cur.get(c + 1).copied().unwrap_or(n);
        if end_c - cur[c] < 2 {
            out.skipped_moves += 1;
            continue;
        }
        // Stages 0..c plus the first layer of stage c, re-split into c stages.
        let Some(mut next) = table.reconstruct(cur[c] + 1, c) else {
            continue;
        };
        next.push(cur[c] + 1);
        next.extend_from_slice(&cur[c + 1..]);
        if visited.insert(next.clone()) {
            queue.push_back(next);
        }
    }
    out.best_time = best.unwrap_or(out.start_time);
    out
}

fn check_lengths(forward: &[f64], backward: &[f64]) -> std::result::Result<(), HeuristicError> {
    if forward.len() != backward.len() {
        return Err(HeuristicError::CostLength {
            forward: forward.len(),
            backward: backward.len(),
        });
    }
    Ok(())
}

/// Runs steps 1-5 on per-layer costs (finite, `>= 0`) for `stages` stages
/// (`1 <= stages <= N`; invalid counts give the core error).
pub fn autopipe_reference_search(
    forward: &[f64],
    backward: &[f64],
    stages: usize,
) -> std::result::Result<ReferenceSearch, HeuristicError> {
    check_lengths(forward, backward)?;
    let n = forward.len();
    if stages == 0 {
        return Err(pipecut_core::Error::ZeroStages.into());
    }
    if stages > n {
        return Err(pipecut_core::Error::TooManyStages { stages, layers: n }.into());
    }
    let all: Vec<f64> = forward.iter().chain(backward).copied().collect();
    let (outcome, arithmetic): (Outcome<f64>, Arithmetic) = match exact_scale(&all, stages) {
        Some((ints, e)) => {
            let o = search(&ints[..n], &ints[n..], stages);
            let conv = |x: u128| ldexp(x as f64, e);
            (
                Outcome {
                    start_time: conv(o.start_time),
                    best_time: conv(o.best_time),
                    start: o.start,
                    best: o.best,
                    evaluations: o.evaluations,
                    skipped_moves: o.skipped_moves,
                    no_idle_free_stage: o.no_idle_free_stage,
                },
                Arithmetic::Exact { exponent: e },
            )
        }
        None => {
            let total: f64 = all.iter().sum();
            if !(total * (4.0 * stages as f64 + 4.0)).is_finite() {
                return Err(HeuristicError::CostRange { total });
            }
            (search(forward, backward, stages), Arithmetic::Float)
        }
    };
    Ok(ReferenceSearch {
        start: Partition::new(outcome.start, n)?,
        start_time: outcome.start_time,
        best: Partition::new(outcome.best, n)?,
        best_time: outcome.best_time,
        evaluations: outcome.evaluations,
        skipped_moves: outcome.skipped_moves,
        no_idle_free_stage: outcome.no_idle_free_stage,
        arithmetic,
    })
}

/// The reference model's time (step 3) of one partition of per-layer costs,
/// in the same arithmetic the search uses for these costs.
pub fn reference_step_time(
    forward: &[f64],
    backward: &[f64],
    partition: &Partition,
) -> std::result::Result<f64, HeuristicError> {
    check_lengths(forward, backward)?;
    let n = forward.len();
    if partition.layers() != n {
        return Err(HeuristicError::LayerCount {
            partition: partition.layers(),
            layers: n,
        });
    }
    let s = partition.stages();
    let all: Vec<f64> = forward.iter().chain(backward).copied().collect();
    match exact_scale(&all, s) {
        Some((ints, e)) => {
            let f = stage_sums(&prefix_of(&ints[..n]), partition.starts(), n);
            let b = stage_sums(&prefix_of(&ints[n..]), partition.starts(), n);
            Ok(ldexp(reference_model(&f, &b).step_time as f64, e))
        }
        None => {
            let f = stage_sums(&prefix_of(forward), partition.starts(), n);
            let b = stage_sums(&prefix_of(backward), partition.starts(), n);
            Ok(reference_model(&f, &b).step_time)
        }
    }
}

/// `autopipe-reference`: the reference AutoPipe, see the module docs.
/// Ignores the problem's `M`, schedule, link, speeds and memory, as the
/// reference does; the plan is still simulated on the real problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoPipeReference;

impl Partitioner for AutoPipeReference {
    fn name(&self) -> &str {
        "autopipe-reference"
    }
    fn description(&self) -> &str {
        "the reference AutoPipe, faithfully: F+B DP, its own 1F1B model (M = 2P, no comm), critical-stage BFS; exact integers"
    }
    fn solve(&self, problem: &Problem) -> Result<Plan> {
        let t = Instant::now();
        let chain = problem.chain();
        let r = autopipe_reference_search(&chain.forwards(), &chain.backwards(), problem.stages())
            .map_err(|e| e.into_core(self.name()))?;
        let mut notes = vec![format!(
            "objective: the reference's own 1F1B model (M = {}, no communication, speeds ignored): DP start {} -> {} after {} evaluations",
            2 * problem.stages(),
            r.start_time,
            r.best_time,
            r.evaluations
        )];
        if r.skipped_moves > 0 {
            notes.push(format!(
                "skipped {} move(s) that would have emptied a single-layer critical stage (the reference's undefined behaviour)",
                r.skipped_moves
            ));
        }
        if r.no_idle_free_stage > 0 {
            notes.push(format!(
                "{} partition(s) had no idle-free stage (the reference raises an error); stage 0 was taken as critical",
                r.no_idle_free_stage
            ));
        }
        if r.arithmetic == Arithmetic::Float {
            notes.push(
                "costs span too wide a range for exact 128-bit scaling; the reference logic ran on the given f64 numbers"
                    .into(),
            );
        }
        heuristic_plan(problem, &r.best, self.name(), Objective::StepTime, t, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_uniform_two_stages_by_hand() {
        // S = 2, M = 4, last = [2, 3]; F = [1, 1], B = [2, 2].
        // Tb[1][0] = sum F = 2, Tb[0][0] = 2 + B1 = 4.
        // k=1: Tf[0][1] = 4+2 = 6; Tf[1][1] = Tb[1][0]+B1 = 4 (no predecessor at k=1);
        //      Tb[1][1] = 4+1 = 5; Tb[0][1] = max(5+2, 6+1) = 7.
        // k=2: Tf[0][2] = 7+2 = 9; Tf[1][2] = max(6+1, 5+2) = 7; Tb[1][2] = 8;
        //      Tb[0][2] = max(8+2, 9+1) = 10.
        // k=3: Tf[1][3] = max(9+1, 8+2) = 10; Tb[1][3] = 11.
        // Stage 1 is idle-free for k = 1..3, so c = 1. Cool-down n = 1:
        // D[0][0] = Tf[1][3] + F1 = 11; step = 11 + B0 + B1 = 15
        // = (M + S - 1) * (f + b), the uniform 1F1B time.
        let t = reference_model(&[1u128, 1], &[2, 2]);
        assert_eq!(
            t,
            ModelTime {
                step_time: 15,
                critical_stage: 1,
                idle_free: true
            }
        );
    }

    #[test]
    fn model_heavy_first_stage_by_hand() {
        // F = [2, 1], B = [4, 2]. Tb[1][0] = 3, Tb[0][0] = 5.
        // k=1: Tf[0][1] = 9; Tf[1][1] = 5; Tb[1][1] = 6; Tb[0][1] = max(8, 11) = 11.
        // k=2: Tf[0][2] = 15; Tf[1][2] = max(9+2, 6+2) = 11; Tb[1][2] = 12;
        //      Tb[0][2] = max(14, 17) = 17.
        // k=3: Tf[1][3] = max(15+2, 12+2) = 17; Tb[1][3] = 18.
        // Stage 1 idles at k=2 (11 != 6+2); stage 0 is idle-free: c = 0.
        // Cool-down n = 2: x = Tf[0][2] = 15; D[0][1] = 15+2 = 17, D[1][0] = 17+1 = 18;
        // D[0][0] = max(D[0][1]+B0, D[1][0]+B1) = max(21, 20) = 21.
        // step = D[0][0] + B0 = 25.
        let t = reference_model(&[2u128, 1], &[4, 2]);
        assert_eq!((t.step_time, t.critical_stage, t.idle_free), (25, 0, true));
        // The same on f64 gives the same numbers.
        let t = reference_model(&[2.0f64, 1.0], &[4.0, 2.0]);
        assert_eq!((t.step_time, t.critical_stage), (25.0, 0));
    }

    #[test]
    fn model_heavy_last_stage_by_hand() {
        // F = [1, 2], B = [2, 4]. Tb[1][0] = 3, Tb[0][0] = 7.
        // k=1: Tf[0][1] = 9; Tf[1][1] = 7; Tb[1][1] = 9; Tb[0][1] = max(13, 10) = 13.
        // k=2: Tf[0][2] = 15; Tf[1][2] = max(10, 13) = 13; Tb[1][2] = 15; Tb[0][2] = 19.
        // k=3: Tf[1][3] = max(16, 19) = 19; Tb[1][3] = 21. Stage 1 idle-free: c = 1.
        // D[0][0] = 19 + 2 = 21; step = 21 + 2 + 4 = 27 = F0 + M * 6 + B0.
        let t = reference_model(&[1u128, 2], &[2, 4]);
        assert_eq!((t.step_time, t.critical_stage), (27, 1));
    }

    #[test]
    fn full_search_by_hand() {
        // Layers F = [1, 1, 1], B = [3, 2, 3], S = 2: w = [4, 3, 4], W = [0, 4, 7, 11].
        // DP: dp[3][2] = min(max(4, 7), max(7, 4)) = 7; the smallest j attaining
        // it is 1, so the start is [0, 1]: stage sums F = [1, 2], B = [3, 5].
        // Model: Tb[1][0] = 3, Tb[0][0] = 8; k=1: Tf = [11, 8], Tb[1][1] = 10,
        // Tb[0][1] = 15; k=2: Tf[0][2] = 18, Tf[1][2] = max(12, 15) = 15,
        // Tb[1][2] = 17, Tb[0][2] = 22; k=3: Tf[1][3] = max(19, 22) = 22,
        // Tb[1][3] = 24. Stage 1 idle-free: c = 1; D[0][0] = 24; time 24 + 8 = 32.
        // Move: layers of stage 0 plus the first of stage 1 (0..2) re-split
        // into 1 stage, stage 1 keeps layer 2: [0, 2], F = [2, 1], B = [5, 3].
        // Model: Tb[1][0] = 3, Tb[0][0] = 6; k=1: Tf = [11, 6], Tb = [13, 7];
        // k=2: Tf[0][2] = 18, Tf[1][2] = max(13, 10) = 13 (stage 1 idles),
        // Tb[1][2] = 14, Tb[0][2] = 20; k=3: Tf[1][3] = 20, Tb[1][3] = 21.
        // c = 0; D[0][1] = 20, D[1][0] = 21, D[0][0] = max(25, 24) = 25;
        // time 25 + 5 = 30 < 32: the new best. c = 0 ends the search.
        let r = autopipe_reference_search(&[1.0, 1.0, 1.0], &[3.0, 2.0, 3.0], 2).unwrap();
        assert_eq!(r.start.starts(), &[0, 1]);
        assert_eq!(r.start_time, 32.0);
        assert_eq!(r.best.starts(), &[0, 2]);
        assert_eq!(r.best_time, 30.0);
        assert_eq!(r.evaluations, 2);
        assert_eq!(r.skipped_moves, 0);
        assert_eq!(r.arithmetic, Arithmetic::Exact { exponent: 0 });
        assert_eq!(
            reference_step_time(&[1.0, 1.0, 1.0], &[3.0, 2.0, 3.0], &r.best).unwrap(),
            30.0
        );
    }

    #[test]
    fn exact_scaling_of_fractions_and_wide_ranges() {
        assert_eq!(decompose(0.375), (3, -3));
        assert_eq!(decompose(12.0), (3, 2));
        assert_eq!(decompose(0.0), (0, 0));
        assert_eq!(decompose(f64::MIN_POSITIVE / 4.0), (1, -1024));
        let (ints, e) = exact_scale(&[0.5, 0.25, 3.0], 4).unwrap();
        assert_eq!((ints, e), (vec![2, 1, 12], -2));
        // 1e-300 next to 1e300 cannot be scaled into 128 bits: f64 path.
        assert!(exact_scale(&[1e-300, 1e300], 2).is_none());
        let r = autopipe_reference_search(&[1e-300, 1e300, 1.0], &[0.0, 0.0, 0.0], 2).unwrap();
        assert_eq!(r.arithmetic, Arithmetic::Float);
        // dp[3][2] = 1e300 for j = 1 and j = 2; the smallest j wins.
        assert_eq!(r.start.starts(), &[0, 1]);
        assert!(r.best_time <= r.start_time);
        let err = autopipe_reference_search(&[1e-300, 1e308, 1e308], &[0.0; 3], 2).unwrap_err();
        assert!(matches!(err, HeuristicError::CostRange { .. }));
    }

    #[test]
    fn dp_matches_a_full_scan() {
        let w: Vec<u128> = vec![3, 0, 7, 1, 1, 9, 0, 0, 4, 2, 2, 5];
        let table = DpTable::new(&w, 5);
        let prefix = prefix_of(&w);
        for p in 1..=5 {
            for i in 0..=w.len() {
                let full = (0..i)
                    .filter_map(|j| {
                        let a = if p == 1 {
                            (j == 0).then_some(0)
                        } else {
                            table.value(j, p - 1)
                        };
                        a.map(|a| a.max(prefix[i] - prefix[j]))
                    })
                    .min();
                assert_eq!(table.value(i, p), full, "i={i} p={p}");
            }
        }
    }

    #[test]
    fn single_layer_critical_stage_move_is_skipped() {
        // 7 equal layers and a heavy last one, 4 stages: the heavy layer is a
        // stage of its own and critical; the reference would empty it.
        let mut f = vec![1.0; 7];
        f.push(10.0);
        let b: Vec<f64> = f.iter().map(|x| 2.0 * x).collect();
        let r = autopipe_reference_search(&f, &b, 4).unwrap();
        assert_eq!(r.best.stages(), 4);
        let chain = pipecut_core::Chain::new(
            "heavy",
            "units",
            f.iter()
                .zip(&b)
                .enumerate()
                .map(|(i, (&x, &y))| pipecut_core::Layer::new(format!("l{i}"), x, y))
                .collect(),
        )
        .unwrap();
        let problem = pipecut_core::ProblemSpec::new(chain, 4).check().unwrap();
        let plan = AutoPipeReference.solve(&problem).unwrap();
        assert_eq!(plan.starts, r.best.starts());
        assert!(plan
            .notes
            .iter()
            .any(|n| n.contains("single-layer critical stage")));
        assert_eq!(r.best.range(3), 7..8);
        assert!(r.skipped_moves >= 1);
        assert!(r.best_time <= r.start_time);
    }
}
