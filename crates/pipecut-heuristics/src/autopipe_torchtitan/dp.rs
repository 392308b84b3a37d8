//! The original's compute-balanced baseline: the contiguous min-max DP over
//! `w = F / throughput + B / throughput`, on float prefix sums,
//! `dp[e][p] = min over s of max(dp[s][p - 1], W[e] - W[s])` with `dp[0][0] = 0`
//! and every other `dp[s][0]` infinite; the first (smallest) `s` attaining
//! the minimum strictly wins.
//!
//! The original re-runs this DP on a prefix of the layers for every
//! candidate of its search. A prefix's table is the top-left corner of the
//! whole chain's table (the same prefix sums, the same recurrence), so one
//! table answers every re-split exactly. Each cell finds the original's
//! start by bisection instead of its scan ([`Cell::bisect`], checked
//! against [`Cell::scan`]): `O(S N log N)` instead of `O(S N^2)`.

use pipecut_core::dp::first_index;

use crate::error::HeuristicError;

/// The DP table over the whole chain, up to `stages` parts.
pub(crate) struct BaselineTable {
    stages: usize,
    /// `split[e * (stages + 1) + p]`: start of the last of `p` parts of the first `e` layers.
    split: Vec<Option<usize>>,
}

impl BaselineTable {
    pub(crate) fn new(costs: &[f64], stages: usize) -> Self {
        let prefix = prefix_sums(costs);
        // The bisection needs finite sums; an overflowing chain takes the scan.
        let finite = prefix.last().is_some_and(|t: &f64| t.is_finite());
        let split = fill(&prefix, stages, |cell| {
            if finite {
                cell.bisect()
            } else {
                cell.scan()
            }
        });
        BaselineTable { stages, split }
    }

    /// Starts of the DP split of the first `layers` layers into `parts`
    /// stages (`1 <= parts <= min(layers, stages)`).
    pub(crate) fn starts(&self, layers: usize, parts: usize) -> Result<Vec<usize>, HeuristicError> {
        let width = self.stages + 1;
        let rows = self.split.len() / width;
        let failed = || HeuristicError::TorchtitanInput {
            field: "forward_flops/backward_flops",
            value: format!("{layers} layers into {parts} stages"),
            reason: "no contiguous split: too few layers, or the stage costs overflow to infinity"
                .into(),
        };
        if parts == 0 || parts > self.stages || layers < parts || layers >= rows {
            return Err(failed());
        }
        let mut starts = vec![0; parts];
        let mut end = layers;
        for p in (1..=parts).rev() {
            let start = self.split[end * width + p].ok_or_else(failed)?;
            starts[p - 1] = start;
            end = start;
        }
        Ok(starts)
    }
}

/// `W[0] = 0`, `W[e] = W[e - 1] + costs[e - 1]`, summed in layer order.
fn prefix_sums(costs: &[f64]) -> Vec<f64> {
    let mut prefix = Vec::with_capacity(costs.len() + 1);
    prefix.push(0.0);
    for &c in costs {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + c);
    }
    prefix
}

/// Fills the table over the prefix sums up to `stages` parts, `choose`
/// giving each cell's value and start; returns the starts.
fn fill(
    prefix: &[f64],
    stages: usize,
    mut choose: impl FnMut(&Cell<'_>) -> (f64, Option<usize>),
) -> Vec<Option<usize>> {
    let n = prefix.len() - 1;
    let width = stages + 1;
    let mut dp = vec![f64::INFINITY; (n + 1) * width];
    let mut split = vec![None; (n + 1) * width];
    dp[0] = 0.0;
    for end in 1..=n {
        for parts in 1..=end.min(stages) {
            let cell = Cell {
                dp: &dp,
                width,
                prefix,
                end,
                parts,
            };
            let (best, best_start) = choose(&cell);
            dp[end * width + parts] = best;
            split[end * width + parts] = best_start;
        }
    }
    split
}

/// One DP cell: the best start of the last of `parts` parts of the first
/// `end` layers, over `start` in `parts - 1..end`, with
/// `g(start) = dp[start][parts - 1]` and `h(start) = W[end] - W[start]`.
struct Cell<'a> {
    dp: &'a [f64],
    width: usize,
    prefix: &'a [f64],
    end: usize,
    parts: usize,
}

impl Cell<'_> {
    fn g(&self, start: usize) -> f64 {
        self.dp[start * self.width + self.parts - 1]
    }

    fn h(&self, start: usize) -> f64 {
        self.prefix[self.end] - self.prefix[start]
    }

    /// The original's loop: ascending starts, a strictly smaller
    /// `max(g, h)` wins.
    fn scan(&self) -> (f64, Option<usize>) {
        let (mut best, mut best_start) = (f64::INFINITY, None);
        for start in self.parts - 1..self.end {
            let candidate = self.g(start).max(self.h(start));
            if candidate < best {
                best = candidate;
                best_start = Some(start);
            }
        }
        (best, best_start)
    }

    /// The same answer by bisection. With non-negative costs and monotone
    /// rounding, `g` never decreases (a longer prefix is never cheaper) and
    /// `h` never increases, so `max(g, h)` is `h` before the first start `t`
    /// where `g >= h` and `g` from `t` on: the first minimum is the first
    /// start whose `h` equals `h(t - 1)`, unless `g(t)` is strictly smaller.
    fn bisect(&self) -> (f64, Option<usize>) {
        let lo = self.parts - 1;
        let t = first_index(lo..self.end, |s| self.g(s) >= self.h(s));
        if t == lo {
            return (self.g(lo), Some(lo));
        }
        let before = self.h(t - 1);
        if t < self.end && self.g(t) < before {
            return (self.g(t), Some(t));
        }
        (
            before,
            Some(first_index(lo..t - 1, |s| self.h(s) <= before)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_smallest_start() {
        // [1, 1, 1, 1] into 3: the last part starts as early as the optimum
        // (max 2) allows, at 2; the first two parts then split [1, 1] at 1.
        let t = BaselineTable::new(&[1.0; 4], 3);
        assert_eq!(t.starts(4, 3).unwrap(), [0, 1, 2]);
        assert_eq!(t.starts(4, 2).unwrap(), [0, 2]);
        assert_eq!(t.starts(3, 3).unwrap(), [0, 1, 2]);
    }

    #[test]
    fn zero_costs_put_every_cut_first() {
        let t = BaselineTable::new(&[0.0; 5], 3);
        assert_eq!(t.starts(5, 3).unwrap(), [0, 1, 2]);
    }

    #[test]
    fn bisection_matches_the_scan() {
        // Plateaus, zeros and ties: every cell must pick the scan's start.
        let mut seed = 7u64;
        for round in 0..400 {
            let n = 1 + round % 23;
            let costs: Vec<f64> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    [0.0, 1.0, 1.0, 2.0, 0.1, 0.7, 3.3][(seed >> 33) as usize % 7]
                })
                .collect();
            let stages = 1 + round % n.min(6);
            fill(&prefix_sums(&costs), stages, |cell| {
                let (scan, bisect) = (cell.scan(), cell.bisect());
                let (end, parts) = (cell.end, cell.parts);
                assert_eq!(scan, bisect, "{costs:?} end {end} parts {parts}");
                scan
            });
        }
    }

    #[test]
    fn overflow_is_an_error() {
        let t = BaselineTable::new(&[f64::MAX, f64::MAX, f64::MAX], 2);
        assert!(t.starts(3, 2).is_err());
    }
}
