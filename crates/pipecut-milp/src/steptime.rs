//! `milp-steptime`: exact minimum simulated step time for the problem's
//! fixed schedule order.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pipecut_core::{
    Objective, OpKind, Partition, Partitioner, Plan, Prefix, Problem, Threaded, TimeLimited,
    WarmStartable,
};
use pipecut_sim::Simulator;

use crate::backend::{Backend, LinExpr, LinearModel, Sense};
use crate::bottleneck::add_memory_rows;
use crate::error::MilpError;
use crate::finish::Finish;
use crate::options::{milp_partitioner, MilpOptions, Seeds};
use crate::staircase::{fixing_windows, Staircase};
use crate::start::{best_start, least_bottleneck, objective_scale, Goal};

/// Exact minimum simulated step time by a MILP over the staircase assignment
/// and one start-time variable per operation, for the problem's schedule
/// (GPipe, 1F1B or interleaved 1F1B) in the order
/// [`Schedule::device_order`](pipecut_core::Schedule::device_order) gives.
///
/// Rows: each device runs its operations in order (`S_next >= S_prev +
/// duration`); a forward on stage `s > 0` waits for the forward of the same
/// micro-batch on `s - 1` plus the link delay of that boundary (when the two
/// stages are on different devices); a backward waits for the backward on
/// `s + 1` plus the delay, the last stage's for its own forward; the makespan
/// `C` is at least the end of every device's last operation. Durations
/// `speed_k * F_k`, `speed_k * B_k` and delays are linear in the staircase
/// variables. For a fixed assignment the least `C` is the longest path of this
/// precedence graph, which is exactly what the simulator computes, so the
/// optimum is the minimum simulated step time. The returned partition is
/// re-simulated and a disagreement with the solver's objective is an error.
#[derive(Debug)]
pub struct MilpStepTime {
    options: MilpOptions,
    seeds: Seeds,
}

/// A duration or delay variable, or a known constant zero.
#[derive(Debug, Clone, Copy)]
enum Term {
    Zero,
    Var(usize),
}

impl Term {
    fn add_to(self, e: &mut LinExpr, coef: f64) {
        if let Term::Var(v) = self {
            e.add_term(v, coef);
        }
    }
}

impl MilpStepTime {
    /// Solves, keeping this crate's typed error.
    pub fn solve_milp(&self, problem: &Problem) -> Result<Plan, MilpError> {
        let started = Instant::now();
        let opts = &self.options;
        let backend = opts.backend.ensure_available()?;
        let prefix = Prefix::new(problem);
        let sim = Simulator::new(problem);
        let (n, p, m) = (problem.layers(), problem.stages(), problem.micro_batches());
        let schedule = problem.schedule();
        let capacity = problem.memory_capacity();
        let mut notes = vec![format!("backend: {backend}")];
        let inc = best_start(
            problem,
            &prefix,
            Goal::StepTime,
            opts,
            &self.seeds.0,
            opts.time_limit.map(|l| started + l),
            &mut notes,
        );
        if let Some(i) = &inc {
            notes.push(format!("warm start: {} (step time {})", i.source, i.value));
        }
        let max_speed = (0..p).map(|k| problem.speed(k)).fold(0.0, f64::max);
        let scale = objective_scale(
            inc.as_ref(),
            max_speed * prefix.work(0, n) * m as f64 / p as f64,
        );
        // Every device runs all M forwards and backwards of its stages, so a
        // partition at least as good as the incumbent has every stage's
        // compute at most incumbent / M.
        let cap_value = inc
            .as_ref()
            .map_or(f64::INFINITY, |i| i.value * (1.0 + 1e-9) + 1e-12 * scale);
        let win = fixing_windows(
            problem,
            &prefix,
            opts.probe_fixing,
            cap_value / m as f64,
            inc.as_ref().map(|i| &i.partition),
            &mut notes,
        )?;

        let mut model = LinearModel::default();
        let stair = Staircase::build(&mut model, n, p, &win);
        let layers = problem.chain().layers();
        // Durations per stage and delays per boundary, as equality-defined
        // continuous variables so the precedence rows stay short.
        let mut fwd = Vec::with_capacity(p);
        let mut bwd = Vec::with_capacity(p);
        let mut infeasible = false;
        for k in 0..p {
            let speed = problem.speed(k);
            for (out, cost) in [(&mut fwd, 0usize), (&mut bwd, 1)] {
                let mut e = stair.stage_sum(k, |i| {
                    let c = if cost == 0 {
                        layers[i].forward
                    } else {
                        layers[i].backward
                    };
                    speed * c / scale
                });
                let v = model.add_var(0.0, f64::INFINITY, false);
                e.add_term(v, -1.0);
                infeasible |= !model.add_row(e, Sense::Eq);
                out.push(v);
            }
        }
        let cross = |a: usize, b: usize| schedule.device_of(a, p) != schedule.device_of(b, p);
        let mut delay = vec![Term::Zero; p];
        if !prefix.boundary.is_empty() {
            for (k, d) in delay.iter_mut().enumerate().take(p - 1) {
                if cross(k, k + 1) {
                    let mut e = stair.cut_sum(k, |i| prefix.boundary[i] / scale);
                    let v = model.add_var(0.0, f64::INFINITY, false);
                    e.add_term(v, -1.0);
                    infeasible |= !model.add_row(e, Sense::Eq);
                    *d = Term::Var(v);
                }
            }
        }
        infeasible |= !add_memory_rows(&mut model, problem, &stair);
        if infeasible {
            return Err(MilpError::Infeasible {
                capacity,
                reason: "the fixed layers violate a row",
            });
        }
        // One start variable per operation.
        let devices = problem.devices();
        let orders: Vec<_> = (0..devices)
            .map(|d| schedule.device_order(p, m, d))
            .collect();
        let mut start_of: HashMap<(usize, OpKind, usize), usize> = HashMap::new();
        let mut ops = Vec::new();
        for (d, order) in orders.iter().enumerate() {
            for op in order {
                let s = schedule.stage_of(d, op.chunk, p);
                let v = model.add_var(0.0, f64::INFINITY, false);
                start_of.insert((s, op.kind, op.micro_batch), v);
                ops.push((d, s, op.kind, op.micro_batch, v));
            }
        }
        let dur = |s: usize, kind: OpKind| match kind {
            OpKind::Forward => fwd[s],
            OpKind::Backward => bwd[s],
        };
        let c = model.add_var(0.0, cap_value / scale, false);
        for (d, order) in orders.iter().enumerate() {
            let mut prev: Option<(usize, usize)> = None;
            for op in order {
                let s = schedule.stage_of(d, op.chunk, p);
                let v = start_of[&(s, op.kind, op.micro_batch)];
                if let Some((pv, pd)) = prev {
                    let mut e = LinExpr::var(v);
                    e.add_term(pv, -1.0);
                    e.add_term(pd, -1.0);
                    model.add_row(e, Sense::Ge);
                }
                // Input dependency.
                let dep = match op.kind {
                    OpKind::Forward if s == 0 => None,
                    OpKind::Forward => Some((
                        start_of[&(s - 1, OpKind::Forward, op.micro_batch)],
                        fwd[s - 1],
                        delay[s - 1],
                    )),
                    OpKind::Backward if s + 1 == p => Some((
                        start_of[&(s, OpKind::Forward, op.micro_batch)],
                        fwd[s],
                        Term::Zero,
                    )),
                    OpKind::Backward => Some((
                        start_of[&(s + 1, OpKind::Backward, op.micro_batch)],
                        bwd[s + 1],
                        delay[s],
                    )),
                };
                if let Some((sv, dv, lag)) = dep {
                    let mut e = LinExpr::var(v);
                    e.add_term(sv, -1.0);
                    e.add_term(dv, -1.0);
                    lag.add_to(&mut e, -1.0);
                    model.add_row(e, Sense::Ge);
                }
                prev = Some((v, dur(s, op.kind)));
            }
            if let Some((pv, pd)) = prev {
                let mut e = LinExpr::var(c);
                e.add_term(pv, -1.0);
                e.add_term(pd, -1.0);
                model.add_row(e, Sense::Ge);
            }
        }
        if opts.bound_cut {
            // Step time >= M * max_k compute_k >= M * (least compute bottleneck).
            if let Some(b) = least_bottleneck(problem, &prefix, false) {
                let lower = m as f64 * b / scale * (1.0 - 1e-9);
                model.vars[c].lower = lower.min(model.vars[c].upper);
            }
        }
        model.objective = LinExpr::var(c);
        if let Some(i) = &inc {
            let mut x = vec![0.0; model.vars.len()];
            stair.assign(&i.partition, &mut x);
            let times = pipecut_sim::StageTimes::from_partition(problem, &prefix, &i.partition);
            for k in 0..p {
                x[fwd[k]] = times.forward[k] / scale;
                x[bwd[k]] = times.backward[k] / scale;
                if let Term::Var(v) = delay[k] {
                    x[v] = times.delay[k] / scale;
                }
            }
            let run = sim.run_times(&times, true)?;
            for t in run.timeline.unwrap_or_default() {
                if let Some(&v) = start_of.get(&(t.stage, t.kind, t.micro_batch)) {
                    x[v] = t.start / scale;
                }
            }
            x[c] = (run.step_time / scale).clamp(model.vars[c].lower, model.vars[c].upper);
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
            terms: n + ops.len(),
            algorithm: "milp-steptime",
            objective: Objective::StepTime,
            what: "simulated step time",
        }
        .run(notes, |part, _| Ok(sim.step_time(problem, &prefix, part)?))
    }
}

milp_partitioner!(
    MilpStepTime,
    name = "milp-steptime",
    bound_cut = true,
    description =
        "MILP over the schedule's fixed operation order: exact minimum simulated step time"
);
