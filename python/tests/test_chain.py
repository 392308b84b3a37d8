"""Chains from lists, dicts, NumPy, JSON and CSV, round trips, presets."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import pipecut


def sample() -> pipecut.Chain:
    return pipecut.Chain.from_lists(
        [0.5, 1.25, 1.25, 2.0],
        [1.0, 2.5, 2.5, 4.0],
        names=["tok_embeddings", "layers.0", "layers.1", "output"],
        kinds=["input", "block", "block", "output"],
        backward_weight=[1.0, 1.0, 1.25, 2.0],
        param_bytes=[100, 200, 200, 300],
        activation_bytes=[10, 20, 20, 30],
        output_bytes=[1, 2, 2, 0],
        name="toy",
        unit="ms",
    )


def test_fields_reach_the_layers() -> None:
    chain = sample()
    assert len(chain) == 4 and chain.name == "toy" and chain.unit == "ms"
    head = chain[-1]
    assert (head.name, head.kind, head.forward, head.backward) == ("output", "output", 2.0, 4.0)
    assert (head.param_bytes, head.activation_bytes, head.output_bytes) == (300, 30, 0)
    assert chain[1].backward_weight == 1.0
    assert chain.names == ["tok_embeddings", "layers.0", "layers.1", "output"]
    assert [layer.name for layer in chain] == chain.names
    with pytest.raises(IndexError):
        chain[4]


def test_json_dict_csv_and_file_round_trips(tmp_path: Path) -> None:
    chain = sample()
    assert pipecut.Chain.from_json(chain.to_json()) == chain
    assert pipecut.Chain.from_dict(chain.to_dict()) == chain
    assert pipecut.Chain(chain.layers, name="toy", unit="ms") == chain
    assert pipecut.Chain([layer.to_dict() for layer in chain.layers], name="toy", unit="ms") == chain
    # CSV holds times in milliseconds of a chain in seconds.
    model = pipecut.Chain.from_model("llama3-debug")
    assert pipecut.Chain.from_csv(model.to_csv()) == model
    for suffix in ("json", "csv"):
        path = tmp_path / f"chain.{suffix}"
        model.save(path)
        assert pipecut.Chain.load(path) == model
        assert pipecut.Chain.load(str(path)) == model


def test_numpy_arrays() -> None:
    np = pytest.importorskip("numpy", reason="numpy not installed")
    chain = pipecut.Chain.from_lists(np.arange(1, 5, dtype=np.float64), np.arange(2, 10, 2),
                                     param_bytes=np.array([1, 2, 3, 4]))
    assert chain.forward == [1.0, 2.0, 3.0, 4.0] and chain.backward == [2.0, 4.0, 6.0, 8.0]
    assert [layer.param_bytes for layer in chain] == [1, 2, 3, 4]


def test_presets_and_models() -> None:
    names = {m["name"] for m in pipecut.models()}
    assert {"llama3-8b", "deepseek-v3-671b"} <= names
    chain = pipecut.Chain.from_model("llama3-8b", layers=4, activation_checkpointing="full")
    assert len(chain) == 1 + 4 + 2 and chain.names[0] == "tok_embeddings"
    assert {h["name"] for h in pipecut.hardware()} >= {"h100-sxm"}
    with pytest.raises(pipecut.Error, match="gpt-9"):
        pipecut.Chain.from_model("gpt-9")
    with pytest.raises(pipecut.Error, match="activation_checkpointing"):
        pipecut.Chain.from_model("llama3-8b", activation_checkpointing="sometimes")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(forward=[1.0, math.nan], backward=[1.0, 1.0]), "forward"),
        (dict(forward=[1.0, 2.0], backward=[1.0]), "backward"),
        (dict(forward=[1.0], backward=[1.0], names=["a", "b"]), "names"),
        (dict(forward=[1.0, 1.0], backward=[1.0, 1.0], names=["a", "a"]), "duplicate"),
        (dict(forward=[1.0], backward=[1.0], kinds=["head"]), r"kinds\[0\]"),
        (dict(forward=[1.0], backward=[1.0], param_bytes=[-1]), r"param_bytes\[0\]"),
        (dict(forward=[1.0], backward=[1.0], backward_weight=[2.0]), "backward_weight"),
        (dict(forward=[], backward=[]), "no layers"),
    ],
)
def test_bad_chains_name_the_field(kwargs, field) -> None:
    with pytest.raises(pipecut.Error, match=field):
        pipecut.Chain.from_lists(**kwargs)


def test_bad_files_and_text(tmp_path: Path) -> None:
    with pytest.raises(pipecut.Error, match="missing.json"):
        pipecut.Chain.load(tmp_path / "missing.json")
    with pytest.raises(pipecut.Error):
        pipecut.Chain.from_json('{"name": "x", "layers": [{"name": "a", "forward": 1}]}')
    with pytest.raises(pipecut.Error, match="layers\\[0\\]"):
        pipecut.Chain([{"name": "a", "forward": 1, "backward": 1, "colour": "red"}])
