//! What both MILP partitioners share besides the solve itself: their seed
//! list, the [`BackendChoice`] capability, and one macro that writes the
//! construction methods and the `Partitioner`, `TimeLimited`,
//! `WarmStartable`, `Threaded` and `BackendChoice` impls for a type with
//! `options` and `seeds` fields and a `solve_milp` method. (A macro, not a
//! generic: the two types differ only in constants and `solve_milp`, and the
//! registry names their constants.)

use pipecut_core::Partitioner;

use crate::backend::Backend;

/// A solver whose MILP backend can be chosen (checked when solving: a backend
/// not compiled in is [`MilpError::BackendNotCompiled`](crate::MilpError::BackendNotCompiled)).
pub trait BackendChoice {
    /// Sets the backend.
    fn set_backend(&mut self, backend: Backend);
    /// The current backend.
    fn backend(&self) -> Backend;
}

/// Seed partitioners, with a manual `Debug` (trait objects have none).
#[derive(Default)]
pub(crate) struct Seeds(pub Vec<Box<dyn Partitioner>>);

impl std::fmt::Debug for Seeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| s.name()))
            .finish()
    }
}

macro_rules! milp_partitioner {
    ($ty:ident, name = $name:literal, bound_cut = $cut:expr, description = $desc:literal) => {
        impl Default for $ty {
            fn default() -> Self {
                $ty::new()
            }
        }

        impl $ty {
            /// Name on the command line.
            pub const NAME: &'static str = $name;

            /// One line saying what it does and what it guarantees.
            pub const DESCRIPTION: &'static str = $desc;

            /// Default options: default backend, 10 s, one thread, probe
            /// fixing on; the DP bound cut off for `milp`, on for
            /// `milp-steptime`.
            pub fn new() -> Self {
                $ty::with_options($crate::options::MilpOptions::new($cut))
            }

            /// With these options (checked when solving).
            pub fn with_options(options: $crate::options::MilpOptions) -> Self {
                $ty {
                    options,
                    seeds: $crate::partitioner::Seeds::default(),
                }
            }

            /// The current options.
            pub fn options(&self) -> &$crate::options::MilpOptions {
                &self.options
            }

            /// Mutable options.
            pub fn options_mut(&mut self) -> &mut $crate::options::MilpOptions {
                &mut self.options
            }

            /// Sets the backend (checked when solving: a backend not compiled
            /// in is [`MilpError::BackendNotCompiled`]).
            pub fn with_backend(mut self, backend: $crate::backend::Backend) -> Self {
                self.options.backend = backend;
                self
            }

            /// Adds a partitioner whose solution is a warm-start candidate.
            pub fn with_seed(mut self, seed: Box<dyn pipecut_core::Partitioner>) -> Self {
                self.seeds.0.push(seed);
                self
            }
        }

        impl pipecut_core::Partitioner for $ty {
            fn name(&self) -> &str {
                Self::NAME
            }

            fn description(&self) -> &str {
                Self::DESCRIPTION
            }

            fn solve(
                &self,
                problem: &pipecut_core::Problem,
            ) -> pipecut_core::Result<pipecut_core::Solution> {
                self.solve_milp(problem)
                    .map_err(|e| e.into_core(Self::NAME))
            }
        }

        impl pipecut_core::TimeLimited for $ty {
            fn set_time_limit(&mut self, limit: Option<std::time::Duration>) {
                self.options.time_limit = limit;
            }
            fn time_limit(&self) -> Option<std::time::Duration> {
                self.options.time_limit
            }
        }

        impl pipecut_core::WarmStartable for $ty {
            fn set_warm_start(&mut self, start: Option<pipecut_core::Partition>) {
                self.options.warm_start = start;
            }
        }

        impl pipecut_core::Threaded for $ty {
            /// Sets the thread count; 0 is rejected when solving
            /// ([`MilpError::InvalidOption`]).
            fn set_threads(&mut self, threads: usize) {
                self.options.threads = threads;
            }
        }

        impl $crate::partitioner::BackendChoice for $ty {
            fn set_backend(&mut self, backend: $crate::backend::Backend) {
                self.options.backend = backend;
            }
            fn backend(&self) -> $crate::backend::Backend {
                self.options.backend
            }
        }
    };
}
pub(crate) use milp_partitioner;
