//! The lean prefix sums `exact` probes on: the work prefix, built in one pass
//! with the very additions `pipecut_core::Prefix::new` performs (so stage
//! times agree bit for bit with plans), forward and backward sums only at
//! checkpoints, and byte prefixes only under a memory cap. Building the full
//! core prefix (five arrays) would cost more than the whole search on long
//! chains.

use pipecut_core::Layer;

use super::stage_model::StageModel;

/// Forward and backward running sums are kept every `CHECKPOINT` layers only;
/// the tie-break recomputes the exact prefix value at a cut from the nearest
/// checkpoint with the same additions `Prefix::new` performs.
const CHECKPOINT: usize = 64;

/// Prefix sums the exact solver needs, built in one pass.
#[derive(Debug, Clone)]
pub(crate) struct Sums<'a> {
    layers: &'a [Layer],
    /// `work[i]`: the same running sum of `forward + backward` as
    /// `pipecut_core::Prefix::work`, bit for bit.
    pub work: Vec<f64>,
    /// Largest single-layer work `work[i + 1] - work[i]`.
    pub max_layer: f64,
    /// `(forward, backward)` running sums at every multiple of `CHECKPOINT`.
    checkpoints: Vec<(f64, f64)>,
    /// Parameter and activation byte prefixes (empty without a memory cap).
    pub params: Vec<u64>,
    pub acts: Vec<u64>,
    /// Fewest in-flight micro-batches any single layer tolerates under the
    /// cap, or the largest in-flight count of any stage when every layer
    /// tolerates that (`u64::MAX` without a cap).
    pub min_tolerated: u64,
}

/// Largest in-flight count `c` with `params + c * acts <= capacity` for one
/// layer (0 when even its parameters do not fit).
fn tolerated(capacity: u64, params: u64, acts: u64) -> u64 {
    if params > capacity {
        0
    } else {
        (capacity - params).checked_div(acts).unwrap_or(u64::MAX)
    }
}

/// The running sums of one pass, in `Prefix::new`'s order of additions.
#[derive(Default)]
struct Running {
    forward: f64,
    backward: f64,
    work: f64,
    max_layer: f64,
}

impl Running {
    #[inline]
    fn add(&mut self, l: &Layer) -> f64 {
        self.forward += l.forward;
        self.backward += l.backward;
        let next = self.work + (l.forward + l.backward);
        let single = next - self.work;
        if single > self.max_layer {
            self.max_layer = single;
        }
        self.work = next;
        next
    }
}

impl<'a> Sums<'a> {
    /// One pass over the chain; the byte prefixes only under the model's
    /// memory cap.
    pub fn new(layers: &'a [Layer], model: &StageModel) -> Self {
        let n = layers.len();
        let mut work = Vec::with_capacity(n + 1);
        let mut checkpoints = Vec::with_capacity(n / CHECKPOINT + 1);
        let (mut params, mut acts) = (Vec::new(), Vec::new());
        let mut run = Running::default();
        work.push(0.0);
        let mut largest_single = 0u64;
        let memory = model.memory();
        match memory {
            None => {
                for chunk in layers.chunks(CHECKPOINT) {
                    checkpoints.push((run.forward, run.backward));
                    for l in chunk {
                        work.push(run.add(l));
                    }
                }
            }
            Some((_, max_in_flight)) => {
                params.reserve(n + 1);
                acts.reserve(n + 1);
                let (mut p, mut a) = (0u64, 0u64);
                params.push(p);
                acts.push(a);
                for chunk in layers.chunks(CHECKPOINT) {
                    checkpoints.push((run.forward, run.backward));
                    for l in chunk {
                        work.push(run.add(l));
                        // A checked problem guarantees the totals fit in 64 bits.
                        p += l.param_bytes;
                        a += l.activation_bytes;
                        params.push(p);
                        acts.push(a);
                        let single = l
                            .param_bytes
                            .saturating_add(l.activation_bytes.saturating_mul(max_in_flight));
                        largest_single = largest_single.max(single);
                    }
                }
            }
        }
        let mut sums = Sums {
            layers,
            work,
            max_layer: run.max_layer,
            checkpoints,
            params,
            acts,
            min_tolerated: u64::MAX,
        };
        if let Some((capacity, max_in_flight)) = memory {
            // The exact minimum costs a division per layer: only when some
            // layer alone does not fit the busiest stage.
            sums.min_tolerated = if largest_single <= capacity {
                max_in_flight
            } else {
                (0..n)
                    .map(|i| sums.single_tolerated(Some(capacity), i))
                    .min()
                    .unwrap_or(u64::MAX)
            };
        }
        sums
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.work.len() - 1
    }

    /// Total work of the chain.
    pub fn total(&self) -> f64 {
        self.work[self.len()]
    }

    /// `(forward, backward)` running sums at position `i`, equal to
    /// `Prefix::forward[i]` and `Prefix::backward[i]`.
    pub fn forward_backward_at(&self, i: usize) -> (f64, f64) {
        // The chain's end has no checkpoint of its own when N is a multiple.
        let c = (i / CHECKPOINT).min(self.checkpoints.len() - 1);
        let (mut f, mut b) = self.checkpoints[c];
        for l in &self.layers[c * CHECKPOINT..i] {
            f += l.forward;
            b += l.backward;
        }
        (f, b)
    }

    /// The running sum of the layers' weight-gradient parts at each of the
    /// ascending positions `at`, in one pass: the same sums, bit for bit, as
    /// `pipecut_core::Prefix::backward_weight` (kept out of the checkpoints,
    /// which the search reads far more often).
    pub fn backward_weight_at(&self, at: impl IntoIterator<Item = usize>) -> Vec<f64> {
        let (mut w, mut i) = (0.0, 0);
        at.into_iter()
            .map(|end| {
                for l in &self.layers[i..end.max(i)] {
                    w += l.backward_weight();
                }
                i = i.max(end);
                w
            })
            .collect()
    }

    /// Work of layer `i` alone, as a stage time sees it.
    pub fn single(&self, i: usize) -> f64 {
        self.work[i + 1] - self.work[i]
    }

    /// In-flight micro-batches layer `i` alone tolerates under `capacity`.
    pub fn single_tolerated(&self, capacity: Option<u64>, i: usize) -> u64 {
        capacity.map_or(u64::MAX, |cap| {
            tolerated(
                cap,
                self.params[i + 1] - self.params[i],
                self.acts[i + 1] - self.acts[i],
            )
        })
    }

    /// Memory of layers `first..end` with `in_flight` micro-batches, the
    /// formula of `Prefix::stage_memory`.
    pub fn memory(&self, in_flight: usize, first: usize, end: usize) -> u64 {
        let params = self.params[end] - self.params[first];
        let acts = self.acts[end] - self.acts[first];
        params.saturating_add(acts.saturating_mul(in_flight as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{Prefix, ProblemSpec};
    use pipecut_testkit::layers;

    #[test]
    fn sums_match_core_prefix_bit_for_bit() {
        let chain = layers((0..320u64).map(|i| {
            let x = 0.1 + (i as f64 * 0.37).sin().abs() * 3.3;
            (x, 2.1 * x + 1e-3, i, 2 * i, 0)
        }));
        let problem = ProblemSpec::new(chain, 3)
            .with_micro_batches(3)
            .with_memory_capacity(1 << 40)
            .check()
            .unwrap();
        let prefix = Prefix::new(&problem);
        let model = StageModel::new(&problem);
        assert_eq!(model.memory(), Some((1 << 40, 3)));
        let sums = Sums::new(problem.chain().layers(), &model);
        assert_eq!(prefix.work, sums.work);
        assert_eq!(prefix.params, sums.params);
        assert_eq!(prefix.activations, sums.acts);
        let weights = sums.backward_weight_at(0..=320);
        assert_eq!(weights, prefix.backward_weight);
        for i in 0..=320 {
            let (f, b) = sums.forward_backward_at(i);
            assert_eq!(f.to_bits(), prefix.forward[i].to_bits());
            assert_eq!(b.to_bits(), prefix.backward[i].to_bits());
            assert_eq!(sums.memory(3, 0, i), prefix.stage_memory(3, 0, i));
        }
        let max = (0..320)
            .map(|i| prefix.work[i + 1] - prefix.work[i])
            .fold(0.0, f64::max);
        assert_eq!(sums.max_layer, max);
    }
}
