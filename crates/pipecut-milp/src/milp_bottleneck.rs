//! `milp`: the staircase bottleneck MILP as a partitioner.

use pipecut_core::{Problem, Solution};

use crate::error::MilpError;
use crate::finish::Finish;
use crate::model::bottleneck::BottleneckModel;
use crate::options::MilpOptions;
use crate::partitioner::{milp_partitioner, Seeds};
use crate::solve_context::SolveContext;
use crate::warm_start::Goal;

/// Exact minimum bottleneck `max_k t_k` by a staircase MILP, with memory caps
/// (device memory summed over its chunks when interleaved), cut costs and
/// per-stage speeds.
///
/// Minimise `T` subject to `T >= speed_k * (F_k + B_k) + comm_k` for every
/// stage and `sum over the device's stages of (params + in_flight *
/// activations) <= capacity` for every device, every term linear in the
/// staircase variables (see the crate docs). Warm-started from the best of the
/// given warm start, the seed partitioners and the built-in candidates; that
/// incumbent also caps `T` and fixes every cell outside the probe windows.
#[derive(Debug)]
pub struct MilpBottleneck {
    options: MilpOptions,
    seeds: Seeds,
}

impl MilpBottleneck {
    /// Solves, keeping this crate's typed error.
    pub fn solve_milp(&self, problem: &Problem) -> Result<Solution, MilpError> {
        let mut ctx = SolveContext::new(problem, &self.options, Goal::Bottleneck, &self.seeds)?;
        let cap_value = ctx.cap_value;
        let mut built = BottleneckModel::build(&ctx.model_input(cap_value, 1.0, true)?)?;
        if let Some(i) = &ctx.incumbent {
            built.start_from(&i.partition);
        }
        Finish {
            model: &built.model,
            stair: &built.stair,
            terms: problem.layers(),
        }
        .run(ctx, |_, _, eval| Ok(eval.bottleneck))
    }
}

milp_partitioner!(
    MilpBottleneck,
    name = "milp",
    bound_cut = false,
    description =
        "staircase MILP (good_lp): exact minimum bottleneck with memory caps, cut costs and speeds"
);
