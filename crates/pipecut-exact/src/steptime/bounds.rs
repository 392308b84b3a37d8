//! Lower bounds on the simulated step time of every completion of a partial
//! partition, derived from what every schedule's rules impose.
//!
//! Let stage `j` have per-micro-batch compute `f_j`, `b_j` (speed applied),
//! input-gradient part `i_j` (`b_j - w_j` where the schedule splits the
//! backward, else `b_j`) and `d_j` the transfer delay across the boundary
//! after it (0 where both sides share a device). Every schedule runs, for
//! every micro-batch and stage, a forward after the forward on the stage
//! before and an input-gradient (or full) backward after the one on the
//! stage after, one operation at a time per device. Hence:
//!
//! - *head* `h_j = sum_{i<j} (f_i + d_i)`: no operation of stage `j` starts
//!   earlier (micro-batch 0 must cross the stages before);
//! - *stage bound* `h_j + M (f_j + b_j)`: all of stage `j`'s operations run
//!   after `h_j`, one at a time;
//! - *drain bound* `h_j + M (f_j + i_j) + t_j`, `t_j = sum_{i<j} (i_i + d_i)`:
//!   the last input-gradient part on stage `j` ends after all of its
//!   forwards and input-gradient parts, and its gradient must then cross
//!   every stage before;
//! - *device bound* `min_{j on d} h_j + M sum_{j on d} (f_j + b_j)` for a
//!   device whose operations run one at a time (not with perfectly
//!   overlapped pairs);
//! - *rest bound*: the layers not yet placed go to stages `k..P`, so some
//!   stage `j >= k` carries at least the least possible largest `f + b` (and
//!   `f + i`) of those layers over those stages, with `h_j >= h_k` and
//!   `t_j >= t_k`.

use pipecut_core::{Op, OpKind, Prefix, Problem};

/// For every stage `k` and first layer `a`: the least possible largest
/// per-micro-batch cost (at the least stage speed) of any split of layers `a..N` into
/// stages `k..P`, for the costs `F + B` and `F + I`.
#[derive(Debug, Clone)]
pub(super) struct RestTables {
    layers: usize,
    work: Vec<f64>,
    input_work: Vec<f64>,
}

impl RestTables {
    /// Builds both tables in `O(P N log N)`: the cost of a stage grows with
    /// its end and the rest's optimum shrinks, so each entry is a bisection.
    ///
    /// The bisection needs the rest's optimum to fall as its first layer
    /// moves right, which holds when every stage runs at the same speed; with
    /// per-stage speeds every stage is costed at the least speed (a weaker,
    /// still valid bound).
    pub fn new(problem: &Problem, prefix: &Prefix, splits: bool) -> RestTables {
        let n = problem.layers();
        let speed = (0..problem.stages())
            .map(|k| problem.speed(k))
            .fold(f64::INFINITY, f64::min);
        let work = |_: usize, a: usize, e: usize| {
            let (f, b, _) = prefix.stage_compute(speed, a, e);
            f + b
        };
        let input_work = |_: usize, a: usize, e: usize| {
            let (f, b, w) = prefix.stage_compute(speed, a, e);
            if splits {
                f + (b - w).max(0.0)
            } else {
                f + b
            }
        };
        RestTables {
            layers: n,
            work: table(problem, work),
            input_work: table(problem, input_work),
        }
    }

    /// Least largest `F + B` of layers `a..N` over stages `k..P`.
    pub fn work(&self, k: usize, a: usize) -> f64 {
        self.work[k * (self.layers + 1) + a]
    }

    /// Least largest `F + I` of layers `a..N` over stages `k..P`.
    pub fn input_work(&self, k: usize, a: usize) -> f64 {
        self.input_work[k * (self.layers + 1) + a]
    }
}

/// Bounds through the last stage, whatever the split of the layers before
/// it: if the stages `k..P-1` start at layer `a` and the last stage starts
/// at `s`, the last stage's head is at least `h_k + sigma F(a..s)`, so the
/// step time is at least `h_k + sigma F(a..s) + M sigma_last (F + B)(s..N)`
/// and, through its drain, `h_k + sigma (F + I)(a..s) + M sigma_last (F +
/// I)(s..N) + t_k` (`sigma`: the least speed of the stages before the last).
/// Both are `const(a) + h(s)`, so the least over `s` is a suffix minimum:
/// `O(N)` to build, `O(1)` per node. They catch what the rest bound cannot:
/// a heavy last stage makes every split of the layers before it tie.
#[derive(Debug, Clone)]
pub(super) struct LastStage {
    layers: usize,
    stages: usize,
    /// `sigma X[a]` and `M sigma_last Y[N]` terms per variant.
    lead: [Vec<f64>; 2],
    total: [f64; 2],
    /// Suffix minima of `h(s) = sigma X[s] - M sigma_last Y[s]`, `s < N`.
    least_tail: [Vec<f64>; 2],
}

impl LastStage {
    /// Both variants' tables.
    pub fn new(problem: &Problem, prefix: &Prefix, splits: bool) -> LastStage {
        let (n, p) = (problem.layers(), problem.stages());
        let m = problem.micro_batches() as f64;
        let sigma = (0..p - 1)
            .map(|k| problem.speed(k))
            .fold(f64::INFINITY, f64::min);
        let sigma = if sigma.is_finite() { sigma } else { 1.0 };
        let last = problem.speed(p - 1);
        let at = |l: usize| prefix.stage_compute(1.0, 0, l);
        // Variant 0: X = F, Y = F + B; variant 1: X = Y = F + I.
        let x = |v: usize, (f, b, w): (f64, f64, f64)| match (v, splits) {
            (0, _) => f,
            (_, true) => f + (b - w).max(0.0),
            (_, false) => f + b,
        };
        let y = |v: usize, c: (f64, f64, f64)| if v == 0 { c.0 + c.1 } else { x(1, c) };
        let mut lead = [Vec::with_capacity(n + 1), Vec::with_capacity(n + 1)];
        let mut least_tail = [vec![f64::INFINITY; n + 1], vec![f64::INFINITY; n + 1]];
        let mut total = [0.0; 2];
        for v in 0..2 {
            for l in 0..=n {
                lead[v].push(sigma * x(v, at(l)));
            }
            total[v] = m * last * y(v, at(n));
            for s in (0..n).rev() {
                let h = sigma * x(v, at(s)) - m * last * y(v, at(s));
                least_tail[v][s] = h.min(least_tail[v][s + 1]);
            }
        }
        LastStage {
            layers: n,
            stages: p,
            lead,
            total,
            least_tail,
        }
    }

    /// `(through F + B, through F + I)` bounds less `h_k` (and less `t_k`
    /// for the second) for stages `k..P` starting at layer `a`.
    pub fn bounds(&self, k: usize, a: usize) -> (f64, f64) {
        let lo = a + (self.stages - 1 - k);
        if lo >= self.layers {
            return (0.0, 0.0);
        }
        let one = |v: usize| (self.total[v] - self.lead[v][a] + self.least_tail[v][lo]).max(0.0);
        (one(0), one(1))
    }
}

/// The strongest bound, when affordable: every stage `j` of the rest has
/// head `h_j >= h_k + sigma X(a..s_j)` and chain `t_j >= t_k + sigma
/// I(a..s_j)`, so the step time is at least
/// `h_k + max_j [sigma X(a..s_j) + M sigma_j Y(s_j..e_j)]` over the split
/// the rest will get (variant 0: `X = F`, `Y = F + B`, the stage bound;
/// variant 1: `X = Y = F + I` plus `t_k`, the drain bound). The least such
/// maximum over all splits of `a..N` into stages `k..P` is a chain min-max:
/// `Q[k][a] = min_e max(sigma X[a] + M sigma_k Y(a..e), Q[k+1][e])`, less
/// `sigma X[a]`. The rest's cost grows with its start, so no bisection:
/// `O(P N^2)` to build, hence the cap [`CHAIN_BOUND_MAX_WORK`].
#[derive(Debug, Clone)]
pub(super) struct ChainBound {
    layers: usize,
    /// `sigma X[a]` per variant.
    lead: [Vec<f64>; 2],
    /// `Q` per variant, row-major `(k, a)`.
    q: [Vec<f64>; 2],
}

/// Largest `P N^2` for which [`ChainBound`] is built.
pub const CHAIN_BOUND_MAX_WORK: usize = 1 << 27;

impl ChainBound {
    /// The tables, or `None` above [`CHAIN_BOUND_MAX_WORK`].
    pub fn new(
        problem: &Problem,
        prefix: &Prefix,
        splits: bool,
        counts: &[[f64; OpKind::COUNT]],
    ) -> Option<ChainBound> {
        let (n, p) = (problem.layers(), problem.stages());
        if p.checked_mul(n)?.checked_mul(n)? > CHAIN_BOUND_MAX_WORK {
            return None;
        }
        let m = problem.micro_batches() as f64;
        let sigma = (0..p)
            .map(|k| problem.speed(k))
            .fold(f64::INFINITY, f64::min);
        let at = |l: usize| prefix.stage_compute(1.0, 0, l);
        let input = |(f, b, w): (f64, f64, f64)| if splits { f + (b - w).max(0.0) } else { f + b };
        let x = |v: usize, c: (f64, f64, f64)| if v == 0 { c.0 } else { input(c) };
        let y = |v: usize, c: (f64, f64, f64)| if v == 0 { c.0 + c.1 } else { input(c) };
        let row = n + 1;
        let mut lead = [Vec::with_capacity(row), Vec::with_capacity(row)];
        let mut q = [vec![f64::INFINITY; p * row], vec![f64::INFINITY; p * row]];
        for v in 0..2 {
            let xs: Vec<f64> = (0..=n).map(|l| sigma * x(v, at(l))).collect();
            let ys: Vec<f64> = (0..=n).map(|l| y(v, at(l))).collect();
            // Variant 0 also takes the round trip: the stage's counted
            // operations plus the forward and input-gradient work after it.
            let back: Vec<f64> = (0..=n).map(|l| sigma * input(at(l))).collect();
            let stage = |k: usize, a: usize, e: usize| {
                let all = m * problem.speed(k) * (ys[e] - ys[a]);
                if v == 1 {
                    return xs[a] + all;
                }
                let (fa, ba, wa) = at(a);
                let (fe, be, we) = at(e);
                let s = problem.speed(k);
                let parts = (
                    s * (fe - fa),
                    s * (be - ba),
                    s * (we - wa).clamp(0.0, be - ba),
                );
                let trip = round_trip_work(&counts[k], parts) + (back[n] - back[e]);
                xs[a] + all.max(trip)
            };
            for a in 0..n {
                q[v][(p - 1) * row + a] = stage(p - 1, a, n);
            }
            for k in (0..p - 1).rev() {
                let after = p - 1 - k;
                for a in 0..n.saturating_sub(after) {
                    let best = ((a + 1)..=(n - after))
                        .map(|e| stage(k, a, e).max(q[v][(k + 1) * row + e]))
                        .fold(f64::INFINITY, f64::min);
                    q[v][k * row + a] = best;
                }
            }
            lead[v] = xs;
        }
        Some(ChainBound { layers: n, lead, q })
    }

    /// `(stage variant, drain variant)` bounds less `h_k` (and less `t_k`
    /// for the drain) for stages `k..P` starting at layer `a`.
    pub fn bounds(&self, k: usize, a: usize) -> (f64, f64) {
        let row = self.layers + 1;
        let one = |v: usize| (self.q[v][k * row + a] - self.lead[v][a]).max(0.0);
        (one(0), one(1))
    }
}

/// `counts` operations of a stage whose per-micro-batch parts are `(f, b, w)`.
fn round_trip_work(counts: &[f64; OpKind::COUNT], (f, b, w): (f64, f64, f64)) -> f64 {
    OpKind::ALL
        .iter()
        .map(|kind| counts[kind.index()] * kind.duration(f, b, w))
        .sum()
}

/// `opt[k][a]` (row-major, `N + 1` per row) for `cost(k, a, e)`; entries that
/// leave a stage empty are infinite.
fn table(problem: &Problem, cost: impl Fn(usize, usize, usize) -> f64) -> Vec<f64> {
    let (n, p) = (problem.layers(), problem.stages());
    let row = n + 1;
    let mut opt = vec![f64::INFINITY; p * row];
    for a in 0..n {
        opt[(p - 1) * row + a] = cost(p - 1, a, n);
    }
    for k in (0..p - 1).rev() {
        let stages_after = p - 1 - k;
        for a in 0..n.saturating_sub(stages_after) {
            // Ends e in a+1..=n-stages_after; find the first where the stage
            // itself costs at least the rest's optimum.
            let (mut lo, mut hi) = (a + 1, n - stages_after);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if cost(k, a, mid) >= opt[(k + 1) * row + mid] {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            let at = |e: usize| cost(k, a, e).max(opt[(k + 1) * row + e]);
            let mut best = at(lo);
            if lo > a + 1 {
                best = best.min(at(lo - 1));
            }
            opt[k * row + a] = best;
        }
    }
    opt
}

/// Per stage, how many of its operations of each kind ([`OpKind::index`]
/// order) must run before its last forward (that forward included) or from
/// the backward of that forward's micro-batch on: between the two, the
/// micro-batch must cross every later stage and come back, so
/// `h_j + (those operations) + sum_{i>j} (f_i + i_i)` bounds the step time
/// (the *round-trip* bound). Read off the schedule's own orders.
pub(super) fn round_trip_counts(problem: &Problem) -> Vec<[f64; OpKind::COUNT]> {
    let schedule = problem.schedule();
    let (p, m) = (problem.stages(), problem.micro_batches());
    let mut counts = vec![[0.0; OpKind::COUNT]; p];
    for device in 0..schedule.devices(p) {
        let order = schedule.device_order(p, m, device);
        for chunk in 0..schedule.virtual_stages() {
            let k = schedule.stage_of(device, chunk, p);
            let ops: Vec<Op> = order.iter().copied().filter(|o| o.chunk == chunk).collect();
            let Some(last_forward) = ops.iter().rposition(|o| o.kind == OpKind::Forward) else {
                continue;
            };
            let mb = ops[last_forward].micro_batch;
            let back = ops
                .iter()
                .position(|o| {
                    o.micro_batch == mb
                        && matches!(o.kind, OpKind::Backward | OpKind::BackwardInput)
                })
                .unwrap_or(ops.len());
            for (i, op) in ops.iter().enumerate() {
                if i <= last_forward || i >= back {
                    counts[k][op.kind.index()] += 1.0;
                }
            }
        }
    }
    counts
}

/// The per-stage quantities the bounds read, for a stage `a..e` at index `k`.
#[derive(Debug, Clone, Copy)]
pub(super) struct StageCost {
    /// `f + b`.
    pub work: f64,
    /// `f + i`.
    pub input_work: f64,
    /// `f`.
    pub forward: f64,
    /// `i`.
    pub input: f64,
    /// Delay across the boundary after the stage when the next stage sits on
    /// another device.
    pub delay: f64,
    /// Time of the operations the round-trip bound counts.
    pub round_trip_work: f64,
}

impl StageCost {
    /// The costs of stage `k` holding `a..e`.
    pub fn new(
        problem: &Problem,
        prefix: &Prefix,
        splits: bool,
        counts: &[f64; OpKind::COUNT],
        (k, a, e): (usize, usize, usize),
    ) -> Self {
        let (f, b, w) = prefix.stage_compute(problem.speed(k), a, e);
        let input = if splits { (b - w).max(0.0) } else { b };
        let p = problem.stages();
        let crosses = k + 1 < p && problem.device_of(k) != problem.device_of(k + 1);
        StageCost {
            work: f + b,
            input_work: f + input,
            forward: f,
            input,
            delay: if crosses { prefix.delay_after(e) } else { 0.0 },
            round_trip_work: round_trip_work(counts, (f, b, w)),
        }
    }
}
