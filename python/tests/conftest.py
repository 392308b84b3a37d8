"""Shared fixtures: the repository root and the pipecut command-line binary
(for comparing the Python package with the CLI on the same input)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, List

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _find_cli() -> "str | None":
    explicit = os.environ.get("PIPECUT_CLI")
    if explicit:
        return explicit
    # The newest build: a stale one may predate the package under test.
    built = [ROOT / "target" / b / "pipecut" for b in ("release", "debug")]
    built = [p for p in built if p.exists()]
    if built:
        return str(max(built, key=lambda p: p.stat().st_mtime))
    return shutil.which("pipecut")


@pytest.fixture(scope="session")
def cli() -> Callable[..., Any]:
    """Runs the CLI with the given arguments and returns its parsed JSON
    output; skips (visibly) when no binary has been built."""
    binary = _find_cli()
    if binary is None:
        pytest.skip("no pipecut CLI binary (run `cargo build --release` or set PIPECUT_CLI)")

    def run(*args: str) -> Any:
        out = subprocess.run(
            [binary, *args], capture_output=True, text=True, check=False
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    return run


def write_chain(path: Path, layers: List[dict]) -> Path:
    path.write_text(json.dumps({"name": "t", "unit": "s", "layers": layers}))
    return path
