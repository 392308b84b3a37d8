//! Statistics over a suite's results: [`Stats::of`] a sample and one
//! [`AlgorithmSummary`] per algorithm ([`summarize`]).

use crate::results::{AlgorithmSummary, ProblemResult, RunState, Stats, EPS};

impl Stats {
    /// Statistics of `values`; `None` when empty. NaNs are ignored.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Stats> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let rank = (0.95 * n as f64).ceil() as usize;
        Some(Stats {
            count: n,
            mean: v.iter().sum::<f64>() / n as f64,
            p95: v[rank.clamp(1, n) - 1],
            max: v[n - 1],
        })
    }
}

/// One summary per algorithm, in the order given.
pub fn summarize(algorithms: &[String], problems: &[ProblemResult]) -> Vec<AlgorithmSummary> {
    algorithms
        .iter()
        .map(|name| summary_of(name, problems))
        .collect()
}

/// How `name` did over `problems` (those it was run on, failures included).
fn summary_of(name: &str, problems: &[ProblemResult]) -> AlgorithmSummary {
    let rs: Vec<_> = problems
        .iter()
        .filter_map(|p| p.get(name).map(|r| (p, r)))
        .collect();
    let count = |s: RunState| rs.iter().filter(|(_, r)| r.state == s).count();
    let fitting: Vec<_> = rs.iter().filter(|(_, r)| r.is_feasible()).collect();
    let proven: Vec<_> = fitting
        .iter()
        .filter(|(p, _)| p.bottleneck_proven)
        .collect();
    let gains: Vec<f64> = rs.iter().filter_map(|(_, r)| r.gain).collect();
    AlgorithmSummary {
        algorithm: name.to_string(),
        problems: rs.len(),
        solved: count(RunState::Solved),
        failed: count(RunState::Failed),
        skipped: count(RunState::Skipped),
        over_memory: rs
            .iter()
            .filter(|(_, r)| r.state == RunState::Solved && r.fits_memory == Some(false))
            .count(),
        step_gap: Stats::of(fitting.iter().filter_map(|(_, r)| r.step_gap)),
        bottleneck_gap: Stats::of(fitting.iter().filter_map(|(_, r)| r.bottleneck_gap)),
        step_optimal: fitting
            .iter()
            .filter(|(_, r)| r.step_gap.is_some_and(|g| g <= EPS))
            .count(),
        bottleneck_optimal: proven
            .iter()
            .filter(|(_, r)| r.bottleneck_gap.is_some_and(|g| g.abs() <= EPS))
            .count(),
        bottleneck_proven: proven.len(),
        better_than_default: gains.iter().filter(|g| **g > EPS).count(),
        worse_than_default: gains.iter().filter(|g| **g < -EPS).count(),
        gain: Stats::of(gains.iter().copied()),
        solve_seconds: Stats::of(
            rs.iter()
                .filter(|(_, r)| r.state == RunState::Solved)
                .map(|(_, r)| r.solve_seconds),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nearest_rank_percentile() {
        let s = Stats::of((1..=100).map(f64::from)).unwrap();
        assert_eq!((s.count, s.mean, s.p95, s.max), (100, 50.5, 95.0, 100.0));
        let one = Stats::of([3.0]).unwrap();
        assert_eq!((one.p95, one.max), (3.0, 3.0));
        assert!(Stats::of([]).is_none());
        assert!(Stats::of([f64::NAN]).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn stats_are_ordered(v in proptest::collection::vec(-1e6f64..1e6, 1..50)) {
            let s = Stats::of(v.iter().copied()).unwrap();
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            prop_assert!(min <= s.p95 && s.p95 <= s.max);
            prop_assert!(min - 1e-6 <= s.mean && s.mean <= s.max + 1e-6);
            prop_assert!(v.contains(&s.p95));
            let at_or_below = v.iter().filter(|x| **x <= s.p95).count();
            prop_assert!(at_or_below as f64 >= 0.95 * v.len() as f64);
        }
    }
}
