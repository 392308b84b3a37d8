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
//! not variables (see [`super::windows`]).

use pipecut_core::Partition;

use super::windows::Windows;
use crate::linear_model::{LinExpr, LinearModel, Sense};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_round_trips_through_cells() {
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
    }

    #[test]
    fn cells_outside_the_windows_are_constants() {
        let mut model = LinearModel::default();
        let fixed = Windows {
            lo: vec![0, 2, 5],
            hi: vec![0, 2, 5],
        };
        let s = Staircase::build(&mut model, 6, 3, &fixed);
        assert!(model.vars.is_empty() && model.rows.is_empty());
        let part = Partition::new(vec![0, 2, 5], 6).unwrap();
        assert_eq!(s.partition(&[]).unwrap(), part);
        assert_eq!(s.stage_sum(2, |_| 1.0).constant, 1.0);
    }
}
