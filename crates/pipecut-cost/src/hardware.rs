//! Hardware model: FLOPs and bytes to seconds with a roofline plus a fixed
//! per-layer launch overhead, or a "flops" mode that keeps FLOPs as the unit.

use std::fmt;
use std::str::FromStr;

use pipecut_core::format::number;

use crate::error::CostError;

/// A device's compute and memory characteristics.
///
/// Time for one pass of a layer:
/// `max(flops / (peak_flops * efficiency), bytes / bandwidth) + launch_overhead`
/// (the roofline model of Williams, Waterman and Patterson, CACM 2009, with a
/// constant term for kernel launches that dominates tiny models).
#[derive(Debug, Clone, PartialEq)]
pub struct HardwareSpec {
    /// Preset or user-chosen name.
    pub name: String,
    /// Dense bf16/fp16 tensor-core peak, FLOP/s (no structured sparsity).
    pub peak_flops: f64,
    /// Memory bandwidth, bytes/s.
    pub bandwidth: f64,
    /// Fraction of `peak_flops` that real kernels reach, in `(0, 1]`.
    pub efficiency: f64,
    /// Fixed seconds added to every layer's forward and to its backward
    /// (kernel launches, synchronisation).
    pub launch_overhead: f64,
}

/// One row of [`hardware_presets`], for listings.
#[derive(Debug, Clone, PartialEq)]
pub struct HardwareInfo {
    /// Preset name (what `--hardware` accepts).
    pub name: &'static str,
    /// One-line description and datasheet source.
    pub description: &'static str,
    /// Dense bf16 peak, FLOP/s.
    pub peak_flops: f64,
    /// Memory bandwidth, bytes/s.
    pub bandwidth: f64,
    /// Default efficiency.
    pub efficiency: f64,
    /// Default per-layer launch overhead, seconds.
    pub launch_overhead: f64,
}

/// Default fraction of peak reached by large matmul-bound layers; ~60% is
/// typical model-FLOPs utilisation for well-tuned bf16 training kernels.
pub const DEFAULT_EFFICIENCY: f64 = 0.6;

/// Default per-layer, per-pass overhead: a transformer block launches on the
/// order of 10-20 kernels at a few microseconds each.
pub const DEFAULT_LAUNCH_OVERHEAD: f64 = 40e-6;

/// The GPU presets. Peaks are NVIDIA datasheet dense bf16 tensor figures
/// (H100 SXM5 989 TFLOPS / 3.35 TB/s; H200 SXM 989 TFLOPS / 4.8 TB/s;
/// A100 SXM 80GB 312 TFLOPS / 2.039 TB/s; GeForce RTX 3090 71 TFLOPS bf16 with
/// fp32 accumulate (GA102 whitepaper) / 936 GB/s).
pub fn hardware_presets() -> Vec<HardwareInfo> {
    let gpu = |name, description, peak_flops, bandwidth| HardwareInfo {
        name,
        description,
        peak_flops,
        bandwidth,
        efficiency: DEFAULT_EFFICIENCY,
        launch_overhead: DEFAULT_LAUNCH_OVERHEAD,
    };
    vec![
        gpu(
            "h100-sxm",
            "NVIDIA H100 SXM5 80GB (datasheet: 989 TFLOPS dense bf16, 3.35 TB/s HBM3)",
            989e12,
            3.35e12,
        ),
        gpu(
            "h200",
            "NVIDIA H200 SXM 141GB (datasheet: 989 TFLOPS dense bf16, 4.8 TB/s HBM3e)",
            989e12,
            4.8e12,
        ),
        gpu(
            "a100-80gb",
            "NVIDIA A100 SXM 80GB (datasheet: 312 TFLOPS dense bf16, 2.039 TB/s HBM2e)",
            312e12,
            2.039e12,
        ),
        gpu(
            "rtx-3090",
            "NVIDIA GeForce RTX 3090 (GA102 whitepaper: 71 TFLOPS bf16 fp32-accumulate, 936 GB/s)",
            71e12,
            936e9,
        ),
    ]
}

/// Name of the default hardware preset.
pub const DEFAULT_HARDWARE: &str = "h100-sxm";

/// How layer costs are expressed.
#[derive(Debug, Clone, PartialEq)]
pub enum Hardware {
    /// Keep FLOPs as the unit (`flop`): forward and backward are FLOP counts.
    Flops,
    /// Seconds from a roofline model (`s`).
    Roofline(HardwareSpec),
}

impl Hardware {
    /// The chain unit this hardware produces: `flop` or `s`.
    pub fn unit(&self) -> &'static str {
        match self {
            Hardware::Flops => "flop",
            Hardware::Roofline(_) => "s",
        }
    }

    /// Cost of one pass doing `flops` FLOPs and moving `bytes` bytes.
    pub fn pass_cost(&self, flops: f64, bytes: f64) -> f64 {
        match self {
            Hardware::Flops => flops,
            Hardware::Roofline(spec) => spec.time(flops, bytes),
        }
    }

    /// The H100 SXM preset.
    pub fn default_gpu() -> Hardware {
        Hardware::Roofline(HardwareSpec::preset(DEFAULT_HARDWARE).expect("default preset exists"))
    }
}

impl Default for Hardware {
    fn default() -> Self {
        Hardware::default_gpu()
    }
}

impl fmt::Display for Hardware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hardware::Flops => f.write_str("flops"),
            Hardware::Roofline(spec) => f.write_str(&spec.name),
        }
    }
}

impl FromStr for Hardware {
    type Err = CostError;
    /// `flops`, or anything [`HardwareSpec::from_str`] accepts.
    fn from_str(s: &str) -> Result<Self, CostError> {
        if s.trim().eq_ignore_ascii_case("flops") {
            Ok(Hardware::Flops)
        } else {
            s.parse().map(Hardware::Roofline)
        }
    }
}

impl HardwareSpec {
    /// A preset by name (case-insensitive; `h100` is an alias of `h100-sxm`,
    /// `a100` of `a100-80gb`, `3090` of `rtx-3090`).
    pub fn preset(name: &str) -> Option<HardwareSpec> {
        let lower = name.trim().to_ascii_lowercase();
        let canonical = match lower.as_str() {
            "h100" | "h100-sxm5" => "h100-sxm",
            "a100" => "a100-80gb",
            "3090" | "rtx3090" => "rtx-3090",
            other => other,
        };
        hardware_presets()
            .into_iter()
            .find(|p| p.name == canonical)
            .map(|p| HardwareSpec {
                name: p.name.to_string(),
                peak_flops: p.peak_flops,
                bandwidth: p.bandwidth,
                efficiency: p.efficiency,
                launch_overhead: p.launch_overhead,
            })
    }

    /// Checks every field is finite and in range.
    pub fn validate(&self) -> Result<(), CostError> {
        let positive = |field, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(CostError::option(
                    field,
                    number(v),
                    "must be finite and > 0",
                ))
            }
        };
        positive("hardware.peak", self.peak_flops)?;
        positive("hardware.bandwidth", self.bandwidth)?;
        if !(self.efficiency.is_finite() && self.efficiency > 0.0 && self.efficiency <= 1.0) {
            return Err(CostError::option(
                "hardware.efficiency",
                number(self.efficiency),
                "must be in (0, 1]",
            ));
        }
        if !(self.launch_overhead.is_finite() && self.launch_overhead >= 0.0) {
            return Err(CostError::option(
                "hardware.overhead",
                number(self.launch_overhead),
                "must be finite and >= 0 (seconds)",
            ));
        }
        Ok(())
    }

    /// Seconds for one pass: the roofline plus the launch overhead.
    pub fn time(&self, flops: f64, bytes: f64) -> f64 {
        let compute = flops / (self.peak_flops * self.efficiency);
        let memory = bytes / self.bandwidth;
        compute.max(memory) + self.launch_overhead
    }
}

impl FromStr for HardwareSpec {
    type Err = CostError;
    /// `NAME[,key=value...]`: a preset, optionally with fields overridden, or
    /// `custom,peak=FLOP/s,bandwidth=B/s[,efficiency=F][,overhead=S]`.
    /// Keys: `peak`, `bandwidth` (or `bw`), `efficiency` (or `eff`),
    /// `overhead` (seconds).
    ///
    /// ```
    /// use pipecut_cost::HardwareSpec;
    /// let spec: HardwareSpec = "h100-sxm,efficiency=0.4".parse().unwrap();
    /// assert_eq!(spec.efficiency, 0.4);
    /// let custom: HardwareSpec = "custom,peak=1e15,bandwidth=2e12".parse().unwrap();
    /// assert_eq!(custom.peak_flops, 1e15);
    /// ```
    fn from_str(s: &str) -> Result<Self, CostError> {
        let mut parts = s.split(',').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let mut spec = if name.eq_ignore_ascii_case("custom") {
            HardwareSpec {
                name: "custom".to_string(),
                peak_flops: f64::NAN,
                bandwidth: f64::NAN,
                efficiency: DEFAULT_EFFICIENCY,
                launch_overhead: DEFAULT_LAUNCH_OVERHEAD,
            }
        } else {
            HardwareSpec::preset(name).ok_or_else(|| CostError::UnknownHardware {
                name: name.to_string(),
                known: known_hardware(),
            })?
        };
        for part in parts.filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                CostError::option("hardware", part, "expected key=value after the name")
            })?;
            let field: &'static str = match key.trim() {
                "peak" => "hardware.peak",
                "bandwidth" | "bw" => "hardware.bandwidth",
                "efficiency" | "eff" => "hardware.efficiency",
                "overhead" => "hardware.overhead",
                _ => {
                    return Err(CostError::option(
                        "hardware",
                        key,
                        "unknown key (expected peak, bandwidth, efficiency or overhead)",
                    ))
                }
            };
            let v: f64 = value
                .trim()
                .parse()
                .map_err(|_| CostError::option(field, value, "not a number"))?;
            match field {
                "hardware.peak" => spec.peak_flops = v,
                "hardware.bandwidth" => spec.bandwidth = v,
                "hardware.efficiency" => spec.efficiency = v,
                _ => spec.launch_overhead = v,
            }
        }
        spec.validate()?;
        Ok(spec)
    }
}

pub(crate) fn known_hardware() -> String {
    let mut names: Vec<&str> = hardware_presets().iter().map(|p| p.name).collect();
    names.push("flops");
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roofline_picks_the_slower_bound_and_adds_overhead() {
        let spec = HardwareSpec {
            name: "t".into(),
            peak_flops: 100.0,
            bandwidth: 10.0,
            efficiency: 0.5,
            launch_overhead: 1.0,
        };
        // compute 100 / 50 = 2, memory 10 / 10 = 1
        assert_eq!(spec.time(100.0, 10.0), 3.0);
        // compute 0.2, memory 5
        assert_eq!(spec.time(10.0, 50.0), 6.0);
        assert_eq!(Hardware::Flops.pass_cost(123.0, 1e9), 123.0);
    }

    #[test]
    fn parses_presets_aliases_overrides_and_custom() {
        assert_eq!(
            "H100".parse::<Hardware>().unwrap(),
            Hardware::Roofline(HardwareSpec::preset("h100-sxm").unwrap())
        );
        assert_eq!("flops".parse::<Hardware>().unwrap(), Hardware::Flops);
        for p in hardware_presets() {
            let spec: HardwareSpec = p.name.parse().unwrap();
            assert_eq!(spec.peak_flops, p.peak_flops);
        }
        let spec: HardwareSpec = "a100,overhead=0,bw=1e12".parse().unwrap();
        assert_eq!((spec.launch_overhead, spec.bandwidth), (0.0, 1e12));
        assert!(matches!(
            "tpu".parse::<HardwareSpec>(),
            Err(CostError::UnknownHardware { name, .. }) if name == "tpu"
        ));
        for (text, wanted) in [
            ("custom,peak=1e15", "hardware.bandwidth"),
            ("h200,efficiency=1.5", "hardware.efficiency"),
            ("h200,speed=2", "hardware"),
            ("h200,peak=abc", "hardware.peak"),
        ] {
            let err = text.parse::<HardwareSpec>();
            assert!(
                matches!(&err, Err(CostError::InvalidOption { field, .. }) if *field == wanted),
                "{text}: {err:?}"
            );
        }
        // Rejected floats are printed by the shared number formatter.
        let err = "custom,peak=-1e300,bandwidth=1e12".parse::<HardwareSpec>();
        assert!(
            matches!(&err, Err(CostError::InvalidOption { value, .. }) if value == "-1.0000e300"),
            "{err:?}"
        );
    }
}
