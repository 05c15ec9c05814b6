"""The run record under ``.athena/runs/<name>/``: ``run.json`` (phase, arguments, every node with its inputs,
outputs, timings and log file) beside ``logs/<node>.log`` (each step's stdout and stderr)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from athena.local.run.nodes import Node

__all__ = ["write_record"]


def write_record(workdir: Path, *, name: str, entry: str, phase: str, message: str | None,
                 arguments: Mapping[str, str], outputs: Mapping[str, str], nodes: Sequence[Node],
                 argo_version: str, runtime: str, notes: Sequence[str]) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    data = {
        "name": name, "entry": entry, "phase": phase, "message": message, "arguments": dict(arguments),
        "outputs": dict(outputs), "argo_version": argo_version, "runtime": runtime, "portability": list(notes),
        "nodes": [{
            "name": n.name, "display_name": n.display_name, "template": n.template, "type": n.kind,
            "parent": n.parent, "phase": n.phase, "message": n.message, "inputs": n.inputs,
            "outputs": n.shown_outputs(), "artifacts": n.artifacts, "attempts": n.attempts, "started": n.started,
            "finished": n.finished, "log": n.log,
        } for n in nodes],
    }
    path = workdir / "run.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
