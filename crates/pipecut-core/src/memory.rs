//! The one memory-infeasibility diagnosis: when no partition fits the
//! capacity, which stage cannot be placed and how much it would need.

use crate::error::Error;
use crate::eval::Prefix;
use crate::problem::Problem;

/// The typed error for a capacity that no partition meets stage by stage:
/// the first stage that cannot be placed after every feasible placement of
/// the stages before it, and the least memory it would need there. Call it
/// when a solver has found that nothing fits (with no capacity, or when a
/// partition does fit, it names the last stage).
///
/// A stage's memory grows with its end and shrinks with its start, so the
/// ends reachable from each start form a prefix that a binary search finds:
/// `O(P N log N)`.
pub fn memory_infeasible(problem: &Problem, prefix: &Prefix) -> Error {
    let capacity = problem.memory_capacity().unwrap_or(u64::MAX);
    let (n, p) = (problem.layers(), problem.stages());
    let in_flight = problem.peak_in_flight();
    // Reachable starts of the next stage, as sorted disjoint inclusive intervals.
    let mut reach: Vec<(usize, usize)> = vec![(0, 0)];
    for (k, &held) in in_flight.iter().enumerate() {
        let max_end = n - (p - k - 1);
        let next = reachable_ends(&reach, max_end, |s, e| {
            prefix.stage_memory(held, s, e) <= capacity
        });
        let placed = if k + 1 == p {
            next.last().is_some_and(|&(_, hi)| hi == n)
        } else {
            !next.is_empty()
        };
        if !placed {
            let required = reach
                .iter()
                .flat_map(|&(lo, hi)| lo..=hi.min(max_end.saturating_sub(1)))
                .map(|s| {
                    let end = if k + 1 == p { n } else { s + 1 };
                    prefix.stage_memory(held, s, end)
                })
                .min()
                .unwrap_or(0);
            return Error::MemoryInfeasible {
                stage: k,
                required,
                capacity,
            };
        }
        reach = next;
    }
    Error::MemoryInfeasible {
        stage: p - 1,
        required: prefix.stage_memory(in_flight[p - 1], n - 1, n),
        capacity,
    }
}

/// The ends a stage can reach from the starts in `starts` (sorted disjoint
/// inclusive intervals), never past `max_end`, where `fits(s, e)` says
/// whether layers `s..e` fit. A stage's memory grows with its end and
/// shrinks with its start, so the furthest end `far(s)` never decreases in
/// `s`: the ends from a run of starts form one interval that the largest
/// start inside it extends, and a binary search finds each `far(s)`.
fn reachable_ends(
    starts: &[(usize, usize)],
    max_end: usize,
    fits: impl Fn(usize, usize) -> bool,
) -> Vec<(usize, usize)> {
    // Largest end in s+1..=max_end that fits, or s when none does.
    let far = |s: usize| {
        let (mut lo, mut hi) = (s, max_end);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits(s, mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    };
    // The largest start in `starts` that is <= x.
    let largest_at_most = |x: usize| -> Option<usize> {
        let i = starts.partition_point(|&(lo, _)| lo <= x);
        i.checked_sub(1).map(|i| starts[i].1.min(x))
    };
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut from = starts.first().map(|&(lo, _)| lo);
    while let Some(s0) = from.filter(|&s| s < max_end) {
        let mut end = far(s0);
        if end > s0 {
            // Grow while a start inside the interval reaches further.
            while let Some(s) = largest_at_most(end - 1) {
                let reach = far(s);
                if reach <= end {
                    break;
                }
                end = reach;
            }
            out.push((s0 + 1, end));
        }
        // The next start not yet covered: the first above max(s0, end - 1).
        let after = end.max(s0 + 1);
        let i = starts.partition_point(|&(_, hi)| hi < after);
        from = starts.get(i).map(|&(lo, _)| lo.max(after));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chain, Layer, ProblemSpec};

    /// The same diagnosis by plain reachability over every (start, end).
    fn naive(problem: &Problem, prefix: &Prefix) -> (usize, u64) {
        let cap = problem.memory_capacity().unwrap_or(u64::MAX);
        let (n, p) = (problem.layers(), problem.stages());
        let in_flight = problem.peak_in_flight();
        let mut reach = vec![false; n + 1];
        reach[0] = true;
        for (k, &held) in in_flight.iter().enumerate() {
            let max_end = n - (p - k - 1);
            let mut next = vec![false; n + 1];
            for s in (0..max_end).filter(|&s| reach[s]) {
                for (e, slot) in next.iter_mut().enumerate().take(max_end + 1).skip(s + 1) {
                    *slot |= prefix.stage_memory(held, s, e) <= cap;
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
                    .map(|s| prefix.stage_memory(held, s, if k + 1 == p { n } else { s + 1 }))
                    .min()
                    .unwrap_or(0);
                return (k, required);
            }
            reach = next;
        }
        (p - 1, prefix.stage_memory(in_flight[p - 1], n - 1, n))
    }

    #[test]
    fn intervals_agree_with_plain_reachability() {
        let mut state = 7u64;
        let mut rand = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for _ in 0..3000 {
            let n = 1 + rand(12) as usize;
            let p = 1 + rand(n as u64) as usize;
            let layers = (0..n)
                .map(|i| Layer::new(format!("l{i}"), 1.0, 1.0).with_bytes(rand(20), rand(4), 0))
                .collect();
            let chain = Chain::new("t", "s", layers).unwrap();
            let problem = ProblemSpec::new(chain, p)
                .with_micro_batches(1 + rand(6) as usize)
                .with_memory_capacity(rand(60))
                .check()
                .unwrap();
            let prefix = Prefix::new(&problem);
            let Error::MemoryInfeasible {
                stage, required, ..
            } = memory_infeasible(&problem, &prefix)
            else {
                panic!("wrong variant");
            };
            assert_eq!((stage, required), naive(&problem, &prefix), "{problem:?}");
        }
    }
}
