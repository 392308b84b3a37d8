#!/usr/bin/env python3
"""Write golden cases for pipecut's ``autopipe-torchtitan`` from a run of the
original: torchtitan's autopartition partitioner,
``torchtitan/experiments/autopartition/infra/_partition.py`` (torchtitan pull
request 2113; it needs only the Python standard library).

The original is not part of pipecut. Pass the path of that file (or of the
folder holding it) with ``--original`` or in ``AUTOPIPE_TORCHTITAN_ORIGINAL``;
it is imported from there and only its outputs are written.

Usage::

    python3 tools/autopipe_torchtitan_golden.py --original /path/to/_partition.py \
        --out crates/pipecut-heuristics/tests/data/autopipe_torchtitan

Files written (JSON, floats as Python's round-trip ``repr``):

``search.json`` (seed 2113) and ``search_holdout.json`` (seed 179212, a
different draw the Rust code was not developed against)
    Partition searches (``optimize_partition_model_layers``): inputs
    (schedule, per-layer ``forward``/``backward`` FLOPs, ``communication``
    as one integer or one per layer boundary, ``throughput``, ``bandwidth``,
    ``ranks``, ``micro_batches``, ``stages_per_rank`` or null for the
    original's default, optional ``backward_input``/``backward_weight``)
    and either the expected ``base_starts``, ``best_starts``,
    ``base_iteration_time``, ``best_iteration_time``, ``best_critical_stage``
    and ``explored_candidates``, or ``error``: the exception's type and
    message when the original raises.

``search_large.json``
    The same for the inputs of the Rust bench (a llama-like chain at N = 32,
    256 and 1,000 layers; 1F1B and InterleavedZeroBubble).

``simulate.json`` (seed 7)
    Stage-level simulations (``simulate_pipeline_schedule`` and
    ``identify_steady_critical_stage``): inputs as above but per stage, and
    the expected ``iteration_time``, ``critical_path`` (rows ``[rank, stage,
    microbatch, op, duration, start, end]``), ``steady`` window,
    ``stage_durations`` and ``critical_stage``; plus ``orders``: the aligned
    compute schedule (``generate_compute_schedule``) of small shapes, one
    string per rank (``s<stage><op><microbatch>`` or ``-`` for an empty slot).

Families of layer costs: ``uniform`` (equal layers, every tie), ``lognormal``
(heavy-tailed, a few zero layers) and ``llama`` (embedding, equal-ish blocks,
a tiny norm and a heavy output head). Sizes run from a few layers to 96.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import sys
from pathlib import Path

SCHEDULES = ["1F1B", "Interleaved1F1B", "InterleavedZeroBubble"]
FAMILIES = ["uniform", "lognormal", "llama"]


def load_original(path: str):
    p = Path(path)
    if p.is_dir():
        p = p / "_partition.py"
    spec = importlib.util.spec_from_file_location("torchtitan_partition", p)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot import {p}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["torchtitan_partition"] = module
    spec.loader.exec_module(module)
    return module


def layer_costs(rng: random.Random, family: str, n: int) -> tuple[list[int], list[int]]:
    if family == "uniform":
        f = rng.randint(1, 50)
        return [f] * n, [rng.choice([2 * f, 2 * f + 1, f])] * n
    if family == "lognormal":
        f = [0 if rng.random() < 0.05 else max(1, round(math.exp(rng.gauss(3.0, 1.0)))) for _ in range(n)]
        return f, [round(x * rng.uniform(1.5, 2.5)) for x in f]
    block = rng.randint(50, 200)
    blocks = max(1, n - 3)
    f = [rng.randint(1, 10)]
    f += [block + rng.choice([0, 0, 0, rng.randint(-3, 3)]) for _ in range(blocks)]
    f += [1, block * rng.randint(2, 8)][: n - len(f)]
    f = f[:n]
    return f, [2 * x + rng.choice([0, 0, 1]) for x in f]


def shape(rng: random.Random, schedule: str, n: int) -> tuple[int, int | None, int]:
    """Ranks, stages per rank (None: the original's default) and micro-batches."""
    if schedule == "1F1B":
        ranks = rng.randint(1, min(n, 8))
        # Mostly M >= ranks; sometimes fewer, where the original raises.
        m = rng.randint(1, ranks - 1) if ranks > 1 and rng.random() < 0.08 else rng.randint(ranks, 3 * ranks)
        return ranks, rng.choice([None, 1]), m
    per_rank = rng.choice([None, 1, 2, 2, 3])
    cap = max(1, n // (per_rank or 2))
    ranks = rng.randint(1, min(cap, 6))
    m = ranks * rng.randint(1, 4)
    if rng.random() < 0.05:
        m += 1  # not always a multiple of the rounds: the original may raise
    return ranks, per_rank, m


def communication(rng: random.Random, n: int):
    kind = rng.choice(["none", "none", "scalar", "list"])
    if kind == "none":
        return 0
    if kind == "scalar":
        return rng.randint(0, 40)
    return [rng.randint(0, 40) for _ in range(n - 1)]


def backward_split(rng: random.Random, backward: list[int]):
    kind = rng.choice(["none", "none", "weight", "input", "both"])
    if kind == "none":
        return None, None
    w = [rng.randint(0, b) for b in backward]
    if kind == "weight":
        return None, w
    if kind == "input":
        return [b - x for b, x in zip(backward, w)], None
    return [b - x for b, x in zip(backward, w)], w


def error_of(exc: Exception) -> dict:
    return {"type": type(exc).__name__, "message": str(exc).splitlines()[0]}


def search_case(orig, rng: random.Random, schedule: str, family: str, n: int) -> dict:
    f, b = layer_costs(rng, family, n)
    ranks, per_rank, m = shape(rng, schedule, n)
    bi, bw = backward_split(rng, b)
    case = {
        "schedule": schedule,
        "family": family,
        "forward": f,
        "backward": b,
        "communication": communication(rng, n),
        "throughput": rng.choice([1, 1, 1, 2, 3]),
        "bandwidth": rng.choice([1, 1, 2, 5]),
        "ranks": ranks,
        "micro_batches": m,
        "stages_per_rank": per_rank,
        "backward_input": bi,
        "backward_weight": bw,
    }
    try:
        r = orig.optimize_partition_model_layers(
            schedule, f, b, case["communication"], case["throughput"], case["bandwidth"], ranks, m,
            virtual_stages_per_rank=per_rank, backward_input_flops=bi, backward_weight_flops=bw,
        )
    except (ValueError, RuntimeError) as exc:
        case["error"] = error_of(exc)
        return case
    case.update(
        base_starts=[s[0] for s in r.base_plan.stage_partitions],
        best_starts=[s[0] for s in r.best_plan.stage_partitions],
        base_iteration_time=r.base_iteration_time,
        best_iteration_time=r.best_iteration_time,
        best_critical_stage=r.best_critical_stage,
        explored_candidates=r.explored_candidates,
    )
    return case


def search_cases(orig, seed: int, per_cell: int) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for schedule in SCHEDULES:
        for family in FAMILIES:
            for k in range(per_cell):
                n = rng.choice([rng.randint(1, 8), rng.randint(8, 24), rng.randint(24, 48)]) if k % 6 else rng.randint(48, 96)
                cases.append(search_case(orig, rng, schedule, family, n))
    return cases


def bench_forward(i: int, n: int) -> int:
    """The llama-like chain of the Rust bench ``benches/autopipe_torchtitan.rs``."""
    if i == 0:
        return 5
    if i == n - 1:
        return 400
    if i == n - 2:
        return 1
    return 100 + (7 * i) % 13


def large_cases(orig) -> list[dict]:
    """The bench's inputs at N = 32, 256 and 1,000: 1F1B on 8 ranks (M = 16)
    and InterleavedZeroBubble on 4 ranks x 2 (M = 8, 3 bytes per boundary)."""
    cases = []
    for n in [32, 256, 1000]:
        f = [bench_forward(i, n) for i in range(n)]
        b = [2 * f[i] + i % 3 for i in range(n)]
        for schedule, comm, ranks, m, per_rank in [("1F1B", 0, 8, 16, 1), ("InterleavedZeroBubble", [3] * (n - 1), 4, 8, 2)]:
            r = orig.optimize_partition_model_layers(schedule, f, b, comm, 1, 1, ranks, m, virtual_stages_per_rank=per_rank)
            cases.append({
                "schedule": schedule, "family": "bench", "forward": f, "backward": b, "communication": comm,
                "throughput": 1, "bandwidth": 1, "ranks": ranks, "micro_batches": m, "stages_per_rank": per_rank,
                "backward_input": None, "backward_weight": None,
                "base_starts": [s[0] for s in r.base_plan.stage_partitions],
                "best_starts": [s[0] for s in r.best_plan.stage_partitions],
                "base_iteration_time": r.base_iteration_time, "best_iteration_time": r.best_iteration_time,
                "best_critical_stage": r.best_critical_stage, "explored_candidates": r.explored_candidates,
            })
    return cases


def simulate_case(orig, rng: random.Random, schedule: str) -> dict:
    if schedule == "1F1B":
        ranks = rng.randint(1, 6)
        stages, m = ranks, rng.randint(ranks, 3 * ranks)
    else:
        ranks = rng.randint(1, 4)
        stages, m = ranks * rng.randint(1, 3), ranks * rng.randint(1, 3)
    family = rng.choice(FAMILIES)
    f, b = layer_costs(rng, family, stages)
    bi, bw = backward_split(rng, b)
    case = {
        "schedule": schedule,
        "forward": f,
        "backward": b,
        "communication": communication(rng, stages),
        "throughput": rng.choice([1, 1, 2]),
        "bandwidth": rng.choice([1, 1, 4]),
        "ranks": ranks,
        "micro_batches": m,
        "backward_input": bi,
        "backward_weight": bw,
    }
    r = orig.simulate_pipeline_schedule(
        schedule, f, b, case["communication"], m, pp_group_size=ranks,
        backward_input_flops=bi, backward_weight_flops=bw,
        device_compute_throughput=case["throughput"], network_bandwidth=case["bandwidth"],
    )
    plan = orig.PipelinePartitionPlan(
        schedule_type=schedule, pp_group_size=ranks, n_microbatches=m, num_stages=stages,
        virtual_stages_per_rank=stages // ranks, stage_partitions=[[k] for k in range(stages)],
        stage_to_rank=[k % ranks for k in range(stages)], rank_to_stages={},
        stage_forward_flops=f, stage_backward_flops=b, stage_communication_volume=[],
        stage_compute_times=[], objective_value=0.0,
    )
    info = orig.identify_steady_critical_stage(schedule, plan, r)
    case.update(
        iteration_time=r.iteration_time,
        critical_path=[[o.rank, o.stage, o.microbatch, o.op_type, o.duration, o.start_time, o.end_time] for o in r.critical_path],
        steady=[info.steady_start_step, info.steady_end_step],
        stage_durations=sorted([k, v] for k, v in info.stage_durations.items()),
        critical_stage=info.critical_stage,
    )
    return case


def label(action) -> str:
    if action is None:
        return "-"
    return f"s{action.stage_index}{action.computation_type.value}{action.microbatch_index}"


def orders(orig) -> list[dict]:
    out = []
    for schedule in SCHEDULES:
        for ranks in range(1, 5):
            for per_rank in ([1] if schedule == "1F1B" else [1, 2, 3]):
                for m in range(1, 3 * ranks + 1):
                    stages = ranks * per_rank
                    case = {"schedule": schedule, "stages": stages, "ranks": ranks, "micro_batches": m}
                    try:
                        s = orig.generate_compute_schedule(schedule, num_stages=stages, n_microbatches=m, pp_group_size=ranks)
                        case["ranks_slots"] = [" ".join(label(a) for a in s[r]) for r in sorted(s)]
                    except (ValueError, RuntimeError) as exc:
                        case["error"] = error_of(exc)
                    out.append(case)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--original", default=os.environ.get("AUTOPIPE_TORCHTITAN_ORIGINAL"), help="path of _partition.py (or its folder)")
    ap.add_argument("--out", default="crates/pipecut-heuristics/tests/data/autopipe_torchtitan")
    ap.add_argument("--per-cell", type=int, default=36, help="search cases per schedule x family (hold-out: a third)")
    ap.add_argument("--seeds", type=int, nargs=2, default=[2113, 179212], metavar=("MAIN", "HOLDOUT"), help="seeds of the two search sets")
    args = ap.parse_args()
    if not args.original:
        sys.exit("give --original or set AUTOPIPE_TORCHTITAN_ORIGINAL")
    orig = load_original(args.original)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write = lambda name, data: (out / name).write_text(json.dumps(data, separators=(",", ":")) + "\n")
    write("search.json", search_cases(orig, args.seeds[0], args.per_cell))
    write("search_holdout.json", search_cases(orig, args.seeds[1], max(1, args.per_cell // 3)))
    write("search_large.json", large_cases(orig))
    rng = random.Random(7)
    sims = [simulate_case(orig, rng, schedule) for schedule in SCHEDULES for _ in range(60)]
    write("simulate.json", {"simulations": sims, "orders": orders(orig)})
    for name in ["search.json", "search_holdout.json", "search_large.json", "simulate.json"]:
        print(f"{out / name}: {(out / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
