"""`plan`, `simulate`, `compare`, the exports and the harness callback."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipecut

from conftest import write_chain


@pytest.fixture(scope="module")
def llama() -> pipecut.Chain:
    return pipecut.Chain.from_model("llama3-8b")


def test_plan_fields_and_exports(llama: pipecut.Chain) -> None:
    plan = pipecut.plan(llama, 4, micro_batches=16)
    assert plan.stages == 4 and plan.devices == 4 and plan.starts[0] == 0
    assert plan.algorithm == pipecut.DEFAULT_ALGORITHM
    parts = plan.to_torchtitan()
    assert [name for part in parts for name in part] == llama.names
    assert [llama.names.index(part[0]) for part in parts] == plan.starts
    assert plan.stage_names == parts
    assert len(plan.stage_times) == 4 and max(plan.stage_times) == pytest.approx(plan.bottleneck)
    assert sum(plan.stage_memory) == sum(plan.device_memory)
    assert plan.step_time > 0 and 0 <= plan.bubble < 1
    assert plan.status in {"optimal", "feasible", "heuristic"}
    assert plan.to_megatron().count("|") == 3
    assert plan.to_deepspeed()[0] == 0
    assert plan.to_dict()["starts"] == plan.starts
    assert "module_fqns_per_model_part" in plan.to_torchtitan_toml()
    assert "stage" in str(plan)


def test_plan_matches_the_cli(llama: pipecut.Chain, cli, tmp_path: Path) -> None:
    path = tmp_path / "llama.json"
    llama.save(path)
    for schedule, stages, v in [("1f1b", 4, 1), ("interleaved-1f1b", 8, 2), ("zbv-zero-bubble", 8, 2)]:
        mine = pipecut.plan(llama, stages, schedule=schedule, virtual_stages=v, micro_batches=8)
        theirs = cli("plan", "--chain", str(path), "--stages", str(stages), "--schedule", schedule,
                     "--virtual-stages", str(v), "--micro-batches", "8", "--format", "json")
        assert mine.starts == theirs["starts"], schedule
        assert mine.step_time == pytest.approx(theirs["step_time"], rel=1e-12)


def test_simulate_reproduces_a_plan(llama: pipecut.Chain) -> None:
    plan = pipecut.plan(llama, 4, micro_batches=8, timeline=True)
    again = pipecut.simulate(llama, plan.starts, micro_batches=8)
    assert again.algorithm == "given" and again.step_time == plan.step_time
    assert plan.gantt_svg().startswith("<svg")


def test_memory_cap_and_looped_defaults(llama: pipecut.Chain) -> None:
    capped = pipecut.plan(llama, 4, memory_cap="80GiB")
    assert capped.fits_memory and capped.peak_memory <= 80 * 2**30
    looped = pipecut.plan(llama, 8, schedule="Interleaved1F1B", micro_batches=8)
    assert looped.devices == 4 and looped.stage_devices == [0, 1, 2, 3, 0, 1, 2, 3]


def test_compare_ranks_by_step_time(llama: pipecut.Chain) -> None:
    rows = pipecut.compare(llama, 4, algorithms=["uniform", "torchtitan", pipecut.DEFAULT_ALGORITHM])
    assert len(rows) == 3
    times = [r["step_time"] for r in rows if r["state"] == "solved"]
    assert times == sorted(times)


def test_algorithms_list_the_default() -> None:
    rows = pipecut.algorithms()
    assert sum(r["default"] for r in rows) == 1
    assert any(r["name"] == pipecut.DEFAULT_ALGORITHM and r["default"] for r in rows)


def test_run_suite_reports_progress(tmp_path: Path) -> None:
    chains = tmp_path / "chains"
    chains.mkdir()
    write_chain(chains / "toy.json", [{"name": f"l{i}", "forward": 1 + i % 3, "backward": 2} for i in range(12)])
    calls = []
    report = pipecut.run_suite("chains", chains=chains, algorithms=["uniform", "greedy"],
                               progress=lambda done, total: calls.append((done, total)),
                               out=tmp_path / "out", formats=["json"])
    total = len(report["problems"])
    assert total > 0 and calls[-1] == (total, total)
    assert [d for d, _ in calls] == list(range(1, total + 1))
    assert any((tmp_path / "out").iterdir())


def test_a_failing_callback_raises_after_the_run(tmp_path: Path) -> None:
    chains = tmp_path / "chains"
    chains.mkdir()
    write_chain(chains / "toy.json", [{"name": f"l{i}", "forward": 1, "backward": 2} for i in range(8)])

    def boom(done: int, total: int) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        pipecut.run_suite("chains", chains=chains, algorithms=["uniform"], progress=boom)
