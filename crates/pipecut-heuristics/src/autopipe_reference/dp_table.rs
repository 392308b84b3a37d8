//! Steps 1 and 2: the reference's DP over prefix sums of per-layer work and
//! its smallest-start reconstruction, on the reference's own numbers.

use super::arithmetic::{prefix_of, Scalar};

/// Step 1's DP table over prefix sums of per-layer work, with an explicit
/// infinity (`None`).
#[derive(Debug, Clone)]
pub struct DpTable<T> {
    stages: usize,
    prefix: Vec<T>,
    dp: Vec<Option<T>>,
}

impl<T: Scalar> DpTable<T> {
    /// Builds `dp[i][p]` for `i <= N`, `p <= stages`.
    ///
    /// For `p >= 2` and `j >= p - 1`, `dp[j][p-1]` never decreases as `j`
    /// grows (removing a layer cannot raise the best bottleneck, also in
    /// rounded `f64`) and `W[i] - W[j]` never increases, so
    /// `max(dp[j][p-1], W[i] - W[j])` falls and then rises in `j`: its minimum
    /// is at the first `j` where the first term reaches the second, or just
    /// before it. That first `j` never moves left as `i` grows (`W[i] - W[j]`
    /// only grows), so one sweep per `p` finds it for every `i`, and the
    /// value is exactly the reference's full-scan minimum in `O(S N)` (a test
    /// checks it against the scan).
    pub fn new(work: &[T], stages: usize) -> Self {
        let n = work.len();
        let prefix = prefix_of(work);
        let width = stages + 1;
        let mut dp: Vec<Option<T>> = vec![None; (n + 1) * width];
        dp[0] = Some(T::ZERO);
        if stages >= 1 {
            // dp[j][0] is finite only at j = 0.
            for i in 1..=n {
                dp[i * width + 1] = Some(prefix[i]);
            }
        }
        for p in 2..=stages {
            let mut cross = p - 1;
            for i in p..=n {
                let a = |j: usize| dp[j * width + p - 1].unwrap_or(T::ZERO);
                let t = |j: usize| prefix[i] - prefix[j];
                while cross < i && a(cross) < t(cross) {
                    cross += 1;
                }
                let mut best: Option<T> = None;
                for j in [cross.wrapping_sub(1), cross] {
                    if j >= p - 1 && j < i {
                        let v = a(j).max_of(t(j));
                        if best.is_none_or(|b| v < b) {
                            best = Some(v);
                        }
                    }
                }
                dp[i * width + p] = best;
            }
        }
        DpTable { stages, prefix, dp }
    }

    /// `dp[i][p]` (`None`: infinite).
    pub fn value(&self, i: usize, p: usize) -> Option<T> {
        self.dp.get(i * (self.stages + 1) + p).copied().flatten()
    }

    /// Step 2: the starts of `p` stages covering layers `0..i`, from the last
    /// stage backwards, each taking the smallest `j` with
    /// `dp[i][p] == max(dp[j][p-1], W[i] - W[j])`. `None` when `dp[i][p]` is
    /// infinite.
    pub fn reconstruct(&self, i: usize, p: usize) -> Option<Vec<usize>> {
        let mut starts = vec![0; p];
        let mut end = i;
        for q in (1..=p).rev() {
            let target = self.value(end, q)?;
            let total = *self.prefix.get(end)?;
            // No j below the first with W[end] - W[j] <= target can attain it.
            let lo = q - 1 + self.prefix[q - 1..end].partition_point(|&w| total - w > target);
            let j = (lo..end).find(|&j| {
                self.value(j, q - 1)
                    .is_some_and(|a| a.max_of(total - self.prefix[j]) == target)
            })?;
            starts[q - 1] = j;
            end = j;
        }
        Some(starts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dp_matches_a_full_scan() {
        let w: Vec<u128> = vec![3, 0, 7, 1, 1, 9, 0, 0, 4, 2, 2, 5];
        let table = DpTable::new(&w, 5);
        let prefix = prefix_of(&w);
        for p in 1..=5 {
            for i in 0..=w.len() {
                let full = (0..i)
                    .filter_map(|j| {
                        let a = if p == 1 {
                            (j == 0).then_some(0)
                        } else {
                            table.value(j, p - 1)
                        };
                        a.map(|a| a.max(prefix[i] - prefix[j]))
                    })
                    .min();
                assert_eq!(table.value(i, p), full, "i={i} p={p}");
            }
        }
        // The reconstruction attains the value.
        let starts = table.reconstruct(12, 5).unwrap();
        let ends = starts.iter().skip(1).copied().chain([w.len()]);
        let worst = starts
            .iter()
            .zip(ends)
            .map(|(&s, e)| prefix[e] - prefix[s])
            .max();
        assert_eq!(worst, table.value(12, 5));
    }
}
