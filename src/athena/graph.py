"""A workflow's DAG as mermaid or graphviz dot text, or a PNG drawn by graphviz's ``dot``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from athena.compile.model import Workflow
from athena.errors import UsageError


def _label(t: Workflow, task_name: str) -> str:
    for k in t.tasks:
        if k.name == task_name:
            extra = " [fan-out]" if k.fan_over is not None else ""
            return f"{k.name}: {k.template}{extra}"
    return task_name


def mermaid(t: Workflow) -> str:
    lines = ["flowchart TD"]
    ids = {k.name: f"n{i}" for i, k in enumerate(t.tasks)}
    for k in t.tasks:
        lines.append(f'    {ids[k.name]}["{_label(t, k.name)}"]')
    prev: str | None = None
    for k in t.tasks:
        if t.steps:
            if prev is not None:
                lines.append(f"    {ids[prev]} --> {ids[k.name]}")
            prev = k.name
            continue
        for d in k.deps:
            if d in ids:
                lines.append(f"    {ids[d]} --> {ids[k.name]}")
    return "\n".join(lines) + "\n"


def dot(t: Workflow) -> str:
    lines = [f'digraph "{t.name}" {{', "    rankdir=TB;", "    node [shape=box];"]
    for k in t.tasks:
        lines.append(f'    "{k.name}" [label="{_label(t, k.name)}"];')
    prev: str | None = None
    for k in t.tasks:
        if t.steps:
            if prev is not None:
                lines.append(f'    "{prev}" -> "{k.name}";')
            prev = k.name
            continue
        for d in k.deps:
            lines.append(f'    "{d}" -> "{k.name}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def png(t: Workflow, out: Path) -> None:
    """Draw ``t`` into ``out`` with graphviz's ``dot``; a missing or failing ``dot`` is a one-line UsageError."""
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError("--format png needs graphviz's `dot` on PATH (apt-get install graphviz); "
                         "use --format dot or mermaid")
    try:
        proc = subprocess.run([exe, "-Tpng", "-o", str(out)], input=dot(t).encode(), capture_output=True,
                              check=False)
    except OSError as exc:
        raise UsageError(f"cannot run graphviz's dot ({exe}): {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        # dot's own words are the useful part (e.g. "Could not open ... for writing"); keep the first line.
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        why = said[0] if said else f"exit code {proc.returncode}"
        raise UsageError(f"graphviz's dot could not draw {out}: {why}")
