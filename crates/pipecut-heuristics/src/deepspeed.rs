//! `deepspeed`: DeepSpeed's `partition_method="parameters"`, reproduced
//! faithfully, not improved.

use pipecut_core::{Partition, Problem};

/// DeepSpeed's `partition_method="parameters"` (`partition_balanced` in
/// `deepspeed.runtime.utils`), reproduced faithfully, not improved.
///
/// Weights are the layers' `param_bytes`. A DP over (prefix length `i`, parts
/// `j`) keeps, per state, the single choice of the last part's start `k` that
/// minimises `max part - min part` of the partition so far (`>=`: ties go to
/// the later `k`); a one-part prefix has its own sum as both its max and its
/// min. The split is read back from the stored choices. DeepSpeed starts `k`
/// at 0 for every `j`; a `k` whose prefix cannot hold `j - 1` parts has an
/// infinite cost there and is always overridden by a feasible one (which
/// comes later), so only feasible `k` are visited here: same result.
/// Arithmetic is exact (`u64`); DeepSpeed's float64 agrees whenever the sums
/// stay below 2^53. The original scans every `k` (`O(N^2 P)`); here each
/// state's scan is pruned by bounds that can only skip candidates that lose,
/// so the choice is the same (a test compares with a literal port). Not
/// exact for the largest part: see the crate tests.
pub fn deepspeed_partition(problem: &Problem) -> Partition {
    let weights: Vec<u64> = problem
        .chain()
        .layers()
        .iter()
        .map(|l| l.param_bytes)
        .collect();
    deepspeed_balanced(&weights, problem.stages())
}

/// The DP tables of [`deepspeed_balanced`], `(prefix length, parts)` flattened.
struct Tables {
    parts: usize,
    /// `prefix[i]`: the first `i` weights summed.
    prefix: Vec<u64>,
    dp_max: Vec<u64>,
    dp_min: Vec<u64>,
    position: Vec<usize>,
}

impl Tables {
    #[inline]
    fn at(&self, i: usize, j: usize) -> usize {
        i * (self.parts + 1) + j
    }

    /// `(max - min, max, min)` of the best split of `0..k` in `j - 1` parts
    /// followed by the part `k..i`.
    #[inline]
    fn cost(&self, i: usize, j: usize, k: usize) -> (u64, u64, u64) {
        let part = self.prefix[i] - self.prefix[k];
        let max_sum = self.dp_max[self.at(k, j - 1)].max(part);
        let min_sum = self.dp_min[self.at(k, j - 1)].min(part);
        (max_sum - min_sum, max_sum, min_sum)
    }

    /// DeepSpeed's choice for state `(i, j)`, `j >= 2`: the largest `k` of
    /// least cost, with its max and min.
    fn choose(&self, i: usize, j: usize) -> Option<(usize, u64, u64)> {
        // Candidates k in j-1..i. The prefix 0..k in j-1 parts has a min
        // part <= W[k] / (j-1) <= its max part, so
        //   cost(k) >= part - floor(W[k] / (j-1))   (grows as k falls),
        //   cost(k) >= ceil(W[k] / (j-1)) - part    (grows as k rises).
        // First the least cost: scan outwards from where the two bounds
        // cross, each side stopping once its bound reaches the best. Then
        // DeepSpeed's choice, the largest k of least cost: downwards from the
        // last k whose second bound still allows it. Both bounds depend on k
        // only through W[k], so the crossings are binary searches over W.
        let parts_before = (j - 1) as u64;
        let total = self.prefix[i];
        let low_bound = |w: u64| (total - w).saturating_sub(w / parts_before);
        let high_bound = |w: u64| w.div_ceil(parts_before).saturating_sub(total - w);
        let candidates = &self.prefix[j - 1..i];
        let cross = j - 1 + candidates.partition_point(|&w| high_bound(w) < low_bound(w));
        let mut least = u64::MAX;
        for k in cross..i {
            if high_bound(self.prefix[k]) >= least || least == 0 {
                break;
            }
            least = least.min(self.cost(i, j, k).0);
        }
        for k in (j - 1..cross).rev() {
            if low_bound(self.prefix[k]) >= least || least == 0 {
                break;
            }
            least = least.min(self.cost(i, j, k).0);
        }
        let last = j - 1 + candidates.partition_point(|&w| high_bound(w) <= least);
        (j - 1..last)
            .rev()
            .map(|k| (k, self.cost(i, j, k)))
            .find(|(_, c)| c.0 == least)
            .map(|(k, (_, max_sum, min_sum))| (k, max_sum, min_sum))
    }
}

/// [`deepspeed_partition`] on raw weights (`1 <= parts <= weights.len()`).
pub fn deepspeed_balanced(weights: &[u64], parts: usize) -> Partition {
    let n = weights.len();
    let m = parts.clamp(1, n.max(1));
    let mut prefix = vec![0u64; n + 1];
    for (i, w) in weights.iter().enumerate() {
        // Checked problems prove the total fits in u64; saturate otherwise.
        prefix[i + 1] = prefix[i].saturating_add(*w);
    }
    let cells = (n + 1) * (m + 1);
    let mut t = Tables {
        parts: m,
        prefix,
        dp_max: vec![0; cells],
        dp_min: vec![0; cells],
        position: vec![0; cells],
    };
    for i in 1..=n {
        // One part: its own sum is both the max and the min (k = 0 only).
        let one = t.at(i, 1);
        t.dp_max[one] = t.prefix[i];
        t.dp_min[one] = t.prefix[i];
        for j in 2..=i.min(m) {
            if let Some((k, max_sum, min_sum)) = t.choose(i, j) {
                let at = t.at(i, j);
                t.dp_max[at] = max_sum;
                t.dp_min[at] = min_sum;
                t.position[at] = k;
            }
        }
    }
    let mut bounds = vec![n];
    for j in (1..=m).rev() {
        let end = *bounds.last().unwrap_or(&n);
        bounds.push(t.position[t.at(end, j)]);
    }
    bounds.reverse();
    bounds.pop();
    Partition::new(bounds, n).unwrap_or_else(|e| unreachable!("deepspeed split: {e}"))
}

rule_partitioner! {
    /// `deepspeed`: DeepSpeed's `parameters` method, see [`deepspeed_partition`].
    pub struct DeepSpeed = "deepspeed", pipecut_core::Objective::Rule, |_, problem| Ok(deepspeed_partition(problem)),
    "DeepSpeed's partition_method=\"parameters\": its max-minus-min DP over param_bytes, faithfully (not exact)"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_example() {
        // Weights 1..=6 in 3 parts: [1 2 3] [4 5] [6], sums 6, 9, 6 (max - min
        // = 3). Prefix (5 items, 2 parts) keeps [1 2 3][4 5] (9 - 6 = 3) over
        // [1 2 3 4][5] (10 - 5 = 5), and the last part [6] keeps the spread at 3.
        let w = [1u64, 2, 3, 4, 5, 6];
        let got = deepspeed_balanced(&w, 3);
        assert_eq!(got.starts(), &[0, 3, 5]);
        // One part per item when parts == items.
        assert_eq!(deepspeed_balanced(&w, 6).starts(), &[0, 1, 2, 3, 4, 5]);
        // Zero weights: every tie goes to the later split point.
        assert_eq!(deepspeed_balanced(&[0; 5], 3).starts(), &[0, 3, 4]);
    }
}
