//! The small backend-neutral MILP both formulations are written in: bounded
//! variables, `<=`/`>=`/`=` rows, a linear objective to minimise and an
//! optional full starting point. The backends translate it; nothing here
//! knows about pipelines.

/// Direction of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sense {
    Le,
    Ge,
    Eq,
}

/// A linear expression `constant + sum coef * var`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinExpr {
    pub constant: f64,
    pub terms: Vec<(usize, f64)>,
}

impl LinExpr {
    pub fn var(v: usize) -> Self {
        LinExpr {
            constant: 0.0,
            terms: vec![(v, 1.0)],
        }
    }

    pub fn add_term(&mut self, v: usize, coef: f64) {
        if coef != 0.0 {
            self.terms.push((v, coef));
        }
    }

    pub fn add_expr(&mut self, other: &LinExpr, scale: f64) {
        self.constant += scale * other.constant;
        for &(v, c) in &other.terms {
            self.add_term(v, scale * c);
        }
    }

    /// Merges repeated variables and drops zero coefficients.
    pub fn compact(mut self) -> Self {
        self.terms.sort_by_key(|t| t.0);
        let mut out: Vec<(usize, f64)> = Vec::with_capacity(self.terms.len());
        for (v, c) in self.terms {
            match out.last_mut() {
                Some(last) if last.0 == v => last.1 += c,
                _ => out.push((v, c)),
            }
        }
        out.retain(|t| t.1 != 0.0);
        self.terms = out;
        self
    }

    pub fn eval(&self, x: &[f64]) -> f64 {
        self.constant + self.terms.iter().map(|&(v, c)| c * x[v]).sum::<f64>()
    }
}

/// One variable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VarDef {
    pub lower: f64,
    pub upper: f64,
    pub integer: bool,
}

/// A row `expr (<= | >= | =) 0`.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub expr: LinExpr,
    pub sense: Sense,
}

/// A minimisation MILP.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinearModel {
    pub vars: Vec<VarDef>,
    pub rows: Vec<Row>,
    pub objective: LinExpr,
    /// A full starting point (one value per variable), if known.
    pub start: Option<Vec<f64>>,
}

impl LinearModel {
    pub fn add_var(&mut self, lower: f64, upper: f64, integer: bool) -> usize {
        self.vars.push(VarDef {
            lower,
            upper,
            integer,
        });
        self.vars.len() - 1
    }

    /// Adds `expr sense 0`; rows without variables are checked instead
    /// (returns false when such a constant row is violated).
    pub fn add_row(&mut self, expr: LinExpr, sense: Sense) -> bool {
        let expr = expr.compact();
        if expr.terms.is_empty() {
            let c = expr.constant;
            let tol = 1e-9 * (1.0 + c.abs());
            return match sense {
                Sense::Le => c <= tol,
                Sense::Ge => c >= -tol,
                Sense::Eq => c.abs() <= tol,
            };
        }
        self.rows.push(Row { expr, sense });
        true
    }

    /// Largest violation of a row or bound by `x` (0 when feasible).
    #[cfg(test)]
    pub fn max_violation(&self, x: &[f64]) -> f64 {
        let mut worst: f64 = 0.0;
        for (v, d) in self.vars.iter().enumerate() {
            worst = worst.max(d.lower - x[v]).max(x[v] - d.upper);
        }
        for r in &self.rows {
            let e = r.expr.eval(x);
            let viol = match r.sense {
                Sense::Le => e,
                Sense::Ge => -e,
                Sense::Eq => e.abs(),
            };
            worst = worst.max(viol);
        }
        worst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_rows_are_checked_not_added() {
        let mut m = LinearModel::default();
        assert!(m.add_row(LinExpr::default(), Sense::Eq));
        assert!(!m.add_row(
            LinExpr {
                constant: 1.0,
                terms: vec![]
            },
            Sense::Le
        ));
        assert!(m.rows.is_empty());
    }

    #[test]
    fn compact_merges_and_drops_zeros() {
        let e = LinExpr {
            constant: 2.0,
            terms: vec![(3, 1.0), (1, 2.0), (3, -1.0), (1, 0.5)],
        }
        .compact();
        assert_eq!(e.terms, vec![(1, 2.5)]);
        assert_eq!(e.eval(&[0.0, 2.0, 0.0, 7.0]), 7.0);
    }
}
