//! Megatron-LM's `pipeline_model_parallel_layout` string.

use crate::core::{Chain, LayerKind, Plan};

/// A Megatron `pipeline_model_parallel_layout` string: `E` for the input
/// (embedding) layers, `t` per block, `L` for the output layers (final norm,
/// head, loss), `|` between stages. Returns the layout and warnings for what
/// Megatron cannot express (an input or output group split across stages).
///
/// ```
/// # use pipecut::core::{Chain, Layer, LayerKind, Partition, ProblemSpec};
/// # let layers = vec![Layer::new("tok_embeddings", 1.0, 1.0).with_kind(LayerKind::Input),
/// #     Layer::new("layers.0", 1.0, 1.0), Layer::new("layers.1", 1.0, 1.0),
/// #     Layer::new("norm", 1.0, 1.0).with_kind(LayerKind::Output), Layer::new("output", 1.0, 1.0).with_kind(LayerKind::Output)];
/// # let chain = Chain::new("t", "s", layers).unwrap();
/// # let problem = ProblemSpec::new(chain.clone(), 2).check().unwrap();
/// # let plan = pipecut::sim::Executor::new(&problem).given(Partition::new(vec![0, 2], 5).unwrap()).unwrap();
/// let (layout, warnings) = pipecut::export::megatron_layout(&plan, &chain);
/// assert_eq!(layout, "Et|tL");
/// assert!(warnings.is_empty());
/// ```
pub fn megatron_layout(plan: &Plan, chain: &Chain) -> (String, Vec<String>) {
    let layers = chain.layers();
    let mut out = String::new();
    let mut warnings = Vec::new();
    let mut stage_of_kind: [Option<usize>; 2] = [None, None];
    for (k, s) in plan.evaluation.stages.iter().enumerate() {
        if k > 0 {
            out.push('|');
        }
        let mut prev: Option<LayerKind> = None;
        for layer in &layers[s.first..s.end] {
            let slot = match layer.kind {
                LayerKind::Input => Some(0),
                LayerKind::Output => Some(1),
                LayerKind::Block => None,
            };
            if let Some(slot) = slot {
                match stage_of_kind[slot] {
                    Some(first) if first != k => warnings.push(format!(
                        "Megatron keeps all {} layers on one stage, but `{}` is on stage {k} and the group starts on stage {first}",
                        layer.kind.as_str(),
                        layer.name
                    )),
                    None => stage_of_kind[slot] = Some(k),
                    _ => {}
                }
            }
            match layer.kind {
                LayerKind::Block => out.push('t'),
                kind if prev == Some(kind) => {}
                LayerKind::Input => out.push('E'),
                LayerKind::Output => out.push('L'),
            }
            prev = Some(layer.kind);
        }
    }
    (out, warnings)
}
