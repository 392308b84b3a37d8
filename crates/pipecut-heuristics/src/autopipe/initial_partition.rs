//! The partition the search starts from: the bottleneck DP's, or under a
//! memory capacity a fitting one (capped DP, cap grid, enumeration).

use pipecut_core::dp::{BottleneckTables, Tie};
use pipecut_core::{Partition, Prefix, Problem};

use super::enumeration::enumerate_fitting;
use super::memory_fit::{cap_grid, tightened_caps, Rounds};
use crate::error::HeuristicError;

/// A start with the DP tables the search's moves re-split with.
pub(super) struct InitialPartition<'a> {
    /// The stage starts.
    pub starts: Vec<usize>,
    /// Tables under the same per-stage caps the start was found with.
    pub tables: BottleneckTables<'a>,
    /// Set when memory forced a start other than the bottleneck-DP one.
    pub note: Option<String>,
}

/// The bottleneck-DP start (smallest-start reconstruction); under a memory
/// capacity, the first fitting start of [`fitting_start`].
pub(super) fn initial_partition<'a>(
    problem: &Problem,
    prefix: &'a Prefix,
) -> std::result::Result<InitialPartition<'a>, HeuristicError> {
    let (n, p) = (problem.layers(), problem.stages());
    let free = BottleneckTables::new(problem, prefix, None);
    // Without caps every split is allowed, so this always reconstructs.
    let dp_start = free
        .prefix_starts(n, p, Tie::Earliest)
        .unwrap_or_else(|| (0..p).collect());
    match problem.memory_capacity() {
        None => Ok(InitialPartition {
            starts: dp_start,
            tables: free,
            note: None,
        }),
        Some(cap) => fitting_start(problem, prefix, cap, dp_start),
    }
}

/// A start whose every device fits `cap`: the capped DP with tightened caps,
/// then (devices holding several stages only) the cap grid, then on small
/// problems the enumeration; otherwise [`HeuristicError::NoFittingStart`].
fn fitting_start<'a>(
    problem: &Problem,
    prefix: &'a Prefix,
    cap: u64,
    dp_start: Vec<usize>,
) -> std::result::Result<InitialPartition<'a>, HeuristicError> {
    let last_violation = match tightened_caps(problem, prefix, cap, dp_start)? {
        Rounds::Found {
            starts,
            tables,
            dp_start_violation,
        } => {
            let note = dp_start_violation.map(|(d, m)| {
                format!(
                    "the bottleneck-DP start needs {m} bytes on device {d} > capacity {cap}; started from the memory-aware DP"
                )
            });
            return Ok(InitialPartition {
                starts,
                tables,
                note,
            });
        }
        Rounds::Exhausted(last) => last,
    };
    let note = Some(format!(
        "interleaved chunks share a device: the start was searched with tightened per-stage memory caps (capacity {cap})"
    ));
    if let Some((starts, tables)) = cap_grid(problem, prefix, cap) {
        return Ok(InitialPartition {
            starts,
            tables,
            note,
        });
    }
    // Small problems: every partition, the fitting one with the least
    // bottleneck, or a proof that none fits.
    if let Some(found) = enumerate_fitting(problem, prefix, cap) {
        return Ok(InitialPartition {
            starts: found?,
            tables: BottleneckTables::new(problem, prefix, Some(vec![cap; problem.stages()])),
            note,
        });
    }
    let (device, required) = last_violation.unwrap_or((0, 0));
    Err(HeuristicError::NoFittingStart {
        device,
        required,
        capacity: cap,
    })
}

/// The partition `autopipe` starts from: the bottleneck DP over real stage
/// times (smallest-start reconstruction), or the memory-aware DP's when that
/// does not fit the capacity.
pub fn autopipe_start(problem: &Problem) -> std::result::Result<Partition, HeuristicError> {
    let prefix = Prefix::new(problem);
    let start = initial_partition(problem, &prefix)?;
    Ok(Partition::new(start.starts, problem.layers())?)
}
