//! The module's functions: `auto_partition`, `plan`, `simulate`,
//! `compare`, `algorithms`, `models`, `hardware`, `run_suite`. Every solve
//! runs with the GIL released.

use std::sync::Mutex;

use pipecut::core::{Partition, Plan, Problem, ProblemSpec, Schedule};
use pipecut::harness::{Format, RunOptions, Runner, Suite};
use pipecut::milp::{MilpBottleneck, MilpStepTime};
use pipecut::registry::{self, Kind};
use pipecut::sim::Executor;
use pipecut::{SolverConfig, SolverSettings};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert;
use crate::drop_in::{DropIn, Volume};
use crate::error::{Error, Result};
use crate::py_chain::{json_err, json_to_py, PyChain};
use crate::py_plan::PyPlan;

/// How the pipeline runs: what `plan`, `simulate` and `compare` share.
struct RunArgs<'a, 'py> {
    /// A name or PyTorch schedule class; `1f1b` when not given.
    schedule: Option<&'a Bound<'py, PyAny>>,
    micro_batches: Option<&'a Bound<'py, PyAny>>,
    virtual_stages: Option<&'a Bound<'py, PyAny>>,
    memory_cap: Option<&'a Bound<'py, PyAny>>,
    link_latency: Option<f64>,
    link_bandwidth: Option<f64>,
    speeds: Option<&'a Bound<'py, PyAny>>,
}

impl<'a, 'py> RunArgs<'a, 'py> {
    /// The schedule, micro-batch and stages-per-device arguments.
    fn new(
        schedule: Option<&'a Bound<'py, PyAny>>,
        micro_batches: Option<&'a Bound<'py, PyAny>>,
        virtual_stages: Option<&'a Bound<'py, PyAny>>,
    ) -> Self {
        RunArgs {
            schedule,
            micro_batches,
            virtual_stages,
            memory_cap: None,
            link_latency: None,
            link_bandwidth: None,
            speeds: None,
        }
    }

    /// Adds the memory cap and per-stage speeds.
    fn with_limits(
        mut self,
        memory_cap: Option<&'a Bound<'py, PyAny>>,
        speeds: Option<&'a Bound<'py, PyAny>>,
    ) -> Self {
        self.memory_cap = memory_cap;
        self.speeds = speeds;
        self
    }

    /// Adds the link between consecutive stages.
    fn with_link(mut self, latency: Option<f64>, bandwidth: Option<f64>) -> Self {
        self.link_latency = latency;
        self.link_bandwidth = bandwidth;
        self
    }

    /// The checked problem for `stages` logical stages.
    fn problem(&self, chain: &PyChain, stages: usize) -> Result<Problem> {
        let name = match self.schedule.filter(|s| !s.is_none()) {
            Some(s) => convert::schedule_name(s, "schedule")?,
            None => "1f1b".to_string(),
        };
        // `stages` is already the logical count, so the default stages per
        // device (one, else two) only picks the schedule's chunking.
        let schedule = Schedule::from_name(
            &name,
            convert::count(self.virtual_stages, "virtual_stages")?,
        )?;
        let micro_batches =
            convert::count(self.micro_batches, "micro_batches")?.unwrap_or(2 * stages);
        let mut spec = ProblemSpec::new((*chain.inner).clone(), stages)
            .with_micro_batches(micro_batches)
            .with_schedule(schedule);
        if let Some(cap) = self.memory_cap.filter(|c| !c.is_none()) {
            spec.memory_capacity = Some(convert::bytes(cap, "memory_cap")?);
        }
        match (self.link_latency, self.link_bandwidth) {
            (_, Some(bw)) => spec = spec.with_link(self.link_latency.unwrap_or(0.0), bw),
            (Some(lat), None) => {
                return Err(Error::invalid(
                    "link_latency",
                    lat,
                    "needs link_bandwidth too",
                ))
            }
            (None, None) => {}
        }
        if let Some(s) = self.speeds.filter(|s| !s.is_none()) {
            spec.speeds = Some(convert::numbers(s, "speeds")?);
        }
        Ok(spec.check()?)
    }
}

/// Checked solver settings from the keyword arguments.
fn settings(
    time_limit: Option<f64>,
    threads: usize,
    milp_backend: Option<String>,
) -> Result<SolverSettings> {
    Ok(SolverConfig {
        time_limit_seconds: time_limit,
        milp_backend,
        threads,
    }
    .check()?)
}

/// Times `problem` with `how` (a solve or a given split) with the GIL
/// released, and wraps the plan for Python.
fn execute(
    py: Python<'_>,
    problem: &Problem,
    chain: &PyChain,
    timeline: bool,
    how: impl FnOnce(Executor<'_>) -> Result<Plan, pipecut::core::Error> + Send,
) -> PyResult<PyPlan> {
    let plan = py
        .detach(|| how(Executor::new(problem).with_timeline(timeline)))
        .map_err(Error::from)?;
    Ok(PyPlan {
        plan,
        devices: problem.devices(),
        chain: chain.inner.clone(),
    })
}

/// Splits `forward_flops` / `backward_flops` layers over `num_stages`
/// pipeline ranks and returns the first layer index of every logical stage
/// (ranks x stages per rank), as torchtitan's autopartition `auto_partition`
/// does; see the package docs for every argument.
#[pyfunction]
#[pyo3(signature = (forward_flops, backward_flops, num_stages, n_microbatches, *, schedule_type = None, communication_volume = None, device_compute_throughput = None, network_bandwidth = None, virtual_stages_per_rank = None, backward_input_flops = None, backward_weight_flops = None, algorithm = None))]
#[allow(clippy::too_many_arguments)]
pub fn auto_partition(
    py: Python<'_>,
    forward_flops: &Bound<'_, PyAny>,
    backward_flops: &Bound<'_, PyAny>,
    num_stages: &Bound<'_, PyAny>,
    n_microbatches: &Bound<'_, PyAny>,
    schedule_type: Option<&Bound<'_, PyAny>>,
    communication_volume: Option<&Bound<'_, PyAny>>,
    device_compute_throughput: Option<&Bound<'_, PyAny>>,
    network_bandwidth: Option<&Bound<'_, PyAny>>,
    virtual_stages_per_rank: Option<&Bound<'_, PyAny>>,
    backward_input_flops: Option<&Bound<'_, PyAny>>,
    backward_weight_flops: Option<&Bound<'_, PyAny>>,
    algorithm: Option<String>,
) -> PyResult<Vec<usize>> {
    let mut args = DropIn::new(
        convert::numbers(forward_flops, "forward_flops")?,
        convert::numbers(backward_flops, "backward_flops")?,
        convert::integer(num_stages, "num_stages")?,
        convert::integer(n_microbatches, "n_microbatches")?,
    );

    if let Some(s) = schedule_type.filter(|o| !o.is_none()) {
        args.schedule_type = convert::schedule_name(s, "schedule_type")?;
    }
    if let Some(v) = communication_volume.filter(|o| !o.is_none()) {
        args.communication_volume = if convert::is_number(v) {
            Volume::Every(convert::number(v, "communication_volume")?)
        } else {
            Volume::PerBoundary(convert::numbers(v, "communication_volume")?)
        };
    }
    if let Some(t) = device_compute_throughput.filter(|o| !o.is_none()) {
        args.device_compute_throughput = convert::number(t, "device_compute_throughput")?;
    }
    if let Some(b) = network_bandwidth.filter(|o| !o.is_none()) {
        args.network_bandwidth = convert::number(b, "network_bandwidth")?;
    }
    if let Some(v) = virtual_stages_per_rank.filter(|o| !o.is_none()) {
        args.virtual_stages_per_rank = Some(convert::integer(v, "virtual_stages_per_rank")?);
    }
    if let Some(v) = backward_input_flops.filter(|o| !o.is_none()) {
        args.backward_input_flops = Some(convert::numbers(v, "backward_input_flops")?);
    }
    if let Some(v) = backward_weight_flops.filter(|o| !o.is_none()) {
        args.backward_weight_flops = Some(convert::numbers(v, "backward_weight_flops")?);
    }
    args.algorithm = algorithm;
    Ok(py.detach(|| args.solve())?)
}

/// Splits `chain` into `stages` logical stages with `algorithm` (default:
/// pipecut's default) and returns the plan.
#[pyfunction]
#[pyo3(signature = (chain, stages, *, schedule = None, micro_batches = None, virtual_stages = None, algorithm = None, memory_cap = None, link_latency = None, link_bandwidth = None, speeds = None, time_limit = Some(10.0), threads = 1, milp_backend = None, timeline = false))]
#[allow(clippy::too_many_arguments)]
pub fn plan(
    py: Python<'_>,
    chain: &PyChain,
    stages: usize,
    schedule: Option<&Bound<'_, PyAny>>,
    micro_batches: Option<&Bound<'_, PyAny>>,
    virtual_stages: Option<&Bound<'_, PyAny>>,
    algorithm: Option<String>,
    memory_cap: Option<&Bound<'_, PyAny>>,
    link_latency: Option<f64>,
    link_bandwidth: Option<f64>,
    speeds: Option<&Bound<'_, PyAny>>,
    time_limit: Option<f64>,
    threads: usize,
    milp_backend: Option<String>,
    timeline: bool,
) -> PyResult<PyPlan> {
    let run = RunArgs::new(schedule, micro_batches, virtual_stages)
        .with_limits(memory_cap, speeds)
        .with_link(link_latency, link_bandwidth);
    let problem = run.problem(chain, stages)?;
    let settings = settings(time_limit, threads, milp_backend)?;
    let name = algorithm.unwrap_or_else(|| registry::DEFAULT_ALGORITHM.to_string());
    let partitioner = registry::build(&name, &settings).map_err(Error::from)?;
    execute(py, &problem, chain, timeline, |e| e.run(&*partitioner))
}

/// Simulates the split `starts` (first layer of every stage) of `chain`.
#[pyfunction]
#[pyo3(signature = (chain, starts, *, schedule = None, micro_batches = None, virtual_stages = None, memory_cap = None, link_latency = None, link_bandwidth = None, speeds = None, timeline = false))]
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    py: Python<'_>,
    chain: &PyChain,
    starts: &Bound<'_, PyAny>,
    schedule: Option<&Bound<'_, PyAny>>,
    micro_batches: Option<&Bound<'_, PyAny>>,
    virtual_stages: Option<&Bound<'_, PyAny>>,
    memory_cap: Option<&Bound<'_, PyAny>>,
    link_latency: Option<f64>,
    link_bandwidth: Option<f64>,
    speeds: Option<&Bound<'_, PyAny>>,
    timeline: bool,
) -> PyResult<PyPlan> {
    let starts: Vec<usize> = convert::counts(starts, "starts")?
        .into_iter()
        .map(|s| s as usize)
        .collect();
    let run = RunArgs::new(schedule, micro_batches, virtual_stages)
        .with_limits(memory_cap, speeds)
        .with_link(link_latency, link_bandwidth);
    let problem = run.problem(chain, starts.len())?;
    let partition = Partition::for_problem(starts, &problem).map_err(Error::from)?;
    execute(py, &problem, chain, timeline, |e| e.given(partition))
}

/// Runs `algorithms` (default: every one) on one problem and returns their
/// results ranked by simulated step time, as dicts.
#[pyfunction]
#[pyo3(signature = (chain, stages, *, algorithms = None, schedule = None, micro_batches = None, virtual_stages = None, memory_cap = None, link_latency = None, link_bandwidth = None, speeds = None, time_limit = Some(10.0), threads = 1, milp_max_layers = 64, milp_steptime_max_layers = 12))]
#[allow(clippy::too_many_arguments)]
pub fn compare<'py>(
    py: Python<'py>,
    chain: &PyChain,
    stages: usize,
    algorithms: Option<Vec<String>>,
    schedule: Option<&Bound<'py, PyAny>>,
    micro_batches: Option<&Bound<'py, PyAny>>,
    virtual_stages: Option<&Bound<'py, PyAny>>,
    memory_cap: Option<&Bound<'py, PyAny>>,
    link_latency: Option<f64>,
    link_bandwidth: Option<f64>,
    speeds: Option<&Bound<'py, PyAny>>,
    time_limit: Option<f64>,
    threads: usize,
    milp_max_layers: usize,
    milp_steptime_max_layers: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let run = RunArgs::new(schedule, micro_batches, virtual_stages)
        .with_limits(memory_cap, speeds)
        .with_link(link_latency, link_bandwidth);
    let problem = run.problem(chain, stages)?;
    let settings = settings(time_limit, threads, None)?;
    let built =
        registry::build_named(&algorithms.unwrap_or_default(), &settings).map_err(Error::from)?;
    let options = RunOptions::default()
        .with_size_cap(MilpBottleneck::NAME, milp_max_layers)
        .with_size_cap(MilpStepTime::NAME, milp_steptime_max_layers);
    let name = chain.inner.name().to_string();
    let text = py.detach(|| {
        let result = Runner::new(&built)
            .with_options(options)
            .compare(&name, &name, &problem);
        let ranked: Vec<_> = result.ranked().into_iter().cloned().collect();
        serde_json::to_string(&ranked)
    });
    json_to_py(py, &text.map_err(json_err)?)
}

/// Every registered algorithm: name, kind, objective, description and
/// whether it is the default.
#[pyfunction]
pub fn algorithms(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    registry::ALGORITHMS
        .iter()
        .map(|a| {
            let d = PyDict::new(py);
            d.set_item("name", a.name)?;
            d.set_item("kind", a.kind.as_str())?;
            d.set_item(
                "objective",
                serde_json::to_value(a.objective)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string)),
            )?;
            d.set_item("description", a.description)?;
            d.set_item("default", a.name == registry::DEFAULT_ALGORITHM)?;
            Ok(d)
        })
        .collect()
}

/// Every preset model `Chain.from_model` builds, with its dimensions.
#[pyfunction]
pub fn models(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    pipecut::cost::presets()
        .into_iter()
        .map(|p| {
            let d = PyDict::new(py);
            d.set_item("name", p.name)?;
            d.set_item("family", p.family)?;
            d.set_item("description", p.description)?;
            d.set_item("dim", p.dim)?;
            d.set_item("layers", p.n_layers)?;
            d.set_item("heads", p.n_heads)?;
            d.set_item("kv_heads", p.n_kv_heads)?;
            d.set_item("vocab", p.vocab_size)?;
            d.set_item("ffn_hidden_dim", p.ffn_hidden_dim)?;
            d.set_item("experts", p.experts)?;
            d.set_item("top_k", p.top_k)?;
            d.set_item("seq_len", p.seq_len)?;
            d.set_item("micro_batch_size", p.micro_batch_size)?;
            d.set_item("params", p.params)?;
            d.set_item("active_params", p.active_params)?;
            Ok(d)
        })
        .collect()
}

/// Every hardware preset `Chain.from_model(..., hardware=NAME)` takes.
#[pyfunction]
pub fn hardware(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    pipecut::cost::hardware_presets()
        .into_iter()
        .map(|h| {
            let d = PyDict::new(py);
            d.set_item("name", h.name)?;
            d.set_item("description", h.description)?;
            d.set_item("peak_flops", h.peak_flops)?;
            d.set_item("bandwidth", h.bandwidth)?;
            d.set_item("efficiency", h.efficiency)?;
            d.set_item("launch_overhead", h.launch_overhead)?;
            Ok(d)
        })
        .collect()
}

/// Runs a harness suite (`presets`, `random`, `seed`, `schedules`, or
/// `chains` with `chains=DIR`) and returns the report as a dict; `progress`
/// is called as `progress(done, total)` after each problem, and `out`
/// writes the report files there.
#[pyfunction]
#[pyo3(signature = (suite, *, algorithms = None, chains = None, no_milp = false, milp_max_layers = 32, milp_steptime_max_layers = 10, jobs = 0, time_limit = Some(10.0), progress = None, out = None, formats = None))]
#[allow(clippy::too_many_arguments)]
pub fn run_suite<'py>(
    py: Python<'py>,
    suite: &str,
    algorithms: Option<Vec<String>>,
    chains: Option<std::path::PathBuf>,
    no_milp: bool,
    milp_max_layers: usize,
    milp_steptime_max_layers: usize,
    jobs: usize,
    time_limit: Option<f64>,
    progress: Option<Py<PyAny>>,
    out: Option<std::path::PathBuf>,
    formats: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyAny>> {
    let formats = formats
        .unwrap_or_else(|| vec!["markdown".into(), "csv".into(), "json".into(), "svg".into()])
        .iter()
        .map(|f| {
            f.parse::<Format>()
                .map_err(|e| Error::invalid("formats", f, e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let suite = py
        .detach(|| Suite::by_name(suite, chains.as_deref(), None))
        .map_err(Error::from)?;
    let mut built = registry::build_named(
        &algorithms.unwrap_or_default(),
        &settings(time_limit, 1, None)?,
    )
    .map_err(Error::from)?;
    if no_milp {
        built.retain(|a| registry::find(a.name()).map_or(true, |r| r.kind != Kind::Milp));
    }
    let options = RunOptions::default()
        .with_size_cap(MilpBottleneck::NAME, milp_max_layers)
        .with_size_cap(MilpStepTime::NAME, milp_steptime_max_layers)
        .with_threads(jobs);
    // The callback's first exception stops nothing but is raised at the end.
    let failure: Mutex<Option<PyErr>> = Mutex::new(None);
    let report = py.detach(|| {
        let mut runner = Runner::new(&built).with_options(options);
        if let Some(cb) = &progress {
            runner = runner.with_progress(|done, total| {
                Python::attach(|py| {
                    if let Err(e) = cb.call1(py, (done, total)) {
                        if let Ok(mut slot) = failure.lock() {
                            slot.get_or_insert(e);
                        }
                    }
                });
            });
        }
        let report = runner.run_suite(&suite)?;
        if let Some(dir) = &out {
            report.write(dir, &formats)?;
        }
        Ok::<_, pipecut::harness::HarnessError>(report)
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let report = report.map_err(Error::from)?;
    json_to_py(py, &report.to_json())
}
