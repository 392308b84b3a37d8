//! The error type of `pipecut-exact`.

use thiserror::Error;

/// What the exact solvers can refuse, beyond the shared
/// [`pipecut_core::Error`] variants they also return.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExactError {
    /// The DP table `stages x layers^2` is larger than the solver's `max_cells`.
    #[error(
        "`dp` refuses this problem: `stages` = {stages} x `layers`^2 = {layers}^2 gives {cells} cells, \
         more than `max_cells` = {max_cells}; use the `exact` algorithm for the bottleneck, \
         which scales to millions of layers, or raise `max_cells`"
    )]
    TooLarge {
        /// Number of layers `N`.
        layers: usize,
        /// Number of stages `P`.
        stages: usize,
        /// `P * N * N`.
        cells: u128,
        /// The configured limit.
        max_cells: u64,
    },
    /// `exact` had to fall back to the DP (cut costs from the link make stage
    /// time non-monotone in a stage's extent) but the DP refuses the size.
    #[error(
        "`exact` cannot solve this problem: the link (latency {latency}, bandwidth {bandwidth}) \
         charges cut costs, which make stage time non-monotone in a stage's extent, so `exact` \
         falls back to `dp`, which refuses {stages} stages x {layers}^2 layers = {cells} cells \
         (more than `max_cells` = {max_cells}); raise the fallback's `max_cells` or drop the link"
    )]
    FallbackTooLarge {
        /// Link latency.
        latency: f64,
        /// Link bandwidth.
        bandwidth: f64,
        /// Number of layers `N`.
        layers: usize,
        /// Number of stages `P`.
        stages: usize,
        /// `P * N * N`.
        cells: u128,
        /// The fallback DP's limit.
        max_cells: u64,
    },
    /// The search for the least busiest-device load (schedules with several
    /// stages per device) visited more states than its budget.
    #[error(
        "the search for the least busiest-device load gave up after {states} states \
         ({layers} layers, {stages} stages on {devices} devices); use fewer layers (merge \
         small ones), fewer stages per device, or the MILP (`milp`)"
    )]
    DeviceSearchTooLarge {
        /// Number of layers `N`.
        layers: usize,
        /// Number of stages `P`.
        stages: usize,
        /// Number of devices.
        devices: usize,
        /// States visited before giving up.
        states: usize,
    },
    /// The chain's total cost overflows `f64`, so stage times are not finite.
    #[error("the chain's total `forward + backward` cost is {total}, not a finite number; scale the costs down")]
    NonFiniteTotal {
        /// The overflowing total.
        total: f64,
    },
    /// `exact-steptime`'s bound tables would exceed their size limit.
    #[error(
        "`exact-steptime` refuses this problem: `layers` x `stages` = {layers} x {stages} = {cells} \
         cells, more than {max_cells}; use `auto` or `autopipe`"
    )]
    StepTimeTooLarge {
        /// Number of layers `N`.
        layers: usize,
        /// Number of stages `P`.
        stages: usize,
        /// `N * P`.
        cells: usize,
        /// The limit.
        max_cells: usize,
    },
    /// The simulator refused the problem (e.g. too many operations).
    #[error("the simulator cannot run this problem: {0}")]
    Simulation(String),
}

impl ExactError {
    /// Wraps the error as the core error a [`pipecut_core::Partitioner`] returns.
    pub fn into_core(self, algorithm: &str) -> pipecut_core::Error {
        pipecut_core::Error::Solver {
            algorithm: algorithm.to_string(),
            source: Box::new(self),
        }
    }
}
