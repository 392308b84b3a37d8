//! `uniform`: equal layer counts, costs ignored.

use pipecut_core::{Partition, Problem};

/// Layer counts as equal as possible; the first `N mod P` stages get one more.
///
/// ```
/// use pipecut_core::{Chain, Layer, ProblemSpec};
/// let chain = Chain::new("c", "s", (0..10).map(|i| Layer::new(format!("l{i}"), 1.0, 1.0)).collect()).unwrap();
/// let problem = ProblemSpec::new(chain, 4).check().unwrap();
/// assert_eq!(pipecut_heuristics::uniform_partition(&problem).sizes(), vec![3, 3, 2, 2]);
/// ```
pub fn uniform_partition(problem: &Problem) -> Partition {
    let (n, p) = (problem.layers(), problem.stages());
    let sizes: Vec<usize> = (0..p).map(|k| n / p + usize::from(k < n % p)).collect();
    // A checked problem has 1 <= P <= N: every size is at least 1 and they sum to N.
    Partition::from_sizes(&sizes).unwrap_or_else(|e| unreachable!("uniform sizes {sizes:?}: {e}"))
}

rule_partitioner! {
    /// `uniform`: equal layer counts, see [`uniform_partition`].
    pub struct Uniform = "uniform", pipecut_core::Objective::Rule, |_, problem| Ok(uniform_partition(problem)),
    "equal layer counts; the first N mod P stages get one more (ignores costs)"
}
