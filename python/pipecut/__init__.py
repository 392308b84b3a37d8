"""pipecut: the split of a model's layers into pipeline-parallel stages that
minimises the training step time.

The most common use is a one-line swap in a torchtitan training script::

    from pipecut import auto_partition   # instead of torchtitan's autopartition

    starts = auto_partition(forward_flops, backward_flops, num_stages=4,
                            n_microbatches=8, schedule_type="Interleaved1F1B")

The rest of the package plans any chain of layers::

    import pipecut
    chain = pipecut.Chain.from_model("llama3-8b")
    plan = pipecut.plan(chain, stages=4, micro_batches=16)
    plan.starts, plan.step_time, plan.to_torchtitan()

- :func:`auto_partition`: torchtitan's autopartition signature and result.
- :class:`Chain`, :class:`Layer`: layers in order with their costs, from
  lists, NumPy arrays, dicts, Chain JSON, profile CSV or a preset model.
- :func:`plan`, :func:`simulate`, :func:`compare`: split, simulate a given
  split, rank every algorithm; each returns :class:`Plan` objects or dicts.
- :func:`algorithms`, :func:`models`, :func:`hardware`: what can be named.
- :func:`run_suite`: a harness suite with a progress callback.
- :class:`Error`: every bad input (a :class:`ValueError` naming the field).
- :mod:`pipecut.torch`: profile a PyTorch model and get torchtitan's
  ``module_fqns_per_model_part`` for it (imports torch lazily).

Solves run in Rust with the GIL released.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from . import _native
from ._native import (
    DEFAULT_ALGORITHM,
    Chain,
    Error,
    Layer,
    Plan,
    __version__,
    algorithms,
    compare,
    hardware,
    models,
    plan,
    run_suite,
    simulate,
)

__all__ = [
    "DEFAULT_ALGORITHM",
    "Chain",
    "Error",
    "Layer",
    "Plan",
    "__version__",
    "algorithms",
    "auto_partition",
    "compare",
    "hardware",
    "models",
    "plan",
    "run_suite",
    "simulate",
]

Numbers = Union[Sequence[float], Sequence[int], Any]
"""A list or tuple of ints or floats, a NumPy array or a torch tensor."""


def auto_partition(
    forward_flops: Numbers,
    backward_flops: Numbers,
    num_stages: int,
    n_microbatches: int,
    *,
    schedule_type: Union[str, type] = "1F1B",
    communication_volume: Union[None, int, float, Numbers] = None,
    device_compute_throughput: float = 1.0,
    network_bandwidth: float = 1.0,
    virtual_stages_per_rank: Optional[int] = None,
    backward_input_flops: Optional[Numbers] = None,
    backward_weight_flops: Optional[Numbers] = None,
    algorithm: Optional[str] = None,
) -> List[int]:
    """Split layers into pipeline stages; return the first layer of each.

    A drop-in for ``auto_partition`` of torchtitan's autopartition experiment
    (``torchtitan/experiments/autopartition``): the same arguments, meanings
    and result, computed by pipecut's solvers.

    Args:
        forward_flops: forward FLOPs of every layer, in order (ints or
            floats, a list, tuple, NumPy array or tensor).
        backward_flops: full backward FLOPs of every layer (same length).
        num_stages: physical pipeline ranks. The split has
            ``num_stages * stages_per_rank`` logical stages.
        n_microbatches: micro-batches per training step.
        schedule_type: PyTorch's schedule name as ``get_schedule_class``
            takes it (``1F1B``, ``GPipe``, ``Interleaved1F1B``, ``LoopedBFS``,
            ``InterleavedZeroBubble``, ``ZBVZeroBubble``, ``DualPipeV``),
            a schedule class, or pipecut's name (``interleaved-1f1b``, ...);
            case-insensitive.
        communication_volume: bytes sent across a stage boundary: one number
            for every boundary, or one per boundary between layers
            (``len(forward_flops) - 1`` entries; entry ``i`` is sent when a
            stage ends after layer ``i``). ``None``: no communication. Each
            becomes that layer's ``output_bytes`` on a link of latency 0 and
            bandwidth ``network_bandwidth``, so a boundary costs exactly
            ``volume / network_bandwidth``.
        device_compute_throughput: FLOPs per time unit; layer times are
            ``flops / device_compute_throughput``.
        network_bandwidth: bytes per time unit.
        virtual_stages_per_rank: logical stages per rank. Default: 1 for
            ``1F1B`` and ``GPipe``, 2 for ``ZBVZeroBubble`` and ``DualPipeV``
            (the only count they run), and for the looped schedules 2 where
            there are at least ``2 * num_stages`` layers, else 1.
        backward_input_flops, backward_weight_flops: the input- and
            weight-gradient parts of each backward, which zero-bubble
            schedules run as separate operations. Give either (the other is
            the rest of the backward) or both (they must add up to it).
            Neither: each is half of the backward.
        algorithm: any name from :func:`algorithms`; ``None`` uses
            :data:`DEFAULT_ALGORITHM`.

    Returns:
        The first layer index of every logical stage, stage 0 first (so the
        list starts with 0). torchtitan appends ``len(layers)`` to slice.

    Raises:
        Error: for any bad input (empty or mismatched lists, negative, NaN
            or infinite costs, ``num_stages`` above the layer count, an
            unknown schedule, a stages-per-rank count the schedule does not
            run); the message names the argument.
    """
    return _native.auto_partition(
        forward_flops,
        backward_flops,
        num_stages,
        n_microbatches,
        schedule_type=schedule_type,
        communication_volume=communication_volume,
        device_compute_throughput=device_compute_throughput,
        network_bandwidth=network_bandwidth,
        virtual_stages_per_rank=virtual_stages_per_rank,
        backward_input_flops=backward_input_flops,
        backward_weight_flops=backward_weight_flops,
        algorithm=algorithm,
    )
