//! Every partitioner by name, as the CLI and the harness use them.

use std::time::Duration;

use crate::core::{Partitioner, Threaded, TimeLimited};
use crate::milp::Backend;

/// The algorithm `pipecut plan` uses unless told otherwise: the fast exact
/// bottleneck solver.
pub const DEFAULT_ALGORITHM: &str = "exact";

/// Knobs for the solvers that take them.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Wall-clock limit per MILP solve (`None`: the solver's default).
    pub time_limit: Option<Duration>,
    /// MILP backend (`None`: the best compiled in).
    pub milp_backend: Option<Backend>,
    /// Threads for solvers that can use several.
    pub threads: usize,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            time_limit: Some(Duration::from_secs(10)),
            milp_backend: None,
            threads: 1,
        }
    }
}

fn milp_solvers(opts: &RegistryOptions) -> Vec<Box<dyn Partitioner>> {
    let mut bottleneck = crate::milp::MilpBottleneck::default();
    let mut step = crate::milp::MilpStepTime::default();
    if let Some(backend) = opts.milp_backend {
        bottleneck.options_mut().backend = backend;
        step.options_mut().backend = backend;
    }
    bottleneck.set_time_limit(opts.time_limit);
    step.set_time_limit(opts.time_limit);
    bottleneck.set_threads(opts.threads);
    step.set_threads(opts.threads);
    vec![Box::new(bottleneck), Box::new(step)]
}

/// Every partitioner: exact solvers first, then AutoPipe, the framework
/// baselines and the MILP models.
pub fn all(opts: &RegistryOptions) -> Vec<Box<dyn Partitioner>> {
    let mut out: Vec<Box<dyn Partitioner>> = vec![
        Box::new(crate::exact::Exact::default()),
        Box::new(crate::exact::Dp::bottleneck()),
        Box::new(crate::exact::Dp::surrogate()),
    ];
    out.extend(crate::heuristics::all());
    out.extend(milp_solvers(opts));
    out
}

/// No partitioner has the requested name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm `{name}`; choose one of: {}", known.join(", "))]
pub struct UnknownAlgorithm {
    /// The name asked for.
    pub name: String,
    /// Every known name.
    pub known: Vec<String>,
}

/// The partitioner called `name`.
pub fn by_name(
    name: &str,
    opts: &RegistryOptions,
) -> Result<Box<dyn Partitioner>, UnknownAlgorithm> {
    let mut all = all(opts);
    match all.iter().position(|p| p.name() == name) {
        Some(i) => Ok(all.swap_remove(i)),
        None => Err(UnknownAlgorithm {
            name: name.to_string(),
            known: all.iter().map(|p| p.name().to_string()).collect(),
        }),
    }
}

/// Names of every partitioner, in [`all`]'s order.
pub fn names(opts: &RegistryOptions) -> Vec<String> {
    all(opts).iter().map(|p| p.name().to_string()).collect()
}
