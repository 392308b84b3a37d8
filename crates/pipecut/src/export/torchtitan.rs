//! torchtitan's `[parallelism]` TOML snippet.

use std::fmt::Write;

use crate::core::Plan;

/// torchtitan's TOML: one list of module FQNs per model part (stage).
///
/// ```
/// # use pipecut::core::{Chain, Layer, LayerKind, Partition, ProblemSpec};
/// # let layers = vec![Layer::new("tok_embeddings", 1.0, 1.0).with_kind(LayerKind::Input),
/// #     Layer::new("layers.0", 1.0, 1.0), Layer::new("output", 1.0, 1.0).with_kind(LayerKind::Output)];
/// # let problem = ProblemSpec::new(Chain::new("t", "s", layers).unwrap(), 2).check().unwrap();
/// # let plan = pipecut::sim::Executor::new(&problem).given(Partition::new(vec![0, 2], 3).unwrap()).unwrap();
/// let toml = pipecut::export::torchtitan_toml(&plan, 2);
/// assert!(toml.contains(r#"module_fqns_per_model_part = [["tok_embeddings", "layers.0"], ["output"]]"#));
/// ```
pub fn torchtitan_toml(plan: &Plan, devices: usize) -> String {
    let parts: Vec<String> = (0..plan.stages())
        .map(|k| {
            let names: Vec<String> = plan
                .stage_names(k)
                .iter()
                .map(|n| format!("{n:?}"))
                .collect();
            format!("[{}]", names.join(", "))
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# pipecut plan: {} ({}), step time {:.6} {}",
        plan.algorithm,
        plan.status,
        plan.step_time(),
        plan.unit
    );
    let _ = writeln!(out, "[parallelism]");
    let _ = writeln!(out, "pipeline_parallel_degree = {devices}");
    let _ = writeln!(out, "module_fqns_per_model_part = [{}]", parts.join(", "));
    out
}
