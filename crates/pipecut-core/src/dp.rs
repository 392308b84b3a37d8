//! The one bottleneck DP: the least bottleneck `max_k t_k` of every prefix
//! and every suffix of the chain over the first (last) stages, and the
//! partitions that attain it.
//!
//! Stage `k` holding layers `a..b` takes [`Prefix::stage_time`]`(speed[k],
//! a, b)` (compute times its speed plus one link transfer per cut) and is
//! allowed only when [`Prefix::stage_memory`]`(in_flight[k], a, b)` stays
//! within its cap `caps[k]` (in-flight counts from the schedule). With
//! `pre[q][i]` the best bottleneck of layers `0..i` over stages `0..q` and
//! `suf[q][i]` the best of layers `i..N` over the last `q` stages:
//!
//! ```text
//! pre[0][0] = 0,  pre[q][i] = min_{j < i, stage q-1 on j..i allowed} max(pre[q-1][j], t_{q-1}(j, i))
//! suf[0][N] = 0,  suf[q][i] = min_{e > i, stage P-q on i..e allowed}  max(suf[q-1][e], t_{P-q}(i, e))
//! ```
//!
//! Every value is an exact minimum of the recursion (the pruning below only
//! skips candidates that provably cannot beat the best so far), computed with
//! the evaluator's own arithmetic, so a value equals the
//! [`evaluate`](crate::evaluate) bottleneck of the partition that attains it
//! to the last bit. Time `O(P N^2)` in the worst case and close to `O(P N log
//! N)` on typical chains; memory `O(P N)`. The suffix table is filled the
//! first time a suffix is asked for.
//!
//! ```
//! use pipecut_core::dp::{BottleneckTables, Tie};
//! use pipecut_core::{Chain, Layer, Prefix, ProblemSpec};
//!
//! let layers = [1.0, 1.0, 1.0, 3.0].iter().enumerate()
//!     .map(|(i, &c)| Layer::new(format!("l{i}"), c, 2.0 * c))
//!     .collect();
//! let problem = ProblemSpec::new(Chain::new("c", "s", layers)?, 2).check()?;
//! let prefix = Prefix::new(&problem);
//! let tables = BottleneckTables::new(&problem, &prefix, None);
//! // Three light layers (9) against the heavy one (9).
//! assert_eq!(tables.optimum(), Some(9.0));
//! assert_eq!(tables.partition(Tie::Earliest).unwrap().starts(), &[0, 3]);
//! // Both stages over layers 1..4: [1 2][3] (6 against 9) beats [1][2 3] (3 against 12).
//! assert_eq!(tables.suffix_value(2, 1), Some(9.0));
//! assert_eq!(tables.suffix_starts(1, 2, Tie::Latest), Some(vec![1, 3]));
//! # Ok::<(), pipecut_core::Error>(())
//! ```

use std::sync::OnceLock;

use crate::eval::Prefix;
use crate::partition::Partition;
use crate::problem::Problem;

/// Which of several optimal splits a reconstruction returns: the choice is
/// made one stage at a time, walking away from the fixed end of the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tie {
    /// The smallest attaining cut at each step.
    Earliest,
    /// The largest attaining cut at each step.
    Latest,
}

/// Prefix and suffix bottleneck tables of one problem (see the module docs).
#[derive(Debug)]
pub struct BottleneckTables<'a> {
    prefix: &'a Prefix,
    in_flight: Vec<usize>,
    caps: Option<Vec<u64>>,
    speeds: Vec<f64>,
    n: usize,
    p: usize,
    /// `pre[q * (n + 1) + i]`: best bottleneck of stages `0..q` over layers `0..i`.
    pre: Vec<f64>,
    /// `suf[q * (n + 1) + i]`: best bottleneck of stages `p-q..p` over layers `i..n`.
    suf: OnceLock<Vec<f64>>,
}

impl<'a> BottleneckTables<'a> {
    /// Fills the prefix table of `problem`. `prefix` must be
    /// [`Prefix::new`]`(problem)`. `caps[k]` is the most memory stage `k` may
    /// hold (`None`: no memory limit; a stage without an entry is not limited);
    /// the problem's own capacity is not applied unless it is passed here.
    pub fn new(problem: &Problem, prefix: &'a Prefix, caps: Option<Vec<u64>>) -> Self {
        let (n, p) = (problem.layers(), problem.stages());
        let mut tables = BottleneckTables {
            prefix,
            in_flight: problem.peak_in_flight(),
            caps,
            speeds: (0..p).map(|k| problem.speed(k)).collect(),
            n,
            p,
            pre: Vec::new(),
            suf: OnceLock::new(),
        };
        tables.pre = tables.fill_prefix();
        tables
    }

    /// Layers `N`.
    pub fn layers(&self) -> usize {
        self.n
    }

    /// Stages `P`.
    pub fn stages(&self) -> usize {
        self.p
    }

    /// The least bottleneck of layers `0..end` over stages `0..stages`
    /// (`None`: no allowed split, or out of range).
    pub fn prefix_value(&self, stages: usize, end: usize) -> Option<f64> {
        finite(&self.pre, self.n, stages, end)
    }

    /// The least bottleneck of layers `first..N` over the last `stages`
    /// stages (`None`: no allowed split, or out of range).
    pub fn suffix_value(&self, stages: usize, first: usize) -> Option<f64> {
        finite(self.suffix_table(), self.n, stages, first)
    }

    /// The least bottleneck of the whole problem (`None`: nothing fits the caps).
    pub fn optimum(&self) -> Option<f64> {
        self.prefix_value(self.p, self.n)
    }

    /// An optimal partition of the whole problem (`None`: nothing fits).
    pub fn partition(&self, tie: Tie) -> Option<Partition> {
        let starts = self.prefix_starts(self.n, self.p, tie)?;
        Partition::new(starts, self.n).ok()
    }

    /// The starts of stages `0..stages` over layers `0..end` in an optimal
    /// split, chosen from the last stage backwards: each stage's start is the
    /// `tie`-most one that attains the optimum. `None` when no split is
    /// allowed.
    pub fn prefix_starts(&self, end: usize, stages: usize, tie: Tie) -> Option<Vec<usize>> {
        let w = self.n + 1;
        if stages > self.p || end > self.n {
            return None;
        }
        let mut starts = vec![0; stages];
        let mut end = end;
        for r in (1..=stages).rev() {
            let target = self.pre[r * w + end];
            if target.is_infinite() {
                return None;
            }
            let attains = |j: &usize| {
                let a = self.pre[(r - 1) * w + *j];
                a.is_finite()
                    && self.fits(r - 1, *j, end)
                    && a.max(self.time(r - 1, *j, end)) == target
            };
            // A start whose compute alone exceeds the target cannot attain
            // it, and compute only shrinks as the start moves right: skip
            // those by bisection (the long side of an earliest scan).
            let from = first_index(r - 1..end, |j| self.compute(r - 1, j, end) <= target);
            let j = match tie {
                Tie::Earliest => (from..end).find(attains),
                Tie::Latest => (from..end).rev().find(attains),
            }?;
            starts[r - 1] = j;
            end = j;
        }
        Some(starts)
    }

    /// The starts of the last `stages` stages over layers `first..N` in an
    /// optimal split (the first entry is `first`), chosen from the first of
    /// them forwards: each stage's end is the `tie`-most one that attains the
    /// optimum. `None` when no split is allowed.
    pub fn suffix_starts(&self, first: usize, stages: usize, tie: Tie) -> Option<Vec<usize>> {
        let (n, p, w) = (self.n, self.p, self.n + 1);
        if stages > p || first > n {
            return None;
        }
        let suf = self.suffix_table();
        let mut starts = Vec::with_capacity(stages);
        let mut first = first;
        for r in (1..=stages).rev() {
            let k = p - r;
            let target = suf[r * w + first];
            if target.is_infinite() {
                return None;
            }
            let attains = |e: &usize| {
                let a = suf[(r - 1) * w + *e];
                a.is_finite() && self.fits(k, first, *e) && a.max(self.time(k, first, *e)) == target
            };
            // Symmetrically, an end whose compute alone exceeds the target
            // cannot attain it, and compute only grows with the end.
            let last = n - (r - 1);
            let to = first_index(first + 1..last + 1, |e| self.compute(k, first, e) > target);
            let ends = first + 1..to;
            let e = match tie {
                Tie::Earliest => ends.into_iter().find(attains),
                Tie::Latest => ends.into_iter().rev().find(attains),
            }?;
            starts.push(first);
            first = e;
        }
        Some(starts)
    }

    /// Whether stage `k` may hold layers `first..end` under its cap.
    #[inline]
    fn fits(&self, k: usize, first: usize, end: usize) -> bool {
        self.caps.as_ref().is_none_or(|caps| {
            caps.get(k)
                .is_none_or(|&cap| self.prefix.stage_memory(self.in_flight[k], first, end) <= cap)
        })
    }

    /// Compute time without communication: a lower bound of the stage time
    /// that only grows with the stage (communication is `>= 0`).
    #[inline]
    fn compute(&self, k: usize, first: usize, end: usize) -> f64 {
        self.speeds[k] * self.prefix.work(first, end)
    }

    /// The stage time, the evaluator's.
    #[inline]
    fn time(&self, k: usize, first: usize, end: usize) -> f64 {
        self.prefix.stage_time(self.speeds[k], first, end)
    }

    fn suffix_table(&self) -> &[f64] {
        self.suf.get_or_init(|| self.fill_suffix())
    }

    /// The prefix table. For a state, the candidates are scanned outwards
    /// from where a lower envelope of the two terms crosses, and each side
    /// stops as soon as no further candidate can beat the best so far:
    /// towards bigger stages the compute time (a lower bound of the stage
    /// time, growing with the stage; memory also grows), towards smaller
    /// stages the running minimum of the neighbouring column (a lower bound
    /// of the other term, monotone by construction). Every skipped candidate
    /// is provably no better, so the values are the exact DP minima.
    fn fill_prefix(&self) -> Vec<f64> {
        let (n, p) = (self.n, self.p);
        let w = n + 1;
        let mut pre = vec![f64::INFINITY; (p + 1) * w];
        pre[0] = 0.0;
        // One stage: only j = 0 is a finite predecessor.
        for i in 1..=n {
            if self.fits(0, 0, i) {
                pre[w + i] = self.time(0, 0, i);
            }
        }
        let mut envelope = vec![f64::INFINITY; w];
        for q in 2..=p {
            let k = q - 1;
            let (done, rest) = pre.split_at_mut(q * w);
            let before = &done[(q - 1) * w..];
            // envelope[j] = min of pre[q-1][j..=n]: never above pre[q-1][j'] for j' >= j.
            let mut run = f64::INFINITY;
            for j in (0..=n).rev() {
                run = run.min(before[j]);
                envelope[j] = run;
            }
            for (i, slot) in rest[..w].iter_mut().enumerate().skip(q) {
                *slot = self.prefix_cell(before, &envelope, k, i);
            }
        }
        pre
    }

    /// The suffix table: the mirror of [`Self::fill_prefix`], same pruning.
    fn fill_suffix(&self) -> Vec<f64> {
        let (n, p) = (self.n, self.p);
        let w = n + 1;
        let mut suf = vec![f64::INFINITY; (p + 1) * w];
        suf[n] = 0.0;
        // One stage: only e = n is a finite successor.
        for i in 0..n {
            if self.fits(p - 1, i, n) {
                suf[w + i] = self.time(p - 1, i, n);
            }
        }
        let mut envelope = vec![f64::INFINITY; w];
        for q in 2..=p {
            let k = p - q;
            let (done, rest) = suf.split_at_mut(q * w);
            let after = &done[(q - 1) * w..];
            // envelope[e] = min of suf[q-1][0..=e].
            let mut run = f64::INFINITY;
            for (e, slot) in envelope.iter_mut().enumerate() {
                run = run.min(after[e]);
                *slot = run;
            }
            let hi = n - (q - 1) + 1;
            for (i, slot) in rest[..=n - q].iter_mut().enumerate().rev() {
                *slot = self.suffix_cell(after, &envelope, k, i, hi);
            }
        }
        suf
    }

    /// `pre[k + 1][i]` from `before = pre[k]` and its suffix minima
    /// `envelope`, pruned as [`Self::fill_prefix`] says.
    #[inline]
    fn prefix_cell(&self, before: &[f64], envelope: &[f64], k: usize, i: usize) -> f64 {
        let mut best = f64::INFINITY;
        let cross = first_index(k..i, |j| envelope[j] >= self.compute(k, j, i));
        for j in (k..cross).rev() {
            if self.compute(k, j, i) >= best || !self.fits(k, j, i) {
                break;
            }
            let a = before[j];
            if a < best {
                best = best.min(a.max(self.time(k, j, i)));
            }
        }
        for (j, &floor) in envelope.iter().enumerate().take(i).skip(cross) {
            if floor >= best {
                break;
            }
            let a = before[j];
            if a < best && self.fits(k, j, i) {
                best = best.min(a.max(self.time(k, j, i)));
            }
        }
        best
    }

    /// `suf[p - k][i]` from `after = suf[p - k - 1]` and its prefix minima
    /// `envelope`; stage `k` ends before `hi`.
    #[inline]
    fn suffix_cell(&self, after: &[f64], envelope: &[f64], k: usize, i: usize, hi: usize) -> f64 {
        let mut best = f64::INFINITY;
        let cross = first_index(i + 1..hi, |e| self.compute(k, i, e) >= envelope[e]);
        for (e, &a) in after.iter().enumerate().take(hi).skip(cross) {
            if self.compute(k, i, e) >= best || !self.fits(k, i, e) {
                break;
            }
            if a < best {
                best = best.min(a.max(self.time(k, i, e)));
            }
        }
        for e in (i + 1..cross).rev() {
            if envelope[e] >= best {
                break;
            }
            let a = after[e];
            if a < best && self.fits(k, i, e) {
                best = best.min(a.max(self.time(k, i, e)));
            }
        }
        best
    }
}

/// `table[stages][at]` when finite and in range.
fn finite(table: &[f64], n: usize, stages: usize, at: usize) -> Option<f64> {
    if at > n {
        return None;
    }
    table
        .get(stages * (n + 1) + at)
        .copied()
        .filter(|v| v.is_finite())
}

/// The first index of `range` where a monotone (false, then true) predicate
/// holds, or `range.end`: a binary search over indices, where
/// `slice::partition_point` would need a slice of the predicate's inputs.
pub fn first_index(range: std::ops::Range<usize>, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (range.start, range.end);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{evaluate, Chain, Layer, ProblemSpec, Schedule};

    /// The recursion of the module docs by full scans, nothing pruned:
    /// `O(P N^2)`.
    fn naive(t: &BottleneckTables) -> (Vec<f64>, Vec<f64>) {
        let (n, p, w) = (t.n, t.p, t.n + 1);
        let mut pre = vec![f64::INFINITY; (p + 1) * w];
        let mut suf = vec![f64::INFINITY; (p + 1) * w];
        pre[0] = 0.0;
        suf[n] = 0.0;
        for q in 1..=p {
            for i in 0..=n {
                for j in 0..i {
                    let a = pre[(q - 1) * w + j];
                    if a.is_finite() && t.fits(q - 1, j, i) {
                        pre[q * w + i] = pre[q * w + i].min(a.max(t.time(q - 1, j, i)));
                    }
                }
            }
            for i in (0..=n).rev() {
                for e in i + 1..=n {
                    let a = suf[(q - 1) * w + e];
                    if a.is_finite() && t.fits(p - q, i, e) {
                        suf[q * w + i] = suf[q * w + i].min(a.max(t.time(p - q, i, e)));
                    }
                }
            }
        }
        (pre, suf)
    }

    fn chain(costs: &[f64]) -> Chain {
        let layers = costs
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
        Chain::new("t", "s", layers).unwrap()
    }

    fn specs() -> Vec<ProblemSpec> {
        let costs: Vec<f64> = (0..23)
            .map(|i| ((i * 37 + 11) % 13) as f64 * 0.5 + if i == 20 { 9.0 } else { 0.0 })
            .collect();
        let c = chain(&costs);
        vec![
            ProblemSpec::new(c.clone(), 5),
            ProblemSpec::new(c.clone(), 5).with_link(0.3, 100.0),
            ProblemSpec::new(c.clone(), 4).with_speeds(vec![1.0, 3.0, 0.5, 2.0]),
            ProblemSpec::new(c.clone(), 6)
                .with_micro_batches(6)
                .with_link(0.1, 50.0)
                .with_speeds(vec![2.0, 1.0, 1.0, 0.5, 1.5, 1.0]),
            ProblemSpec::new(c.clone(), 4)
                .with_micro_batches(4)
                .with_schedule(Schedule::Interleaved { virtual_stages: 2 }),
            ProblemSpec::new(chain(&[0.1, 0.2, 0.3, 0.0, 0.7]), 3).with_link(0.0, 1e3),
            ProblemSpec::new(chain(&[1.0]), 1),
        ]
    }

    #[test]
    fn pruned_tables_equal_the_naive_recursion() {
        for spec in specs() {
            let problem = spec.check().unwrap();
            let prefix = Prefix::new(&problem);
            let p = problem.stages();
            for caps in [
                None,
                Some(vec![20u64; p]),
                Some(vec![12u64; p]),
                Some((0..p as u64).map(|k| 8 + 5 * k).collect()),
                Some(vec![0u64; p]),
            ] {
                let t = BottleneckTables::new(&problem, &prefix, caps.clone());
                let (pre, suf) = naive(&t);
                assert_eq!(t.pre, pre, "{caps:?}");
                assert_eq!(t.suffix_table(), &suf[..], "{caps:?}");
            }
        }
    }

    #[test]
    fn reconstructions_attain_the_values() {
        for spec in specs() {
            let problem = spec.check().unwrap();
            let prefix = Prefix::new(&problem);
            let (n, p) = (problem.layers(), problem.stages());
            let t = BottleneckTables::new(&problem, &prefix, Some(vec![20; p]));
            for tie in [Tie::Earliest, Tie::Latest] {
                if let Some(part) = t.partition(tie) {
                    let eval = evaluate(&problem, &part);
                    assert_eq!(Some(eval.bottleneck), t.optimum());
                    assert!(eval.stages.iter().all(|s| s.memory_bytes <= 20));
                } else {
                    assert_eq!(t.optimum(), None);
                }
                for q in 1..=p {
                    for i in 0..=n {
                        let starts = t.suffix_starts(i, q, tie);
                        assert_eq!(starts.is_some(), t.suffix_value(q, i).is_some());
                        if let Some(s) = starts {
                            assert_eq!((s.len(), s[0]), (q, i));
                        }
                        let starts = t.prefix_starts(i, q, tie);
                        assert_eq!(starts.is_some(), t.prefix_value(q, i).is_some());
                    }
                }
            }
        }
    }

    /// Every partition's starts of `n` layers into `p` stages.
    fn every_split(n: usize, p: usize) -> Vec<Vec<usize>> {
        if p == 1 {
            return vec![vec![0]];
        }
        let mut out = Vec::new();
        for last in p - 1..n {
            for mut s in every_split(last, p - 1) {
                s.push(last);
                out.push(s);
            }
        }
        out
    }

    #[test]
    fn optimum_is_the_least_bottleneck_of_every_fitting_partition() {
        for spec in specs() {
            let problem = spec.check().unwrap();
            let prefix = Prefix::new(&problem);
            let (n, p) = (problem.layers(), problem.stages());
            for cap in [None, Some(20u64), Some(12)] {
                let t = BottleneckTables::new(&problem, &prefix, cap.map(|c| vec![c; p]));
                let best = every_split(n, p)
                    .into_iter()
                    .map(|s| evaluate(&problem, &Partition::new(s, n).unwrap()))
                    .filter(|e| cap.is_none_or(|c| e.stages.iter().all(|s| s.memory_bytes <= c)))
                    .map(|e| e.bottleneck)
                    .reduce(f64::min);
                assert_eq!(t.optimum(), best, "{cap:?}");
            }
        }
    }

    #[test]
    fn ties_pick_the_earliest_or_latest_cut() {
        // F + B = 3, 0, 3 in 2 stages: [0][1 2] and [0 1][2] both have bottleneck 3.
        let problem = ProblemSpec::new(chain(&[1.0, 0.0, 1.0]), 2)
            .check()
            .unwrap();
        let prefix = Prefix::new(&problem);
        let t = BottleneckTables::new(&problem, &prefix, None);
        assert_eq!(t.prefix_starts(3, 2, Tie::Earliest), Some(vec![0, 1]));
        assert_eq!(t.prefix_starts(3, 2, Tie::Latest), Some(vec![0, 2]));
        assert_eq!(t.suffix_starts(0, 2, Tie::Latest), Some(vec![0, 2]));
        assert_eq!(t.suffix_starts(0, 2, Tie::Earliest), Some(vec![0, 1]));
        // Layers 1..3 in the last stage only.
        assert_eq!(t.suffix_starts(1, 1, Tie::Latest), Some(vec![1]));
        // Out of range asks get nothing, never a panic.
        assert_eq!(t.prefix_value(3, 0), None);
        assert_eq!(t.suffix_value(1, 9), None);
        assert_eq!(t.prefix_starts(9, 1, Tie::Latest), None);
        assert_eq!(t.suffix_starts(0, 3, Tie::Latest), None);
    }
}
