//! Layers and chains: what a model looks like to a partitioner.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The role of a layer in the model; the framework baselines treat inputs and
/// outputs differently from blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    /// Embedding and anything before the first block.
    Input,
    /// A repeated block (a transformer layer).
    #[default]
    Block,
    /// Final norm, output head, loss.
    Output,
}

impl LayerKind {
    /// The lowercase name used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Input => "input",
            LayerKind::Block => "block",
            LayerKind::Output => "output",
        }
    }
}

impl std::str::FromStr for LayerKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "input" => Ok(LayerKind::Input),
            "block" | "" => Ok(LayerKind::Block),
            "output" => Ok(LayerKind::Output),
            other => Err(format!(
                "unknown layer kind `{other}` (expected input, block or output)"
            )),
        }
    }
}

/// One layer of a chain, with its per-micro-batch costs.
///
/// Build layers freely; a [`Chain`] validates them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Unique name, e.g. `tok_embeddings`, `layers.0`, `output`.
    pub name: String,
    /// Role of the layer.
    #[serde(default)]
    pub kind: LayerKind,
    /// Forward time (or cost) per micro-batch, in the chain's unit.
    pub forward: f64,
    /// Backward time (or cost) per micro-batch, in the chain's unit.
    pub backward: f64,
    /// The weight-gradient share of `backward` (the input-gradient part is
    /// the rest), which zero-bubble schedules run as separate operations.
    /// Absent: [`DEFAULT_WEIGHT_SHARE`] of `backward` (see
    /// [`Layer::backward_weight`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backward_weight: Option<f64>,
    /// Bytes a stage holds for this layer whatever the schedule: weights,
    /// gradients and optimizer state.
    #[serde(default)]
    pub param_bytes: u64,
    /// Bytes stashed per in-flight micro-batch for the backward pass.
    #[serde(default)]
    pub activation_bytes: u64,
    /// Bytes sent to the next layer per micro-batch when a stage boundary
    /// follows this layer.
    #[serde(default)]
    pub output_bytes: u64,
}

impl Layer {
    /// A block layer with the given costs and no bytes.
    pub fn new(name: impl Into<String>, forward: f64, backward: f64) -> Self {
        Layer {
            name: name.into(),
            kind: LayerKind::Block,
            forward,
            backward,
            backward_weight: None,
            param_bytes: 0,
            activation_bytes: 0,
            output_bytes: 0,
        }
    }

    /// Sets the kind.
    pub fn with_kind(mut self, kind: LayerKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets the three byte fields.
    pub fn with_bytes(mut self, param: u64, activation: u64, output: u64) -> Self {
        self.param_bytes = param;
        self.activation_bytes = activation;
        self.output_bytes = output;
        self
    }

    /// Sets the weight-gradient share of the backward (checked with the chain).
    pub fn with_backward_weight(mut self, weight: f64) -> Self {
        self.backward_weight = Some(weight);
        self
    }

    /// `forward + backward`.
    pub fn cost(&self) -> f64 {
        self.forward + self.backward
    }

    /// The weight-gradient part of the backward: the given value, else
    /// [`DEFAULT_WEIGHT_SHARE`] of `backward`.
    pub fn backward_weight(&self) -> f64 {
        self.backward_weight
            .unwrap_or(DEFAULT_WEIGHT_SHARE * self.backward)
    }

    /// The input-gradient part of the backward: `backward - backward_weight`.
    pub fn backward_input(&self) -> f64 {
        (self.backward - self.backward_weight()).max(0.0)
    }
}

/// The weight-gradient share of a backward a layer does not state: one half,
/// the convention of PyTorch's own pipeline partitioner (a linear layer's
/// weight gradient costs as much as its input gradient).
pub const DEFAULT_WEIGHT_SHARE: f64 = 0.5;

/// Costs finite and `>= 0`; a given `backward_weight` at most `backward`.
/// Longest chain or layer name, in characters.
pub const MAX_NAME_CHARS: usize = 1024;

/// Longest time unit, in characters.
pub const MAX_UNIT_CHARS: usize = 32;

/// Names and units end up in TOML, JSON, CSV, SVG and shell lines: no
/// control characters (newlines included), and a sane length.
fn check_text(field: &'static str, layer: Option<usize>, text: &str, max: usize) -> Result<()> {
    let reason = if text.chars().any(char::is_control) {
        Some("must not contain control characters (newlines, tabs, NUL, DEL, ...)".to_string())
    } else if text.chars().count() > max {
        Some(format!("must be at most {max} characters"))
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(Error::InvalidText {
            field,
            layer,
            value: text
                .chars()
                .take(40)
                .collect::<String>()
                .escape_debug()
                .to_string(),
            reason,
        }),
    }
}

fn check_costs(layer: &Layer, index: usize) -> Result<()> {
    let weight = layer.backward_weight;
    let costs = [
        ("forward", Some(layer.forward)),
        ("backward", Some(layer.backward)),
        ("backward_weight", weight),
    ];
    for (field, value) in costs {
        match value {
            Some(value) if !value.is_finite() || value < 0.0 => {
                return Err(Error::InvalidCost {
                    layer: layer.name.clone(),
                    index,
                    field,
                    value,
                })
            }
            _ => {}
        }
    }
    match weight {
        Some(value) if value > layer.backward => Err(Error::BackwardWeightExceedsBackward {
            layer: layer.name.clone(),
            index,
            value,
            backward: layer.backward,
        }),
        _ => Ok(()),
    }
}

fn default_unit() -> String {
    "units".to_string()
}

/// The unchecked form of a [`Chain`], as it appears in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// Name of the model.
    pub name: String,
    /// Unit of every cost (`s`, `ms`, `flop`, ...).
    #[serde(default = "default_unit")]
    pub unit: String,
    /// Layers in execution order.
    pub layers: Vec<Layer>,
}

/// A validated chain of layers: non-empty, unique non-empty names, finite
/// non-negative costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ChainSpec", into = "ChainSpec")]
pub struct Chain {
    name: String,
    unit: String,
    layers: Vec<Layer>,
}

impl Chain {
    /// Validates and builds a chain.
    ///
    /// ```
    /// use pipecut_core::{Chain, Layer};
    /// let chain = Chain::new("toy", "ms", vec![Layer::new("a", 1.0, 2.0)]).unwrap();
    /// assert_eq!(chain.len(), 1);
    /// assert!(Chain::new("bad", "ms", vec![Layer::new("a", f64::NAN, 0.0)]).is_err());
    /// ```
    pub fn new(
        name: impl Into<String>,
        unit: impl Into<String>,
        layers: Vec<Layer>,
    ) -> Result<Self> {
        let name = name.into();
        let unit = unit.into();
        check_text("name", None, &name, MAX_NAME_CHARS)?;
        check_text("unit", None, &unit, MAX_UNIT_CHARS)?;
        if layers.is_empty() {
            return Err(Error::EmptyChain { chain: name });
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(layers.len());
        for (index, layer) in layers.iter().enumerate() {
            if layer.name.is_empty() {
                return Err(Error::EmptyLayerName { index });
            }
            check_text("name", Some(index), &layer.name, MAX_NAME_CHARS)?;
            if let Some(&first) = seen.get(layer.name.as_str()) {
                return Err(Error::DuplicateLayerName {
                    name: layer.name.clone(),
                    first,
                    second: index,
                });
            }
            seen.insert(&layer.name, index);
            check_costs(layer, index)?;
        }
        Ok(Chain { name, unit, layers })
    }

    /// Whether any layer leaves its backward split to [`DEFAULT_WEIGHT_SHARE`].
    pub fn assumes_backward_split(&self) -> bool {
        self.layers.iter().any(|l| l.backward_weight.is_none())
    }

    /// Parses and validates Chain JSON, keeping the typed validation error.
    pub fn from_json(text: &str) -> Result<Self> {
        let spec: ChainSpec = serde_json::from_str(text)?;
        Chain::try_from(spec)
    }

    /// Pretty Chain JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a chain always serializes")
    }

    /// Name of the model.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Unit of the costs.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// The layers in execution order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Always false: a chain has at least one layer.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Forward costs, one per layer.
    pub fn forwards(&self) -> Vec<f64> {
        self.layers.iter().map(|l| l.forward).collect()
    }

    /// Backward costs, one per layer.
    pub fn backwards(&self) -> Vec<f64> {
        self.layers.iter().map(|l| l.backward).collect()
    }

    /// `forward + backward` per layer.
    pub fn costs(&self) -> Vec<f64> {
        self.layers.iter().map(Layer::cost).collect()
    }

    /// The same chain in reverse layer order (names and costs kept).
    pub fn reversed(&self) -> Chain {
        let mut layers = self.layers.clone();
        layers.reverse();
        Chain {
            name: format!("{}-reversed", self.name),
            unit: self.unit.clone(),
            layers,
        }
    }

    /// The same chain with every cost multiplied by `factor` (finite, > 0).
    pub fn scaled(&self, factor: f64) -> Result<Chain> {
        let layers = self
            .layers
            .iter()
            .map(|l| Layer {
                forward: l.forward * factor,
                backward: l.backward * factor,
                ..l.clone()
            })
            .collect();
        Chain::new(self.name.clone(), self.unit.clone(), layers)
    }
}

impl TryFrom<ChainSpec> for Chain {
    type Error = Error;
    fn try_from(spec: ChainSpec) -> Result<Self> {
        Chain::new(spec.name, spec.unit, spec.layers)
    }
}

impl From<Chain> for ChainSpec {
    fn from(chain: Chain) -> Self {
        ChainSpec {
            name: chain.name,
            unit: chain.unit,
            layers: chain.layers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_invalid_layer_with_its_own_error() {
        assert!(matches!(
            Chain::new("c", "s", vec![]),
            Err(Error::EmptyChain { chain }) if chain == "c"
        ));
        assert!(matches!(
            Chain::new("c", "s", vec![Layer::new("", 1.0, 1.0)]),
            Err(Error::EmptyLayerName { index: 0 })
        ));
        // Text that exports could not carry safely is refused by name.
        let layer = |name: &str| vec![Layer::new(name, 1.0, 1.0)];
        for (chain, unit, layers, field) in [
            ("c", "ms\n[parallelism]", layer("a"), "unit"),
            ("c", "s", layer("a\u{0}b"), "name"),
            ("c\u{7f}", "s", layer("a"), "name"),
            ("c", "s", layer(&"x".repeat(MAX_NAME_CHARS + 1)), "name"),
            ("c", &"u".repeat(MAX_UNIT_CHARS + 1), layer("a"), "unit"),
        ] {
            let err = Chain::new(chain, unit, layers).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidText { field: f, .. } if *f == field),
                "{err}"
            );
            assert!(err.to_string().len() < 200, "{err}");
        }
        assert!(
            Chain::new("c", "µs", layer("e\u{301}")).is_ok(),
            "non-ASCII is fine"
        );
        assert!(matches!(
            Chain::new("c", "s", vec![Layer::new("a", 1.0, 1.0), Layer::new("b", 1.0, 1.0), Layer::new("a", 1.0, 1.0)]),
            Err(Error::DuplicateLayerName { name, first: 0, second: 2 }) if name == "a"
        ));
        for (f, b, field) in [
            (f64::NAN, 1.0, "forward"),
            (1.0, f64::INFINITY, "backward"),
            (-1.0, 1.0, "forward"),
            (1.0, f64::NEG_INFINITY, "backward"),
        ] {
            let err = Chain::new(
                "c",
                "s",
                vec![Layer::new("x", 1.0, 1.0), Layer::new("y", f, b)],
            )
            .unwrap_err();
            match err {
                Error::InvalidCost {
                    layer,
                    index,
                    field: got,
                    ..
                } => {
                    assert_eq!((layer.as_str(), index, got), ("y", 1, field));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn backward_weight_defaults_to_half_and_is_checked() {
        let l = Layer::new("a", 1.0, 3.0);
        assert_eq!((l.backward_weight(), l.backward_input()), (1.5, 1.5));
        let l = l.with_backward_weight(1.0);
        assert_eq!((l.backward_weight(), l.backward_input()), (1.0, 2.0));
        let chain = Chain::new("c", "s", vec![Layer::new("b", 1.0, 3.0), l]).unwrap();
        assert!(chain.assumes_backward_split());
        let given = vec![Layer::new("a", 1.0, 3.0).with_backward_weight(3.0)];
        assert!(!Chain::new("c", "s", given)
            .unwrap()
            .assumes_backward_split());
        for bad in [-0.5, f64::NAN, f64::INFINITY] {
            let layers = vec![Layer::new("x", 1.0, 2.0).with_backward_weight(bad)];
            let err = Chain::new("c", "s", layers).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidCost { layer, index: 0, field: "backward_weight", .. } if layer == "x"),
                "{err}"
            );
        }
        let layers = vec![
            Layer::new("x", 1.0, 2.0),
            Layer::new("y", 1.0, 2.0).with_backward_weight(2.5),
        ];
        let err = Chain::new("c", "s", layers).unwrap_err();
        assert!(matches!(
            &err,
            Error::BackwardWeightExceedsBackward { layer, index: 1, value, backward }
                if layer == "y" && *value == 2.5 && *backward == 2.0
        ));
        assert!(err.to_string().contains("`backward_weight` = 2.5"), "{err}");
    }

    #[test]
    fn backward_weight_in_json_only_when_given() {
        let text = r#"{"name":"t","layers":[{"name":"a","forward":1,"backward":2,"backward_weight":0.5},{"name":"b","forward":1,"backward":2}]}"#;
        let chain = Chain::from_json(text).unwrap();
        assert_eq!(chain.layers()[0].backward_weight, Some(0.5));
        assert_eq!(chain.layers()[1].backward_weight, None);
        let json = chain.to_json();
        assert_eq!(json.matches("backward_weight").count(), 1, "{json}");
        assert_eq!(Chain::from_json(&json).unwrap(), chain);
        let err = Chain::from_json(
            r#"{"name":"t","layers":[{"name":"a","forward":1,"backward":2,"backward_weight":3}]}"#,
        )
        .unwrap_err();
        assert!(matches!(err, Error::BackwardWeightExceedsBackward { .. }));
    }

    #[test]
    fn json_defaults_and_unknown_fields() {
        let chain =
            Chain::from_json(r#"{"name":"t","layers":[{"name":"a","forward":1,"backward":2}]}"#)
                .unwrap();
        assert_eq!(chain.unit(), "units");
        let l = &chain.layers()[0];
        assert_eq!(
            (l.kind, l.param_bytes, l.activation_bytes, l.output_bytes),
            (LayerKind::Block, 0, 0, 0)
        );
        let err = Chain::from_json(
            r#"{"name":"t","layers":[{"name":"a","forward":1,"backward":2,"flops":3}]}"#,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Json(_)), "{err}");
        assert!(err.to_string().contains("flops"));
        let err =
            Chain::from_json(r#"{"name":"t","layers":[{"name":"a","forward":-1,"backward":2}]}"#)
                .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidCost {
                field: "forward",
                ..
            }
        ));
    }

    #[test]
    fn json_round_trip() {
        let chain = Chain::new(
            "rt",
            "ms",
            vec![
                Layer::new("emb", 0.5, 1.0)
                    .with_kind(LayerKind::Input)
                    .with_bytes(10, 20, 30),
                Layer::new("out", 2.0, 4.0).with_kind(LayerKind::Output),
            ],
        )
        .unwrap();
        let back = Chain::from_json(&chain.to_json()).unwrap();
        assert_eq!(chain, back);
        let via_serde: Chain = serde_json::from_str(&chain.to_json()).unwrap();
        assert_eq!(chain, via_serde);
    }
}
