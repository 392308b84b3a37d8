//! The building blocks of a start under a memory capacity: which device
//! overflows, the bottleneck DP under per-stage caps tightened on over-full
//! devices, and a uniform grid of per-stage caps.

use pipecut_core::dp::{BottleneckTables, Tie};
use pipecut_core::{device_memory, memory_infeasible, Prefix, Problem};

use crate::error::HeuristicError;

/// Rounds of per-stage cap tightening for interleaved schedules.
pub const INTERLEAVED_CAP_ROUNDS: usize = 32;

/// Steps of the uniform per-stage cap grid for interleaved schedules.
pub const INTERLEAVED_CAP_GRID: usize = 16;

/// The first device over the capacity, with its memory (`None`: every
/// device fits, or there is no capacity).
pub(super) fn over_capacity(
    problem: &Problem,
    prefix: &Prefix,
    in_flight: &[usize],
    starts: &[usize],
) -> Option<(usize, u64)> {
    let cap = problem.memory_capacity()?;
    let n = problem.layers();
    let stage_memory = starts.iter().enumerate().map(|(k, &first)| {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        prefix.stage_memory(in_flight[k], first, end)
    });
    device_memory(problem, stage_memory)
        .into_iter()
        .enumerate()
        .find(|&(_, m)| m > cap)
}

/// What the cap-tightening rounds ended with.
pub(super) enum Rounds<'a> {
    /// A fitting start and the capped tables it came from.
    Found {
        /// The stage starts.
        starts: Vec<usize>,
        /// The tables under the caps of the last round.
        tables: BottleneckTables<'a>,
        /// The over-full device of the bottleneck-DP start and its memory,
        /// when that start did not fit.
        dp_start_violation: Option<(usize, u64)>,
    },
    /// No fitting start; the last over-full device and its memory.
    Exhausted(Option<(usize, u64)>),
}

/// Up to [`INTERLEAVED_CAP_ROUNDS`] rounds of the DP under per-stage caps,
/// starting at `cap` for every stage; after each round whose partition
/// overflows a device, the caps of that device's stages shrink in proportion
/// to the overflow (by at least one byte each). The bottleneck-DP start is
/// kept whenever it fits. When each device holds one stage the first round
/// decides: a fitting start, or [`memory_infeasible`] when no split meets the
/// caps.
pub(super) fn tightened_caps<'a>(
    problem: &Problem,
    prefix: &'a Prefix,
    cap: u64,
    dp_start: Vec<usize>,
) -> std::result::Result<Rounds<'a>, HeuristicError> {
    let (n, p) = (problem.layers(), problem.stages());
    let in_flight = problem.peak_in_flight();
    let dp_start_violation = over_capacity(problem, prefix, &in_flight, &dp_start);
    let mut caps = vec![cap; p];
    let mut last_violation = None;
    for round in 0..INTERLEAVED_CAP_ROUNDS {
        let tables = BottleneckTables::new(problem, prefix, Some(caps.clone()));
        let Some(candidate) = tables.prefix_starts(n, p, Tie::Earliest) else {
            if round == 0 {
                return Err(memory_infeasible(problem, prefix).into());
            }
            break;
        };
        let chosen = if dp_start_violation.is_none() {
            dp_start.clone()
        } else {
            candidate
        };
        let Some((device, memory)) = over_capacity(problem, prefix, &in_flight, &chosen) else {
            return Ok(Rounds::Found {
                starts: chosen,
                tables,
                dp_start_violation,
            });
        };
        last_violation = Some((device, memory));
        for k in (0..p).filter(|&k| problem.device_of(k) == device) {
            let end = chosen.get(k + 1).copied().unwrap_or(n);
            let mem = prefix.stage_memory(in_flight[k], chosen[k], end);
            let scaled = (u128::from(mem) * u128::from(cap) / u128::from(memory.max(1))) as u64;
            caps[k] = caps[k].min(scaled.min(mem.saturating_sub(1)));
        }
    }
    Ok(Rounds::Exhausted(last_violation))
}

/// Uniform per-stage caps from `cap` down to `cap / INTERLEAVED_CAP_GRID`
/// (a per-stage cap of at most `capacity / stages per device` always gives
/// a fitting device, so the low steps are safe bets): the first fitting DP
/// partition with its tables.
pub(super) fn cap_grid<'a>(
    problem: &Problem,
    prefix: &'a Prefix,
    cap: u64,
) -> Option<(Vec<usize>, BottleneckTables<'a>)> {
    let (n, p) = (problem.layers(), problem.stages());
    let in_flight = problem.peak_in_flight();
    (1..INTERLEAVED_CAP_GRID).rev().find_map(|step| {
        let stage_cap = (u128::from(cap) * step as u128 / INTERLEAVED_CAP_GRID as u128) as u64;
        let tables = BottleneckTables::new(problem, prefix, Some(vec![stage_cap; p]));
        let candidate = tables.prefix_starts(n, p, Tie::Earliest)?;
        over_capacity(problem, prefix, &in_flight, &candidate)
            .is_none()
            .then_some((candidate, tables))
    })
}
