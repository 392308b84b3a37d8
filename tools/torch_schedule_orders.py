#!/usr/bin/env python3
"""Write the per-rank compute order of torch.distributed.pipelining schedules
as JSON golden files, so pipecut's Rust tests can replay them without torch.

For each schedule name accepted by
``torch.distributed.pipelining.schedules.get_schedule_class`` -- ``GPipe``,
``1F1B``, ``Interleaved1F1B``, ``LoopedBFS``, ``InterleavedZeroBubble``,
``ZBVZeroBubble`` and ``DualPipeV`` -- the script constructs the schedule for
every point of a grid and records, per rank, the compute actions in the order
torch runs them.

Grid
----
* devices (pipeline ranks) ``D`` in 1..8;
* stages per device ``v``: 1 for ``GPipe`` / ``1F1B``; 1, 2, 3 and 4 for
  ``Interleaved1F1B``, ``LoopedBFS`` and ``InterleavedZeroBubble``; 2 for
  ``ZBVZeroBubble`` and ``DualPipeV``;
* micro-batches ``M`` in 1..4*D.

A combination whose constructor raises is written to ``rejected`` with the
exception's type and the first line of its message.

How the orders are obtained
---------------------------
No process group is created. The schedules are built on light stand-in stage
objects (``_FakeStage`` below) that carry only what the constructors read:
``stage_index``, ``num_stages``, ``group_size``, ``group_rank``, ``is_first``,
``is_last`` and ``submod`` (``None``).

* Multi-stage schedules (``PipelineScheduleMulti`` subclasses) compute the
  order of *every* rank in their constructor and keep it in
  ``schedule.pipeline_order`` (rank -> list of ``_Action`` or ``None``).  The
  script writes that table.  The runtime does not execute that table
  directly but ``pipeline_order_with_comms``, the same table lowered with
  SEND/RECV, UNSHARD/RESHARD and REDUCE_GRAD actions; the script checks, for
  every case, that the compute actions of both tables are the same sequence.
  An ``OVERLAP_F_B`` action (DualPipeV) runs its ``sub_actions`` one after
  the other, forward first; it is written ``<forward>+<backward>``.
* Single-stage schedules (``GPipe``, ``1F1B``) do not run from a table: each
  rank runs ``_step_microbatches``, which calls the stage's
  ``forward_one_chunk`` / ``backward_one_chunk`` directly.  The script runs
  torch's own ``_step_microbatches`` for every rank on a recording stage
  (``_RecordingStage``: it hands out no P2P ops, so nothing is sent, and the
  shape-inference set-up is skipped) and writes the sequence of those calls.
  These classes also build a descriptive table, ``schedule.pipeline_order``
  (``_get_pipeline_order()``, one rank per stage); the script compares it
  with the executed sequence.  For ``GPipe`` they are equal.  For ``1F1B``
  (torch 2.15) the table's last rank numbers its forwards one too high (it
  starts at ``F1`` and ends at ``F<M>``, a micro-batch that does not exist,
  while the step function runs ``F0`` .. ``F<M-1>``); all other ranks agree.
  The script accepts exactly that difference and fails on any other.

The script also checks every accepted case on its own: the stages on rank
``r`` are ``{g : g mod D == r}`` for the looped schedules and
``{r, 2D-1-r}`` for the V schedules; every stage runs each micro-batch's
forward once and either one full backward or one input-gradient plus one
weight-gradient backward; and the ranks can run their lists to the end when
each action waits only for its data dependencies (forward of stage g after
forward of g-1; backward of g after backward/input-backward of g+1, or after
forward of g on the last stage; weight backward after input backward of the
same stage and micro-batch).

Output
------
One file per schedule, ``<out>/<Name>.json``::

    {"schedule": ..., "torch_version": ..., "action_format": ...,
     "cases": [{"devices": D, "stages_per_device": v, "micro_batches": M,
                "orders": [[action, ...] per rank]}, ...],
     "rejected": [{"devices": D, "stages_per_device": v, "micro_batches": M,
                   "error": "..."}, ...]}

``orders[r]`` is rank ``r``'s compute actions with idle (``None``) slots and
communication / sharding / gradient-reduction actions dropped.  An action is
``<stage><kind><micro_batch>`` with the global stage index as torch numbers
it and kind F (forward), B (full backward), I (input-gradient backward) or
W (weight-gradient backward); an overlapped pair is ``<a>+<b>``.

Usage::

    python tools/torch_schedule_orders.py --out crates/pipecut-core/tests/data/torch_schedules
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from collections import defaultdict

SCHEDULES = [
    "GPipe",
    "1F1B",
    "Interleaved1F1B",
    "LoopedBFS",
    "InterleavedZeroBubble",
    "ZBVZeroBubble",
    "DualPipeV",
]
MAX_DEVICES = 8
LOOPED_STAGES_PER_DEVICE = (1, 2, 3, 4)
V_SCHEDULES = ("ZBVZeroBubble", "DualPipeV")
ACTION_FORMAT = (
    "<stage><kind><micro_batch>; kind F forward, B full backward, "
    "I input-gradient backward, W weight-gradient backward; "
    "an overlapped pair is '<a>+<b>'"
)
MAX_ERROR_CHARS = 200


def stages_per_device_grid(name: str) -> tuple[int, ...]:
    if name in ("GPipe", "1F1B"):
        return (1,)
    if name in V_SCHEDULES:
        return (2,)
    return LOOPED_STAGES_PER_DEVICE


def stage_to_rank(name: str, devices: int, stages_per_device: int) -> dict[int, int]:
    """The placement the script expects (and checks) for each schedule."""
    n = devices * stages_per_device
    if name in V_SCHEDULES:
        return {g: (g if g < devices else 2 * devices - 1 - g) for g in range(n)}
    return {g: g % devices for g in range(n)}


class _FakeStage:
    """Stand-in for a pipeline stage: only what schedule constructors read."""

    def __init__(self, stage_index: int, num_stages: int, group_size: int, group_rank: int):
        self.stage_index = stage_index
        self.num_stages = num_stages
        self.group_size = group_size
        self.group_rank = group_rank
        self.is_first = stage_index == 0
        self.is_last = stage_index == num_stages - 1
        self.submod = None
        self.stage_index_to_group_rank: dict[int, int] = {}


class _RecordingStage(_FakeStage):
    """A single stage whose step function can run: no P2P, records compute calls."""

    def __init__(self, *args):
        super().__init__(*args)
        self.calls: list[str] = []

    def get_fwd_recv_ops(self, mb):
        return []

    def get_fwd_send_ops(self, mb):
        return []

    def get_bwd_recv_ops(self, mb):
        return []

    def get_bwd_send_ops(self, mb):
        return []

    def release_fwd_send_outputs(self, mb):
        pass

    def forward_one_chunk(self, mb, *args, **kwargs):
        self.calls.append(f"{self.stage_index}F{mb}")
        return None

    def backward_one_chunk(self, mb, *args, **kwargs):
        self.calls.append(f"{self.stage_index}B{mb}")

    def perform_reduce_grad(self, *args, **kwargs):
        pass


def short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    msg = " ".join(text[0].split()) if text else ""
    out = f"{type(exc).__name__}: {msg}"
    if len(out) > MAX_ERROR_CHARS:
        out = out[: MAX_ERROR_CHARS - 3] + "..."
    return out


def format_action(action, compute_kinds) -> str:
    """'<stage><kind><mb>' for a plain action, '<a>+<b>' for OVERLAP_F_B."""
    ctype = action.computation_type
    if action.sub_actions is not None:
        if ctype.value != "OVERLAP_F_B":
            raise AssertionError(f"unexpected compound action {action!r}")
        return "+".join(format_action(a, compute_kinds) for a in action.sub_actions)
    if ctype.value not in compute_kinds:
        raise AssertionError(f"unexpected compute action {action!r}")
    if action.microbatch_index is None:
        raise AssertionError(f"compute action without micro-batch {action!r}")
    return f"{action.stage_index}{ctype.value}{action.microbatch_index}"


def compute_order(actions) -> list[str]:
    """Compute actions of one rank's list, in order; None and non-compute dropped."""
    out = []
    for a in actions:
        if a is None or not a.is_compute_op:
            continue
        out.append(format_action(a, ("F", "B", "I", "W")))
    return out


def build(cls, name: str, devices: int, stages_per_device: int, micro_batches: int):
    """Construct schedule `name` as rank 0 sees it (all ranks' orders are built)."""
    n_stages = devices * stages_per_device
    placement = stage_to_rank(name, devices, stages_per_device)
    local = sorted(g for g, r in placement.items() if r == 0)
    stages = [_FakeStage(g, n_stages, devices, 0) for g in local]
    if name in ("GPipe", "1F1B"):
        return cls(stages[0], micro_batches)
    return cls(stages, micro_batches)


def trace_single_stage(cls, devices: int, micro_batches: int, rank: int) -> list[str]:
    """Run torch's own _step_microbatches for one rank on a recording stage."""
    stage = _RecordingStage(rank, devices, devices, rank)
    sched = cls(stage, micro_batches)
    # Skip shape inference / P2P set-up, which would need real modules and a
    # process group; it does not influence the order of compute calls.
    sched._initialize_stage = lambda *args, **kwargs: None
    sched._step_microbatches()
    return stage.calls


# ---------------------------------------------------------------------------
# Independent checks


def check_case(name, devices, v, m, orders):
    n_stages = devices * v
    placement = stage_to_rank(name, devices, v)

    def parse(tok):
        # tok like "12F3"; stage digits, kind letter, micro-batch digits
        i = 0
        while tok[i].isdigit():
            i += 1
        return int(tok[:i]), tok[i], int(tok[i + 1 :])

    counts = defaultdict(int)
    for r, order in enumerate(orders):
        for entry in order:
            for tok in entry.split("+"):
                s, k, mb = parse(tok)
                if placement[s] != r:
                    raise AssertionError(f"{name} D={devices} v={v} M={m}: {tok} on rank {r}")
                if not 0 <= mb < m:
                    raise AssertionError(f"{name} D={devices} v={v} M={m}: micro-batch of {tok}")
                counts[(s, k, mb)] += 1
    for s in range(n_stages):
        for mb in range(m):
            f, b, i, w = (counts[(s, k, mb)] for k in "FBIW")
            if not (f == 1 and ((b == 1 and i == 0 and w == 0) or (b == 0 and i == 1 and w == 1))):
                raise AssertionError(
                    f"{name} D={devices} v={v} M={m}: stage {s} mb {mb} has F{f} B{b} I{i} W{w}"
                )

    # Dependency replay: each rank runs its list in order; an action may run
    # once its inputs exist.  Every rank must reach its end.
    def ready(tok, done):
        s, k, mb = parse(tok)
        if k == "F":
            return s == 0 or (s - 1, "F", mb) in done
        if k in "BI":
            if (s, "F", mb) not in done:
                return False
            if s == n_stages - 1:
                return True
            return (s + 1, "B", mb) in done or (s + 1, "I", mb) in done
        if k == "W":
            return (s, "I", mb) in done
        raise AssertionError(tok)

    done: set = set()
    pos = [0] * devices
    while not all(pos[r] == len(orders[r]) for r in range(devices)):
        progressed = False
        for r in range(devices):
            if pos[r] == len(orders[r]):
                continue
            # an overlapped pair runs its parts one after the other
            local: set = set()
            for tok in orders[r][pos[r]].split("+"):
                if not ready(tok, done | local):
                    break
                local.add(parse(tok))
            else:
                done |= local
                pos[r] += 1
                progressed = True
        if not progressed:
            raise AssertionError(
                f"{name} D={devices} v={v} M={m}: dependency deadlock at positions {pos}"
            )


# ---------------------------------------------------------------------------


# schedule name -> number of rank rows where pipeline_order differs from execution
table_mismatches: dict = defaultdict(int)


def _shift_forwards_down(order: list[str]) -> list[str]:
    """Known 1F1B table defect: last rank's forwards numbered one too high."""
    out = []
    for tok in order:
        stage, kind, mb = tok.partition("F")
        out.append(f"{stage}F{int(mb) - 1}" if kind else tok)
    return out


def generate(name: str, cls, version: str) -> dict:
    cases = []
    rejected = []
    for devices in range(1, MAX_DEVICES + 1):
        for v in stages_per_device_grid(name):
            for m in range(1, 4 * devices + 1):
                try:
                    sched = build(cls, name, devices, v, m)
                except Exception as exc:  # torch's constraint checks
                    rejected.append(
                        {
                            "devices": devices,
                            "stages_per_device": v,
                            "micro_batches": m,
                            "error": short_error(exc),
                        }
                    )
                    continue
                table = sched.pipeline_order
                if table is None or sorted(table) != list(range(devices)):
                    raise AssertionError(f"{name} D={devices} v={v} M={m}: bad pipeline_order")
                orders = [compute_order(table[r]) for r in range(devices)]

                if name in ("GPipe", "1F1B"):
                    traced = [trace_single_stage(cls, devices, m, r) for r in range(devices)]
                    for r in range(devices):
                        if traced[r] == orders[r]:
                            continue
                        if (
                            name == "1F1B"
                            and r == devices - 1
                            and _shift_forwards_down(orders[r]) == traced[r]
                        ):
                            table_mismatches[name] += 1
                            continue
                        raise AssertionError(
                            f"{name} D={devices} M={m} rank {r}: table {orders[r]} "
                            f"!= step function {traced[r]}"
                        )
                    # what a rank really executes
                    orders = traced
                else:
                    if dict(sched.stage_index_to_group_rank) != stage_to_rank(name, devices, v):
                        raise AssertionError(
                            f"{name} D={devices} v={v} M={m}: torch places stages "
                            f"{dict(sched.stage_index_to_group_rank)}"
                        )
                    lowered = sched.pipeline_order_with_comms
                    for r in range(devices):
                        if compute_order(lowered[r]) != orders[r]:
                            raise AssertionError(
                                f"{name} D={devices} v={v} M={m} rank {r}: "
                                "pipeline_order and pipeline_order_with_comms differ"
                            )

                check_case(name, devices, v, m, orders)
                cases.append(
                    {
                        "devices": devices,
                        "stages_per_device": v,
                        "micro_batches": m,
                        "orders": orders,
                    }
                )
    return {
        "schedule": name,
        "torch_version": version,
        "action_format": ACTION_FORMAT,
        "cases": cases,
        "rejected": rejected,
    }


def dump(doc: dict) -> str:
    """Compact JSON, one case (or rejected entry) per line."""

    def j(x):
        return json.dumps(x, separators=(",", ":"))

    lines = [
        "{" + f'"schedule": {j(doc["schedule"])}, "torch_version": {j(doc["torch_version"])},',
        f' "action_format": {j(doc["action_format"])},',
    ]
    for key, last in (("cases", False), ("rejected", True)):
        items = doc[key]
        if not items:
            lines.append(f' "{key}": []' + ("}" if last else ","))
            continue
        lines.append(f' "{key}": [')
        for i, item in enumerate(items):
            lines.append("  " + j(item) + ("," if i + 1 < len(items) else ""))
        lines.append(" ]" + ("}" if last else ","))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder for <Name>.json")
    parser.add_argument(
        "--schedules", nargs="*", default=SCHEDULES, help="subset of schedule names"
    )
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import torch
    from torch.distributed.pipelining.schedules import get_schedule_class

    version = torch.__version__.split("+")[0]
    os.makedirs(args.out, exist_ok=True)
    for name in args.schedules:
        cls = get_schedule_class(name)
        doc = generate(name, cls, version)
        text = dump(doc)
        if json.loads(text) != doc:
            raise AssertionError("JSON round trip failed")
        path = os.path.join(args.out, f"{name}.json")
        with open(path, "w") as f:
            f.write(text)
        n_bad = table_mismatches[name]
        if n_bad:
            print(
                f"{name}: pipeline_order differs from the step function on the last "
                f"rank in {n_bad} cases (forward micro-batch numbered +1); "
                "wrote the step function's order"
            )
        print(
            f"{name}: {len(doc['cases'])} cases, {len(doc['rejected'])} rejected, "
            f"{len(text.encode())} bytes -> {path}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
