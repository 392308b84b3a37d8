//! The staircase encoding of a partition shared by both formulations.
//!
//! `u[i][k] = 1` when layer `i` sits in a stage after `k` (`k = 0..P-1`, one
//! column per cut). Rows `u[i][k] <= u[i+1][k]` (monotone along the chain) and
//! `u[i][k] <= u[i-1][k-1]` (stage `k` non-empty, which also implies
//! monotonicity across cuts) are difference constraints, so the polytope is
//! integral; only the objective makes the LP fractional. Stage `k` holds layer
//! `i` when `u[i][k-1] - u[i][k] = 1`, so loads, memory and cut costs are
//! linear in `u`.
//!
//! Cells outside the start windows `[lo_k, hi_k]` of stage `k` are constants,
//! not variables: the windows come from the greedy probes in [`windows`].

use pipecut_core::{Partition, Prefix, Problem};

use crate::backend::{LinExpr, LinearModel, Sense};
use crate::error::MilpError;

/// One cell of the staircase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell {
    Zero,
    One,
    Var(usize),
}

/// The staircase variables of a model.
#[derive(Debug, Clone)]
pub(crate) struct Staircase {
    pub n: usize,
    pub p: usize,
    /// `cells[i * (p - 1) + k]`.
    cells: Vec<Cell>,
}

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
pub(crate) fn windows(
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

impl Staircase {
    /// Adds the free cells of `windows` as binaries and the staircase rows.
    pub fn build(model: &mut LinearModel, n: usize, p: usize, windows: &Windows) -> Staircase {
        let cuts = p - 1;
        let mut cells = vec![Cell::Zero; n * cuts];
        for k in 0..cuts {
            // Cut k sits before stage k + 1: u[i][k] = 1 iff i >= start of k + 1.
            let (lo, hi) = (windows.lo[k + 1], windows.hi[k + 1]);
            for i in 0..n {
                cells[i * cuts + k] = if i < lo {
                    Cell::Zero
                } else if i >= hi {
                    Cell::One
                } else {
                    Cell::Var(model.add_var(0.0, 1.0, true))
                };
            }
        }
        let s = Staircase { n, p, cells };
        for k in 0..cuts {
            for i in 0..n {
                if i + 1 < n {
                    let mut e = s.expr(i, k, 1.0);
                    e.add_expr(&s.expr(i + 1, k, 1.0), -1.0);
                    model.add_row(e, Sense::Le);
                }
                if i >= 1 && k >= 1 {
                    let mut e = s.expr(i, k, 1.0);
                    e.add_expr(&s.expr(i - 1, k - 1, 1.0), -1.0);
                    model.add_row(e, Sense::Le);
                }
            }
        }
        s
    }

    /// `u[i][k]` for a cut `k` in `0..P-1`.
    pub fn cell(&self, i: usize, k: usize) -> Cell {
        self.cells[i * (self.p - 1) + k]
    }

    /// `coef * u[i][k]` as an expression; `k = -1` (as `None`) is all ones
    /// and `k = P - 1` is all zeros, so stage formulas need no special cases.
    fn expr(&self, i: usize, k: usize, coef: f64) -> LinExpr {
        let mut e = LinExpr::default();
        self.add_u(&mut e, i, Some(k), coef);
        e
    }

    /// Adds `coef * u[i][k]`, with `k = None` meaning "before stage 0" (1)
    /// and `k = P - 1` meaning "after the last stage" (0).
    pub fn add_u(&self, e: &mut LinExpr, i: usize, k: Option<usize>, coef: f64) {
        match k {
            None => e.constant += coef,
            Some(k) if k + 1 >= self.p => {}
            Some(k) => match self.cell(i, k) {
                Cell::Zero => {}
                Cell::One => e.constant += coef,
                Cell::Var(v) => e.add_term(v, coef),
            },
        }
    }

    /// `sum_i weight[i] * [layer i in stage k]`.
    pub fn stage_sum(&self, stage: usize, weight: impl Fn(usize) -> f64) -> LinExpr {
        let mut e = LinExpr::default();
        for i in 0..self.n {
            let w = weight(i);
            if w != 0.0 {
                self.add_u(&mut e, i, stage.checked_sub(1), w);
                self.add_u(&mut e, i, Some(stage), -w);
            }
        }
        e.compact()
    }

    /// `sum_i weight[i - 1] * [cut k falls right before layer i]`: the cost of
    /// the boundary after stage `k` (`k` in `0..P-1`).
    pub fn cut_sum(&self, k: usize, weight: impl Fn(usize) -> f64) -> LinExpr {
        let mut e = LinExpr::default();
        for i in 1..self.n {
            let w = weight(i - 1);
            if w != 0.0 {
                self.add_u(&mut e, i, Some(k), w);
                self.add_u(&mut e, i - 1, Some(k), -w);
            }
        }
        e.compact()
    }

    /// Values of the free cells for a partition (a starting point).
    pub fn assign(&self, partition: &Partition, x: &mut [f64]) {
        let starts = partition.starts();
        for k in 0..self.p - 1 {
            for i in 0..self.n {
                if let Cell::Var(v) = self.cell(i, k) {
                    x[v] = if i >= starts[k + 1] { 1.0 } else { 0.0 };
                }
            }
        }
    }

    /// The partition encoded by (rounded) solver values.
    pub fn partition(&self, x: &[f64]) -> Result<Partition, pipecut_core::Error> {
        let mut starts = vec![0];
        for k in 0..self.p - 1 {
            let start = (0..self.n)
                .find(|&i| match self.cell(i, k) {
                    Cell::Zero => false,
                    Cell::One => true,
                    Cell::Var(v) => x[v] > 0.5,
                })
                .unwrap_or(self.n);
            starts.push(start);
        }
        Partition::new(starts, self.n)
    }
}

/// The windows both models fix their staircase to: the probe windows for
/// stage times up to `cap_value` when `probe_fixing` is on, else none; never
/// windows that would cut off the `incumbent`. Notes how many cells stay free.
pub(crate) fn fixing_windows(
    problem: &Problem,
    prefix: &Prefix,
    probe_fixing: bool,
    cap_value: f64,
    incumbent: Option<&Partition>,
    notes: &mut Vec<String>,
) -> Result<Windows, MilpError> {
    let (n, p) = (problem.layers(), problem.stages());
    let capacity = problem.memory_capacity();
    let win = if probe_fixing {
        windows(problem, prefix, cap_value, capacity)
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
    use pipecut_core::{Chain, Layer, ProblemSpec};

    fn problem(costs: &[f64], p: usize) -> Problem {
        let layers = costs
            .iter()
            .enumerate()
            .map(|(i, &c)| Layer::new(format!("l{i}"), c, 0.0))
            .collect();
        ProblemSpec::new(Chain::new("t", "s", layers).unwrap(), p)
            .check()
            .unwrap()
    }

    #[test]
    fn probe_windows_bracket_every_feasible_partition() {
        let pr = problem(&[1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0], 3);
        let prefix = Prefix::new(&pr);
        // Total 10 in three stages of at most 4: only [0, 3, 5] fits.
        let w = windows(&pr, &prefix, 4.0, None).unwrap();
        assert_eq!((w.lo.clone(), w.hi.clone()), (vec![0, 3, 5], vec![0, 3, 5]));
        // At most 5: left greedy reaches 4 then 6, right greedy 4 then 1.
        let w5 = windows(&pr, &prefix, 5.0, None).unwrap();
        assert_eq!(
            (w5.lo.clone(), w5.hi.clone()),
            (vec![0, 1, 4], vec![0, 4, 6])
        );
        for (cap, w) in [(4.0, &w), (5.0, &w5)] {
            for a in 1..7 {
                for b in a + 1..7 {
                    let part = Partition::new(vec![0, a, b], 7).unwrap();
                    if part.ranges().all(|r| prefix.work(r.start, r.end) <= cap) {
                        assert!(w.contains(&part), "{part}");
                    }
                }
            }
        }
        assert!(windows(&pr, &prefix, 2.9, None).is_none());
    }

    #[test]
    fn partition_round_trips_through_cells() {
        let pr = problem(&[1.0; 6], 3);
        let mut model = LinearModel::default();
        let s = Staircase::build(&mut model, 6, 3, &Windows::trivial(6, 3));
        let part = Partition::new(vec![0, 2, 5], 6).unwrap();
        let mut x = vec![0.0; model.vars.len()];
        s.assign(&part, &mut x);
        assert_eq!(s.partition(&x).unwrap(), part);
        assert!(model.max_violation(&x) <= 0.0);
        let load = s.stage_sum(1, |_| 1.0);
        assert_eq!(load.eval(&x), 3.0);
        let cut = s.cut_sum(0, |i| i as f64 * 10.0);
        assert_eq!(cut.eval(&x), 10.0);
        let _ = pr;
    }
}
