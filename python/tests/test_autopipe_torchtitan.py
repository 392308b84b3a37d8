"""`auto_partition(..., algorithm="autopipe-torchtitan")` returns what the
original `auto_partition` of torchtitan's autopartition experiment returns:
the golden searches `tools/autopipe_torchtitan_golden.py` recorded from the
original (the Rust tests replay the same files against the library)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipecut

DATA = Path(__file__).resolve().parents[2] / "crates/pipecut-heuristics/tests/data/autopipe_torchtitan"


def cases(name: str) -> list:
    return [c for c in json.loads((DATA / name).read_text()) if c.get("best_starts") is not None]


@pytest.mark.parametrize("name", ["search.json", "search_holdout.json"])
def test_drop_in_returns_the_originals_starts(name: str) -> None:
    checked = 0
    for case in cases(name):
        starts = pipecut.auto_partition(
            case["forward"],
            case["backward"],
            case["ranks"],
            case["micro_batches"],
            schedule_type=case["schedule"],
            communication_volume=case["communication"],
            device_compute_throughput=case["throughput"],
            network_bandwidth=case["bandwidth"],
            virtual_stages_per_rank=case["stages_per_rank"],
            backward_input_flops=case["backward_input"],
            backward_weight_flops=case["backward_weight"],
            algorithm="autopipe-torchtitan",
        )
        assert starts == case["best_starts"], (case["schedule"], case["family"], len(case["forward"]))
        checked += 1
    assert checked > 100
