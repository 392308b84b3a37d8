//! The constrained sum DP `dp-surrogate` sweeps with (the bottleneck DP is
//! core's `pipecut_core::dp`).
//!
//! `g_T[k][b]` is the least sum of stage times of layers `0..b` split into
//! stages `0..=k`, every stage time at most the cap `T`; stage `k` holding
//! `a..b` takes `Prefix::stage_time(speed[k], a, b)` and must fit the memory
//! cap with its own in-flight count. Two value rows and one argument table
//! (`O(P N)` memory) for the reconstruction.

use pipecut_core::{Prefix, Problem};

/// No start recorded (an unreachable cell).
const NONE: usize = usize::MAX;

/// The per-stage data of one problem, ready for passes.
pub(crate) struct Table<'p> {
    prefix: &'p Prefix,
    speed: Vec<f64>,
    in_flight: Vec<usize>,
    capacity: Option<u64>,
    stages: usize,
}

impl<'p> Table<'p> {
    pub fn new(problem: &Problem, prefix: &'p Prefix) -> Self {
        let stages = problem.stages();
        Table {
            prefix,
            speed: (0..stages).map(|k| problem.speed(k)).collect(),
            in_flight: problem.peak_in_flight(),
            capacity: problem.memory_capacity(),
            stages,
        }
    }

    /// Runs the DP with every stage time at most `limit`; the starts of a
    /// partition with the least sum, `None` when no partition meets the
    /// constraints.
    pub fn run(&self, limit: f64) -> Option<Vec<usize>> {
        let n = self.prefix.len();
        let p = self.stages;
        let width = n + 1;
        let mut prev = vec![f64::INFINITY; width];
        let mut cur = vec![f64::INFINITY; width];
        let mut arg = vec![NONE; p * width];
        // Zero stages cover zero layers at no cost; `0 + t` is exactly `t`.
        prev[0] = 0.0;
        for k in 0..p {
            cur.fill(f64::INFINITY);
            let row = &mut arg[k * width..(k + 1) * width];
            for b in k + 1..=n - (p - 1 - k) {
                let (best, best_a) = self.cell(&prev, k, b, limit);
                cur[b] = best;
                row[b] = best_a;
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        if prev[n] == f64::INFINITY {
            return None;
        }
        let mut starts = vec![0usize; p];
        let mut end = n;
        for k in (0..p).rev() {
            let a = arg[k * width + end];
            starts[k] = a;
            end = a;
        }
        Some(starts)
    }

    /// `g[k][b]` and its start `a` (the largest among equal values: the
    /// scan runs from `b - 1` down and keeps the first strict improvement),
    /// from the previous row `prev = g[k - 1]`.
    #[inline]
    fn cell(&self, prev: &[f64], k: usize, b: usize, limit: f64) -> (f64, usize) {
        let speed = self.speed[k];
        let in_flight = self.in_flight[k];
        let mut best = f64::INFINITY;
        let mut best_a = NONE;
        let a_hi = if k == 0 { 0 } else { b - 1 };
        for a in (k..=a_hi).rev() {
            if let Some(cap) = self.capacity {
                // Memory only grows as the stage starts earlier.
                if self.prefix.stage_memory(in_flight, a, b) > cap {
                    break;
                }
            }
            // The stage time is at least its compute, which only grows as
            // the stage starts earlier.
            if speed * self.prefix.work(a, b) > limit {
                break;
            }
            if prev[a] == f64::INFINITY {
                continue;
            }
            let t = self.prefix.stage_time(speed, a, b);
            if t > limit {
                continue;
            }
            let value = prev[a] + t;
            if value < best {
                best = value;
                best_a = a;
            }
        }
        (best, best_a)
    }
}
