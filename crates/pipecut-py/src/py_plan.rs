//! `pipecut.Plan`: a solved (or given) split with its metrics and the
//! framework exports.

use std::sync::Arc;

use pipecut::core::{Chain, Plan, StageEval};
use pipecut::export;
use pyo3::prelude::*;

use crate::error::Error;
use crate::py_chain::json_to_py;

/// A split with its simulated step time, per-stage times and memory, and
/// what torchtitan, Megatron-LM and DeepSpeed take.
#[pyclass(module = "pipecut._native", name = "Plan", frozen)]
#[derive(Debug, Clone)]
pub struct PyPlan {
    /// The core plan.
    pub plan: Plan,
    /// Devices of the problem.
    pub devices: usize,
    /// The chain it splits.
    pub chain: Arc<Chain>,
}

impl PyPlan {
    /// One figure of every stage's evaluation.
    fn per_stage<T>(&self, figure: impl Fn(&StageEval) -> T) -> Vec<T> {
        self.plan.evaluation.stages.iter().map(figure).collect()
    }
}

#[pymethods]
impl PyPlan {
    /// Name of the partitioner (`given` for `simulate`).
    #[getter]
    fn algorithm(&self) -> &str {
        &self.plan.algorithm
    }
    /// First layer of every stage.
    #[getter]
    fn starts(&self) -> Vec<usize> {
        self.plan.starts().to_vec()
    }
    /// Number of (logical) stages.
    #[getter]
    fn stages(&self) -> usize {
        self.plan.stages()
    }
    /// Number of devices (stages / stages per device).
    #[getter]
    fn devices(&self) -> usize {
        self.devices
    }
    /// Device of every stage.
    #[getter]
    fn stage_devices(&self) -> Vec<usize> {
        (0..self.plan.stages())
            .map(|k| self.plan.device_of(k))
            .collect()
    }
    /// Layer names of every stage.
    #[getter]
    fn stage_names(&self) -> Vec<Vec<String>> {
        (0..self.plan.stages())
            .map(|k| self.plan.stage_names(k).to_vec())
            .collect()
    }
    /// Compute and communication time of every stage per micro-batch.
    #[getter]
    fn stage_times(&self) -> Vec<f64> {
        self.per_stage(|s| s.time)
    }
    /// Forward time of every stage.
    #[getter]
    fn stage_forward(&self) -> Vec<f64> {
        self.per_stage(|s| s.forward)
    }
    /// Backward time of every stage.
    #[getter]
    fn stage_backward(&self) -> Vec<f64> {
        self.per_stage(|s| s.backward)
    }
    /// Memory of every stage, in bytes.
    #[getter]
    fn stage_memory(&self) -> Vec<u64> {
        self.per_stage(|s| s.memory_bytes)
    }
    /// Memory of every device (its stages summed), in bytes.
    #[getter]
    fn device_memory(&self) -> Vec<u64> {
        self.plan.evaluation.device_memory_bytes.clone()
    }
    /// Largest device memory.
    #[getter]
    fn peak_memory(&self) -> u64 {
        self.plan.peak_memory_bytes()
    }
    /// Whether every device fits the memory cap (true without one).
    #[getter]
    fn fits_memory(&self) -> bool {
        self.plan.fits_memory()
    }
    /// Simulated step time.
    #[getter]
    fn step_time(&self) -> f64 {
        self.plan.step_time()
    }
    /// Simulated bubble fraction (idle share of device time).
    #[getter]
    fn bubble(&self) -> f64 {
        self.plan.bubble_fraction()
    }
    /// Largest stage time.
    #[getter]
    fn bottleneck(&self) -> f64 {
        self.plan.bottleneck()
    }
    /// `optimal`, `feasible` or `heuristic`.
    #[getter]
    fn status(&self) -> String {
        self.plan.status.to_string()
    }
    /// What the algorithm minimised (`bottleneck`, `device_load`, ...).
    #[getter]
    fn objective(&self) -> String {
        serde_json::to_value(self.plan.objective)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
    /// Best proven lower bound on the objective, if any.
    #[getter]
    fn bound(&self) -> Option<f64> {
        self.plan.bound
    }
    /// Seconds the solve took.
    #[getter]
    fn solve_seconds(&self) -> f64 {
        self.plan.solve_seconds
    }
    /// The schedule simulated.
    #[getter]
    fn schedule(&self) -> String {
        self.plan.schedule.to_string()
    }
    /// Micro-batches simulated.
    #[getter]
    fn micro_batches(&self) -> usize {
        self.plan.micro_batches
    }
    /// Unit of every time.
    #[getter]
    fn unit(&self) -> &str {
        &self.plan.unit
    }
    /// Fallbacks, limits and assumptions.
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.plan.notes.clone()
    }

    /// torchtitan's `module_fqns_per_model_part`: one list of layer names
    /// per stage.
    fn to_torchtitan(&self) -> Vec<Vec<String>> {
        self.stage_names()
    }
    /// torchtitan's `[parallelism]` TOML snippet.
    fn to_torchtitan_toml(&self) -> String {
        export::torchtitan_toml(&self.plan, self.devices)
    }
    /// Megatron-LM's `pipeline_model_parallel_layout` string.
    fn to_megatron(&self) -> String {
        export::megatron_layout(&self.plan, &self.chain).0
    }
    /// What Megatron cannot express of this split (an input or output
    /// group across stages).
    fn megatron_warnings(&self) -> Vec<String> {
        export::megatron_layout(&self.plan, &self.chain).1
    }
    /// DeepSpeed's part boundary list.
    fn to_deepspeed(&self) -> Vec<usize> {
        export::deepspeed_parts(&self.plan)
    }
    /// Plan JSON text.
    fn to_json(&self) -> String {
        self.plan.to_json()
    }
    /// Plan JSON as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.plan.to_json())
    }
    /// A Gantt chart (SVG) of the simulated step, if the plan was made with
    /// `timeline=True`.
    #[pyo3(signature = (title = None))]
    fn gantt_svg(&self, title: Option<String>) -> PyResult<String> {
        let opts = pipecut::sim::GanttOptions {
            title: title.unwrap_or_else(|| {
                format!("{} plan of {}", self.plan.algorithm, self.chain.name())
            }),
            unit: self.plan.unit.clone(),
            ..Default::default()
        };
        Ok(pipecut::sim::gantt_svg(&self.plan.simulation, &opts).map_err(Error::from)?)
    }

    fn __str__(&self) -> String {
        export::plan_table(&self.plan)
    }

    fn __repr__(&self) -> String {
        format!(
            "Plan(algorithm={:?}, starts={:?}, step_time={}, status={:?})",
            self.plan.algorithm,
            self.plan.starts(),
            pipecut::core::format::number(self.plan.step_time()),
            self.plan.status.to_string()
        )
    }
}
