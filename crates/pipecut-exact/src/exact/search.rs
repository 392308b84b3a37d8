//! The search over values stages actually take: rigorous bounds, then a
//! bisection on float bit patterns between a feasible and an infeasible
//! threshold, each end moved to a stage time the probe has seen.

use super::prefix_sums::Sums;
use super::probe::Prober;
use super::stage_model::StageModel;

/// The optimum found, with the prober left at it (its sets describe the
/// optimal threshold, for reading the partitions out).
pub(super) struct Search<'s, 'a> {
    pub prober: Prober<'s, 'a>,
    /// The optimal bottleneck.
    pub value: f64,
    /// The proven lower bound the search started from.
    pub lower_bound: f64,
    /// The bottleneck of the first feasible probe's partition.
    pub upper_bound: f64,
}

/// Searches the optimal bottleneck; `None` when no partition fits the
/// memory cap at any threshold.
pub(super) fn optimum<'s, 'a>(sums: &'s Sums<'a>, model: &'s StageModel) -> Option<Search<'s, 'a>> {
    let (lower_bound, analytic_upper) = bounds(sums, model);
    let mut prober = Prober::new(sums, model, lower_bound);
    // Only a memory cap (or rounding at the bound) makes the analytic upper
    // bound infeasible; then the memory alone decides.
    if !prober.probe(analytic_upper).feasible && !prober.probe(f64::INFINITY).feasible {
        return None;
    }
    let mut hi = prober.bottleneck(&prober.latest());
    let upper_bound = hi;
    let mut lo = lower_bound.min(hi);
    while lo < hi {
        // Midpoint of the bit patterns: lo <= mid < hi.
        let (lb, hb) = (lo.to_bits(), hi.to_bits());
        let mid = f64::from_bits(lb + (hb - lb) / 2);
        let outcome = prober.probe(mid);
        if outcome.feasible {
            // The partition meets `mid`, so its bottleneck is <= mid < hi;
            // the `min` only guards termination.
            let achieved = prober.bottleneck(&prober.latest());
            debug_assert!(achieved <= mid);
            hi = achieved.min(mid);
        } else {
            let above = f64::from_bits(mid.to_bits() + 1);
            lo = outcome.next_value.max(above).min(hi);
        }
    }
    let outcome = prober.probe(hi);
    debug_assert!(outcome.feasible);
    Some(Search {
        prober,
        value: hi,
        lower_bound,
        upper_bound,
    })
}

/// Rigorous lower bound and analytic upper bound: with `W` the total work,
/// `w` the heaviest layer and `H = sum_k 1 / speed_k`, every optimum `T*`
/// satisfies `T* >= max(W / H, min_k speed_k * w)` and, without a memory
/// cap, `T* <= max((W + P w) / H, max_k speed_k * w)`.
fn bounds(sums: &Sums<'_>, model: &StageModel) -> (f64, f64) {
    let p = model.stages();
    let total = sums.total();
    let w = sums.max_layer;
    let (mut s_min, mut s_max, mut harmonic) = (f64::INFINITY, 0.0f64, 0.0f64);
    for &s in &model.speed {
        s_min = s_min.min(s);
        s_max = s_max.max(s);
        harmonic += 1.0 / s;
    }
    // Each rounding step is at most one unit in the last place; the sum of P
    // reciprocals and the stage subtractions add up to a relative error below
    // (P + 8) * 2^-52, so shrinking by that keeps the bound rigorous.
    let margin = (p as f64 + 8.0) * f64::EPSILON;
    let lower = (total / harmonic * (1.0 - margin)).max(s_min * w).max(0.0);
    let upper = ((total + p as f64 * w) / harmonic * (1.0 + margin)).max(s_max * w);
    (lower, upper)
}
