//! `greedy`: fill each stage up to its share of the total cost.

use pipecut_core::{Partition, Problem};

/// Relative slack when comparing a stage's fill with its target, so that
/// costs like `0.1` that sum with rounding error still fill a stage exactly.
const GREEDY_SLACK: f64 = 1e-9;

/// Greedy fill by `F + B`: stage `k` takes layers while its total stays
/// within its share of the chain's total, at least one layer, and never so
/// many that a later stage would be empty; the last stage takes the rest.
///
/// The share is `total / P` without speed factors; with them it is
/// `total * (1 / speed[k]) / sum_j (1 / speed[j])`, so every stage gets the
/// same compute *time* when the split is perfect. Communication and memory
/// are ignored (this is a baseline). A fill within a relative `1e-9` of the
/// share counts as within it.
pub fn greedy_partition(problem: &Problem) -> Partition {
    let layers = problem.chain().layers();
    let (n, p) = (layers.len(), problem.stages());
    let total: f64 = layers.iter().map(|l| l.cost()).sum();
    let inverse: Vec<f64> = (0..p).map(|k| 1.0 / problem.speed(k)).collect();
    let inverse_sum: f64 = inverse.iter().sum();
    let mut starts = Vec::with_capacity(p);
    let mut at = 0;
    for (k, inv) in inverse.iter().enumerate() {
        starts.push(at);
        if k + 1 == p {
            break;
        }
        let share = total * inv / inverse_sum;
        let limit = share + GREEDY_SLACK * total;
        // Leave one layer for each later stage.
        let last_end = n - (p - k - 1);
        let mut end = at + 1;
        let mut fill = layers[at].cost();
        while end < last_end && fill + layers[end].cost() <= limit {
            fill += layers[end].cost();
            end += 1;
        }
        at = end;
    }
    Partition::new(starts, n).unwrap_or_else(|e| unreachable!("greedy split: {e}"))
}

rule_partitioner! {
    /// `greedy`: fill each stage up to its share, see [`greedy_partition`].
    pub struct Greedy = "greedy", pipecut_core::Objective::Bottleneck, |_, problem| Ok(greedy_partition(problem)),
    "fill each stage with F+B up to its share of the total (speed-aware), never leaving a later stage empty"
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::ProblemSpec;
    use pipecut_testkit::{problem, uniform};

    #[test]
    fn fills_up_to_share() {
        let chain = uniform(5, 0.5, 0.5);
        // Total 5, share 2.5: stage 0 takes 2 layers, the last the rest.
        assert_eq!(
            greedy_partition(&problem(chain.clone(), 2, 1)).sizes(),
            vec![2, 3]
        );
        // Speeds 1 and 4: shares 4 and 1.
        let pr = ProblemSpec::new(chain, 2)
            .with_speeds(vec![1.0, 4.0])
            .check()
            .unwrap();
        assert_eq!(greedy_partition(&pr).sizes(), vec![4, 1]);
        // 0.1-valued costs that sum with rounding error still fill exactly.
        let tenth = uniform(10, 0.1, 0.0);
        assert_eq!(greedy_partition(&problem(tenth, 5, 1)).sizes(), vec![2; 5]);
    }
}
