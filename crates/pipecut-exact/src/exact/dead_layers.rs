//! The layers that cannot be a stage on their own (too slow for the stage's
//! speed at the threshold, or too large for its in-flight count), found fast.

use super::prefix_sums::Sums;
use super::stage_model::StageModel;

/// Work stack of the segment-tree walk: `(node, first layer, last layer)`.
pub(crate) type WalkStack = Vec<(usize, usize, usize)>;

/// An index of the layers that may be dead for some stage.
///
/// Probes never go below the search's lower bound `LB`, so only layers with
/// `max_speed * w > LB` can ever be too slow; there are at most
/// `P * max_speed / min_speed` of them, as each carries more than `1 / P` of
/// the slowest-stage share of the total. They, and the layers some stage's
/// in-flight count does not fit, are kept in a sorted list; a segment tree
/// takes over when that list is long (tight memory caps).
#[derive(Debug, Clone)]
pub(crate) enum DeadIndex {
    /// `(layer, work, tolerated in-flight)` of every candidate, ascending.
    List(Vec<(usize, f64, u64)>),
    /// Max work and min tolerated in-flight over power-of-two ranges.
    Tree {
        size: usize,
        max_work: Vec<f64>,
        min_tolerated: Vec<u64>,
    },
}

impl DeadIndex {
    /// The candidate list, or the tree once more than `max_list` layers are
    /// candidates at thresholds down to `floor`.
    pub fn new(sums: &Sums<'_>, model: &StageModel, floor: f64, max_list: usize) -> Self {
        let capacity = model.capacity;
        let max_speed = model.max_speed();
        let max_in_flight = model.max_in_flight();
        let mut list = Vec::new();
        for i in 0..sums.len() {
            let w = sums.single(i);
            let t = sums.single_tolerated(capacity, i);
            if max_speed * w > floor || t < max_in_flight {
                list.push((i, w, t));
                if list.len() > max_list {
                    return DeadIndex::tree(sums, capacity);
                }
            }
        }
        DeadIndex::List(list)
    }

    fn tree(sums: &Sums<'_>, capacity: Option<u64>) -> Self {
        let n = sums.len();
        let size = n.next_power_of_two();
        let mut max_work = vec![0.0f64; 2 * size];
        let mut min_tolerated = vec![u64::MAX; 2 * size];
        for i in 0..n {
            max_work[size + i] = sums.single(i);
            min_tolerated[size + i] = sums.single_tolerated(capacity, i);
        }
        for v in (1..size).rev() {
            max_work[v] = max_work[2 * v].max(max_work[2 * v + 1]);
            min_tolerated[v] = min_tolerated[2 * v].min(min_tolerated[2 * v + 1]);
        }
        DeadIndex::Tree {
            size,
            max_work,
            min_tolerated,
        }
    }

    /// Appends to `found` every layer in `first..=last` (ascending) whose
    /// work times `speed` exceeds `limit` or that tolerates fewer than
    /// `in_flight` micro-batches.
    pub fn find_dead(
        &self,
        (first, last): (usize, usize),
        (speed, limit, in_flight): (f64, f64, u64),
        stack: &mut WalkStack,
        found: &mut Vec<usize>,
    ) {
        match self {
            DeadIndex::List(list) => {
                let from = list.partition_point(|&(i, _, _)| i < first);
                for &(i, w, t) in list[from..].iter().take_while(|&&(i, _, _)| i <= last) {
                    if speed * w > limit || t < in_flight {
                        found.push(i);
                    }
                }
            }
            DeadIndex::Tree {
                size,
                max_work,
                min_tolerated,
            } => {
                stack.clear();
                stack.push((1, 0, size - 1));
                while let Some((v, lo, hi)) = stack.pop() {
                    if hi < first || lo > last {
                        continue;
                    }
                    if speed * max_work[v] <= limit && min_tolerated[v] >= in_flight {
                        continue;
                    }
                    if lo == hi {
                        found.push(lo);
                        continue;
                    }
                    let mid = lo + (hi - lo) / 2;
                    // Right child first so that the left one pops first.
                    stack.push((2 * v + 1, mid + 1, hi));
                    stack.push((2 * v, lo, mid));
                }
            }
        }
    }
}
