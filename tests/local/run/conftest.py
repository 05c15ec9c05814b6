"""Helpers: run a hand-written Argo YAML snippet with ``athena run``'s engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from athena.local.run import RunOptions, RunResult, run_workflow


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., RunResult]:
    def go(text: str, entry: str | None = None, arguments: dict[str, str] | None = None, **opts: Any) -> RunResult:
        docs = [d for d in yaml.safe_load_all(text) if d]
        name = entry or docs[-1]["metadata"]["name"]
        opts.setdefault("workdir", tmp_path / "record")
        opts.setdefault("time_scale", 0.01)
        return run_workflow(docs, name, arguments or {}, RunOptions(**opts))

    return go


def node(result: RunResult, display: str) -> Any:
    found = [n for n in result.nodes if n.display_name == display]
    assert found, f"no node {display}: {[n.display_name for n in result.nodes]}"
    return found[0]
