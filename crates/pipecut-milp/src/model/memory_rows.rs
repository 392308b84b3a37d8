//! The device-memory rows both models share.

use pipecut_core::Problem;

use super::staircase::Staircase;
use crate::linear_model::{LinExpr, LinearModel, Sense};

/// `sum over the device's stages of (params + in_flight * activations) <=
/// capacity` for every device (the stages on a device as
/// [`Problem::device_of`] places them, in-flight counts from
/// [`Problem::peak_in_flight`]), scaled by the capacity. False when a row is
/// violated by fixed cells alone.
pub(crate) fn add_memory_rows(
    model: &mut LinearModel,
    problem: &Problem,
    stair: &Staircase,
) -> bool {
    let Some(cap) = problem.memory_capacity() else {
        return true;
    };
    let in_flight = problem.peak_in_flight();
    let layers = problem.chain().layers();
    // A zero capacity is legal; scale by 1 then.
    let denom = (cap as f64).max(1.0);
    let mut rows: Vec<LinExpr> = (0..problem.devices())
        .map(|_| LinExpr {
            constant: -(cap as f64) / denom,
            terms: Vec::new(),
        })
        .collect();
    for (k, &inf) in in_flight.iter().enumerate() {
        let inf = inf as f64;
        let stage = stair.stage_sum(k, |i| {
            (layers[i].param_bytes as f64 + inf * layers[i].activation_bytes as f64) / denom
        });
        if let Some(row) = rows.get_mut(problem.device_of(k)) {
            row.add_expr(&stage, 1.0);
        }
    }
    let mut ok = true;
    for row in rows {
        ok &= model.add_row(row, Sense::Le);
    }
    ok
}
