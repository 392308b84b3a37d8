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

Requires PyTorch >= 2.1 (``FlopCounterMode``, ``saved_tensors_hooks``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

CONTAINER_TYPES = ("ModuleList", "ModuleDict", "Sequential")


def chain_json(name: str, unit: str, layers: Sequence[Dict[str, Any]]) -> str:
    """Serialises a chain exactly as pipecut reads it (see the module docs)."""
    fields = (
        "name",
        "kind",
        "forward",
        "backward",
        "backward_weight",
        "param_bytes",
        "activation_bytes",
        "output_bytes",
    )
    # An unmeasured ``backward_weight`` is left out: pipecut then assumes half.
    ordered = [{f: layer[f] for f in fields if layer.get(f) is not None} for layer in layers]
    return json.dumps({"name": name, "unit": unit, "layers": ordered}, indent=2) + "\n"


def load_callable(spec: str) -> Callable[..., Any]:
    """Resolves ``package.module:attr`` to the attribute."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise SystemExit(f"expected MODULE:CALLABLE, got {spec!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def top_level_layers(model) -> List[Tuple[str, Any, str]]:
    """(name, module, kind) for each top-level child, containers expanded."""
    children = list(model.named_children())
    has_container = any(type(m).__name__ in CONTAINER_TYPES for _, m in children)
    out: List[Tuple[str, Any, str]] = []
    seen_blocks = False
    for index, (name, module) in enumerate(children):
        if type(module).__name__ in CONTAINER_TYPES:
            seen_blocks = True
            for sub_name, sub in module.named_children():
                out.append((f"{name}.{sub_name}", sub, "block"))
        elif has_container:
            out.append((name, module, "output" if seen_blocks else "input"))
        else:
            kind = "input" if index == 0 else "output" if index == len(children) - 1 else "block"
            out.append((name, module, kind))
    return out


def _tensors(obj: Any) -> List[Any]:
    import torch

    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def _detach(obj: Any, requires_grad: bool) -> Any:
    """Detached copies; floating tensors get ``requires_grad`` for backward."""
    import torch

    if isinstance(obj, torch.Tensor):
        copy = obj.detach().clone()
        if requires_grad and copy.is_floating_point():
            copy.requires_grad_(True)
        return copy
    if isinstance(obj, tuple):
        return tuple(_detach(o, requires_grad) for o in obj)
    if isinstance(obj, list):
        return [_detach(o, requires_grad) for o in obj]
    if isinstance(obj, dict):
        return {k: _detach(v, requires_grad) for k, v in obj.items()}
    return obj


def capture_inputs(model, layers, model_args: Tuple[Any, ...]) -> Dict[str, Tuple[Any, Any]]:
    """Runs the model once and records each layer's (args, kwargs)."""
    import torch

    captured: Dict[str, Tuple[Any, Any]] = {}
    handles = []
    for name, module, _ in layers:

        def hook(_mod, args, kwargs, name=name):
            captured.setdefault(name, (_detach(args, False), _detach(kwargs, False)))

        handles.append(module.register_forward_pre_hook(hook, with_kwargs=True))
    try:
        with torch.no_grad():
            model(*model_args)
    finally:
        for h in handles:
            h.remove()
    missing = [name for name, _, _ in layers if name not in captured]
    if missing:
        raise SystemExit(f"these layers did not run in the model's forward: {missing}")
    return captured


class Timer:
    """Wall time of a callable: CUDA events on a GPU, perf_counter on CPU."""

    def __init__(self, device) -> None:
        self.cuda = device.type == "cuda"

    def __call__(self, fn: Callable[[], Any]) -> float:
        import torch

        if self.cuda:
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end) / 1e3  # ms -> s
        begin = time.perf_counter()
        fn()
        return time.perf_counter() - begin


def nbytes(t) -> int:
    return t.numel() * t.element_size()


def split_backward_ops():
    """PyTorch's I and W ops of zero-bubble schedules, or None if unavailable."""
    import torch

    if not torch.distributed.is_available():
        return None
    try:
        from torch.distributed.pipelining._backward import (
            stage_backward_input,
            stage_backward_weight,
        )
    except ImportError:
        return None
    return stage_backward_input, stage_backward_weight


def profile_layer(
    module,
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
    loss_targets,
    timer: Timer,
    warmup: int,
    iters: int,
) -> Dict[str, Any]:
    """Times, counts FLOPs and measures bytes of one layer (see module docs)."""
    import torch
    import torch.nn.functional as F
    from torch.utils.flop_counter import FlopCounterMode

    def inputs():
        # Fresh leaves per run, made outside the timed region.
        return _detach(args, True), _detach(kwargs, True)

    def forward(a, k):
        out = module(*a, **k)
        if loss_targets is not None:
            logits = out[0] if isinstance(out, (tuple, list)) else out
            out = F.cross_entropy(logits.flatten(0, -2).float(), loss_targets.flatten())
        return out

    def roots(out):
        """The outputs to backpropagate from and random output gradients."""
        outs = [t for t in _tensors(out) if t.requires_grad]
        grads = [torch.randn_like(t) if t.dim() > 0 else torch.ones_like(t) for t in outs]
        return outs, grads

    def backward(outs, grads):
        if outs:  # else nothing trainable is upstream of this output
            torch.autograd.backward(outs, grads)

    weights = [p for p in module.parameters() if p.requires_grad]
    # The inputs ``inputs()`` gives a gradient to (integer token ids get none).
    leaves = [t for t in _tensors((args, kwargs)) if t.is_floating_point()]
    ops = split_backward_ops()
    # Only a layer with both input and weight gradients needs the split run.
    split = bool(weights) and bool(leaves) and ops is not None

    def backward_input(a, k, outs, grads):
        """The I op; returns what the W op needs."""
        if not outs:  # nothing to backpropagate, and no gradients for W to use
            return []
        layer_leaves = [t for t in _tensors((a, k)) if t.requires_grad]
        return ops[0](outs, grads, layer_leaves, iter(weights))[1]

    def backward_weight(param_groups):
        ops[1](iter(weights), param_groups)

    params = {p.data_ptr() for p in module.parameters()}
    saved: Dict[int, int] = {}

    def pack(t):
        if t.data_ptr() not in params:
            saved[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = forward(*inputs())
    activation_bytes = sum(saved.values())
    output_bytes = sum(nbytes(t) for t in _tensors(out))

    with FlopCounterMode(display=False) as fwd_counter:
        out = forward(*inputs())
    outs, grads = roots(out)
    with FlopCounterMode(display=False) as bwd_counter:
        backward(outs, grads)
    module.zero_grad(set_to_none=True)
    weight_flops = None
    if split:
        a, k = inputs()
        outs, grads = roots(forward(a, k))
        groups = backward_input(a, k, outs, grads)
        with FlopCounterMode(display=False) as weight_counter:
            backward_weight(groups)
        module.zero_grad(set_to_none=True)
        weight_flops = weight_counter.get_total_flops()

    fwd_times, bwd_times, input_times, weight_times = [], [], [], []
    for i in range(warmup + iters):
        a, k = inputs()
        holder: Dict[str, Any] = {}
        t_fwd = timer(lambda: holder.__setitem__("out", forward(a, k)))
        outs, grads = roots(holder["out"])
        t_bwd = timer(lambda: backward(outs, grads))
        module.zero_grad(set_to_none=True)
        if split:
            a, k = inputs()
            outs, grads = roots(forward(a, k))
            t_in = timer(lambda: holder.__setitem__("groups", backward_input(a, k, outs, grads)))
            t_w = timer(lambda: backward_weight(holder["groups"]))
            module.zero_grad(set_to_none=True)
        if i >= warmup:
            fwd_times.append(t_fwd)
            bwd_times.append(t_bwd)
            if split:
                input_times.append(t_in)
                weight_times.append(t_w)
    backward_time = statistics.median(bwd_times)
    backward_flops = bwd_counter.get_total_flops()
    if split:
        weight_time = statistics.median(weight_times)
    elif not weights:
        weight_time, weight_flops = 0.0, 0
    elif not leaves:
        weight_time, weight_flops = backward_time, backward_flops
    else:
        weight_time = None  # no split ops in this PyTorch
    return {
        "forward": statistics.median(fwd_times),
        "backward": backward_time,
        "backward_weight": weight_time,
        "backward_input_split": statistics.median(input_times) if split else None,
        "forward_flops": fwd_counter.get_total_flops(),
        "backward_flops": backward_flops,
        "backward_weight_flops": weight_flops,
        "params": sum(p.numel() for p in module.parameters()),
        "activation_bytes": activation_bytes,
        "output_bytes": output_bytes,
    }


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

    layers = top_level_layers(model)
    captured = capture_inputs(model, layers, model_args)
    timer = Timer(device)
    targets = None
    if args.loss == "cross_entropy":
        targets = torch.randint(0, args.vocab, (args.batch_size, args.seq_len), device=device)

    rows = []
    missing_split: List[str] = []
    for index, (layer_name, module, kind) in enumerate(layers):
        layer_args, layer_kwargs = captured[layer_name]
        last = index == len(layers) - 1
        stats = profile_layer(
            module, layer_args, layer_kwargs, targets if last else None,
            timer, args.warmup, args.iters,
        )
        forward, backward = stats["forward"], stats["backward"]
        weight = stats["backward_weight"]
        if args.cost == "flops":
            forward, backward = float(stats["forward_flops"]), float(stats["backward_flops"])
            flops = stats["backward_weight_flops"]
            weight = None if flops is None else float(flops)
        if weight is None:
            missing_split.append(layer_name)
        elif weight > backward:
            print(
                f"note: {layer_name}: measured weight-gradient part {weight:.6g} exceeds "
                f"the backward {backward:.6g} (timing noise); clamped to the backward",
                file=sys.stderr,
            )
            weight = backward
        rows.append({
            "name": layer_name,
            "kind": kind,
            "forward": forward,
            "backward": backward,
            "backward_weight": weight,
            "param_bytes": stats["params"] * args.bytes_per_param,
            "activation_bytes": stats["activation_bytes"],
            "output_bytes": stats["output_bytes"],
        })
        split = ""
        if stats["backward_input_split"] is not None:
            split = (
                f" (split: I {stats['backward_input_split'] * 1e3:.3f} "
                f"W {stats['backward_weight'] * 1e3:.3f} ms)"
            )
        elif stats["backward_weight"] is not None:
            split = f" (W {stats['backward_weight'] * 1e3:.3f} ms)"
        print(
            f"{layer_name:<20} {kind:<6} fwd {stats['forward'] * 1e3:9.3f} ms "
            f"bwd {stats['backward'] * 1e3:9.3f} ms{split}  "
            f"fwd {stats['forward_flops'] / 1e9:10.3f} GFLOP "
            f"bwd {stats['backward_flops'] / 1e9:10.3f} GFLOP  act {stats['activation_bytes']} B",
            file=sys.stderr,
        )
    if missing_split:
        print(
            "note: this PyTorch has no torch.distributed.pipelining; backward_weight is "
            f"left out for {', '.join(missing_split)} (pipecut assumes half of the backward)",
            file=sys.stderr,
        )

    text = chain_json(args.name or name, "flop" if args.cost == "flops" else "s", rows)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
