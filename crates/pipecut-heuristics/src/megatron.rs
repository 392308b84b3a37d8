//! `megatron`: Megatron-LM's split, blocks evenly over the stages.

use pipecut_core::{Partition, Problem};

use crate::error::HeuristicError;
use crate::layer_groups::kind_groups;

/// Megatron-LM's split: blocks divided evenly over the stages (error when
/// they do not divide), the input layers with the first stage, the output
/// layers with the last. Layers are grouped by [`kind_groups`](crate::kind_groups).
pub fn megatron_partition(problem: &Problem) -> std::result::Result<Partition, HeuristicError> {
    let g = kind_groups(problem.chain())?;
    let p = problem.stages();
    if p == 1 {
        return Ok(Partition::from_sizes(&[problem.layers()])?);
    }
    if g.blocks == 0 {
        return Err(HeuristicError::MegatronNoBlocks { stages: p });
    }
    if g.blocks % p != 0 {
        return Err(HeuristicError::MegatronNotDivisible {
            blocks: g.blocks,
            stages: p,
        });
    }
    let per = g.blocks / p;
    let mut sizes = vec![per; p];
    sizes[0] += g.inputs;
    sizes[p - 1] += g.outputs;
    Ok(Partition::from_sizes(&sizes)?)
}

rule_partitioner! {
    /// `megatron`: Megatron-LM's even block split, see [`megatron_partition`].
    pub struct Megatron = "megatron", pipecut_core::Objective::Rule, |_, problem| megatron_partition(problem),
    "Megatron-LM's split: blocks evenly (must divide), inputs with the first stage, outputs with the last"
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::Partitioner;
    use pipecut_core::{Chain, Layer, LayerKind};
    use pipecut_testkit::{llama_like, problem};

    #[test]
    fn split_and_errors() {
        let pr = problem(llama_like(12, 3.0), 4, 1);
        // [emb L0-2] [L3-5] [L6-8] [L9-11 norm output]
        assert_eq!(megatron_partition(&pr).unwrap().sizes(), vec![4, 3, 3, 5]);
        let pr = problem(llama_like(10, 3.0), 4, 1);
        assert!(matches!(
            megatron_partition(&pr),
            Err(HeuristicError::MegatronNotDivisible {
                blocks: 10,
                stages: 4
            })
        ));
        let pr = problem(llama_like(0, 3.0), 2, 1);
        assert!(matches!(
            megatron_partition(&pr),
            Err(HeuristicError::MegatronNoBlocks { stages: 2 })
        ));
    }

    #[test]
    fn kind_order_is_checked() {
        let layers = vec![
            Layer::new("a", 1.0, 1.0),
            Layer::new("emb", 1.0, 1.0).with_kind(LayerKind::Input),
            Layer::new("b", 1.0, 1.0),
        ];
        let pr = problem(Chain::new("k", "s", layers).unwrap(), 2, 1);
        assert!(matches!(
            megatron_partition(&pr),
            Err(HeuristicError::KindOrder {
                index: 1,
                kind: "input",
                ..
            })
        ));
        let err = Megatron.solve(&pr).unwrap_err();
        assert!(
            matches!(&err, pipecut_core::Error::Solver { algorithm, .. } if algorithm == "megatron")
        );
    }
}
