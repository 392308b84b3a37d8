//! A [`LinearModel`] in good_lp's terms, shared by every good_lp backend.

use good_lp::{variable, Constraint, Expression, ProblemVariables, Variable};

use crate::linear_model::{LinExpr, LinearModel, Row, Sense};

/// The model's variables (with bounds and integrality), their handles in
/// model order, and its objective.
pub(super) fn variables(model: &LinearModel) -> (ProblemVariables, Vec<Variable>, Expression) {
    let mut vars = ProblemVariables::new();
    let handles: Vec<Variable> = model
        .vars
        .iter()
        .map(|d| {
            let mut def = variable().min(d.lower).max(d.upper);
            if d.integer {
                def = def.integer();
            }
            vars.add(def)
        })
        .collect();
    let objective = expression(&model.objective, &handles);
    (vars, handles, objective)
}

/// One row as a good_lp constraint.
pub(super) fn constraint(row: &Row, handles: &[Variable]) -> Constraint {
    let e = expression(&row.expr, handles);
    match row.sense {
        Sense::Le => e.leq(0.0),
        Sense::Ge => e.geq(0.0),
        Sense::Eq => e.eq(0.0),
    }
}

fn expression(expr: &LinExpr, handles: &[Variable]) -> Expression {
    let mut e = Expression::from(expr.constant);
    for &(v, c) in &expr.terms {
        e.add_mul(c, handles[v]);
    }
    e
}
