//! What both partitioners know before they build a model: the checked
//! options, the clock the time limit runs on, prefix sums, the incumbent,
//! the objective's scale and cap, and the notes so far.

use std::time::Instant;

use pipecut_core::{Prefix, Problem};

use crate::bottleneck_dp::least_bottleneck;
use crate::error::MilpError;
use crate::model::windows::fixing_windows;
use crate::model::ModelInput;
use crate::options::{CheckedOptions, MilpOptions};
use crate::partitioner::Seeds;
use crate::warm_start::{best_start, objective_scale, Goal, Incumbent};

/// The state of one solve up to model building.
pub(crate) struct SolveContext<'a> {
    pub problem: &'a Problem,
    pub prefix: Prefix,
    pub options: CheckedOptions,
    /// When the solve began (the time limit counts from here).
    pub started: Instant,
    pub goal: Goal,
    pub incumbent: Option<Incumbent>,
    /// The objective's unit: model objective times `scale` is in the chain's
    /// time unit.
    pub scale: f64,
    /// Largest objective worth finding (just above the incumbent's value;
    /// infinite without one).
    pub cap_value: f64,
    pub notes: Vec<String>,
}

impl<'a> SolveContext<'a> {
    /// Checks the options, starts the clock, finds the warm start and
    /// derives the scale and cap from it.
    pub fn new(
        problem: &'a Problem,
        options: &MilpOptions,
        goal: Goal,
        seeds: &Seeds,
    ) -> Result<Self, MilpError> {
        let started = Instant::now();
        let options = options.check()?;
        let prefix = Prefix::new(problem);
        let mut notes = vec![format!("backend: {}", options.backend)];
        let incumbent = best_start(
            problem,
            &prefix,
            goal,
            &options,
            &seeds.0,
            options.deadline(started),
            &mut notes,
        );
        notes.extend(incumbent.as_ref().map(|i| i.note(goal)));
        let scale = objective_scale(incumbent.as_ref(), estimate(problem, &prefix, goal));
        let cap_value = incumbent
            .as_ref()
            .map_or(f64::INFINITY, |i| i.value * (1.0 + 1e-9) + 1e-12 * scale);
        Ok(SolveContext {
            problem,
            prefix,
            options,
            started,
            goal,
            incumbent,
            scale,
            cap_value,
            notes,
        })
    }

    /// What the model is built from: the staircase fixed to windows for
    /// stages whose compute is at most `compute_cap` (noted), and the
    /// objective between the bound cut (when on: `factor` times the least
    /// bottleneck, link costs counted when `with_comm`) and the cap.
    pub fn model_input(
        &mut self,
        compute_cap: f64,
        factor: f64,
        with_comm: bool,
    ) -> Result<ModelInput<'_>, MilpError> {
        let windows = fixing_windows(
            self.problem,
            &self.prefix,
            self.options.probe_fixing,
            compute_cap,
            self.incumbent.as_ref().map(|i| &i.partition),
            &mut self.notes,
        )?;
        let lower = if self.options.bound_cut {
            least_bottleneck(self.problem, &self.prefix, with_comm)
                .map_or(0.0, |b| factor * b / self.scale * (1.0 - 1e-9))
        } else {
            0.0
        };
        Ok(ModelInput {
            problem: self.problem,
            prefix: &self.prefix,
            windows,
            scale: self.scale,
            range: (lower, self.cap_value / self.scale),
        })
    }
}

/// A rough objective value, the scale when no incumbent is known: the
/// slowest speed times an even share of the work (times `M` for the step
/// time).
fn estimate(problem: &Problem, prefix: &Prefix, goal: Goal) -> f64 {
    let (n, p, m) = (problem.layers(), problem.stages(), problem.micro_batches());
    let max_speed = (0..p).map(|k| problem.speed(k)).fold(0.0, f64::max);
    match goal {
        Goal::Bottleneck => max_speed * prefix.work(0, n) / p as f64,
        Goal::StepTime => max_speed * prefix.work(0, n) * m as f64 / p as f64,
    }
}
