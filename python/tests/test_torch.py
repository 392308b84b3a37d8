"""`pipecut.torch` on a small nn.Module (skipped, visibly, without torch)."""

from __future__ import annotations

import importlib
import sys

import pytest

import pipecut

torch = pytest.importorskip("torch", reason="torch is not installed: pipecut.torch helpers untested")
nn = torch.nn


class Tiny(nn.Module):
    """torchtitan's layout: embedding, a ModuleList of blocks, norm, head."""

    def __init__(self, vocab: int = 64, dim: int = 16, blocks: int = 4) -> None:
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Linear(dim, 4 * dim), nn.ReLU(), nn.Linear(4 * dim, dim)) for _ in range(blocks)
        )
        self.norm = nn.LayerNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens):
        h = self.tok_embeddings(tokens)
        for layer in self.layers:
            h = h + layer(h)
        return self.output(self.norm(h))


def test_profile_measures_every_layer() -> None:
    from pipecut.torch import layers_of, profile

    torch.manual_seed(0)
    model = Tiny()
    tokens = torch.randint(0, 64, (2, 8))
    names = [n for n, _, _ in layers_of(model)]
    assert names == ["tok_embeddings", "layers.0", "layers.1", "layers.2", "layers.3", "norm", "output"]
    result = profile(model, tokens, warmup=1, iters=2)
    chain = result.chain
    assert chain.names == names and chain.unit == "s"
    assert [layer.kind for layer in chain] == ["input"] + ["block"] * 4 + ["output"] * 2
    assert all(layer.forward > 0 and layer.backward > 0 for layer in chain)
    assert all(0 <= (layer.backward_weight or 0) <= layer.backward for layer in chain)
    block = result.layers[1]
    # Two linears, 2 * 8 tokens: 2 * 16 * (16*64 + 64*16) multiply-adds.
    assert block["forward_flops"] == 2 * 16 * (16 * 64 + 64 * 16)
    assert chain[1].param_bytes == 16 * (16 * 64 + 64 + 64 * 16 + 16)
    assert chain[1].output_bytes == 2 * 8 * 16 * 4
    # The embedding's backward is all weight gradient.
    assert chain[0].backward_weight == chain[0].backward
    flops = profile(model, tokens, warmup=0, iters=1, cost="flops").chain
    assert flops.unit == "flop" and flops[1].forward == block["forward_flops"]
    assert pipecut.auto_partition(result.forward_flops, result.backward_flops, 2, 4)[0] == 0


def test_module_fqns_per_model_part_covers_the_model_in_order() -> None:
    from pipecut.torch import fqns_per_stage, layers_of, module_fqns_per_model_part, profile

    model = Tiny(blocks=6)
    tokens = torch.randint(0, 64, (1, 8))
    names = [n for n, _, _ in layers_of(model)]
    for schedule, parts in [("1F1B", 2), ("Interleaved1F1B", 4), ("ZBVZeroBubble", 4)]:
        fqns = module_fqns_per_model_part(model, pp_degree=2, schedule=schedule, inputs=tokens,
                                          warmup=0, iters=1, cost="flops")
        assert len(fqns) == parts, schedule
        assert [n for part in fqns for n in part] == names
    chain = profile(model, tokens, warmup=0, iters=1, cost="flops").chain
    assert module_fqns_per_model_part(model, pp_degree=2, chain=chain) == fqns_per_stage(
        names, pipecut.plan(chain, 2, micro_batches=4).starts
    )
    with pytest.raises(pipecut.Error, match="inputs"):
        module_fqns_per_model_part(model, pp_degree=2)


def test_importing_pipecut_does_not_import_torch() -> None:
    import subprocess

    code = "import sys, pipecut, pipecut.torch; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
