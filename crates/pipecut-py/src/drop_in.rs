//! `auto_partition`: the drop-in for torchtitan's autopartition experiment,
//! in plain Rust (the Python wrapper only converts arguments).
//!
//! Mapping onto a pipecut problem: layer `i` gets forward and backward times
//! `flops / device_compute_throughput`; `communication_volume[i]` (the bytes
//! sent when a stage boundary follows layer `i`) becomes layer `i`'s
//! `output_bytes`, and the link has latency 0 and bandwidth
//! `network_bandwidth`, so a boundary after layer `i` costs exactly
//! `volume[i] / network_bandwidth` (pipecut's transfer time is
//! `latency + output_bytes / bandwidth`). Byte counts are integers in
//! pipecut; volumes that are not whole numbers are scaled, with the
//! bandwidth, by one power of two (which changes no quotient) so that they
//! are, to within one part in 2^53 of the largest.

use pipecut::core::{Chain, Layer, Partitioner, Problem, ProblemSpec};
use pipecut::heuristics::autopipe_torchtitan::{
    autopipe_torchtitan_search, Communication, LayerInputs, TorchtitanSchedule,
};
use pipecut::heuristics::AutoPipeTorchtitan;
use pipecut::registry;

use crate::error::{Error, Result};
use pipecut::core::ScheduleName;

/// Communication volume: none, one for every boundary, or one per boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum Volume {
    /// No communication.
    None,
    /// The same bytes across every boundary.
    Every(f64),
    /// `volume[i]`: bytes across a boundary after layer `i` (`N - 1` entries).
    PerBoundary(Vec<f64>),
}

/// The drop-in's arguments, with the original's names and meanings.
#[derive(Debug, Clone)]
pub struct DropIn {
    /// Forward FLOPs per layer.
    pub forward_flops: Vec<f64>,
    /// Full backward FLOPs per layer.
    pub backward_flops: Vec<f64>,
    /// Physical pipeline ranks.
    pub num_stages: i64,
    /// Micro-batches per step.
    pub n_microbatches: i64,
    /// Schedule name (PyTorch's or pipecut's).
    pub schedule_type: String,
    /// Bytes across stage boundaries.
    pub communication_volume: Volume,
    /// FLOPs per time unit.
    pub device_compute_throughput: f64,
    /// Bytes per time unit.
    pub network_bandwidth: f64,
    /// Logical stages per rank (`None`: the schedule's default).
    pub virtual_stages_per_rank: Option<i64>,
    /// Input-gradient part of each backward.
    pub backward_input_flops: Option<Vec<f64>>,
    /// Weight-gradient part of each backward.
    pub backward_weight_flops: Option<Vec<f64>>,
    /// Registered algorithm (`None`: [`registry::DEFAULT_ALGORITHM`]).
    pub algorithm: Option<String>,
}

impl DropIn {
    /// The original's defaults for everything but the costs and counts.
    pub fn new(forward: Vec<f64>, backward: Vec<f64>, ranks: i64, micro_batches: i64) -> Self {
        DropIn {
            forward_flops: forward,
            backward_flops: backward,
            num_stages: ranks,
            n_microbatches: micro_batches,
            schedule_type: "1F1B".into(),
            communication_volume: Volume::None,
            device_compute_throughput: 1.0,
            network_bandwidth: 1.0,
            virtual_stages_per_rank: None,
            backward_input_flops: None,
            backward_weight_flops: None,
            algorithm: None,
        }
    }

    /// Validates every argument and builds the problem (logical stages =
    /// ranks x stages per rank).
    pub fn problem(&self) -> Result<Problem> {
        let n = self.forward_flops.len();
        costs("forward_flops", &self.forward_flops, None)?;
        costs("backward_flops", &self.backward_flops, Some(n))?;
        let ranks = count("num_stages", self.num_stages)?;
        let micro_batches = count("n_microbatches", self.n_microbatches)?;
        let throughput = rate("device_compute_throughput", self.device_compute_throughput)?;
        let bandwidth = rate("network_bandwidth", self.network_bandwidth)?;
        let name = ScheduleName::parse(&self.schedule_type, "schedule_type")?;
        let per_rank = match self.virtual_stages_per_rank {
            None => name.default_stages_per_device(ranks, n),
            Some(v) if v < 1 => {
                return Err(Error::invalid(
                    "virtual_stages_per_rank",
                    v,
                    "at least one stage per rank is needed",
                ))
            }
            Some(v) => v as usize,
        };
        let schedule = name.schedule("virtual_stages_per_rank", per_rank)?;
        let stages = ranks.saturating_mul(per_rank);
        if stages > n {
            return Err(Error::invalid(
                "num_stages",
                ranks,
                format!(
                    "{ranks} ranks x {per_rank} stages per rank = {stages} logical stages, but there are only {n} layers (every stage needs one)"
                ),
            ));
        }
        let weights = self.weights()?;
        let (bytes, scale) = boundary_bytes(&self.communication_volume, n)?;
        let layers = (0..n)
            .map(|i| {
                let mut layer = Layer::new(
                    format!("layers.{i}"),
                    self.forward_flops[i] / throughput,
                    self.backward_flops[i] / throughput,
                );
                layer.output_bytes = bytes.get(i).copied().unwrap_or(0);
                if let Some(w) = &weights {
                    layer = layer.with_backward_weight(w[i] / throughput);
                }
                layer
            })
            .collect();
        let chain = Chain::new("auto_partition", "s", layers)?;
        let mut spec = ProblemSpec::new(chain, stages)
            .with_micro_batches(micro_batches)
            .with_schedule(schedule);
        if bytes.iter().any(|&b| b > 0) {
            let scaled = bandwidth * scale;
            if !scaled.is_finite() || scaled <= 0.0 {
                return Err(Error::invalid(
                    "communication_volume",
                    "(given)",
                    "volumes and network_bandwidth are too far apart to represent",
                ));
            }
            spec = spec.with_link(0.0, scaled);
        }
        spec.check().map_err(|e| {
            Error::invalid(
                "n_microbatches",
                micro_batches,
                format!(
                    "{} with {ranks} ranks x {per_rank} stages: {e}",
                    name.canonical()
                ),
            )
        })
    }

    /// The weight-gradient FLOPs of every layer, if either split is given.
    fn weights(&self) -> Result<Option<Vec<f64>>> {
        let n = self.backward_flops.len();
        let input = self.backward_input_flops.as_deref();
        let weight = self.backward_weight_flops.as_deref();
        if let Some(i) = input {
            costs("backward_input_flops", i, Some(n))?;
        }
        if let Some(w) = weight {
            costs("backward_weight_flops", w, Some(n))?;
        }
        let weights: Vec<f64> = match (input, weight) {
            (None, None) => return Ok(None),
            (None, Some(w)) => w.to_vec(),
            (Some(i), None) => i
                .iter()
                .zip(&self.backward_flops)
                .map(|(i, b)| b - i)
                .collect(),
            (Some(i), Some(w)) => {
                for (k, ((i, w), b)) in i.iter().zip(w).zip(&self.backward_flops).enumerate() {
                    if ((i + w) - b).abs() > 1e-9 * b.abs().max(1.0) {
                        return Err(Error::invalid(
                            format!("backward_input_flops[{k}] + backward_weight_flops[{k}]"),
                            i + w,
                            format!("must equal backward_flops[{k}] = {b} (the two parts of one backward)"),
                        ));
                    }
                }
                w.to_vec()
            }
        };
        for (k, (w, b)) in weights.iter().zip(&self.backward_flops).enumerate() {
            if *w < 0.0 || w > b {
                let field = if weight.is_some() {
                    "backward_weight_flops"
                } else {
                    "backward_input_flops"
                };
                return Err(Error::invalid(
                    format!("{field}[{k}]"),
                    if weight.is_some() { *w } else { b - w },
                    format!("must be at most backward_flops[{k}] = {b}"),
                ));
            }
        }
        Ok(Some(weights))
    }

    /// Solves and returns the first layer of every logical stage.
    pub fn solve(&self) -> Result<Vec<usize>> {
        let problem = self.problem()?;
        let name = self
            .algorithm
            .as_deref()
            .unwrap_or(registry::DEFAULT_ALGORITHM);
        if name == AutoPipeTorchtitan::NAME {
            return self.torchtitan_original(&problem);
        }
        let settings = pipecut::SolverConfig::default().check()?;
        let partitioner: Box<dyn Partitioner> = registry::build(name, &settings)?;
        let solution = partitioner.solve(&problem)?;
        Ok(solution.partition.starts().to_vec())
    }
}

impl DropIn {
    /// `autopipe-torchtitan` on the original's own inputs (FLOPs,
    /// throughput, bandwidth, volumes), so that its divisions, and hence its
    /// tie-breaks, are the original's to the last bit; the checked `problem`
    /// has already validated every argument.
    fn torchtitan_original(&self, problem: &Problem) -> Result<Vec<usize>> {
        let fail = |e: pipecut::heuristics::HeuristicError| {
            Error::from(e.into_core(AutoPipeTorchtitan::NAME))
        };
        let (schedule, ranks, per_rank) = torchtitan_shape(problem).map_err(fail)?;
        let inputs = LayerInputs {
            communication_volume: match &self.communication_volume {
                Volume::None => Communication::Uniform(0.0),
                Volume::Every(v) => Communication::Uniform(*v),
                Volume::PerBoundary(v) => Communication::PerBoundary(v.clone()),
            },
            device_compute_throughput: self.device_compute_throughput,
            network_bandwidth: self.network_bandwidth,
            virtual_stages_per_rank: Some(per_rank),
            backward_input_flops: self.backward_input_flops.clone(),
            backward_weight_flops: self.backward_weight_flops.clone(),
            ..LayerInputs::new(
                schedule,
                self.forward_flops.clone(),
                self.backward_flops.clone(),
                ranks,
                problem.micro_batches(),
            )
        };
        Ok(autopipe_torchtitan_search(&inputs)
            .map_err(fail)?
            .best_starts)
    }
}

/// The original's schedule, ranks and stages per rank of `problem`.
fn torchtitan_shape(
    problem: &Problem,
) -> std::result::Result<(TorchtitanSchedule, usize, usize), pipecut::heuristics::HeuristicError> {
    let inputs = pipecut::heuristics::autopipe_torchtitan::layer_inputs(problem)?;
    Ok((
        inputs.schedule,
        inputs.pp_group_size,
        inputs.virtual_stages_per_rank.unwrap_or(1),
    ))
}

/// Checks a cost list: non-empty, `len` entries if given, finite and >= 0.
fn costs(field: &str, values: &[f64], len: Option<usize>) -> Result<()> {
    if values.is_empty() {
        return Err(Error::invalid(field, "[]", "at least one layer is needed"));
    }
    if let Some(n) = len {
        if values.len() != n {
            return Err(Error::invalid(
                field,
                format!("a list of {}", values.len()),
                format!("must have one entry per layer, like forward_flops ({n})"),
            ));
        }
    }
    match values.iter().position(|v| !v.is_finite() || *v < 0.0) {
        Some(i) => Err(Error::invalid(
            format!("{field}[{i}]"),
            values[i],
            "must be finite and >= 0",
        )),
        None => Ok(()),
    }
}

/// A count that must be at least 1.
fn count(field: &str, value: i64) -> Result<usize> {
    usize::try_from(value)
        .ok()
        .filter(|&v| v >= 1)
        .ok_or_else(|| Error::invalid(field, value, "must be at least 1"))
}

/// A rate that must be finite and positive.
fn rate(field: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::invalid(field, value, "must be finite and > 0"))
    }
}

/// Largest byte count that converts to `f64` exactly.
const EXACT_BYTES: f64 = 9_007_199_254_740_992.0; // 2^53

/// Per-layer output bytes (`N` entries, the last 0) and the power of two the
/// volumes were scaled by (1 for whole numbers of bytes).
fn boundary_bytes(volume: &Volume, n: usize) -> Result<(Vec<u64>, f64)> {
    let per_boundary: Vec<f64> = match volume {
        Volume::None => return Ok((Vec::new(), 1.0)),
        Volume::Every(v) => vec![*v; n.saturating_sub(1)],
        Volume::PerBoundary(v) => {
            if v.len() + 1 != n {
                return Err(Error::invalid(
                    "communication_volume",
                    format!("a list of {}", v.len()),
                    format!(
                        "must have one entry per boundary between layers: {}",
                        n.saturating_sub(1)
                    ),
                ));
            }
            v.clone()
        }
    };
    let field = |i: usize| match volume {
        Volume::Every(_) => "communication_volume".to_string(),
        _ => format!("communication_volume[{i}]"),
    };
    if let Some(i) = per_boundary.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::invalid(
            field(i),
            per_boundary[i],
            "must be finite and >= 0",
        ));
    }
    let max = per_boundary.iter().copied().fold(0.0, f64::max);
    let whole = per_boundary.iter().all(|v| v.fract() == 0.0) && max <= EXACT_BYTES;
    let scale = if whole || max == 0.0 {
        1.0
    } else {
        // The largest power of two keeping every scaled volume below 2^53.
        let k = (52.0 - max.log2()).floor().clamp(-1000.0, 1000.0);
        2f64.powi(k as i32)
    };
    let mut bytes: Vec<u64> = per_boundary
        .iter()
        .map(|v| (v * scale).round() as u64)
        .collect();
    bytes.push(0);
    Ok((bytes, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop_in(n: usize, ranks: i64) -> DropIn {
        let f: Vec<f64> = (0..n).map(|i| 10.0 + (i % 5) as f64).collect();
        let b: Vec<f64> = f.iter().map(|x| 2.0 * x).collect();
        DropIn::new(f, b, ranks, 2 * ranks)
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::Invalid { field, .. } => field,
            Error::Core(pipecut::core::Error::InvalidSchedule { field, .. }) => field,
            other => panic!("expected a field error, got {other}"),
        }
    }

    #[test]
    fn starts_cover_every_logical_stage_for_every_schedule() {
        for name in [
            "1F1B",
            "GPipe",
            "Interleaved1F1B",
            "LoopedBFS",
            "InterleavedZeroBubble",
            "ZBVZeroBubble",
            "DualPipeV",
            "interleaved",
        ] {
            let mut d = drop_in(24, 4);
            d.schedule_type = name.into();
            d.n_microbatches = 8;
            let starts = d.solve().unwrap_or_else(|e| panic!("{name}: {e}"));
            let per_rank = if matches!(name, "1F1B" | "GPipe") {
                1
            } else {
                2
            };
            assert_eq!(starts.len(), 4 * per_rank, "{name}");
            assert_eq!(starts[0], 0);
            assert!(starts.windows(2).all(|w| w[0] < w[1]) && *starts.last().unwrap() < 24);
        }
    }

    #[test]
    fn communication_time_is_volume_over_bandwidth() {
        let mut d = drop_in(6, 2);
        d.communication_volume = Volume::PerBoundary(vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        d.network_bandwidth = 4.0;
        let p = d.problem().unwrap();
        assert_eq!(p.boundary_time(2), 3.0 / 4.0);
        // Fractional volumes: scaled by a power of two, same quotients.
        d.communication_volume = Volume::PerBoundary(vec![0.5, 0.25, 0.1, 3.0, 1e-3]);
        let p = d.problem().unwrap();
        for (i, v) in [0.5, 0.25, 0.1, 3.0, 1e-3].iter().enumerate() {
            let t = p.boundary_time(i);
            assert!(
                (t - v / 4.0).abs() <= 1e-15 * (v / 4.0).max(1.0),
                "{i}: {t}"
            );
        }
        assert_eq!(p.boundary_time(0), 0.125);
        d.communication_volume = Volume::Every(8.0);
        assert_eq!(d.problem().unwrap().boundary_time(4), 2.0);
    }

    #[test]
    fn times_are_flops_over_throughput() {
        let mut d = drop_in(4, 2);
        d.device_compute_throughput = 5.0;
        let p = d.problem().unwrap();
        assert_eq!(p.chain().layers()[1].forward, 11.0 / 5.0);
        assert_eq!(p.chain().layers()[1].backward, 22.0 / 5.0);
    }

    #[test]
    fn every_bad_argument_names_its_field() {
        type Edit = Box<dyn Fn(&mut DropIn)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("forward_flops", Box::new(|d| d.forward_flops.clear())),
            (
                "backward_flops",
                Box::new(|d| {
                    d.backward_flops.pop();
                }),
            ),
            (
                "forward_flops[2]",
                Box::new(|d| d.forward_flops[2] = f64::NAN),
            ),
            (
                "backward_flops[1]",
                Box::new(|d| d.backward_flops[1] = -1.0),
            ),
            (
                "forward_flops[0]",
                Box::new(|d| d.forward_flops[0] = f64::INFINITY),
            ),
            ("num_stages", Box::new(|d| d.num_stages = 0)),
            ("num_stages", Box::new(|d| d.num_stages = 9)),
            ("n_microbatches", Box::new(|d| d.n_microbatches = -1)),
            (
                "schedule_type",
                Box::new(|d| d.schedule_type = "PipeDream".into()),
            ),
            (
                "virtual_stages_per_rank",
                Box::new(|d| d.virtual_stages_per_rank = Some(0)),
            ),
            (
                "virtual_stages_per_rank",
                Box::new(|d| d.virtual_stages_per_rank = Some(2)),
            ),
            (
                "device_compute_throughput",
                Box::new(|d| d.device_compute_throughput = 0.0),
            ),
            (
                "network_bandwidth",
                Box::new(|d| d.network_bandwidth = f64::NAN),
            ),
            (
                "communication_volume",
                Box::new(|d| d.communication_volume = Volume::PerBoundary(vec![1.0])),
            ),
            (
                "communication_volume[1]",
                Box::new(|d| {
                    d.communication_volume =
                        Volume::PerBoundary(vec![1.0, -2.0, 0.0, 0.0, 0.0, 0.0, 0.0])
                }),
            ),
            (
                "communication_volume",
                Box::new(|d| d.communication_volume = Volume::Every(f64::NAN)),
            ),
            (
                "backward_input_flops",
                Box::new(|d| d.backward_input_flops = Some(vec![1.0])),
            ),
            (
                "backward_weight_flops[0]",
                Box::new(|d| d.backward_weight_flops = Some(vec![1e9; 8])),
            ),
            (
                "backward_input_flops[3]",
                Box::new(|d| {
                    let mut v = vec![0.0; 8];
                    v[3] = f64::NAN;
                    d.backward_input_flops = Some(v);
                }),
            ),
        ];
        for (want, edit) in cases {
            let mut d = drop_in(8, 2);
            edit(&mut d);
            let got = field_of(d.problem().unwrap_err());
            assert_eq!(got, want);
        }
        let mut d = drop_in(8, 2);
        d.algorithm = Some("nope".into());
        assert!(d.solve().unwrap_err().to_string().contains("nope"));
    }

    #[test]
    fn a_backward_split_reaches_the_chain() {
        let mut d = drop_in(4, 2);
        d.backward_input_flops = Some(vec![5.0; 4]);
        let p = d.problem().unwrap();
        assert_eq!(p.chain().layers()[0].backward_weight, Some(20.0 - 5.0));
        d.backward_weight_flops = Some(vec![15.0, 17.0, 19.0, 21.0]);
        d.backward_input_flops = Some(vec![5.0; 4]);
        assert!(d.problem().is_ok());
        d.backward_weight_flops = Some(vec![1.0; 4]);
        assert!(d.problem().is_err());
    }
}
