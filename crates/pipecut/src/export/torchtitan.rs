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
            let names: Vec<String> = plan.stage_names(k).iter().map(|n| toml_string(n)).collect();
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

/// `text` as a TOML basic string: quotes and backslashes escaped, control
/// characters (which checked chains never hold) as `\uXXXX`, everything
/// else as the UTF-8 it is (Rust's `{:?}` would write `\u{301}`, which TOML
/// cannot parse).
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::toml_string;

    #[test]
    fn toml_strings_escape_quotes_and_keep_unicode() {
        assert_eq!(toml_string("layers.0"), "\"layers.0\"");
        assert_eq!(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        // A combining mark stays a character, not Rust's `\u{301}`.
        assert_eq!(toml_string("e\u{301}"), "\"e\u{301}\"");
        assert_eq!(toml_string("x\u{7f}"), "\"x\\u007F\"");
    }
}
