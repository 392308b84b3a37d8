#!/usr/bin/env python3
"""Per-call time of ``pipecut.auto_partition`` on N = 64, 1,000 and 100,000
layers and 16 ranks (1F1B, 32 micro-batches), next to the original
pure-Python partitioner of torchtitan's autopartition experiment where it
finishes.

    python tools/bench_auto_partition.py
    python tools/bench_auto_partition.py --original PATH/TO/_partition.py --timeout 600

``--original`` takes the experiment's ``infra/_partition.py`` (not shipped
with pipecut); it runs in a subprocess per size, stopped after ``--timeout``
seconds. Inputs are seeded: block FLOPs drawn from [50, 150], backward twice
the forward, an embedding of 10 and a head of 400. Prints a Markdown table;
times are medians of repeated calls (the first call of each size is a
warm-up and not counted).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from typing import List, Optional, Tuple

SIZES = (64, 1_000, 100_000)
RANKS = 16
MICRO_BATCHES = 32


def inputs(n: int, seed: int = 0) -> Tuple[List[int], List[int]]:
    rng = random.Random(seed)
    fwd = [10] + [rng.randint(50, 150) for _ in range(n - 2)] + [400]
    return fwd, [2 * f for f in fwd]


def per_call(fn, min_seconds: float = 1.0, max_calls: int = 1000) -> Tuple[float, int]:
    """Median seconds per call over calls adding up to about ``min_seconds``."""
    fn()  # warm-up
    times: List[float] = []
    spent = 0.0
    while len(times) < max_calls and (spent < min_seconds or len(times) < 3):
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
        spent += times[-1]
    return statistics.median(times), len(times)


ORIGINAL = r"""
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("_partition", sys.argv[1])
mod = importlib.util.module_from_spec(spec); sys.modules["_partition"] = mod; spec.loader.exec_module(mod)
fwd, bwd, ranks, m = json.loads(sys.stdin.read())
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); starts = mod.auto_partition(fwd, bwd, ranks, m); times.append(time.perf_counter() - t)
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "starts": starts}))
"""


def original(path: str, n: int, timeout: float, calls: int) -> Optional[dict]:
    fwd, bwd = inputs(n)
    try:
        out = subprocess.run(
            [sys.executable, "-c", ORIGINAL, path, str(calls)],
            input=json.dumps([fwd, bwd, RANKS, MICRO_BATCHES]),
            capture_output=True, text=True, timeout=timeout, check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--original", help="path to torchtitan's autopartition infra/_partition.py")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per original run")
    p.add_argument("--algorithm", default=None, help="pipecut algorithm (default: pipecut's default)")
    args = p.parse_args(argv)

    import pipecut

    algorithm = args.algorithm or pipecut.DEFAULT_ALGORITHM
    print(f"| N | ranks | pipecut `{algorithm}` per call | original per call | simulated step, pipecut / original |")
    print("|---:|---:|---:|---:|---:|")
    for n in SIZES:
        fwd, bwd = inputs(n)
        call = lambda: pipecut.auto_partition(fwd, bwd, RANKS, MICRO_BATCHES, algorithm=args.algorithm)
        seconds, _ = per_call(call)
        ours = call()
        theirs, steps = "not run", ""
        if args.original:
            result = original(args.original, n, args.timeout, calls=3 if n <= 64 else 1)
            if result is None:
                theirs = f"did not finish in {args.timeout:.0f} s"
            else:
                theirs = f"{result['seconds'] * 1e3:.1f} ms"
                # Both splits on pipecut's simulator (times = FLOPs).
                chain = pipecut.Chain.from_lists(fwd, bwd)
                step = lambda starts: pipecut.simulate(chain, starts, micro_batches=MICRO_BATCHES).step_time
                steps = f"{step(ours) / step(result['starts']):.4f}"
        print(f"| {n:,} | {RANKS} | {seconds * 1e3:.3f} ms | {theirs} | {steps} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
