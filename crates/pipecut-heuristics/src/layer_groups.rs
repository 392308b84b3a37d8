//! The chain split by layer kind (leading inputs, blocks, trailing outputs):
//! the frameworks' rules place the groups, not single layers.

use pipecut_core::{Chain, LayerKind};

use crate::error::HeuristicError;

/// The chain split by kind: `inputs` leading input layers, `blocks` block
/// layers, `outputs` trailing output layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindGroups {
    /// Leading `input` layers.
    pub inputs: usize,
    /// `block` layers between them.
    pub blocks: usize,
    /// Trailing `output` layers.
    pub outputs: usize,
}

/// Groups the chain's layers by kind; the kinds must come in the order
/// inputs, blocks, outputs (each group may be empty).
pub fn kind_groups(chain: &Chain) -> std::result::Result<KindGroups, HeuristicError> {
    let layers = chain.layers();
    let inputs = layers
        .iter()
        .take_while(|l| l.kind == LayerKind::Input)
        .count();
    let blocks = layers[inputs..]
        .iter()
        .take_while(|l| l.kind == LayerKind::Block)
        .count();
    let outputs = layers.len() - inputs - blocks;
    if let Some((offset, l)) = layers[inputs + blocks..]
        .iter()
        .enumerate()
        .find(|(_, l)| l.kind != LayerKind::Output)
    {
        return Err(HeuristicError::KindOrder {
            index: inputs + blocks + offset,
            name: l.name.clone(),
            kind: l.kind.as_str(),
        });
    }
    Ok(KindGroups {
        inputs,
        blocks,
        outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::Layer;

    #[test]
    fn kind_order_is_checked() {
        // An output layer before a block: the block is out of order.
        let layers = vec![
            Layer::new("emb", 1.0, 1.0).with_kind(LayerKind::Input),
            Layer::new("head", 1.0, 1.0).with_kind(LayerKind::Output),
            Layer::new("block", 1.0, 1.0),
        ];
        let err = kind_groups(&Chain::new("k", "s", layers).unwrap()).unwrap_err();
        assert!(matches!(
            err,
            HeuristicError::KindOrder {
                index: 2,
                kind: "block",
                ..
            }
        ));
        let groups = kind_groups(&pipecut_testkit::llama_like(5, 3.0)).unwrap();
        assert_eq!(
            groups,
            KindGroups {
                inputs: 1,
                blocks: 5,
                outputs: 2
            }
        );
    }
}
