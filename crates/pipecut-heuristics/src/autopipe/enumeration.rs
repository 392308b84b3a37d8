//! Exhaustive search for a fitting partition on small problems, when the
//! cap searches found none (devices holding several stages only).

use pipecut_core::{device_memory, Prefix, Problem};

/// Interleaved schedules with a memory capacity: when the cap searches find
/// no fitting start, problems with at most this many partitions are
/// enumerated (an exact answer either way).
pub const ENUMERATION_LIMIT: u64 = 200_000;

/// Enumerates every partition when there are at most [`ENUMERATION_LIMIT`]:
/// `Some(Ok(starts))` for the fitting one with the least bottleneck (the
/// first in lexicographic order of the starts on ties), `Some(Err(
/// MemoryInfeasible))` when none fits (naming the first stage of the fullest
/// device in the partition whose fullest device is least full, and that
/// device's memory), `None` when there are too many.
pub(super) fn enumerate_fitting(
    problem: &Problem,
    prefix: &Prefix,
    cap: u64,
) -> Option<std::result::Result<Vec<usize>, pipecut_core::Error>> {
    let (n, p) = (problem.layers(), problem.stages());
    if too_many_partitions(n, p) {
        return None;
    }
    let in_flight = problem.peak_in_flight();
    let mut starts: Vec<usize> = (0..p).collect();
    let mut best: Option<(f64, Vec<usize>)> = None;
    let mut least_full: Option<(u64, usize)> = None;
    loop {
        let stage_memory = (0..p).map(|k| {
            let end = starts.get(k + 1).copied().unwrap_or(n);
            prefix.stage_memory(in_flight[k], starts[k], end)
        });
        let (fullest, peak) = device_memory(problem, stage_memory)
            .into_iter()
            .enumerate()
            .fold(
                (0, 0u64),
                |acc, (d, m)| if m > acc.1 { (d, m) } else { acc },
            );
        if peak <= cap {
            let bottleneck = (0..p).fold(0.0f64, |worst, k| {
                let end = starts.get(k + 1).copied().unwrap_or(n);
                worst.max(prefix.stage_time(problem.speed(k), starts[k], end))
            });
            if best.as_ref().is_none_or(|(b, _)| bottleneck < *b) {
                best = Some((bottleneck, starts.clone()));
            }
        } else if least_full.is_none_or(|(m, _)| peak < m) {
            least_full = Some((peak, fullest));
        }
        if !advance(&mut starts, n) {
            break;
        }
    }
    Some(match best {
        Some((_, starts)) => Ok(starts),
        None => {
            let (required, fullest) = least_full.unwrap_or((0, 0));
            Err(pipecut_core::Error::MemoryInfeasible {
                stage: (0..p)
                    .find(|&k| problem.device_of(k) == fullest)
                    .unwrap_or(fullest),
                required,
                capacity: cap,
            })
        }
    })
}

/// Whether `C(n - 1, p - 1)` exceeds [`ENUMERATION_LIMIT`] (computed
/// incrementally, stopping once past the limit).
fn too_many_partitions(n: usize, p: usize) -> bool {
    let mut count: u64 = 1;
    for i in 0..p.saturating_sub(1) as u64 {
        count = count * (n as u64 - 1 - i) / (i + 1);
        if count > ENUMERATION_LIMIT {
            return true;
        }
    }
    false
}

/// The next partition in lexicographic order of the starts (`starts[0] = 0`
/// stays); false after the last.
fn advance(starts: &mut [usize], n: usize) -> bool {
    let p = starts.len();
    // The last start that can still move right.
    let Some(k) = (1..p).rev().find(|&k| starts[k] < n - (p - k)) else {
        return false;
    };
    starts[k] += 1;
    for j in k + 1..p {
        starts[j] = starts[j - 1] + 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_visits_every_partition_once() {
        let (n, p) = (7, 3);
        let mut starts: Vec<usize> = (0..p).collect();
        let mut seen = vec![starts.clone()];
        while advance(&mut starts, n) {
            seen.push(starts.clone());
        }
        let all: Vec<Vec<usize>> = pipecut_testkit::partitions(n, p)
            .map(|part| part.starts().to_vec())
            .collect();
        assert_eq!(seen, all);
        assert!(!too_many_partitions(20, 5));
        assert!(too_many_partitions(200, 6));
    }
}
