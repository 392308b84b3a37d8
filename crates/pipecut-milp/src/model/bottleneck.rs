//! The staircase bottleneck model: variables and rows of `milp`.
//!
//! Minimise `T` subject to `T >= speed_k * (F_k + B_k) + comm_k` for every
//! stage and the device-memory rows, every term linear in the staircase
//! variables. Everything is divided by `scale` (the incumbent's value) so
//! coefficients stay near 1.

use pipecut_core::Partition;

use super::memory_rows::add_memory_rows;
use super::staircase::Staircase;
use super::ModelInput;
use crate::error::MilpError;
use crate::linear_model::{LinExpr, LinearModel, Sense};

/// The built model.
#[derive(Debug)]
pub(crate) struct BottleneckModel {
    pub model: LinearModel,
    pub stair: Staircase,
    /// The bottleneck `T` (scaled).
    bottleneck: usize,
    /// Each stage's time `speed_k * (F_k + B_k) + comm_k` (scaled).
    stage_times: Vec<LinExpr>,
}

impl BottleneckModel {
    /// The model over `input.windows`, with `T` in `input.range`.
    /// [`MilpError::Infeasible`] when fixed cells alone break a row.
    pub fn build(input: &ModelInput) -> Result<Self, MilpError> {
        let (problem, prefix, windows) = (input.problem, input.prefix, &input.windows);
        let (scale, (lower, upper)) = (input.scale, input.range);
        let (n, p) = (problem.layers(), problem.stages());
        let capacity = problem.memory_capacity();
        let mut model = LinearModel::default();
        let stair = Staircase::build(&mut model, n, p, windows);
        let t = model.add_var(lower, upper, false);
        let layers = problem.chain().layers();
        let boundary = |i: usize| prefix.boundary.get(i).copied().unwrap_or(0.0) / scale;
        let mut stage_times = Vec::with_capacity(p);
        for k in 0..p {
            let speed = problem.speed(k);
            let mut e = stair.stage_sum(k, |i| {
                speed * (layers[i].forward + layers[i].backward) / scale
            });
            // One transfer per boundary of the stage, as `Prefix::comm` charges.
            if !prefix.boundary.is_empty() {
                if k > 0 {
                    e.add_expr(&stair.cut_sum(k - 1, boundary), 1.0);
                }
                if k + 1 < p {
                    e.add_expr(&stair.cut_sum(k, boundary), 1.0);
                }
            }
            stage_times.push(e.clone());
            e.add_term(t, -1.0);
            if !model.add_row(e, Sense::Le) {
                return Err(MilpError::Infeasible {
                    capacity,
                    reason: "a fixed stage exceeds the incumbent",
                });
            }
        }
        if !add_memory_rows(&mut model, problem, &stair) {
            return Err(MilpError::Infeasible {
                capacity,
                reason: "the fixed layers of a device exceed the capacity",
            });
        }
        model.objective = LinExpr::var(t);
        Ok(BottleneckModel {
            model,
            stair,
            bottleneck: t,
            stage_times,
        })
    }

    /// Gives the backend `partition` as its starting point.
    pub fn start_from(&mut self, partition: &Partition) {
        let mut x = vec![0.0; self.model.vars.len()];
        self.stair.assign(partition, &mut x);
        let top = self
            .stage_times
            .iter()
            .map(|e| e.eval(&x))
            .fold(0.0, f64::max);
        let t = self.model.vars[self.bottleneck];
        x[self.bottleneck] = top.clamp(t.lower, t.upper);
        self.model.start = Some(x);
    }
}
