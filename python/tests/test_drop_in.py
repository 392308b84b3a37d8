"""`pipecut.auto_partition`: valid starts for every schedule, the CLI's plan
on the same input, the original's argument meanings."""

from __future__ import annotations

import random
from pathlib import Path
from typing import List, Optional

import pytest

import pipecut

from conftest import write_chain

TORCH_NAMES = [
    "1F1B",
    "GPipe",
    "Interleaved1F1B",
    "LoopedBFS",
    "InterleavedZeroBubble",
    "ZBVZeroBubble",
    "DualPipeV",
]
# pipecut's name and the stages per rank its default gives (N >= 2 ranks).
PIPECUT_NAMES = {
    "1F1B": ("1f1b", 1),
    "GPipe": ("gpipe", 1),
    "Interleaved1F1B": ("interleaved-1f1b", 2),
    "LoopedBFS": ("looped-bfs", 2),
    "InterleavedZeroBubble": ("interleaved-zero-bubble", 2),
    "ZBVZeroBubble": ("zbv-zero-bubble", 2),
    "DualPipeV": ("dualpipev", 2),
}


def flops(n: int, seed: int) -> "tuple[List[int], List[int]]":
    rng = random.Random(seed)
    fwd = [rng.randint(10, 100) for _ in range(n)]
    return fwd, [2 * f + rng.randint(0, 9) for f in fwd]


def check_starts(starts: List[int], stages: int, layers: int) -> None:
    assert len(starts) == stages
    assert starts[0] == 0
    assert all(a < b for a, b in zip(starts, starts[1:]))
    assert starts[-1] < layers


@pytest.mark.parametrize("schedule", TORCH_NAMES)
@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_every_schedule_gives_valid_starts(schedule: str, ranks: int) -> None:
    fwd, bwd = flops(24, ranks)
    per_rank = PIPECUT_NAMES[schedule][1]
    starts = pipecut.auto_partition(fwd, bwd, ranks, 2 * ranks, schedule_type=schedule)
    check_starts(starts, ranks * per_rank, 24)
    # pipecut's own name, lower case and the class name give the same split.
    for alias in (PIPECUT_NAMES[schedule][0], schedule.lower(), "Schedule" + schedule):
        assert pipecut.auto_partition(fwd, bwd, ranks, 2 * ranks, schedule_type=alias) == starts


def test_a_schedule_class_is_accepted_by_name() -> None:
    class ScheduleInterleaved1F1B:  # stands in for torch's class
        pass

    fwd, bwd = flops(16, 0)
    by_class = pipecut.auto_partition(fwd, bwd, 2, 4, schedule_type=ScheduleInterleaved1F1B)
    assert by_class == pipecut.auto_partition(fwd, bwd, 2, 4, schedule_type="Interleaved1F1B")


def test_looped_schedules_fall_back_to_one_stage_per_rank_on_short_chains() -> None:
    fwd, bwd = flops(7, 1)
    check_starts(pipecut.auto_partition(fwd, bwd, 4, 8, schedule_type="Interleaved1F1B"), 4, 7)
    check_starts(
        pipecut.auto_partition(fwd, bwd, 2, 4, schedule_type="LoopedBFS", virtual_stages_per_rank=3), 6, 7
    )


def test_floats_ints_tuples_and_numpy_agree() -> None:
    fwd, bwd = flops(20, 2)
    want = pipecut.auto_partition(fwd, bwd, 4, 8)
    assert pipecut.auto_partition([float(f) for f in fwd], tuple(bwd), 4, 8) == want
    np = pytest.importorskip("numpy", reason="numpy not installed")
    assert pipecut.auto_partition(np.array(fwd), np.array(bwd, dtype=np.float32), np.int64(4), 8) == want


def test_throughput_scales_every_time_alike() -> None:
    fwd, bwd = flops(30, 3)
    want = pipecut.auto_partition(fwd, bwd, 4, 8)
    assert pipecut.auto_partition(fwd, bwd, 4, 8, device_compute_throughput=1024.0) == want


def test_a_heavy_boundary_is_not_cut() -> None:
    # Uniform layers: the balanced split of 8 layers on 2 ranks cuts after
    # layer 3. Make that boundary (entry 3) cost more than a layer.
    fwd, bwd = [1] * 8, [2] * 8
    assert pipecut.auto_partition(fwd, bwd, 2, 4) == [0, 4]
    volume = [0] * 7
    volume[3] = 10_000
    starts = pipecut.auto_partition(
        fwd, bwd, 2, 4, communication_volume=volume, network_bandwidth=1000.0
    )
    assert starts != [0, 4]
    check_starts(starts, 2, 8)
    # One number for every boundary: a symmetric cost keeps the middle cut.
    assert pipecut.auto_partition(fwd, bwd, 2, 4, communication_volume=10, network_bandwidth=100.0) == [0, 4]


def test_every_registered_algorithm_can_be_named() -> None:
    fwd, bwd = flops(10, 4)
    for algorithm in pipecut.algorithms():
        try:
            starts = pipecut.auto_partition(fwd, bwd, 2, 4, algorithm=algorithm["name"])
        except pipecut.Error:
            # Only the framework baselines may refuse a shape.
            assert algorithm["kind"] == "baseline", algorithm["name"]
            continue
        check_starts(starts, 2, 10)
    with pytest.raises(pipecut.Error, match="nope"):
        pipecut.auto_partition(fwd, bwd, 2, 4, algorithm="nope")


def cli_starts(
    cli, tmp_path: Path, fwd, bwd, stages: int, schedule: str, v: int, m: int,
    volume: Optional[List[int]] = None, bandwidth: float = 1.0,
    weight: Optional[List[int]] = None,
) -> List[int]:
    layers = []
    for i, (f, b) in enumerate(zip(fwd, bwd)):
        layer = {"name": f"layers.{i}", "forward": f, "backward": b}
        if volume is not None and i < len(volume):
            layer["output_bytes"] = volume[i]
        if weight is not None:
            layer["backward_weight"] = weight[i]
        layers.append(layer)
    path = write_chain(tmp_path / "chain.json", layers)
    args = ["plan", "--chain", str(path), "--stages", str(stages), "--schedule", schedule,
            "--virtual-stages", str(v), "--micro-batches", str(m), "--format", "json"]
    if volume is not None:
        args += ["--link-bandwidth", repr(bandwidth)]
    return cli(*args)["starts"]


@pytest.mark.parametrize("schedule", TORCH_NAMES)
def test_matches_the_cli_plan(cli, tmp_path: Path, schedule: str) -> None:
    fwd, bwd = flops(32, 7)
    name, v = PIPECUT_NAMES[schedule]
    got = pipecut.auto_partition(fwd, bwd, 4, 8, schedule_type=schedule)
    assert got == cli_starts(cli, tmp_path, fwd, bwd, 4 * v, name, v, 8)


def test_matches_the_cli_with_communication_and_a_backward_split(cli, tmp_path: Path) -> None:
    fwd, bwd = flops(16, 9)
    volume = [random.Random(i).randint(0, 400) for i in range(15)]
    weight = [b // 3 for b in bwd]
    got = pipecut.auto_partition(
        fwd, bwd, 2, 4, schedule_type="ZBVZeroBubble", communication_volume=volume,
        network_bandwidth=8.0, backward_weight_flops=weight,
    )
    assert got == cli_starts(cli, tmp_path, fwd, bwd, 4, "zbv-zero-bubble", 2, 4,
                             volume=volume, bandwidth=8.0, weight=weight)


def test_concurrent_calls_from_threads_agree() -> None:
    # Solves release the GIL; calls from several threads must not interfere.
    from concurrent.futures import ThreadPoolExecutor

    inputs = [flops(200, seed) for seed in range(8)]
    want = [pipecut.auto_partition(f, b, 8, 16, schedule_type="Interleaved1F1B") for f, b in inputs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda fb: pipecut.auto_partition(*fb, 8, 16, schedule_type="Interleaved1F1B"), inputs))
    assert got == want
