"""PyTorch helpers: profile a model layer by layer into a :class:`pipecut.Chain`,
and torchtitan's ``module_fqns_per_model_part`` for a model and its pipeline
settings. torch is imported only when a function here runs; it is never a
dependency of pipecut.

- :func:`profile`: per-layer forward, backward and weight-gradient times on
  the model's device (CUDA events on a GPU, ``perf_counter`` on the CPU),
  FLOPs (``torch.utils.flop_counter``), parameter, saved-activation and
  output bytes; returns the chain and the raw measurements.
- :func:`layers_of`: the layers pipecut sees (top-level children, containers
  such as ``nn.ModuleList`` expanded one level), with their kinds.
- :func:`module_fqns_per_model_part`: the list torchtitan's
  ``[parallelism] module_fqns_per_model_part`` takes, planned by pipecut.
- :func:`fqns_per_stage`: the same list from stage starts (what
  :func:`pipecut.auto_partition` returns).

How layers are measured: the whole model runs forward once with forward
pre-hooks on every layer that capture its real positional and keyword
arguments, then each layer is replayed alone on detached copies of them.
The backward is also run split as zero-bubble schedules run it (PyTorch's
``stage_backward_input`` then ``stage_backward_weight``) and the measured W
op becomes the layer's ``backward_weight`` (clamped to ``backward``). A layer
without parameters gets W = 0; one whose inputs need no gradient (the
embedding) gets its whole backward. Requires PyTorch >= 2.1.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import pipecut

__all__ = [
    "Profile",
    "fqns_per_stage",
    "layers_of",
    "module_fqns_per_model_part",
    "profile",
]

CONTAINER_TYPES = ("ModuleList", "ModuleDict", "Sequential")


def layers_of(model) -> List[Tuple[str, Any, str]]:
    """``(name, module, kind)`` of every layer pipecut sees: each top-level
    child in order, ``ModuleList`` / ``ModuleDict`` / ``Sequential`` children
    expanded one level (torchtitan's ``tok_embeddings``, ``layers.0`` ..,
    ``norm``, ``output``); kinds ``input`` before the first container,
    ``block`` inside it, ``output`` after it."""
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


def _capture_inputs(model, layers, model_args: Tuple[Any, ...]) -> Dict[str, Tuple[Any, Any]]:
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
        raise ValueError(f"these layers did not run in the model's forward: {missing}")
    return captured


class _Timer:
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


def _nbytes(t) -> int:
    return t.numel() * t.element_size()


def _split_backward_ops():
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


def _profile_layer(
    module,
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
    loss_targets,
    timer: _Timer,
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
    ops = _split_backward_ops()
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
    output_bytes = sum(_nbytes(t) for t in _tensors(out))

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


@dataclass
class Profile:
    """What :func:`profile` measured.

    Attributes:
        chain: the chain (unit ``s`` for ``cost="time"``, ``flop`` for
            ``cost="flops"``), ready for :func:`pipecut.plan`.
        layers: per layer, the raw measurements: ``name``, ``kind``,
            ``forward``, ``backward``, ``backward_weight`` (seconds),
            ``forward_flops``, ``backward_flops``, ``backward_weight_flops``,
            ``params``, ``activation_bytes``, ``output_bytes``.
    """

    chain: pipecut.Chain
    layers: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def forward_flops(self) -> List[int]:
        """Forward FLOPs per layer (what :func:`pipecut.auto_partition` takes)."""
        return [int(r["forward_flops"]) for r in self.layers]

    @property
    def backward_flops(self) -> List[int]:
        """Backward FLOPs per layer."""
        return [int(r["backward_flops"]) for r in self.layers]


def _as_args(inputs: Any) -> Tuple[Any, ...]:
    return inputs if isinstance(inputs, tuple) else (inputs,)


def profile(
    model: Any,
    inputs: Any,
    *,
    warmup: int = 3,
    iters: int = 10,
    bytes_per_param: int = 16,
    loss_targets: Any = None,
    cost: str = "time",
    name: Optional[str] = None,
) -> Profile:
    """Profile ``model`` layer by layer on the device it is on.

    Args:
        model: an ``nn.Module`` (see :func:`layers_of` for what a layer is).
        inputs: the model's input, a tensor or a tuple of positional args,
            on the model's device.
        warmup, iters: untimed and timed runs per pass (median of ``iters``).
        bytes_per_param: weights + gradients + optimizer state per parameter
            (16: mixed-precision Adam).
        loss_targets: class indices; the last layer then also computes the
            cross-entropy against them, as torchtitan's last stage does.
        cost: ``"time"`` (seconds) or ``"flops"`` as the chain's costs.
        name: the chain's name (default: the model's class name).

    Raises:
        pipecut.Error: for a bad argument; ValueError when a layer does not
            run in the model's forward.
    """
    import torch

    if cost not in ("time", "flops"):
        raise pipecut.Error(f"`cost` = {cost!r}: must be 'time' or 'flops'")
    if iters < 1 or warmup < 0:
        raise pipecut.Error(f"`iters` = {iters}, `warmup` = {warmup}: need iters >= 1, warmup >= 0")
    layers = layers_of(model)
    if not layers:
        raise pipecut.Error("`model` has no child modules to split")
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    captured = _capture_inputs(model, layers, _as_args(inputs))
    timer = _Timer(device)
    rows: List[Dict[str, Any]] = []
    chain_layers: List[pipecut.Layer] = []
    for index, (layer_name, module, kind) in enumerate(layers):
        args, kwargs = captured[layer_name]
        last = index == len(layers) - 1
        stats = _profile_layer(module, args, kwargs, loss_targets if last else None, timer, warmup, iters)
        fwd, bwd, weight = stats["forward"], stats["backward"], stats["backward_weight"]
        if cost == "flops":
            fwd, bwd = float(stats["forward_flops"]), float(stats["backward_flops"])
            flops = stats["backward_weight_flops"]
            weight = None if flops is None else float(flops)
        if weight is not None:
            weight = min(weight, bwd)  # a larger W is timing noise
        rows.append({"name": layer_name, "kind": kind, **stats})
        chain_layers.append(
            pipecut.Layer(
                layer_name, fwd, bwd, kind=kind, backward_weight=weight,
                param_bytes=stats["params"] * bytes_per_param,
                activation_bytes=stats["activation_bytes"],
                output_bytes=stats["output_bytes"],
            )
        )
    unit = "flop" if cost == "flops" else "s"
    chain = pipecut.Chain(chain_layers, name=name or type(model).__name__, unit=unit)
    return Profile(chain=chain, layers=rows)


def fqns_per_stage(names: Sequence[str], starts: Sequence[int]) -> List[List[str]]:
    """Slice layer ``names`` at stage ``starts`` (as :func:`pipecut.auto_partition`
    returns them): torchtitan's ``module_fqns_per_model_part``."""
    if not starts or starts[0] != 0 or list(starts) != sorted(set(starts)) or starts[-1] >= len(names):
        raise pipecut.Error(f"`starts` = {list(starts)}: must rise from 0 and stay below {len(names)} layers")
    ends = list(starts[1:]) + [len(names)]
    return [list(names[a:b]) for a, b in zip(starts, ends)]


def module_fqns_per_model_part(
    model: Any,
    *,
    pp_degree: int,
    schedule: Union[str, type] = "1F1B",
    n_microbatches: Optional[int] = None,
    stages_per_rank: Optional[int] = None,
    inputs: Any = None,
    chain: Optional[pipecut.Chain] = None,
    algorithm: Optional[str] = None,
    memory_cap: Union[None, int, str] = None,
    **profile_options: Any,
) -> List[List[str]]:
    """torchtitan's ``module_fqns_per_model_part`` for ``model``, planned by pipecut.

    Either give ``chain`` (e.g. from :func:`profile` or a saved profile) or
    ``inputs`` to profile ``model`` now (``profile_options`` go to
    :func:`profile`).

    Args:
        model: the model (only its layer names are read when ``chain`` is
            given).
        pp_degree: pipeline ranks (torchtitan's ``pipeline_parallel_degree``).
        schedule: PyTorch's schedule name or class
            (``pipeline_parallel_schedule``).
        n_microbatches: micro-batches per step (default ``2 * pp_degree``).
        stages_per_rank: stages per rank (default as :func:`pipecut.auto_partition`).
        algorithm: a registered algorithm (default
            :data:`pipecut.DEFAULT_ALGORITHM`).
        memory_cap: bytes per device (``80GiB``, ...).

    Returns:
        One list of module FQNs per model part (logical stage), in stage
        order; paste it into ``[parallelism]`` or set it on the job config.
    """
    if chain is None:
        if inputs is None:
            raise pipecut.Error("`inputs`: give the model's input to profile it, or a `chain`")
        chain = profile(model, inputs, **profile_options).chain
    names = [name for name, _, _ in layers_of(model)]
    if names != chain.names:
        raise pipecut.Error("`chain`: its layer names differ from the model's layers (see layers_of)")
    ranks = int(pp_degree)
    if stages_per_rank is None:
        # The drop-in's default stages per rank (it depends on the schedule
        # and the layer count); the cheapest algorithm is enough to count them.
        starts = pipecut.auto_partition(chain.forward, chain.backward, ranks, n_microbatches or 2 * ranks,
                                        schedule_type=schedule, algorithm="uniform")
        stages_per_rank = len(starts) // max(ranks, 1)
    plan = pipecut.plan(
        chain, ranks * stages_per_rank, schedule=schedule, virtual_stages=stages_per_rank,
        micro_batches=n_microbatches or 2 * ranks, algorithm=algorithm, memory_cap=memory_cap,
    )
    return plan.to_torchtitan()
