//! The feasibility probe over reachable stage ends.
//!
//! For a threshold `T`, let `R_k` be the set of positions `b` such that layers
//! `0..b` split into exactly `k` non-empty stages, stage `j` fitting `T` and the
//! memory cap with its own speed and in-flight count. Because any sub-run of a
//! stage that fits also fits (stage time and memory only grow with the
//! extent), `R_{k+1}` is
//!
//! `{a + 1 : a in R_k, layer a alone fits stage k}  ∪  (h, e_k(h)]` for every
//! maximal interval `[l, h]` of `R_k`,
//!
//! where `e_k(h)` is the furthest end a stage `k` starting at `h` can reach
//! (a galloping binary search on the prefix sums). With equal speeds and no
//! memory cap every layer alone fits as soon as `T >= max w`, so each `R_k` is
//! one interval and the probe is the classic greedy in `O(P log N)`. Layers
//! that fit a fast stage but not a slow one (or a stage with fewer in-flight
//! micro-batches but not one with more) punch holes; the plain greedy would
//! be wrong there, so they are found with [`DeadIndex`] and the sets are kept
//! as interval lists. The partitions are read back out of the sets by the
//! `cuts` module.

use super::dead_layers::{DeadIndex, WalkStack};
use super::prefix_sums::Sums;
use super::stage_model::StageModel;

/// What one probe found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProbeOutcome {
    pub feasible: bool,
    /// When infeasible: a stage time no larger than the smallest threshold
    /// above the probed one at which the outcome can change (`+inf` if none).
    pub next_value: f64,
}

/// A reusable probe over one problem.
pub(crate) struct Prober<'s, 'a> {
    pub sums: &'s Sums<'a>,
    pub model: &'s StageModel,
    pub(super) dead: Option<DeadIndex>,
    /// Reachable ends, flat: `R_k` is `ivals[off[k]..off[k + 1]]`.
    pub(super) ivals: Vec<(usize, usize)>,
    pub(super) off: Vec<usize>,
    /// Last extent found per stage: where the next search starts.
    hint: Vec<usize>,
    stack: WalkStack,
    dead_buf: Vec<usize>,
    pub probes: usize,
    /// Threshold of the last probe (what `ivals` describe).
    pub(super) threshold: f64,
    /// No probe goes below this (the search's lower bound).
    floor: f64,
    /// Longest candidate list before the segment tree takes over.
    pub max_list: usize,
}

impl<'s, 'a> Prober<'s, 'a> {
    /// A prober whose thresholds will all be at least `floor`.
    pub fn new(sums: &'s Sums<'a>, model: &'s StageModel, floor: f64) -> Self {
        let p = model.stages();
        Prober {
            sums,
            model,
            dead: None,
            ivals: Vec::with_capacity(p + 1),
            off: Vec::with_capacity(p + 2),
            hint: vec![usize::MAX; p],
            stack: Vec::new(),
            dead_buf: Vec::new(),
            probes: 0,
            threshold: f64::NAN,
            floor,
            max_list: sums.len() / 16 + 64,
        }
    }

    #[inline]
    fn mem_ok(&self, k: usize, first: usize, end: usize) -> bool {
        match self.model.capacity {
            None => true,
            Some(cap) => self.sums.memory(self.model.in_flight[k], first, end) <= cap,
        }
    }

    /// Compute time of stage `k` holding `first..end` (no link charges on
    /// this path).
    #[inline]
    pub(super) fn time(&self, k: usize, first: usize, end: usize) -> f64 {
        self.model.speed[k] * (self.sums.work[end] - self.sums.work[first])
    }

    /// Whether stage `k` holding `first..end` meets `limit` and the cap.
    #[inline]
    pub fn fits(&self, k: usize, first: usize, end: usize, limit: f64) -> bool {
        self.time(k, first, end) <= limit && self.mem_ok(k, first, end)
    }

    /// `R_k`, after a probe that got that far.
    pub(super) fn set(&self, k: usize) -> &[(usize, usize)] {
        &self.ivals[self.off[k]..self.off[k + 1]]
    }

    /// Largest `b` in `first + 1..=bound` with `fits(k, first, b)`, given that
    /// `first + 1` fits. Gallops from the previous answer for this stage,
    /// which is close once the search has narrowed.
    fn extent(&mut self, k: usize, first: usize, bound: usize, limit: f64) -> usize {
        // Invariant: fits at `good`, fails at `bad` (`bad` may be bound + 1).
        let mut good = first + 1;
        let mut bad = bound + 1;
        let hint = self.hint[k];
        if hint != usize::MAX && hint > good && hint <= bound {
            if self.fits(k, first, hint, limit) {
                good = hint;
            } else {
                bad = hint;
                // Gallop down from the failing hint.
                let mut step = 1usize;
                while bad - good > step {
                    let probe = bad - step;
                    if self.fits(k, first, probe, limit) {
                        good = probe;
                        break;
                    }
                    bad = probe;
                    step *= 2;
                }
            }
        }
        let mut step = 1usize;
        while good + step < bad {
            let probe = good + step;
            if self.fits(k, first, probe, limit) {
                good = probe;
                step *= 2;
            } else {
                bad = probe;
                break;
            }
        }
        while bad - good > 1 {
            let mid = good + (bad - good) / 2;
            if self.fits(k, first, mid, limit) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        self.hint[k] = good;
        good
    }

    /// Appends `first..=last` (clipped) to the set being built from `base`,
    /// merging with the last interval when they touch.
    fn push(&mut self, first: usize, last: usize, clip: usize, base: usize) {
        let last = last.min(clip);
        if first > last {
            return;
        }
        if self.ivals.len() > base {
            if let Some(top) = self.ivals.last_mut() {
                if first <= top.1 + 1 {
                    top.1 = top.1.max(last);
                    return;
                }
            }
        }
        self.ivals.push((first, last));
    }

    /// Runs the probe at `limit`, keeping every `R_k` for reconstruction.
    pub fn probe(&mut self, limit: f64) -> ProbeOutcome {
        debug_assert!(limit >= self.floor);
        self.probes += 1;
        self.threshold = limit;
        let n = self.sums.len();
        let p = self.model.stages();
        self.ivals.clear();
        self.off.clear();
        self.off.push(0);
        self.ivals.push((0, 0));
        self.off.push(1);
        let mut next_value = f64::INFINITY;
        for k in 0..p {
            // Stage k must end by `clip` so that each later stage keeps a layer.
            let clip = n - (p - 1 - k);
            let time_dead = self.model.speed[k] * self.sums.max_layer > limit;
            let mem_dead = self.sums.min_tolerated < self.model.in_flight[k] as u64;
            let may_have_dead = time_dead || mem_dead;
            if may_have_dead && self.dead.is_none() {
                self.dead = Some(DeadIndex::new(
                    self.sums,
                    self.model,
                    self.floor,
                    self.max_list,
                ));
            }
            let (src_start, src_end) = (self.off[k], self.off[k + 1]);
            let base = self.ivals.len();
            for idx in src_start..src_end {
                let (l, h) = self.ivals[idx];
                if l >= clip {
                    break;
                }
                let stage = StageStep {
                    k,
                    clip,
                    base,
                    limit,
                };
                self.extend_interval(stage, (l, h.min(clip - 1)), may_have_dead, &mut next_value);
            }
            self.off.push(self.ivals.len());
            if self.ivals.len() == base {
                return ProbeOutcome {
                    feasible: false,
                    next_value,
                };
            }
        }
        let feasible = self.ivals.last().is_some_and(|&(_, h)| h == n);
        ProbeOutcome {
            feasible,
            next_value,
        }
    }

    /// Adds to `R_{k+1}` the ends stage `k` reaches from the starts `l..=h`
    /// of `R_k`: `a + 1` for every start `a` whose layer alone fits, and
    /// `(h, e_k(h)]`.
    fn extend_interval(
        &mut self,
        stage: StageStep,
        (l, h): (usize, usize),
        may_have_dead: bool,
        next_value: &mut f64,
    ) {
        let StageStep {
            k,
            clip,
            base,
            limit,
        } = stage;
        let h_dead = if may_have_dead {
            self.push_live_runs(stage, (l, h), next_value)
        } else {
            self.push(l + 1, h + 1, clip, base);
            false
        };
        if !h_dead && h + 1 < clip {
            let e = self.extent(k, h, clip, limit);
            self.push(h + 1, e, clip, base);
            if e < clip && self.mem_ok(k, h, e + 1) {
                *next_value = next_value.min(self.time(k, h, e + 1));
            }
        }
    }

    /// Pushes `a + 1` for the starts `a` in `l..=h` whose layer alone fits
    /// stage `k`, as runs between the dead layers; returns whether `h` is dead.
    fn push_live_runs(
        &mut self,
        stage: StageStep,
        (l, h): (usize, usize),
        next_value: &mut f64,
    ) -> bool {
        let StageStep {
            k,
            clip,
            base,
            limit,
        } = stage;
        let screen = (self.model.speed[k], limit, self.model.in_flight[k] as u64);
        let mut found = std::mem::take(&mut self.dead_buf);
        found.clear();
        if let Some(dead) = &self.dead {
            dead.find_dead((l, h), screen, &mut self.stack, &mut found);
        }
        let mut run_start = l;
        for &a in &found {
            // The screen is exact (same arithmetic); a layer that fits its
            // memory is dead only for time.
            if self.mem_ok(k, a, a + 1) {
                *next_value = next_value.min(self.time(k, a, a + 1));
            }
            if a > run_start {
                self.push(run_start + 1, a, clip, base);
            }
            run_start = a + 1;
        }
        if run_start <= h {
            self.push(run_start + 1, h + 1, clip, base);
        }
        let h_dead = found.last() == Some(&h);
        self.dead_buf = found;
        h_dead
    }
}

/// Where one stage of a probe stands: stage `k`, its last allowed end
/// `clip`, where its set starts in `ivals`, and the threshold.
#[derive(Debug, Clone, Copy)]
struct StageStep {
    k: usize,
    clip: usize,
    base: usize,
    limit: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::ProblemSpec;
    use pipecut_testkit::{chain, chain_of};

    #[test]
    fn plain_greedy_is_wrong_with_speeds_but_the_probe_is_not() {
        // Stage 1 is ten times slower: the greedy that lets stage 0 take two
        // layers leaves stage 1 with a layer it cannot run within 10.
        let chain = chain(&[(1.0, 0.0), (1.0, 0.0), (5.0, 0.0), (1.0, 0.0)]);
        let problem = ProblemSpec::new(chain, 3)
            .with_speeds(vec![1.0, 10.0, 1.0])
            .check()
            .unwrap();
        let model = StageModel::new(&problem);
        let sums = Sums::new(problem.chain().layers(), &model);
        let mut prober = Prober::new(&sums, &model, 0.0);
        assert!(prober.probe(10.0).feasible);
        assert_eq!(prober.latest(), vec![0, 1, 2]);
        assert_eq!(prober.earliest(), vec![0, 1, 2]);
        assert!(!prober.probe(9.99).feasible);
    }

    /// The list and the tree find the same dead layers, so the probe's
    /// reachable sets agree on problems with speeds and tight caps.
    #[test]
    fn candidate_list_and_tree_agree() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let (mut with_index, mut with_holes) = (0, 0);
        for case in 0..200 {
            let n = 5 + case % 60;
            let p = 1 + case % n.min(17);
            let rows: Vec<_> = (0..n)
                .map(|_| {
                    let c = (next() * 4.0).exp();
                    (c, c, (next() * 50.0) as u64, (next() * 9.0) as u64, 0)
                })
                .collect();
            let speeds = (0..p).map(|_| 0.25 + next() * 3.0).collect();
            let problem = ProblemSpec::new(chain_of(&rows), p)
                .with_micro_batches(1 + case % 7)
                .with_speeds(speeds)
                .with_memory_capacity(60 + (next() * 200.0) as u64)
                .check()
                .unwrap();
            let model = StageModel::new(&problem);
            let sums = Sums::new(problem.chain().layers(), &model);
            let mut list = Prober::new(&sums, &model, 0.0);
            let mut tree = Prober::new(&sums, &model, 0.0);
            tree.max_list = 0;
            let total = sums.total();
            for step in 0..=40 {
                let limit = total * step as f64 / 40.0;
                let (a, b) = (list.probe(limit), tree.probe(limit));
                assert!(matches!(list.dead, Some(DeadIndex::List(_)) | None));
                assert!(matches!(tree.dead, Some(DeadIndex::Tree { .. }) | None));
                assert_eq!(a.feasible, b.feasible);
                assert_eq!(a.next_value, b.next_value);
                assert_eq!(list.ivals, tree.ivals);
                with_index += usize::from(tree.dead.is_some());
                with_holes += usize::from(list.ivals.len() > list.off.len() - 1);
                if a.feasible {
                    assert_eq!(list.latest(), tree.latest());
                    assert_eq!(list.earliest(), tree.earliest());
                }
            }
        }
        // The cases do exercise dead layers and reachable sets with holes.
        assert!(with_index > 1000, "{with_index}");
        assert!(with_holes > 100, "{with_holes}");
    }
}
