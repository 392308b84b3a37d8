#!/usr/bin/env python3
"""Profile a PyTorch model layer by layer and write a pipecut Chain JSON.

Each top-level child of the model becomes one layer of the chain, in
execution order; container children (``nn.ModuleList``, ``nn.ModuleDict``,
``nn.Sequential``) are expanded one level, so a torchtitan model gives
``tok_embeddings``, ``layers.0`` .. ``layers.N-1``, ``norm``, ``output`` -- the
names pipecut's torchtitan output expects.

For every layer the script records, per micro-batch:

* ``forward`` / ``backward``: median wall time in seconds over ``--iters``
  runs after ``--warmup`` runs (CUDA events on a GPU, ``time.perf_counter``
  on the CPU). The backward time is one ordinary backward pass, covering the
  gradient w.r.t. the layer's inputs and weights, given a random output
  gradient.
* ``backward_weight``: the weight-gradient part of ``backward``, which
  zero-bubble schedules (``InterleavedZeroBubble``, ``ZBVZeroBubble``,
  ``DualPipeV``) run as a separate W op after the input-gradient op I. The
  script runs the backward again split the way those schedules do, with
  PyTorch's own ``stage_backward_input`` (gradients w.r.t. the inputs, which
  also keeps the gradients reaching the weight-using nodes) then
  ``stage_backward_weight`` (gradients w.r.t. the parameters from those),
  times both with the same warm-up and repeats, and writes the median W.
  (A plain ``autograd.grad`` w.r.t. the parameters after the input pass
  would backpropagate through the whole layer a second time and count most
  of the input gradient as W.) ``backward`` stays the full backward measured
  above; the split's I is printed only. A W larger than ``backward`` (timing
  noise) is clamped to it, with a note on stderr. A layer without parameters
  has W = 0; a layer whose inputs need no gradient (the embedding: integer
  token ids) has W = ``backward``, as PyTorch runs its whole backward as W.
  With a PyTorch without ``torch.distributed.pipelining`` the field is left
  out for the layers that need the split, and pipecut assumes one half.
* FLOPs of the passes via ``torch.utils.flop_counter.FlopCounterMode``
  (printed; written as the costs with ``--cost flops``, unit ``flop``, with
  ``backward_weight`` the FLOPs of the W op).
* ``param_bytes``: parameters x ``--bytes-per-param`` (weights, gradients
  and optimizer state; 16 for mixed-precision Adam).
* ``activation_bytes``: bytes of the tensors autograd saves for backward
  during the layer's forward (``torch.autograd.graph.saved_tensors_hooks``,
  each storage counted once; the layer's parameters are not activations).
* ``output_bytes``: bytes of the layer's output tensors (what a pipeline
  stage boundary after this layer would send).

How layers are run in isolation: the whole model runs forward once with
forward pre-hooks on every layer that capture the layer's real positional and
keyword arguments (so blocks that take extra inputs such as torchtitan's
``freqs_cis`` or masks just work). Each layer is then replayed on detached
copies of its captured inputs. With ``--loss cross_entropy`` the last layer
also computes the cross-entropy against random targets, as the last pipeline
stage does in torchtitan.

Kinds: layers before the first expanded container are ``input``, layers
inside it ``block``, layers after it ``output``; a model without a container
gets ``input`` for the first layer, ``output`` for the last, ``block`` between.

Usage::

    python tools/profile_torch.py --model MODULE:FACTORY [options] -o chain.json

    # torchtitan's llama3 debug model (any importable zero-argument factory works):
    python tools/profile_torch.py \\
        --model my_models:build_llama3_debug --vocab 2048 \\
        --batch-size 1 --seq-len 2048 --dtype bfloat16 --loss cross_entropy \\
        --name llama3-debug-h100 -o llama3-debug-h100.json

    # a small built-in transformer, no other code needed:
    python tools/profile_torch.py --demo --device cpu --seq-len 128 -o demo.json

    pipecut plan --chain llama3-debug-h100.json --stages 4 --micro-batches 8

``MODULE:FACTORY`` names a callable returning an ``nn.Module``; the model's
input is a ``(batch, seq_len)`` tensor of random token ids below ``--vocab``,
or whatever ``--input MODULE:FN`` returns (called with ``batch_size``,
``seq_len`` and ``device`` keywords; a tensor or a tuple of positional args).

Options: ``--device`` (default ``cuda`` if available), ``--dtype`` (float32,
bfloat16, float16), ``--warmup`` (3), ``--iters`` (10), ``--bytes-per-param``
(16), ``--cost time|flops`` (time), ``--name`` (chain name; default the
factory name), ``-o/--output`` (default stdout).

Output format (pretty JSON, two-space indent, fields in this order)::

    {
      "name": "...",
      "unit": "s",
      "layers": [
        {"name": "tok_embeddings", "kind": "input", "forward": 1.2e-05,
         "backward": 3.1e-05, "backward_weight": 3.1e-05,
         "param_bytes": 8388608, "activation_bytes": 16384,
         "output_bytes": 1048576},
        ...
      ]
    }

The measuring is :func:`pipecut.torch.profile` (this script is its command
line), so it needs the pipecut Python package (``pip install .`` from the
repository) and PyTorch >= 2.1 (``FlopCounterMode``, ``saved_tensors_hooks``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any, Callable, Dict, Optional, Sequence


def load_callable(spec: str) -> Callable[..., Any]:
    """Resolves ``package.module:attr`` to the attribute."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise SystemExit(f"expected MODULE:CALLABLE, got {spec!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def demo_model(vocab: int = 2048, dim: int = 256, n_layers: int = 4, heads: int = 8):
    """A small pre-norm transformer with torchtitan's top-level layout."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attention_norm = nn.RMSNorm(dim) if hasattr(nn, "RMSNorm") else nn.LayerNorm(dim)
            self.attention = nn.MultiheadAttention(dim, heads, batch_first=True, bias=False)
            self.ffn_norm = nn.RMSNorm(dim) if hasattr(nn, "RMSNorm") else nn.LayerNorm(dim)
            self.w1 = nn.Linear(dim, 4 * dim, bias=False)
            self.w2 = nn.Linear(4 * dim, dim, bias=False)

        def forward(self, x):
            h = self.attention_norm(x)
            mask = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool, device=x.device).triu(1)
            x = x + self.attention(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.w2(nn.functional.silu(self.w1(self.ffn_norm(x))))

    class Demo(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok_embeddings = nn.Embedding(vocab, dim)
            self.layers = nn.ModuleList(Block() for _ in range(n_layers))
            self.norm = nn.RMSNorm(dim) if hasattr(nn, "RMSNorm") else nn.LayerNorm(dim)
            self.output = nn.Linear(dim, vocab, bias=False)

        def forward(self, tokens):
            h = self.tok_embeddings(tokens)
            for layer in self.layers:
                h = layer(h)
            return self.output(self.norm(h))

    return Demo()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Profile a PyTorch model's top-level layers into pipecut Chain JSON.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Usage::", 1)[1] if __doc__ else None,
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="MODULE:FACTORY returning an nn.Module")
    src.add_argument("--demo", action="store_true", help="profile a small built-in transformer")
    p.add_argument("--input", help="MODULE:FN building the model input (batch_size, seq_len, device)")
    p.add_argument("--vocab", type=int, default=2048, help="token ids are drawn below this")
    p.add_argument("--batch-size", type=int, default=1, help="micro-batch size")
    p.add_argument("--seq-len", type=int, default=2048)
    p.add_argument("--device", default=None, help="cuda, cuda:1, cpu (default: cuda if available)")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--bytes-per-param", type=int, default=16)
    p.add_argument("--loss", choices=["none", "cross_entropy"], default="none",
                   help="fold a cross-entropy loss into the last layer")
    p.add_argument("--cost", choices=["time", "flops"], default="time",
                   help="write seconds (unit s) or FLOPs (unit flop) as the costs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default=None, help="chain name")
    p.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    args = p.parse_args(argv)
    if args.iters < 1 or args.warmup < 0 or args.batch_size < 1 or args.seq_len < 1:
        p.error("--iters, --batch-size and --seq-len must be >= 1, --warmup >= 0")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    import torch

    from pipecut.torch import profile

    torch.manual_seed(args.seed)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = getattr(torch, args.dtype)
    if args.demo:
        model, name = demo_model(vocab=args.vocab), "demo"
    else:
        model, name = load_callable(args.model)(), args.model.rpartition(":")[2]
    model = model.to(device=device, dtype=dtype)
    if args.input:
        built = load_callable(args.input)(batch_size=args.batch_size, seq_len=args.seq_len, device=device)
        model_args = built if isinstance(built, tuple) else (built,)
    else:
        model_args = (torch.randint(0, args.vocab, (args.batch_size, args.seq_len), device=device),)
    targets = None
    if args.loss == "cross_entropy":
        targets = torch.randint(0, args.vocab, (args.batch_size, args.seq_len), device=device)

    measured = profile(
        model, model_args, warmup=args.warmup, iters=args.iters,
        bytes_per_param=args.bytes_per_param, loss_targets=targets,
        cost=args.cost, name=args.name or name,
    )
    for row in measured.layers:
        report(row)
    missing = [r["name"] for r in measured.layers if r["backward_weight"] is None]
    if missing:
        print(
            "note: this PyTorch has no torch.distributed.pipelining; backward_weight is "
            f"left out for {', '.join(missing)} (pipecut assumes half of the backward)",
            file=sys.stderr,
        )
    text = measured.chain.to_json() + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


def report(row: Dict[str, Any]) -> None:
    """One line per layer on stderr: times, the backward split, FLOPs."""
    split = ""
    if row.get("backward_input_split") is not None:
        split = f" (split: I {row['backward_input_split'] * 1e3:.3f} W {row['backward_weight'] * 1e3:.3f} ms)"
    elif row["backward_weight"] is not None:
        split = f" (W {row['backward_weight'] * 1e3:.3f} ms)"
    print(
        f"{row['name']:<20} {row['kind']:<6} fwd {row['forward'] * 1e3:9.3f} ms "
        f"bwd {row['backward'] * 1e3:9.3f} ms{split}  "
        f"fwd {row['forward_flops'] / 1e9:10.3f} GFLOP "
        f"bwd {row['backward_flops'] / 1e9:10.3f} GFLOP  act {row['activation_bytes']} B",
        file=sys.stderr,
    )


if __name__ == "__main__":
    sys.exit(main())
