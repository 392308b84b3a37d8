//! Problems: a chain plus everything about how it will be run. Only the
//! checked [`Problem`] reaches an algorithm.

use serde::{Deserialize, Serialize};

use crate::chain::Chain;
use crate::error::{Error, Result};
use crate::schedule::{PairOverlap, Schedule};

/// A point-to-point link between consecutive stages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Per-transfer latency, in the chain's time unit.
    pub latency: f64,
    /// Bytes per time unit.
    pub bandwidth: f64,
}

impl Link {
    /// Time to send `bytes` over the link: `latency + bytes / bandwidth`.
    pub fn transfer_time(&self, bytes: u64) -> f64 {
        self.latency + bytes as f64 / self.bandwidth
    }
}

fn default_micro_batches() -> usize {
    1
}

/// The unchecked form of a [`Problem`], as it appears in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemSpec {
    /// The chain to split.
    pub chain: Chain,
    /// Number of pipeline stages `P` (for interleaved: devices x virtual stages).
    pub stages: usize,
    /// Number of micro-batches `M` per step.
    #[serde(default = "default_micro_batches")]
    pub micro_batches: usize,
    /// The schedule.
    #[serde(default)]
    pub schedule: Schedule,
    /// Memory per device, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_capacity: Option<u64>,
    /// The link between consecutive stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// Per-stage compute-time multipliers (heterogeneous devices), one per stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speeds: Option<Vec<f64>>,
    /// How overlapped forward/backward pairs run (schedules with pairs only).
    #[serde(default, skip_serializing_if = "is_sequential")]
    pub pair_overlap: PairOverlap,
}

fn is_sequential(overlap: &PairOverlap) -> bool {
    *overlap == PairOverlap::Sequential
}

impl ProblemSpec {
    /// A 1F1B spec with one micro-batch and no limits; adjust the public fields
    /// or use the `with_*` methods, then [`check`](Self::check).
    pub fn new(chain: Chain, stages: usize) -> Self {
        ProblemSpec {
            chain,
            stages,
            micro_batches: 1,
            schedule: Schedule::OneFOneB,
            memory_capacity: None,
            link: None,
            speeds: None,
            pair_overlap: PairOverlap::Sequential,
        }
    }

    /// Sets `M`.
    pub fn with_micro_batches(mut self, micro_batches: usize) -> Self {
        self.micro_batches = micro_batches;
        self
    }

    /// Sets the schedule.
    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Sets the per-device memory capacity.
    pub fn with_memory_capacity(mut self, bytes: u64) -> Self {
        self.memory_capacity = Some(bytes);
        self
    }

    /// Sets the link.
    pub fn with_link(mut self, latency: f64, bandwidth: f64) -> Self {
        self.link = Some(Link { latency, bandwidth });
        self
    }

    /// Sets per-stage speed factors.
    pub fn with_speeds(mut self, speeds: Vec<f64>) -> Self {
        self.speeds = Some(speeds);
        self
    }

    /// Sets how overlapped forward/backward pairs run.
    pub fn with_pair_overlap(mut self, overlap: PairOverlap) -> Self {
        self.pair_overlap = overlap;
        self
    }

    /// Validates every field; see [`Problem`].
    pub fn check(self) -> Result<Problem> {
        Problem::try_from(self)
    }
}

/// A checked problem. Invariants: `1 <= P <= N`, `M >= 1`; interleaved:
/// `v >= 1`, `v | P`, `(P / v) | M`; link latency finite `>= 0`, bandwidth
/// finite `> 0`; `speeds` (if any) has `P` finite positive entries; byte totals
/// (all parameters plus `M` times all activations) fit in 64 bits.
///
/// ```
/// use pipecut_core::{Chain, Layer, ProblemSpec, Schedule};
/// let chain = Chain::new("toy", "ms", (0..8).map(|i| Layer::new(format!("l{i}"), 1.0, 2.0)).collect()).unwrap();
/// let problem = ProblemSpec::new(chain, 4).with_micro_batches(8).check().unwrap();
/// assert_eq!(problem.devices(), 4);
/// let bad = ProblemSpec::new(problem.chain().clone(), 4)
///     .with_schedule(Schedule::Interleaved { virtual_stages: 3 })
///     .check();
/// assert!(bad.is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ProblemSpec", into = "ProblemSpec")]
pub struct Problem {
    spec: ProblemSpec,
}

impl Problem {
    /// Parses and validates Problem JSON, keeping the typed validation error.
    pub fn from_json(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            chain: crate::chain::ChainSpec,
            stages: usize,
            #[serde(default = "default_micro_batches")]
            micro_batches: usize,
            #[serde(default)]
            schedule: Schedule,
            #[serde(default)]
            memory_capacity: Option<u64>,
            #[serde(default)]
            link: Option<Link>,
            #[serde(default)]
            speeds: Option<Vec<f64>>,
            #[serde(default)]
            pair_overlap: PairOverlap,
        }
        let raw: Raw = serde_json::from_str(text)?;
        ProblemSpec {
            chain: Chain::try_from(raw.chain)?,
            stages: raw.stages,
            micro_batches: raw.micro_batches,
            schedule: raw.schedule,
            memory_capacity: raw.memory_capacity,
            link: raw.link,
            speeds: raw.speeds,
            pair_overlap: raw.pair_overlap,
        }
        .check()
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.spec.chain
    }

    /// Number of layers `N`.
    pub fn layers(&self) -> usize {
        self.spec.chain.len()
    }

    /// Number of stages `P`.
    pub fn stages(&self) -> usize {
        self.spec.stages
    }

    /// Number of micro-batches `M`.
    pub fn micro_batches(&self) -> usize {
        self.spec.micro_batches
    }

    /// The schedule.
    pub fn schedule(&self) -> Schedule {
        self.spec.schedule
    }

    /// Number of devices (`P / v`).
    pub fn devices(&self) -> usize {
        self.spec.schedule.devices(self.spec.stages)
    }

    /// Device that runs global stage `stage`, by the schedule's placement.
    pub fn device_of(&self, stage: usize) -> usize {
        self.spec.schedule.device_of(stage, self.spec.stages)
    }

    /// How overlapped forward/backward pairs run.
    pub fn pair_overlap(&self) -> PairOverlap {
        self.spec.pair_overlap
    }

    /// Memory per device, if limited.
    pub fn memory_capacity(&self) -> Option<u64> {
        self.spec.memory_capacity
    }

    /// The link, if any.
    pub fn link(&self) -> Option<Link> {
        self.spec.link
    }

    /// Speed factor of stage `k` (1 when none were given).
    pub fn speed(&self, stage: usize) -> f64 {
        self.spec.speeds.as_ref().map_or(1.0, |s| s[stage])
    }

    /// The per-stage speed factors, if given.
    pub fn speeds(&self) -> Option<&[f64]> {
        self.spec.speeds.as_deref()
    }

    /// Peak in-flight micro-batches per stage under the schedule
    /// (see [`Schedule::peak_in_flight`]).
    pub fn peak_in_flight(&self) -> Vec<usize> {
        self.spec
            .schedule
            .peak_in_flight(self.spec.stages, self.spec.micro_batches)
    }

    /// Time to send layer `layer`'s output across a stage boundary (0 without a link).
    pub fn boundary_time(&self, layer: usize) -> f64 {
        self.spec.link.map_or(0.0, |l| {
            l.transfer_time(self.spec.chain.layers()[layer].output_bytes)
        })
    }

    /// The unchecked spec (for editing and re-checking).
    pub fn spec(&self) -> &ProblemSpec {
        &self.spec
    }

    /// Consumes the problem, returning its spec.
    pub fn into_spec(self) -> ProblemSpec {
        self.spec
    }

    /// The same problem with a different stage count (speeds dropped if their
    /// length no longer matches is an error, not a silent change).
    pub fn with_stages(&self, stages: usize) -> Result<Problem> {
        let mut spec = self.spec.clone();
        spec.stages = stages;
        spec.check()
    }

    /// Pretty Problem JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a problem always serializes")
    }
}

impl TryFrom<ProblemSpec> for Problem {
    type Error = Error;
    fn try_from(spec: ProblemSpec) -> Result<Self> {
        let n = spec.chain.len();
        let p = spec.stages;
        if p == 0 {
            return Err(Error::ZeroStages);
        }
        if p > n {
            return Err(Error::TooManyStages {
                stages: p,
                layers: n,
            });
        }
        spec.schedule.check(p, spec.micro_batches)?;
        if spec.pair_overlap != PairOverlap::Sequential && !spec.schedule.has_overlapped_pairs() {
            return Err(Error::PairOverlapWithoutPairs {
                value: spec.pair_overlap.as_str(),
                schedule: spec.schedule.to_string(),
            });
        }
        if let Some(link) = spec.link {
            if !link.latency.is_finite() || link.latency < 0.0 {
                return Err(Error::InvalidLink {
                    field: "latency",
                    value: link.latency,
                });
            }
            if !link.bandwidth.is_finite() || link.bandwidth <= 0.0 {
                return Err(Error::InvalidLink {
                    field: "bandwidth",
                    value: link.bandwidth,
                });
            }
        }
        if let Some(speeds) = &spec.speeds {
            if speeds.len() != p {
                return Err(Error::SpeedCount {
                    expected: p,
                    got: speeds.len(),
                });
            }
            if let Some((stage, &value)) = speeds
                .iter()
                .enumerate()
                .find(|(_, s)| !s.is_finite() || **s <= 0.0)
            {
                return Err(Error::InvalidSpeed { stage, value });
            }
        }
        // Every memory figure is at most sum(params) + M * sum(activations) + the
        // transfers; proving that total fits lets algorithms add bytes freely.
        let layers = spec.chain.layers();
        let params = layers
            .iter()
            .try_fold(0u64, |acc, l| acc.checked_add(l.param_bytes))
            .ok_or(Error::ByteOverflow {
                field: "param_bytes",
            })?;
        let acts = layers
            .iter()
            .try_fold(0u64, |acc, l| acc.checked_add(l.activation_bytes))
            .and_then(|a| a.checked_mul(spec.micro_batches as u64))
            .ok_or(Error::ByteOverflow {
                field: "activation_bytes",
            })?;
        params.checked_add(acts).ok_or(Error::ByteOverflow {
            field: "activation_bytes",
        })?;
        Ok(Problem { spec })
    }
}

impl From<Problem> for ProblemSpec {
    fn from(problem: Problem) -> Self {
        problem.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Layer;

    fn chain(n: usize) -> Chain {
        Chain::new(
            "c",
            "s",
            (0..n)
                .map(|i| Layer::new(format!("l{i}"), 1.0, 2.0))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn rejects_each_invalid_field_with_its_own_error() {
        let e = |spec: ProblemSpec| spec.check().unwrap_err();
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 0)),
            Error::ZeroStages
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 5)),
            Error::TooManyStages {
                stages: 5,
                layers: 4
            }
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 2).with_micro_batches(0)),
            Error::ZeroMicroBatches
        ));
        let inter = |v| Schedule::Interleaved { virtual_stages: v };
        assert!(matches!(
            e(ProblemSpec::new(chain(8), 4).with_schedule(inter(0))),
            Error::ZeroVirtualStages
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(8), 4).with_schedule(inter(3))),
            Error::VirtualStagesMismatch {
                stages: 4,
                virtual_stages: 3
            }
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(8), 4)
                .with_schedule(inter(2))
                .with_micro_batches(3)),
            Error::MicroBatchesNotMultiple {
                micro_batches: 3,
                devices: 2
            }
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 2).with_link(-1.0, 1.0)),
            Error::InvalidLink {
                field: "latency",
                ..
            }
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 2).with_link(0.0, 0.0)),
            Error::InvalidLink {
                field: "bandwidth",
                ..
            }
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 2).with_link(f64::NAN, 1.0)),
            Error::InvalidLink {
                field: "latency",
                ..
            }
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 2).with_speeds(vec![1.0])),
            Error::SpeedCount {
                expected: 2,
                got: 1
            }
        ));
        assert!(matches!(
            e(ProblemSpec::new(chain(4), 2).with_speeds(vec![1.0, 0.0])),
            Error::InvalidSpeed { stage: 1, .. }
        ));
        let mut big = chain(2).layers().to_vec();
        big[0].activation_bytes = u64::MAX / 2;
        let big = Chain::new("big", "s", big).unwrap();
        assert!(matches!(
            e(ProblemSpec::new(big, 2).with_micro_batches(4)),
            Error::ByteOverflow {
                field: "activation_bytes"
            }
        ));
    }

    #[test]
    fn accepts_valid_interleaved() {
        let p = ProblemSpec::new(chain(8), 4)
            .with_schedule(Schedule::Interleaved { virtual_stages: 2 })
            .with_micro_batches(4)
            .check()
            .unwrap();
        assert_eq!(p.devices(), 2);
    }

    #[test]
    fn problem_json_round_trip_and_typed_errors() {
        let p = ProblemSpec::new(chain(4), 2)
            .with_micro_batches(4)
            .with_link(0.1, 100.0)
            .with_memory_capacity(1000)
            .check()
            .unwrap();
        let back = Problem::from_json(&p.to_json()).unwrap();
        assert_eq!(p, back);
        let text = p.to_json().replace("\"stages\": 2", "\"stages\": 0");
        assert!(matches!(Problem::from_json(&text), Err(Error::ZeroStages)));
    }
}
