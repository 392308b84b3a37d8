//! `pipecut.Layer` and `pipecut.Chain`: the chain a partitioner splits, from
//! lists, dicts, NumPy arrays, JSON and CSV (text or files) and the preset
//! cost models.

use std::sync::Arc;

use pipecut::core::{Chain, Layer, LayerKind};
use pipecut::cost::{build_chain, chain_from_csv, chain_to_csv, load_chain, ModelOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert;
use crate::error::{Error, Result};

/// One layer: name, kind, per-micro-batch costs and bytes.
#[pyclass(module = "pipecut._native", name = "Layer", frozen)]
#[derive(Debug, Clone)]
pub struct PyLayer {
    /// The core layer.
    pub inner: Layer,
}

#[pymethods]
impl PyLayer {
    #[new]
    #[pyo3(signature = (name, forward, backward, *, kind = "block", backward_weight = None, param_bytes = None, activation_bytes = None, output_bytes = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: String,
        forward: &Bound<'_, PyAny>,
        backward: &Bound<'_, PyAny>,
        kind: &str,
        backward_weight: Option<&Bound<'_, PyAny>>,
        param_bytes: Option<&Bound<'_, PyAny>>,
        activation_bytes: Option<&Bound<'_, PyAny>>,
        output_bytes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let bytes = |o: Option<&Bound<'_, PyAny>>, field: &str| match o {
            Some(o) if !o.is_none() => convert::bytes(o, field),
            _ => Ok(0),
        };
        let mut layer = Layer::new(
            name,
            convert::number(forward, "forward")?,
            convert::number(backward, "backward")?,
        )
        .with_kind(layer_kind(kind)?)
        .with_bytes(
            bytes(param_bytes, "param_bytes")?,
            bytes(activation_bytes, "activation_bytes")?,
            bytes(output_bytes, "output_bytes")?,
        );
        if let Some(w) = backward_weight.filter(|w| !w.is_none()) {
            layer = layer.with_backward_weight(convert::number(w, "backward_weight")?);
        }
        Ok(PyLayer { inner: layer })
    }

    /// Unique name (a torchtitan FQN makes the torchtitan export paste-ready).
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    /// `input`, `block` or `output`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }
    /// Forward time per micro-batch, in the chain's unit.
    #[getter]
    fn forward(&self) -> f64 {
        self.inner.forward
    }
    /// Full backward time per micro-batch.
    #[getter]
    fn backward(&self) -> f64 {
        self.inner.backward
    }
    /// The weight-gradient part of `backward`, if stated.
    #[getter]
    fn backward_weight(&self) -> Option<f64> {
        self.inner.backward_weight
    }
    /// Weights, gradients and optimizer state held for this layer.
    #[getter]
    fn param_bytes(&self) -> u64 {
        self.inner.param_bytes
    }
    /// Bytes stashed per in-flight micro-batch.
    #[getter]
    fn activation_bytes(&self) -> u64 {
        self.inner.activation_bytes
    }
    /// Bytes sent to the next stage when a boundary follows this layer.
    #[getter]
    fn output_bytes(&self) -> u64 {
        self.inner.output_bytes
    }

    /// The layer as a Chain JSON dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::to_string(&self.inner).map_err(json_err)?)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyLayer>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        let l = &self.inner;
        format!(
            "Layer({:?}, forward={}, backward={}, kind={:?})",
            l.name,
            pipecut::core::format::number(l.forward),
            pipecut::core::format::number(l.backward),
            l.kind.as_str()
        )
    }
}

/// A validated chain of layers in execution order.
#[pyclass(module = "pipecut._native", name = "Chain", frozen)]
#[derive(Debug, Clone)]
pub struct PyChain {
    /// The core chain (shared with the plans made from it).
    pub inner: Arc<Chain>,
}

impl PyChain {
    fn wrap(chain: Chain) -> Self {
        PyChain {
            inner: Arc::new(chain),
        }
    }
}

#[pymethods]
impl PyChain {
    /// A chain of `Layer` objects or Chain JSON layer dicts.
    #[new]
    #[pyo3(signature = (layers, *, name = "chain", unit = "s"))]
    fn new(layers: &Bound<'_, PyAny>, name: &str, unit: &str) -> PyResult<Self> {
        let py = layers.py();
        let mut out = Vec::new();
        let iter = layers.try_iter().map_err(|_| {
            Error::invalid(
                "layers",
                convert::repr(layers),
                "must be a list of Layer or dict",
            )
        })?;
        for (i, item) in iter.enumerate() {
            let item = item?;
            if let Ok(layer) = item.cast::<PyLayer>() {
                out.push(layer.get().inner.clone());
            } else if item.is_instance_of::<PyDict>() {
                let text = dumps(py, &item)?;
                let layer: Layer = serde_json::from_str(&text).map_err(|e| {
                    Error::invalid(format!("layers[{i}]"), convert::repr(&item), e.to_string())
                })?;
                out.push(layer);
            } else {
                return Err(Error::invalid(
                    format!("layers[{i}]"),
                    convert::repr(&item),
                    "must be a Layer or a dict",
                )
                .into());
            }
        }
        Ok(PyChain::wrap(
            Chain::new(name, unit, out).map_err(Error::from)?,
        ))
    }

    /// A chain from per-layer lists (or NumPy arrays): forward and backward
    /// times, and optionally names (default `layers.0`, ...), kinds,
    /// backward weight parts and bytes.
    #[staticmethod]
    #[pyo3(signature = (forward, backward, *, names = None, kinds = None, backward_weight = None, param_bytes = None, activation_bytes = None, output_bytes = None, name = "chain", unit = "s"))]
    #[allow(clippy::too_many_arguments)]
    fn from_lists(
        forward: &Bound<'_, PyAny>,
        backward: &Bound<'_, PyAny>,
        names: Option<&Bound<'_, PyAny>>,
        kinds: Option<&Bound<'_, PyAny>>,
        backward_weight: Option<&Bound<'_, PyAny>>,
        param_bytes: Option<&Bound<'_, PyAny>>,
        activation_bytes: Option<&Bound<'_, PyAny>>,
        output_bytes: Option<&Bound<'_, PyAny>>,
        name: &str,
        unit: &str,
    ) -> PyResult<Self> {
        let forward = convert::numbers(forward, "forward")?;
        let n = forward.len();
        let backward = sized(convert::numbers(backward, "backward")?, n, "backward")?;
        let names = match names {
            Some(v) => sized(convert::strings(v, "names")?, n, "names")?,
            None => (0..n).map(|i| format!("layers.{i}")).collect(),
        };
        let kinds = match kinds {
            Some(v) => sized(convert::strings(v, "kinds")?, n, "kinds")?
                .iter()
                .enumerate()
                .map(|(i, k)| layer_kind(k).map_err(|_| kind_error(&format!("kinds[{i}]"), k)))
                .collect::<Result<Vec<_>>>()?,
            None => vec![LayerKind::Block; n],
        };
        let weights = backward_weight
            .map(|w| {
                convert::numbers(w, "backward_weight").and_then(|v| sized(v, n, "backward_weight"))
            })
            .transpose()?;
        let byte_list = |obj: Option<&Bound<'_, PyAny>>, field: &str| -> Result<Vec<u64>> {
            match obj {
                Some(o) => sized(convert::counts(o, field)?, n, field),
                None => Ok(vec![0; n]),
            }
        };
        let params = byte_list(param_bytes, "param_bytes")?;
        let acts = byte_list(activation_bytes, "activation_bytes")?;
        let outs = byte_list(output_bytes, "output_bytes")?;
        let layers = (0..n)
            .map(|i| {
                let mut l = Layer::new(names[i].clone(), forward[i], backward[i])
                    .with_kind(kinds[i])
                    .with_bytes(params[i], acts[i], outs[i]);
                if let Some(w) = &weights {
                    l = l.with_backward_weight(w[i]);
                }
                l
            })
            .collect();
        Ok(PyChain::wrap(
            Chain::new(name, unit, layers).map_err(Error::from)?,
        ))
    }

    /// A chain from a Chain JSON dict (`{"name", "unit", "layers": [...]}`).
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = dumps(data.py(), data)?;
        Self::from_json(&text)
    }

    /// A chain from Chain JSON text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(PyChain::wrap(Chain::from_json(text).map_err(Error::from)?))
    }

    /// A chain from profile CSV text (times in milliseconds).
    #[staticmethod]
    fn from_csv(text: &str) -> PyResult<Self> {
        Ok(PyChain::wrap(chain_from_csv(text).map_err(Error::from)?))
    }

    /// A chain from a Chain JSON (`.json`) or profile CSV (`.csv`) file.
    #[staticmethod]
    fn load(path: std::path::PathBuf) -> PyResult<Self> {
        let chain = load_chain(&path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(PyChain::wrap(chain))
    }

    /// A preset cost model (see `pipecut.models()`), with its options.
    #[staticmethod]
    #[pyo3(signature = (name, *, seq_len = None, micro_batch_size = None, layers = None, dim = None, vocab = None, moe = None, hardware = None, activation_checkpointing = None, bytes_per_param = None))]
    #[allow(clippy::too_many_arguments)]
    fn from_model(
        py: Python<'_>,
        name: String,
        seq_len: Option<usize>,
        micro_batch_size: Option<usize>,
        layers: Option<usize>,
        dim: Option<usize>,
        vocab: Option<usize>,
        moe: Option<bool>,
        hardware: Option<String>,
        activation_checkpointing: Option<String>,
        bytes_per_param: Option<u64>,
    ) -> PyResult<Self> {
        let activation_checkpointing = activation_checkpointing
            .map(|s| {
                s.parse().map_err(|e: pipecut::cost::CostError| {
                    Error::invalid("activation_checkpointing", &s, e.to_string())
                })
            })
            .transpose()?;
        let opts = ModelOptions {
            preset: name,
            seq_len,
            micro_batch_size,
            layers,
            dim,
            vocab,
            moe,
            hardware,
            activation_checkpointing,
            bytes_per_param,
        };
        let chain = py.detach(|| build_chain(&opts)).map_err(Error::from)?;
        Ok(PyChain::wrap(chain))
    }

    /// Writes the chain as JSON (`.json`) or CSV (`.csv`).
    fn save(&self, path: std::path::PathBuf) -> PyResult<()> {
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => chain_to_csv(&self.inner),
            _ => self.inner.to_json() + "\n",
        };
        std::fs::write(&path, text).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(())
    }

    /// Chain JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Profile CSV text (times in milliseconds).
    fn to_csv(&self) -> String {
        chain_to_csv(&self.inner)
    }

    /// The chain as a Chain JSON dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json())
    }

    /// Name of the model.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }
    /// Unit of every time.
    #[getter]
    fn unit(&self) -> &str {
        self.inner.unit()
    }
    /// Every layer.
    #[getter]
    fn layers(&self) -> Vec<PyLayer> {
        self.inner
            .layers()
            .iter()
            .map(|l| PyLayer { inner: l.clone() })
            .collect()
    }
    /// Every layer's name.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.inner.layers().iter().map(|l| l.name.clone()).collect()
    }
    /// Every layer's forward time.
    #[getter]
    fn forward(&self) -> Vec<f64> {
        self.inner.forwards()
    }
    /// Every layer's backward time.
    #[getter]
    fn backward(&self) -> Vec<f64> {
        self.inner.backwards()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __getitem__(&self, index: isize) -> PyResult<PyLayer> {
        let n = self.inner.len() as isize;
        let i = if index < 0 { index + n } else { index };
        if (0..n).contains(&i) {
            Ok(PyLayer {
                inner: self.inner.layers()[i as usize].clone(),
            })
        } else {
            Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "layer index {index} out of range for {n} layers"
            )))
        }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyChain>()
            .is_ok_and(|o| *o.get().inner == *self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "Chain({:?}, {} layers, unit={:?})",
            self.inner.name(),
            self.inner.len(),
            self.inner.unit()
        )
    }
}

/// `json.dumps(obj)`.
fn dumps(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    py.import("json")?.call_method1("dumps", (obj,))?.extract()
}

/// `json.loads(text)`.
pub fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// A serialisation failure (never expected) as a Python error.
pub fn json_err(e: serde_json::Error) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(e.to_string())
}

fn layer_kind(kind: &str) -> Result<LayerKind> {
    kind.parse().map_err(|_| kind_error("kind", kind))
}

fn kind_error(field: &str, kind: &str) -> Error {
    Error::invalid(field, format!("{kind:?}"), "must be input, block or output")
}

/// `values` if it has `n` entries, else an error naming `field`.
fn sized<T>(values: Vec<T>, n: usize, field: &str) -> Result<Vec<T>> {
    if values.len() == n {
        Ok(values)
    } else {
        Err(Error::invalid(
            field,
            format!("a list of {}", values.len()),
            format!("must have one entry per layer ({n})"),
        ))
    }
}
