//! Reading partitions back out of a feasible probe's reachable sets: the
//! optimum with every cut as late as possible and the one with every cut as
//! early as possible (every partition meeting the threshold lies between
//! them, cut by cut).

use super::probe::Prober;

impl Prober<'_, '_> {
    /// The partition with every cut as late as possible, after a feasible probe.
    pub fn latest(&self) -> Vec<usize> {
        let p = self.model.stages();
        let mut starts = vec![0usize; p];
        let mut end = self.sums.len();
        for k in (1..p).rev() {
            let set = self.set(k);
            // Last interval starting before `end`.
            let i = set.partition_point(|&(l, _)| l < end) - 1;
            let a = set[i].1.min(end - 1);
            starts[k] = a;
            end = a;
        }
        starts
    }

    /// The partition with every cut as early as possible, after a feasible probe.
    pub fn earliest(&self) -> Vec<usize> {
        let p = self.model.stages();
        let mut starts = vec![0usize; p];
        let mut end = self.sums.len();
        for k in (1..p).rev() {
            let good = self.earliest_start(k, end);
            let set = self.set(k);
            let i = set.partition_point(|&(_, h)| h < good);
            let a = set[i].0.max(good);
            starts[k] = a;
            end = a;
        }
        starts
    }

    /// Smallest start that stage `k` can have while ending at `end` within
    /// the probed threshold (fits is monotone in the start): gallop down,
    /// then bisect.
    fn earliest_start(&self, k: usize, end: usize) -> usize {
        let limit = self.threshold;
        let mut good = end - 1;
        let mut bad: Option<usize> = None;
        let mut step = 1usize;
        while good > 0 {
            let probe = good.saturating_sub(step);
            if self.fits(k, probe, end, limit) {
                good = probe;
                step *= 2;
            } else {
                bad = Some(probe);
                break;
            }
        }
        if let Some(mut bad) = bad {
            while good - bad > 1 {
                let mid = bad + (good - bad) / 2;
                if self.fits(k, mid, end, limit) {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
        }
        good
    }

    /// `max_k speed_k * work_k` of a partition.
    pub fn bottleneck(&self, starts: &[usize]) -> f64 {
        let n = self.sums.len();
        let mut worst = f64::NEG_INFINITY;
        for (k, &a) in starts.iter().enumerate() {
            let b = starts.get(k + 1).copied().unwrap_or(n);
            let t = self.time(k, a, b);
            if t > worst {
                worst = t;
            }
        }
        worst
    }
}
