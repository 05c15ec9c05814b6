"""A workflow's DAG as mermaid or graphviz dot text."""

from __future__ import annotations

from athena.compile.model import Workflow


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
