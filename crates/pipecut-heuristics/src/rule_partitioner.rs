//! The shape every rule-based baseline shares: a `NAME`, a `DESCRIPTION`
//! and a `solve` that wraps one split function's partition in a heuristic
//! [`Solution`](pipecut_core::Solution).

/// `rule_partitioner! { Type = "name", objective, split, "description" }`
/// writes `NAME`, `DESCRIPTION` and the `Partitioner` impl of `Type`, whose
/// split is `|&Self, &Problem| -> Result<Partition, HeuristicError>` and
/// whose solutions minimise `objective`.
///
/// `rule_partitioner! { /// docs  pub struct Type = "name", ... }` also
/// declares `Type` as a unit struct (`Debug`, `Clone`, `Copy`, `Default`).
macro_rules! rule_partitioner {
    ($(#[$meta:meta])* pub struct $ty:ident = $name:literal, $objective:expr, $split:expr, $description:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;

        rule_partitioner! { $ty = $name, $objective, $split, $description }
    };
    ($ty:ty = $name:literal, $objective:expr, $split:expr, $description:expr) => {
        impl $ty {
            /// Name on the command line.
            pub const NAME: &'static str = $name;
            /// What it does.
            pub const DESCRIPTION: &'static str = $description;
        }

        impl pipecut_core::Partitioner for $ty {
            pipecut_core::partitioner_names!();
            fn solve(
                &self,
                problem: &pipecut_core::Problem,
            ) -> pipecut_core::Result<pipecut_core::Solution> {
                let split: fn(
                    &Self,
                    &pipecut_core::Problem,
                ) -> std::result::Result<
                    pipecut_core::Partition,
                    $crate::HeuristicError,
                > = $split;
                let partition = split(self, problem).map_err(|e| e.into_core(Self::NAME))?;
                Ok(pipecut_core::Solution::heuristic(partition, $objective))
            }
        }
    };
}
