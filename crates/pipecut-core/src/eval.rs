//! Evaluation of a partition, the one stage evaluator every crate uses.
//!
//! Stage `k` holding layers `first..end` has time `t_k = s_k (F + B) + c_k`:
//! `F`, `B` its summed forward and backward costs, `s_k` its speed factor,
//! `c_k` one link transfer per stage boundary it has (the output of the
//! layer before the boundary). The bottleneck is `max_k t_k`, the surrogate
//! step time `sum_k t_k + (M - 1) max_k t_k`, a stage's memory `params +
//! in_flight * activations` (in-flight counts from the schedule's rules) and
//! a device's memory the sum over the stages placed on it.
//!
//! Every algorithm evaluates stages through [`Prefix`], so a solver's claimed
//! objective and the plan's reported one are computed by the same arithmetic
//! and agree to the last bit.

use serde::{Deserialize, Serialize};

use crate::partition::Partition;
use crate::problem::Problem;

/// Prefix sums over a checked problem's chain, for O(1) stage evaluation.
#[derive(Debug, Clone)]
pub struct Prefix {
    /// `forward[i]` = sum of forward costs of layers `0..i` (length `N + 1`).
    pub forward: Vec<f64>,
    /// `backward[i]` = sum of backward costs of layers `0..i`.
    pub backward: Vec<f64>,
    /// `backward_weight[i]` = sum of the weight-gradient parts of those
    /// backwards ([`Layer::backward_weight`](crate::Layer::backward_weight)).
    pub backward_weight: Vec<f64>,
    /// `work[i]` = sum of `forward + backward` of layers `0..i`.
    pub work: Vec<f64>,
    /// `params[i]` = sum of `param_bytes` of layers `0..i`.
    pub params: Vec<u64>,
    /// `activations[i]` = sum of `activation_bytes` of layers `0..i`.
    pub activations: Vec<u64>,
    /// Transfer time of each layer's output across a boundary (empty without a link).
    pub boundary: Vec<f64>,
}

impl Prefix {
    /// Builds the prefix sums (one pass over the chain).
    pub fn new(problem: &Problem) -> Self {
        let layers = problem.chain().layers();
        let n = layers.len();
        let mut forward = Vec::with_capacity(n + 1);
        let mut backward = Vec::with_capacity(n + 1);
        let mut backward_weight = Vec::with_capacity(n + 1);
        let mut work = Vec::with_capacity(n + 1);
        let mut params = Vec::with_capacity(n + 1);
        let mut activations = Vec::with_capacity(n + 1);
        let (mut f, mut b, mut bw, mut w, mut p, mut a) = (0.0, 0.0, 0.0, 0.0, 0u64, 0u64);
        forward.push(f);
        backward.push(b);
        backward_weight.push(bw);
        work.push(w);
        params.push(p);
        activations.push(a);
        for l in layers {
            f += l.forward;
            b += l.backward;
            bw += l.backward_weight();
            w += l.forward + l.backward;
            // Checked problems guarantee these totals fit in u64.
            p += l.param_bytes;
            a += l.activation_bytes;
            forward.push(f);
            backward.push(b);
            backward_weight.push(bw);
            work.push(w);
            params.push(p);
            activations.push(a);
        }
        let boundary = match problem.link() {
            Some(link) => layers
                .iter()
                .map(|l| link.transfer_time(l.output_bytes))
                .collect(),
            None => Vec::new(),
        };
        Prefix {
            forward,
            backward,
            backward_weight,
            work,
            params,
            activations,
            boundary,
        }
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.work.len() - 1
    }

    /// True for an empty chain (never, for a checked problem).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `F + B` of layers `first..end`.
    pub fn work(&self, first: usize, end: usize) -> f64 {
        self.work[end] - self.work[first]
    }

    /// Communication charged to a stage holding `first..end`: one transfer per
    /// boundary of the stage (0 without a link).
    pub fn comm(&self, first: usize, end: usize) -> f64 {
        if self.boundary.is_empty() {
            return 0.0;
        }
        let mut c = 0.0;
        if first > 0 {
            c += self.boundary[first - 1];
        }
        if end < self.len() {
            c += self.boundary[end - 1];
        }
        c
    }

    /// Per-micro-batch forward, backward and weight-gradient compute time
    /// `(speed * F, speed * B, speed * W)` of a stage holding `first..end`
    /// (what the simulator runs).
    pub fn stage_compute(&self, speed: f64, first: usize, end: usize) -> (f64, f64, f64) {
        let backward = speed * (self.backward[end] - self.backward[first]);
        // Prefix differences of fractional weight-gradient times can round
        // past the backward's own difference; the part never exceeds the whole.
        let weight = speed * (self.backward_weight[end] - self.backward_weight[first]);
        (
            speed * (self.forward[end] - self.forward[first]),
            backward,
            weight.clamp(0.0, backward.max(0.0)),
        )
    }

    /// Transfer time across the boundary after a stage ending at `end` (0 for
    /// the last stage or without a link).
    pub fn delay_after(&self, end: usize) -> f64 {
        if self.boundary.is_empty() || end == self.len() {
            0.0
        } else {
            self.boundary[end - 1]
        }
    }

    /// Stage time `speed * (F + B) + comm` of a stage holding `first..end`.
    pub fn stage_time(&self, speed: f64, first: usize, end: usize) -> f64 {
        speed * self.work(first, end) + self.comm(first, end)
    }

    /// Memory `params + in_flight * activations` of a stage holding `first..end`.
    pub fn stage_memory(&self, in_flight: usize, first: usize, end: usize) -> u64 {
        let params = self.params[end] - self.params[first];
        let acts = self.activations[end] - self.activations[first];
        params.saturating_add(acts.saturating_mul(in_flight as u64))
    }
}

/// Metrics of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageEval {
    /// First layer (inclusive).
    pub first: usize,
    /// Last layer (exclusive).
    pub end: usize,
    /// Sum of forward costs.
    pub forward: f64,
    /// Sum of backward costs.
    pub backward: f64,
    /// The weight-gradient part of `backward` (the rest is input gradient).
    #[serde(default)]
    pub backward_weight: f64,
    /// Communication charged to the stage.
    pub comm: f64,
    /// `speed * (forward + backward) + comm`.
    pub time: f64,
    /// Peak in-flight micro-batches under the schedule.
    pub in_flight: usize,
    /// `param_bytes + in_flight * activation_bytes`.
    pub memory_bytes: u64,
}

/// Analytic metrics of a partition (see the module docs for the formulas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Per-stage metrics.
    pub stages: Vec<StageEval>,
    /// `max_k t_k`.
    pub bottleneck: f64,
    /// First stage whose time equals the bottleneck.
    pub bottleneck_stage: usize,
    /// `sum_k t_k + (M - 1) * max_k t_k`.
    pub surrogate_step_time: f64,
    /// Memory per device (sum of its stages' memory; one stage per device
    /// unless interleaved).
    pub device_memory_bytes: Vec<u64>,
    /// `max` of the device memory.
    pub peak_memory_bytes: u64,
    /// Whether every device fits the problem's memory capacity (true when unlimited).
    pub fits_memory: bool,
}

/// Evaluates a partition of a checked problem.
///
/// ```
/// use pipecut_core::{evaluate, Chain, Layer, Partition, ProblemSpec};
/// let chain = Chain::new("t", "s", vec![Layer::new("a", 1.0, 2.0), Layer::new("b", 2.0, 4.0)]).unwrap();
/// let problem = ProblemSpec::new(chain, 2).with_micro_batches(4).check().unwrap();
/// let eval = evaluate(&problem, &Partition::new(vec![0, 1], 2).unwrap());
/// assert_eq!(eval.bottleneck, 6.0);
/// assert_eq!(eval.surrogate_step_time, 3.0 + 6.0 + 3.0 * 6.0);
/// ```
pub fn evaluate(problem: &Problem, partition: &Partition) -> Evaluation {
    evaluate_with(problem, &Prefix::new(problem), partition)
}

/// [`evaluate`] with prefix sums the caller already has.
pub fn evaluate_with(problem: &Problem, prefix: &Prefix, partition: &Partition) -> Evaluation {
    let in_flight = problem.peak_in_flight();
    let stages: Vec<StageEval> = partition
        .ranges()
        .enumerate()
        .map(|(k, r)| StageEval {
            first: r.start,
            end: r.end,
            forward: prefix.forward[r.end] - prefix.forward[r.start],
            backward: prefix.backward[r.end] - prefix.backward[r.start],
            backward_weight: prefix.backward_weight[r.end] - prefix.backward_weight[r.start],
            comm: prefix.comm(r.start, r.end),
            time: prefix.stage_time(problem.speed(k), r.start, r.end),
            in_flight: in_flight[k],
            memory_bytes: prefix.stage_memory(in_flight[k], r.start, r.end),
        })
        .collect();
    let (bottleneck_stage, bottleneck) =
        stages
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |(bk, bt), (k, s)| {
                if s.time > bt {
                    (k, s.time)
                } else {
                    (bk, bt)
                }
            });
    let sum: f64 = stages.iter().map(|s| s.time).sum();
    let surrogate_step_time = sum + (problem.micro_batches() as f64 - 1.0) * bottleneck;
    let device_memory_bytes = device_memory(problem, stages.iter().map(|s| s.memory_bytes));
    let peak_memory_bytes = device_memory_bytes.iter().copied().max().unwrap_or(0);
    let fits_memory = problem
        .memory_capacity()
        .is_none_or(|cap| peak_memory_bytes <= cap);
    Evaluation {
        stages,
        bottleneck,
        bottleneck_stage,
        surrogate_step_time,
        device_memory_bytes,
        peak_memory_bytes,
        fits_memory,
    }
}

/// Memory of every device: the sum of the memory of the stages the schedule
/// places on it (`stage_memory` in stage order). The one device-memory sum
/// every pipecut crate uses.
pub fn device_memory(problem: &Problem, stage_memory: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let mut device_memory_bytes = vec![0u64; problem.devices()];
    for (k, bytes) in stage_memory.into_iter().enumerate() {
        let d = problem.device_of(k);
        if let Some(slot) = device_memory_bytes.get_mut(d) {
            *slot = slot.saturating_add(bytes);
        }
    }
    device_memory_bytes
}

/// `max_k t_k` of a partition.
pub fn bottleneck(problem: &Problem, partition: &Partition) -> f64 {
    evaluate(problem, partition).bottleneck
}

/// `sum_k t_k + (M - 1) * max_k t_k` of a partition.
pub fn surrogate_step_time(problem: &Problem, partition: &Partition) -> f64 {
    evaluate(problem, partition).surrogate_step_time
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chain, Layer, LayerKind, ProblemSpec, Schedule};

    /// Prefix sums of fractional times can make a stage's weight-gradient
    /// difference round above its backward difference; the stage's part
    /// must still be at most its backward (the simulator rejects more).
    #[test]
    fn weight_gradient_part_never_exceeds_the_backward() {
        let layers = vec![
            Layer::new("a", 1.0, 79.55),
            Layer::new("b", 1.0, 50.69),
            Layer::new("c", 1.0, 58.83).with_backward_weight(58.83),
        ];
        let problem = ProblemSpec::new(Chain::new("t", "s", layers).unwrap(), 3)
            .with_micro_batches(3)
            .check()
            .unwrap();
        let prefix = Prefix::new(&problem);
        let (_, b, w) = prefix.stage_compute(1.0, 2, 3);
        assert!(w <= b, "{w} > {b}");
        assert!((w - 58.83).abs() < 1e-9);
    }

    #[test]
    fn comm_charges_both_boundaries_of_inner_stages() {
        let layers = vec![
            Layer::new("a", 1.0, 1.0).with_bytes(0, 0, 100),
            Layer::new("b", 1.0, 1.0).with_bytes(0, 0, 200),
            Layer::new("c", 1.0, 1.0).with_kind(LayerKind::Output),
        ];
        let chain = Chain::new("t", "s", layers).unwrap();
        let problem = ProblemSpec::new(chain, 3)
            .with_link(0.5, 100.0)
            .check()
            .unwrap();
        let e = evaluate(&problem, &Partition::new(vec![0, 1, 2], 3).unwrap());
        let comm: Vec<f64> = e.stages.iter().map(|s| s.comm).collect();
        assert_eq!(comm, vec![1.5, 1.5 + 2.5, 2.5]);
        assert_eq!(e.bottleneck, 6.0);
        assert_eq!(e.bottleneck_stage, 1);
    }

    #[test]
    fn memory_uses_schedule_in_flight_and_device_sums() {
        let layers = (0..4)
            .map(|i| Layer::new(format!("l{i}"), 1.0, 1.0).with_bytes(10, 1, 0))
            .collect();
        let chain = Chain::new("t", "s", layers).unwrap();
        let p = ProblemSpec::new(chain.clone(), 4)
            .with_micro_batches(8)
            .with_memory_capacity(13)
            .check()
            .unwrap();
        let e = evaluate(&p, &Partition::new(vec![0, 1, 2, 3], 4).unwrap());
        assert_eq!(
            e.stages.iter().map(|s| s.memory_bytes).collect::<Vec<_>>(),
            vec![14, 13, 12, 11]
        );
        assert!(!e.fits_memory);
        let p = ProblemSpec::new(chain, 4)
            .with_micro_batches(2)
            .with_schedule(Schedule::Interleaved { virtual_stages: 2 })
            .check()
            .unwrap();
        let e = evaluate(&p, &Partition::new(vec![0, 1, 2, 3], 4).unwrap());
        assert_eq!(e.device_memory_bytes.len(), 2);
        assert_eq!(
            e.device_memory_bytes[0],
            e.stages[0].memory_bytes + e.stages[2].memory_bytes
        );
    }

    #[test]
    fn speeds_multiply_compute_only() {
        let layers = vec![
            Layer::new("a", 1.0, 1.0).with_bytes(0, 0, 100),
            Layer::new("b", 1.0, 1.0),
        ];
        let chain = Chain::new("t", "s", layers).unwrap();
        let p = ProblemSpec::new(chain, 2)
            .with_link(0.0, 100.0)
            .with_speeds(vec![3.0, 1.0])
            .check()
            .unwrap();
        let e = evaluate(&p, &Partition::new(vec![0, 1], 2).unwrap());
        assert_eq!(e.stages[0].time, 7.0);
        assert_eq!(e.stages[1].time, 3.0);
    }
}
