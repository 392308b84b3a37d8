//! `milp`: the staircase bottleneck model.

use std::time::{Duration, Instant};

use pipecut_core::{
    Objective, Partition, Partitioner, Plan, Prefix, Problem, Threaded, TimeLimited, WarmStartable,
};

use crate::backend::{Backend, LinExpr, LinearModel, Sense};
use crate::error::MilpError;
use crate::finish::Finish;
use crate::options::{milp_partitioner, MilpOptions, Seeds};
use crate::staircase::{fixing_windows, Staircase};
use crate::start::{best_start, least_bottleneck, objective_scale, Goal};

/// Exact minimum bottleneck `max_k t_k` by a staircase MILP, with memory caps
/// (device memory summed over its chunks when interleaved), cut costs and
/// per-stage speeds.
///
/// Minimise `T` subject to `T >= speed_k * (F_k + B_k) + comm_k` for every
/// stage and `sum over the device's stages of (params + in_flight *
/// activations) <= capacity` for every device, every term linear in the
/// staircase variables (see the crate docs). Warm-started from the best of the
/// given warm start, the seed partitioners and a local DP; that incumbent also
/// caps `T` and fixes every cell outside the probe windows.
#[derive(Debug)]
pub struct MilpBottleneck {
    options: MilpOptions,
    seeds: Seeds,
}

impl MilpBottleneck {
    /// Solves, keeping this crate's typed error.
    pub fn solve_milp(&self, problem: &Problem) -> Result<Plan, MilpError> {
        let started = Instant::now();
        let opts = &self.options;
        let backend = opts.backend.ensure_available()?;
        let prefix = Prefix::new(problem);
        let (n, p) = (problem.layers(), problem.stages());
        let capacity = problem.memory_capacity();
        let mut notes = vec![format!("backend: {backend}")];
        let inc = best_start(
            problem,
            &prefix,
            Goal::Bottleneck,
            opts,
            &self.seeds.0,
            opts.time_limit.map(|l| started + l),
            &mut notes,
        );
        if let Some(i) = &inc {
            notes.push(format!("warm start: {} (bottleneck {})", i.source, i.value));
        }
        let max_speed = (0..p).map(|k| problem.speed(k)).fold(0.0, f64::max);
        let scale = objective_scale(inc.as_ref(), max_speed * prefix.work(0, n) / p as f64);
        let cap_value = inc
            .as_ref()
            .map_or(f64::INFINITY, |i| i.value * (1.0 + 1e-9) + 1e-12 * scale);
        let win = fixing_windows(
            problem,
            &prefix,
            opts.probe_fixing,
            cap_value,
            inc.as_ref().map(|i| &i.partition),
            &mut notes,
        )?;

        let mut model = LinearModel::default();
        let stair = Staircase::build(&mut model, n, p, &win);
        let lower = if opts.bound_cut {
            least_bottleneck(problem, &prefix, true).map_or(0.0, |v| v / scale * (1.0 - 1e-9))
        } else {
            0.0
        };
        let upper = cap_value / scale;
        let t = model.add_var(lower, upper, false);
        let layers = problem.chain().layers();
        let boundary = |i: usize| prefix.boundary.get(i).copied().unwrap_or(0.0) / scale;
        let mut stage_rows = Vec::with_capacity(p);
        for k in 0..p {
            let speed = problem.speed(k);
            let mut e = stair.stage_sum(k, |i| {
                speed * (layers[i].forward + layers[i].backward) / scale
            });
            if !prefix.boundary.is_empty() {
                if k > 0 {
                    e.add_expr(&stair.cut_sum(k - 1, boundary), 1.0);
                }
                if k + 1 < p {
                    e.add_expr(&stair.cut_sum(k, boundary), 1.0);
                }
            }
            stage_rows.push(e.clone());
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
        if let Some(i) = &inc {
            let mut x = vec![0.0; model.vars.len()];
            stair.assign(&i.partition, &mut x);
            let top = stage_rows.iter().map(|e| e.eval(&x)).fold(0.0, f64::max);
            x[t] = top.clamp(lower, upper);
            model.start = Some(x);
        }

        Finish {
            problem,
            prefix: &prefix,
            model: &model,
            stair: &stair,
            options: opts,
            backend,
            started,
            incumbent: inc.as_ref(),
            scale,
            terms: n,
            algorithm: "milp",
            objective: Objective::Bottleneck,
            what: "bottleneck",
        }
        .run(notes, |_, eval| Ok(eval.bottleneck))
    }
}

/// `sum over the device's stages of (params + in_flight * activations) <=
/// capacity`, scaled by the capacity. False when a row is violated by fixed
/// cells alone.
pub(crate) fn add_memory_rows(
    model: &mut LinearModel,
    problem: &Problem,
    stair: &Staircase,
) -> bool {
    let Some(cap) = problem.memory_capacity() else {
        return true;
    };
    let p = problem.stages();
    let schedule = problem.schedule();
    let in_flight = problem.peak_in_flight();
    let layers = problem.chain().layers();
    let denom = (cap as f64).max(1.0);
    let mut ok = true;
    for d in 0..problem.devices() {
        let mut e = LinExpr {
            constant: -(cap as f64) / denom,
            terms: Vec::new(),
        };
        for k in (0..p).filter(|&k| schedule.device_of(k, p) == d) {
            let inf = in_flight[k] as f64;
            e.add_expr(
                &stair.stage_sum(k, |i| {
                    (layers[i].param_bytes as f64 + inf * layers[i].activation_bytes as f64) / denom
                }),
                1.0,
            );
        }
        ok &= model.add_row(e, Sense::Le);
    }
    ok
}

milp_partitioner!(
    MilpBottleneck,
    name = "milp",
    bound_cut = false,
    description =
        "staircase MILP (good_lp): exact minimum bottleneck with memory caps, cut costs and speeds"
);
