//! The step-time model: variables and rows of `milp-steptime`.
//!
//! Besides the staircase, one start-time variable per operation of the
//! schedule's fixed per-device orders
//! ([`Schedule::device_order`](pipecut_core::Schedule::device_order)), one
//! duration variable per stage and operation kind, one delay variable per
//! stage boundary that some dependency crosses between devices, and the
//! makespan `C`. Rows, all asked of the schedule's rules:
//!
//! - each device runs its operations in order: `S_next >= S_prev + D_prev`;
//! - each operation waits for every input
//!   ([`Schedule::inputs`](pipecut_core::Schedule::inputs)): `S >= S_dep +
//!   D_dep + delay`, the delay being the link transfer across boundary
//!   `min(producer stage, consumer stage)` when the producer's device differs
//!   from the consumer's (the simulator's rule);
//! - `C >= S_last + D_last` for every device's last operation.
//!
//! Durations ([`OpKind::duration`] of `speed_k * F_k`, `speed_k * B_k`) and
//! delays are equality-defined from the staircase, so the precedence rows stay
//! short. For a fixed assignment the least `C` is the longest path of this
//! precedence graph, which is what the simulator computes.

use pipecut_core::{Dependency, Inputs, OpKind, Partition, Prefix, Problem};
use pipecut_sim::{Simulator, StageTimes};

use super::memory_rows::add_memory_rows;
use super::staircase::Staircase;
use super::ModelInput;
use crate::error::MilpError;
use crate::linear_model::{LinExpr, LinearModel, Sense};

/// One operation of a device's order with what it waits for.
#[derive(Debug, Clone, Copy)]
struct Operation {
    stage: usize,
    kind: OpKind,
    micro_batch: usize,
    inputs: Inputs,
}

/// The built model.
#[derive(Debug)]
pub(crate) struct StepTimeModel {
    pub model: LinearModel,
    pub stair: Staircase,
    scale: f64,
    stages: usize,
    micro_batches: usize,
    /// `duration[stage * OpKind::COUNT + kind.index()]`, for the kinds the
    /// schedule uses.
    duration: Vec<Option<usize>>,
    /// `delay[b]`: transfer across the boundary after stage `b`, where a
    /// dependency crosses devices there and the problem has a link.
    delay: Vec<Option<usize>>,
    /// Start of every operation, by [`StepTimeModel::key`].
    start: Vec<Option<usize>>,
    /// The kind of the operation each `start` entry belongs to.
    producer: Vec<OpKind>,
    /// The makespan `C`.
    makespan: usize,
    /// Number of operations.
    pub operations: usize,
}

impl StepTimeModel {
    /// The model over `input.windows`, with `C` in `input.range`.
    /// [`MilpError::Infeasible`] when fixed cells alone break a row.
    pub fn build(input: &ModelInput) -> Result<Self, MilpError> {
        let (problem, prefix, windows) = (input.problem, input.prefix, &input.windows);
        let (scale, (lower, upper)) = (input.scale, input.range);
        let (n, p, m) = (problem.layers(), problem.stages(), problem.micro_batches());
        let orders = operations(problem);
        let mut model = LinearModel::default();
        let stair = Staircase::build(&mut model, n, p, windows);
        let mut feasible = true;
        let duration = add_durations(&mut model, problem, &stair, scale, &mut feasible);
        let crossed = crossed_boundaries(problem, &orders);
        let delay = add_delays(&mut model, prefix, &stair, scale, &crossed, &mut feasible);
        feasible &= add_memory_rows(&mut model, problem, &stair);
        if !feasible {
            return Err(MilpError::Infeasible {
                capacity: problem.memory_capacity(),
                reason: "the fixed layers violate a row",
            });
        }
        let mut built = StepTimeModel {
            model,
            stair,
            scale,
            stages: p,
            micro_batches: m,
            duration,
            delay,
            start: vec![None; p * OpKind::COUNT * m],
            producer: vec![OpKind::Forward; p * OpKind::COUNT * m],
            makespan: 0,
            operations: orders.iter().map(Vec::len).sum(),
        };
        for op in orders.iter().flatten() {
            let v = built.model.add_var(0.0, f64::INFINITY, false);
            let key = built.key(op.stage, op.kind, op.micro_batch);
            built.start[key] = Some(v);
            // Also under every kind it stands in for (an input-gradient
            // backward serves a wait for the full backward).
            for &kind in &op.kind.provides()[1..] {
                let alias = built.key(op.stage, kind, op.micro_batch);
                built.start[alias] = Some(v);
                built.producer[alias] = op.kind;
            }
            built.producer[key] = op.kind;
        }
        built.makespan = built.model.add_var(lower.min(upper), upper, false);
        built.add_precedence_rows(problem, &orders)?;
        built.model.objective = LinExpr::var(built.makespan);
        Ok(built)
    }

    /// Index of an operation in `start`.
    fn key(&self, stage: usize, kind: OpKind, micro_batch: usize) -> usize {
        (stage * OpKind::COUNT + kind.index()) * self.micro_batches + micro_batch
    }

    /// The start variable of an operation, if the orders run it.
    pub fn start_var(&self, stage: usize, kind: OpKind, micro_batch: usize) -> Option<usize> {
        if stage >= self.stages || micro_batch >= self.micro_batches {
            return None;
        }
        self.start[self.key(stage, kind, micro_batch)]
    }

    /// The makespan variable `C`.
    #[cfg(test)]
    pub fn makespan_var(&self) -> usize {
        self.makespan
    }

    fn duration_var(&self, stage: usize, kind: OpKind) -> Result<usize, MilpError> {
        self.duration[stage * OpKind::COUNT + kind.index()].ok_or_else(|| {
            MilpError::ScheduleRules {
                reason: format!(
                    "stage {stage} runs a {} the schedule does not list",
                    kind.name()
                ),
            }
        })
    }

    /// The start and duration variables of the operation `dep` waits for.
    fn dependency_vars(&self, dep: &Dependency) -> Result<[usize; 2], MilpError> {
        let start = self.dependency_start(dep)?;
        let kind = self.producer[self.key(dep.stage, dep.kind, dep.micro_batch)];
        Ok([start, self.duration_var(dep.stage, kind)?])
    }

    fn dependency_start(&self, dep: &Dependency) -> Result<usize, MilpError> {
        self.start_var(dep.stage, dep.kind, dep.micro_batch)
            .ok_or_else(|| MilpError::ScheduleRules {
                reason: format!(
                    "an operation waits for the {} of micro-batch {} on stage {}, which no device runs",
                    dep.kind.name(),
                    dep.micro_batch,
                    dep.stage
                ),
            })
    }

    /// Device order, input and makespan rows, device by device.
    fn add_precedence_rows(
        &mut self,
        problem: &Problem,
        orders: &[Vec<Operation>],
    ) -> Result<(), MilpError> {
        let mut rows = Vec::new();
        for order in orders {
            let mut prev: Option<(usize, usize)> = None;
            for op in order {
                let v = self
                    .start_var(op.stage, op.kind, op.micro_batch)
                    .ok_or_else(|| MilpError::ScheduleRules {
                        reason: "an operation is missing from the start variables".into(),
                    })?;
                if let Some((pv, pd)) = prev {
                    rows.push(after(v, &[pv, pd]));
                }
                for dep in op.inputs.as_slice() {
                    let mut before = self.dependency_vars(dep)?.to_vec();
                    if let Some(b) = crossing(problem, dep.stage, op.stage) {
                        before.extend(self.delay[b]);
                    }
                    rows.push(after(v, &before));
                }
                prev = Some((v, self.duration_var(op.stage, op.kind)?));
            }
            if let Some((pv, pd)) = prev {
                rows.push(after(self.makespan, &[pv, pd]));
            }
        }
        for row in rows {
            self.model.add_row(row, Sense::Ge);
        }
        Ok(())
    }

    /// Gives the backend `partition` as its starting point: its durations and
    /// delays, and the start times `sim` gives it.
    pub fn start_from(
        &mut self,
        problem: &Problem,
        prefix: &Prefix,
        sim: &Simulator,
        partition: &Partition,
    ) -> Result<(), MilpError> {
        let mut x = vec![0.0; self.model.vars.len()];
        self.stair.assign(partition, &mut x);
        let times = StageTimes::from_partition(problem, prefix, partition);
        for k in 0..self.stages {
            for kind in OpKind::ALL {
                if let Some(v) = self.duration[k * OpKind::COUNT + kind.index()] {
                    let (f, b, w) = (
                        times.forward[k],
                        times.backward[k],
                        times.backward_weight[k],
                    );
                    x[v] = kind.duration(f, b, w) / self.scale;
                }
            }
            if let Some(v) = self.delay[k] {
                x[v] = times.delay[k] / self.scale;
            }
        }
        let run = sim.run_times(&times, true)?;
        for t in run.timeline.unwrap_or_default() {
            if let Some(v) = self.start_var(t.stage, t.kind, t.micro_batch) {
                x[v] = t.start / self.scale;
            }
        }
        let c = self.model.vars[self.makespan];
        x[self.makespan] = (run.step_time / self.scale).clamp(c.lower, c.upper);
        self.model.start = Some(x);
        Ok(())
    }
}

/// `v - sum(before) >= 0` as an expression.
fn after(v: usize, before: &[usize]) -> LinExpr {
    let mut e = LinExpr::var(v);
    for &b in before {
        e.add_term(b, -1.0);
    }
    e
}

/// Every device's operations, in its order, with their stages and inputs.
fn operations(problem: &Problem) -> Vec<Vec<Operation>> {
    let (p, m) = (problem.stages(), problem.micro_batches());
    let schedule = problem.schedule();
    (0..problem.devices())
        .map(|d| {
            schedule
                .device_order(p, m, d)
                .into_iter()
                .map(|op| {
                    let stage = schedule.stage_of(d, op.chunk, p);
                    Operation {
                        stage,
                        kind: op.kind,
                        micro_batch: op.micro_batch,
                        inputs: schedule.inputs(stage, p, op),
                    }
                })
                .collect()
        })
        .collect()
}

/// The boundary whose link delay a dependency of `consumer` on `producer`
/// pays: `min(producer, consumer)` when the two run on different devices.
fn crossing(problem: &Problem, producer: usize, consumer: usize) -> Option<usize> {
    (producer != consumer && problem.device_of(producer) != problem.device_of(consumer))
        .then(|| producer.min(consumer))
}

/// Which boundaries some dependency crosses between devices.
fn crossed_boundaries(problem: &Problem, orders: &[Vec<Operation>]) -> Vec<bool> {
    let mut crossed = vec![false; problem.stages()];
    for op in orders.iter().flatten() {
        for dep in op.inputs.as_slice() {
            if let Some(b) = crossing(problem, dep.stage, op.stage) {
                if let Some(c) = crossed.get_mut(b) {
                    *c = true;
                }
            }
        }
    }
    crossed
}

/// One duration variable per stage and kind the schedule uses, `=` its
/// per-micro-batch time (stage by stage, kinds in the schedule's order).
fn add_durations(
    model: &mut LinearModel,
    problem: &Problem,
    stair: &Staircase,
    scale: f64,
    feasible: &mut bool,
) -> Vec<Option<usize>> {
    let p = problem.stages();
    let layers = problem.chain().layers();
    let mut duration = vec![None; p * OpKind::COUNT];
    for k in 0..p {
        let speed = problem.speed(k);
        for &kind in problem.schedule().op_kinds() {
            let mut e = stair.stage_sum(k, |i| {
                let l = &layers[i];
                speed * kind.duration(l.forward, l.backward, l.backward_weight()) / scale
            });
            let v = model.add_var(0.0, f64::INFINITY, false);
            e.add_term(v, -1.0);
            *feasible &= model.add_row(e, Sense::Eq);
            duration[k * OpKind::COUNT + kind.index()] = Some(v);
        }
    }
    duration
}

/// One delay variable per crossed boundary, `=` the transfer of the output of
/// the stage's last layer (none without a link).
fn add_delays(
    model: &mut LinearModel,
    prefix: &Prefix,
    stair: &Staircase,
    scale: f64,
    crossed: &[bool],
    feasible: &mut bool,
) -> Vec<Option<usize>> {
    let mut delay = vec![None; crossed.len()];
    if prefix.boundary.is_empty() {
        return delay;
    }
    for (b, slot) in delay.iter_mut().enumerate() {
        if crossed[b] && b + 1 < crossed.len() {
            let mut e = stair.cut_sum(b, |i| prefix.boundary[i] / scale);
            let v = model.add_var(0.0, f64::INFINITY, false);
            e.add_term(v, -1.0);
            *feasible &= model.add_row(e, Sense::Eq);
            *slot = Some(v);
        }
    }
    delay
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::windows::Windows;
    use pipecut_core::{synthetic, ProblemSpec, Schedule};
    use pipecut_testkit::partitions;

    /// The least start times the rows allow when every staircase cell is
    /// fixed: durations and delays from their `=` rows, then every `>=` row
    /// `head - sum(others) >= 0` raised to a fixpoint (the longest path).
    fn implied(model: &LinearModel) -> Vec<f64> {
        let mut x = vec![0.0; model.vars.len()];
        for row in model.rows.iter().filter(|r| r.sense == Sense::Eq) {
            let [(v, c)] = row.expr.terms[..] else {
                panic!("a duration or delay row with free cells: {row:?}");
            };
            x[v] = -row.expr.constant / c;
        }
        let ge: Vec<_> = model.rows.iter().filter(|r| r.sense == Sense::Ge).collect();
        for _ in 0..=ge.len() {
            let mut changed = false;
            for row in &ge {
                let (head, _) = *row.expr.terms.iter().find(|t| t.1 == 1.0).unwrap();
                let need = x[head] - row.expr.eval(&x);
                if need > x[head] {
                    x[head] = need;
                    changed = true;
                }
            }
            if !changed {
                return x;
            }
        }
        panic!("the precedence rows have a cycle");
    }

    fn problems() -> Vec<Problem> {
        let schedules = [
            Schedule::GPipe,
            Schedule::OneFOneB,
            Schedule::Interleaved { virtual_stages: 2 },
        ];
        let mut out = Vec::new();
        for seed in 0..8u64 {
            for schedule in schedules {
                let family = synthetic::Family::ALL[(seed % 4) as usize];
                let p = if seed % 2 == 0 { 2 } else { 4 };
                let m = 2 * (1 + seed as usize % 3);
                let mut spec = ProblemSpec::new(synthetic::generate(family, 6, seed), p)
                    .with_micro_batches(m)
                    .with_schedule(schedule);
                if seed % 3 != 0 {
                    spec = spec.with_link(0.05, 4e7);
                }
                if seed % 4 == 1 {
                    spec = spec.with_speeds((0..p).map(|k| 1.0 + 0.5 * (k % 3) as f64).collect());
                }
                out.push(spec.check().unwrap());
            }
        }
        out
    }

    /// For every partition of small problems of every schedule, the start
    /// times the rows imply are the simulator's, and so is the makespan: the
    /// model states the schedule's rules exactly as the simulator runs them.
    #[test]
    fn implied_start_times_are_the_simulated_ones() {
        for problem in problems() {
            let prefix = Prefix::new(&problem);
            let sim = Simulator::new(&problem);
            for part in partitions(problem.layers(), problem.stages()) {
                let fixed = Windows {
                    lo: part.starts().to_vec(),
                    hi: part.starts().to_vec(),
                };
                let scale = 2.0;
                let input = ModelInput::unbounded(&problem, &prefix, fixed, scale);
                let built = StepTimeModel::build(&input).unwrap();
                let x = implied(&built.model);
                let run = sim.run(&problem, &part, true).unwrap();
                let tol = 1e-9 * run.step_time.max(1.0);
                let timeline = run.timeline.unwrap();
                assert_eq!(timeline.len(), built.operations);
                for t in &timeline {
                    let v = built.start_var(t.stage, t.kind, t.micro_batch).unwrap();
                    assert!(
                        (x[v] * scale - t.start).abs() <= tol,
                        "{} {part}: {t:?} starts at {} in the model",
                        problem.schedule(),
                        x[v] * scale
                    );
                }
                let c = x[built.makespan_var()] * scale;
                assert!((c - run.step_time).abs() <= tol, "{c} vs {}", run.step_time);
            }
        }
    }

    #[test]
    fn delays_only_where_a_dependency_crosses_devices() {
        // Interleaved with one device: every stage on device 0, no delays.
        let chain = synthetic::generate(synthetic::Family::Transformer, 6, 1);
        let problem = ProblemSpec::new(chain, 2)
            .with_micro_batches(2)
            .with_schedule(Schedule::Interleaved { virtual_stages: 2 })
            .with_link(0.05, 4e7)
            .check()
            .unwrap();
        let prefix = Prefix::new(&problem);
        let windows = Windows::trivial(6, 2);
        let input = ModelInput::unbounded(&problem, &prefix, windows.clone(), 1.0);
        let built = StepTimeModel::build(&input).unwrap();
        assert!(built.delay.iter().all(Option::is_none));
        let problem = problem
            .into_spec()
            .with_schedule(Schedule::OneFOneB)
            .check()
            .unwrap();
        let input = ModelInput::unbounded(&problem, &prefix, windows, 1.0);
        let built = StepTimeModel::build(&input).unwrap();
        assert_eq!(built.delay, vec![Some(built.delay[0].unwrap()), None]);
    }
}
