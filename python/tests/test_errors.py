"""Every bad input raises `pipecut.Error` (a ValueError) naming the field."""

from __future__ import annotations

import math
from typing import Any, Dict

import pytest

import pipecut

F = [10, 20, 30, 40, 50, 60, 70, 80]
B = [20, 40, 60, 80, 100, 120, 140, 160]

BAD: Dict[str, Dict[str, Any]] = {
    "empty forward": dict(forward_flops=[], backward_flops=[], match="forward_flops"),
    "mismatched lengths": dict(backward_flops=B[:-1], match="backward_flops"),
    "negative forward": dict(forward_flops=[10, -1] + F[2:], match=r"forward_flops\[1\]"),
    "nan backward": dict(backward_flops=B[:3] + [math.nan] + B[4:], match=r"backward_flops\[3\]"),
    "inf forward": dict(forward_flops=[math.inf] + F[1:], match=r"forward_flops\[0\]"),
    "text in a list": dict(forward_flops=F[:-1] + ["x"], match=r"forward_flops"),
    "not a list": dict(forward_flops=5, match="forward_flops"),
    "zero ranks": dict(num_stages=0, match="num_stages"),
    "more ranks than layers": dict(num_stages=9, match="num_stages"),
    "more logical stages than layers": dict(
        num_stages=5, schedule_type="ZBVZeroBubble", match="num_stages"
    ),
    "float ranks": dict(num_stages=2.5, match="num_stages"),
    "zero micro-batches": dict(n_microbatches=0, match="n_microbatches"),
    "unknown schedule": dict(schedule_type="PipeDream", match="schedule_type"),
    "zero stages per rank": dict(
        schedule_type="Interleaved1F1B", virtual_stages_per_rank=0, match="virtual_stages_per_rank"
    ),
    "two stages per rank on 1F1B": dict(virtual_stages_per_rank=2, match="virtual_stages_per_rank"),
    "three stages per rank on a V": dict(
        schedule_type="DualPipeV", virtual_stages_per_rank=3, match="virtual_stages_per_rank"
    ),
    "float stages per rank": dict(
        schedule_type="LoopedBFS", virtual_stages_per_rank=1.5, match="virtual_stages_per_rank"
    ),
    "zero throughput": dict(device_compute_throughput=0, match="device_compute_throughput"),
    "nan bandwidth": dict(network_bandwidth=math.nan, match="network_bandwidth"),
    "short volume list": dict(communication_volume=[1, 2], match="communication_volume"),
    "negative volume": dict(communication_volume=[1, -2, 0, 0, 0, 0, 0], match=r"communication_volume\[1\]"),
    "inf volume": dict(communication_volume=math.inf, match="communication_volume"),
    "short input split": dict(backward_input_flops=[1], match="backward_input_flops"),
    "weight above backward": dict(backward_weight_flops=[1000] * 8, match=r"backward_weight_flops\[0\]"),
    "unknown algorithm": dict(algorithm="nope", match="algorithm"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_the_field(case: str) -> None:
    args: Dict[str, Any] = dict(forward_flops=F, backward_flops=B, num_stages=2, n_microbatches=4)
    spec = dict(BAD[case])
    match = spec.pop("match")
    args.update(spec)
    with pytest.raises(pipecut.Error, match=match) as info:
        pipecut.auto_partition(**args)
    assert isinstance(info.value, ValueError)


def test_plan_errors_name_the_field() -> None:
    chain = pipecut.Chain.from_lists(F, B)
    cases = [
        (dict(stages=9), "stages"),
        (dict(stages=0), "stages"),
        (dict(stages=2, micro_batches=0), "micro_batches"),
        (dict(stages=2, schedule="nope"), "schedule"),
        (dict(stages=2, memory_cap="12XB"), "memory_cap"),
        (dict(stages=2, speeds=[1.0]), "speeds"),
        (dict(stages=2, link_bandwidth=0.0), "bandwidth"),
        (dict(stages=2, algorithm="nope"), "nope"),
        (dict(stages=2, time_limit=-1.0), "time_limit"),
        (dict(stages=3, schedule="interleaved-1f1b", virtual_stages=2), "virtual_stages"),
    ]
    for kwargs, field in cases:
        with pytest.raises(pipecut.Error, match=field):
            pipecut.plan(chain, **kwargs)
    with pytest.raises(pipecut.Error, match="starts"):
        pipecut.simulate(chain, [0, 9])
