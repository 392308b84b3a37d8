//! Stage-start windows: the range each stage's first layer may take. Cells of
//! the staircase outside a window are constants, not variables; the greedy
//! probes here compute windows valid for every partition that can beat the
//! incumbent.

use pipecut_core::{Partition, Prefix, Problem};

use crate::error::MilpError;

/// Earliest and latest start of every stage (`lo[0] = hi[0] = 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Windows {
    pub lo: Vec<usize>,
    pub hi: Vec<usize>,
}

impl Windows {
    /// No fixing: stage `k` starts anywhere in `k ..= N - P + k`.
    pub fn trivial(n: usize, p: usize) -> Self {
        Windows {
            lo: (0..p).collect(),
            hi: (0..p).map(|k| if k == 0 { 0 } else { n - p + k }).collect(),
        }
    }

    /// Whether a partition lies inside the windows.
    pub fn contains(&self, partition: &Partition) -> bool {
        partition
            .starts()
            .iter()
            .enumerate()
            .all(|(k, &s)| self.lo[k] <= s && s <= self.hi[k])
    }

    /// Number of free staircase cells.
    pub fn free_cells(&self) -> usize {
        (1..self.lo.len()).map(|k| self.hi[k] - self.lo[k]).sum()
    }
}

/// Start windows valid for every partition in which stage `k`'s compute time
/// `speed_k * (F + B)` is at most `compute_cap` and its memory
/// `params + in_flight_k * activations` at most `memory_cap` (both necessary
/// for any partition that beats the incumbent, see the callers). A greedy probe
/// from the left gives the latest start of every stage and one from the right
/// the earliest, exact for these per-stage conditions because any sub-run of a
/// feasible stage is feasible. Returns `None` when no partition passes.
pub(crate) fn probe_windows(
    problem: &Problem,
    prefix: &Prefix,
    compute_cap: f64,
    memory_cap: Option<u64>,
) -> Option<Windows> {
    let n = problem.layers();
    let p = problem.stages();
    let in_flight = problem.peak_in_flight();
    let fits = |k: usize, first: usize, end: usize| {
        problem.speed(k) * prefix.work(first, end) <= compute_cap
            && memory_cap.is_none_or(|cap| prefix.stage_memory(in_flight[k], first, end) <= cap)
    };
    let mut w = Windows::trivial(n, p);
    // Latest starts: every stage before k reaches as far as it can (a stage
    // may also stay empty in this relaxation).
    let mut reach = 0;
    for k in 0..p {
        let mut end = reach;
        while end < n && fits(k, reach, end + 1) {
            end += 1;
        }
        reach = end;
        if k + 1 < p {
            w.hi[k + 1] = w.hi[k + 1].min(reach);
        }
    }
    if reach < n {
        return None;
    }
    // Earliest starts: every stage from k on reaches back as far as it can.
    let mut back = n;
    for k in (1..p).rev() {
        let mut first = back;
        while first > 0 && fits(k, first - 1, back) {
            first -= 1;
        }
        back = first;
        w.lo[k] = w.lo[k].max(back);
    }
    // Non-empty stages: starts strictly increasing inside the windows.
    for k in 1..p {
        w.lo[k] = w.lo[k].max(w.lo[k - 1] + 1);
    }
    for k in (1..p - 1).rev() {
        w.hi[k] = w.hi[k].min(w.hi[k + 1] - 1);
    }
    if (1..p).any(|k| w.lo[k] > w.hi[k]) {
        return None;
    }
    Some(w)
}

/// The windows both models fix their staircase to: the probe windows for
/// stage compute up to `compute_cap` when `probe_fixing` is on, else none;
/// never windows that would cut off the `incumbent`. Notes how many cells
/// stay free.
pub(crate) fn fixing_windows(
    problem: &Problem,
    prefix: &Prefix,
    probe_fixing: bool,
    compute_cap: f64,
    incumbent: Option<&Partition>,
    notes: &mut Vec<String>,
) -> Result<Windows, MilpError> {
    let (n, p) = (problem.layers(), problem.stages());
    let capacity = problem.memory_capacity();
    let win = if probe_fixing {
        probe_windows(problem, prefix, compute_cap, capacity)
    } else {
        Some(Windows::trivial(n, p))
    };
    let win = match win {
        Some(w) if incumbent.is_none_or(|i| w.contains(i)) => w,
        // Rounding could in principle cut the incumbent off; never fix then.
        Some(_) => Windows::trivial(n, p),
        None => {
            return Err(MilpError::Infeasible {
                capacity,
                reason: "the greedy probes find no stage split that fits",
            })
        }
    };
    notes.push(format!(
        "{} of {} staircase cells free ({})",
        win.free_cells(),
        n * (p - 1),
        if probe_fixing {
            "probe fixing"
        } else {
            "no probe fixing"
        }
    ));
    Ok(win)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_testkit::{chain, partitions, problem};

    #[test]
    fn probe_windows_bracket_every_feasible_partition() {
        let costs = [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0].map(|c| (c, 0.0));
        let pr = problem(chain(&costs), 3, 1);
        let prefix = Prefix::new(&pr);
        // Total 10 in three stages of at most 4: only [0, 3, 5] fits.
        let w = probe_windows(&pr, &prefix, 4.0, None).unwrap();
        assert_eq!((w.lo.clone(), w.hi.clone()), (vec![0, 3, 5], vec![0, 3, 5]));
        // At most 5: left greedy reaches 4 then 6, right greedy 4 then 1.
        let w5 = probe_windows(&pr, &prefix, 5.0, None).unwrap();
        assert_eq!(
            (w5.lo.clone(), w5.hi.clone()),
            (vec![0, 1, 4], vec![0, 4, 6])
        );
        for (cap, w) in [(4.0, &w), (5.0, &w5)] {
            for part in partitions(7, 3) {
                if part.ranges().all(|r| prefix.work(r.start, r.end) <= cap) {
                    assert!(w.contains(&part), "{part}");
                }
            }
        }
        assert!(probe_windows(&pr, &prefix, 2.9, None).is_none());
    }
}
