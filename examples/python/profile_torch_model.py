"""Profile a PyTorch model with pipecut.torch and get torchtitan's
module_fqns_per_model_part for it (needs torch).

    python examples/python/profile_torch_model.py
"""

import torch
from torch import nn

import pipecut
from pipecut.torch import module_fqns_per_model_part, profile


class Model(nn.Module):
    """torchtitan's top-level layout: tok_embeddings, layers.N, norm, output."""

    def __init__(self, vocab=1024, dim=128, blocks=8):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, 4, 4 * dim, batch_first=True) for _ in range(blocks)
        )
        self.norm = nn.LayerNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens):
        h = self.tok_embeddings(tokens)
        for layer in self.layers:
            h = layer(h)
        return self.output(self.norm(h))


model = Model()
tokens = torch.randint(0, 1024, (2, 256))
measured = profile(model, tokens, warmup=1, iters=3)
print(measured.chain, "forward FLOPs per layer:", measured.forward_flops)
print(pipecut.plan(measured.chain, stages=2, micro_batches=8))
print(module_fqns_per_model_part(model, pp_degree=2, schedule="Interleaved1F1B", chain=measured.chain))
