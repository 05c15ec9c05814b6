"""A workflow's DAG as mermaid or graphviz dot text, or a PNG drawn by graphviz's ``dot``.

Given the program, an if/else is drawn as the user wrote it rather than as the synthetic wrapper athena emits
for it: a decision node, one edge per arm labelled with its condition (``if``/``elif``/``else``), and the
tasks each arm runs; what follows the if/else depends on the last tasks of every arm.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from athena.compile.model import (
    Arg,
    BoolOp,
    Compare,
    Cond,
    InLits,
    Input,
    IsNone,
    Item,
    Lit,
    Not,
    Program,
    Task,
    TaskOut,
    Truth,
    Workflow,
)
from athena.errors import UsageError

__all__ = ["dot", "mermaid", "png"]


@dataclass
class _Graph:
    nodes: list[tuple[str, str, bool]] = field(default_factory=list)  # (id, label, is a decision)
    edges: list[tuple[str, str, str | None]] = field(default_factory=list)  # (from, to, label)

    def node(self, label: str, decision: bool = False) -> str:
        nid = f"n{len(self.nodes)}"
        self.nodes.append((nid, label, decision))
        return nid


def _path(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p!r}]" for p in path)


def _arg(a: Arg, env: dict[str, str]) -> str:
    if isinstance(a, Lit):
        return repr(a.value)
    if isinstance(a, Input):
        return env.get(a.name, a.name) + _path(a.path)
    if isinstance(a, TaskOut):
        return a.task + _path(a.path)
    if isinstance(a, Item):
        return "item" + _path(a.path)
    return type(a).__name__.lower()  # a record, f-string or workflow fact (issue 13): computed at run time


def _cond(c: Cond, env: dict[str, str]) -> str:
    if isinstance(c, Compare):
        return f"{_arg(c.left, env)} {c.op} {_arg(c.right, env)}"
    if isinstance(c, IsNone):
        return f"{_arg(c.arg, env)} is {'not ' if c.negated else ''}None"
    if isinstance(c, InLits):
        return f"{_arg(c.arg, env)} {'not in' if c.negated else 'in'} {tuple(c.values)!r}"
    if isinstance(c, Truth):
        return _arg(c.arg, env)
    if isinstance(c, Not):
        inner = _cond(c.inner, env)
        return f"not {inner}" if isinstance(c.inner, Truth) else f"not ({inner})"
    assert isinstance(c, BoolOp)
    return f" {c.op} ".join(f"({_cond(i, env)})" if isinstance(i, BoolOp) else _cond(i, env) for i in c.items)


_ARM = re.compile(r"arm(\d+)$")


def _arm_labels(wrapper: Workflow, env: dict[str, str]) -> list[str]:
    """``if X`` / ``elif Y`` / ``else`` per arm task. Arm ``j``'s condition is ``not c0 and ... and not c(j-1)``
    followed by its own test (none for ``else``); an arm with no tasks is not emitted, so a gap before an arm
    shows its whole condition instead."""
    labels: list[str] = []
    for pos, task in enumerate(wrapper.tasks):
        m = _ARM.match(task.name)
        when = task.when
        if m is None or when is None:
            labels.append(_cond(when, env) if when is not None else "")
            continue
        j = int(m.group(1))
        parts = list(when.items) if j > 0 and isinstance(when, BoolOp) and when.op == "and" else [when]
        own = parts[j] if len(parts) == j + 1 else None
        if j == 0:
            labels.append(f"if {_cond(when, env)}")
        elif pos != j:  # an earlier arm was empty: the negations are not visible elsewhere
            labels.append(_cond(when, env))
        else:
            labels.append(f"elif {_cond(own, env)}" if own is not None else "else")
    return labels


def _is_if(t: Workflow | None) -> bool:
    return t is not None and t.synthetic and bool(t.tasks) and all(k.when is not None for k in t.tasks)


def _workflow_of(program: Program | None, name: str) -> Workflow | None:
    t = program.templates.get(name) if program is not None else None
    return t if isinstance(t, Workflow) else None


def _label(k: Task) -> str:
    return f"{k.name}: {k.template}{' [fan-out]' if k.fan_over is not None else ''}"


def _draw(g: _Graph, t: Workflow, program: Program | None, env: dict[str, str]) -> tuple[list[str], list[str]]:
    """Draw ``t``'s tasks into ``g``; returns its entry and exit node ids (for the edges around it)."""
    ends: dict[str, tuple[list[str], list[str]]] = {}
    for k in t.tasks:
        wrapper = _workflow_of(program, k.template) if k.fan_over is None else None
        if wrapper is None or not _is_if(wrapper):
            nid = g.node(_label(k))
            ends[k.name] = ([nid], [nid])
            continue
        inner_env = {n: _arg(a, env) for n, a in k.args}
        decision = g.node(k.name if wrapper.result is None else f"{k.name} = if", decision=True)
        exits: list[str] = []
        for arm, label in zip(wrapper.tasks, _arm_labels(wrapper, inner_env), strict=True):
            arm_flow = _workflow_of(program, arm.template)
            if arm_flow is not None and arm_flow.synthetic and arm.fan_over is None:
                arm_env = {n: _arg(a, inner_env) for n, a in arm.args}
                arm_entries, arm_exits = _draw(g, arm_flow, program, arm_env)
            else:
                nid = g.node(_label(arm))
                arm_entries, arm_exits = [nid], [nid]
            g.edges.extend((decision, e, label) for e in arm_entries)
            exits.extend(arm_exits)
        ends[k.name] = ([decision], exits or [decision])
    entries: list[str] = []
    prev: str | None = None
    depended: set[str] = set()
    for k in t.tasks:
        preds = ([prev] if prev is not None else []) if t.steps else [d for d in k.deps if d in ends]
        for p in preds:
            g.edges.extend((x, e, None) for x in ends[p][1] for e in ends[k.name][0])
        if not preds:
            entries.extend(ends[k.name][0])
        depended.update(preds)
        prev = k.name
    exits = [x for k in t.tasks if k.name not in depended for x in ends[k.name][1]]
    return entries, exits


def _graph(t: Workflow, program: Program | None) -> _Graph:
    g = _Graph()
    _draw(g, t, program, {})
    return g


def mermaid(t: Workflow, program: Program | None = None) -> str:
    """``t`` as a mermaid flowchart; with ``program``, each if/else is drawn as its arms."""
    g = _graph(t, program)
    lines = ["flowchart TD"]
    for nid, label, decision in g.nodes:
        text = label.replace('"', "#quot;")
        lines.append(f'    {nid}{{"{text}"}}' if decision else f'    {nid}["{text}"]')
    for a, b, edge in g.edges:
        lines.append(f'    {a} -->|"{edge.replace(chr(34), "#quot;")}"| {b}' if edge else f"    {a} --> {b}")
    return "\n".join(lines) + "\n"


def dot(t: Workflow, program: Program | None = None) -> str:
    """``t`` as a graphviz digraph; with ``program``, each if/else is drawn as its arms."""
    g = _graph(t, program)

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {q(t.name)} {{", "    rankdir=TB;", "    node [shape=box];"]
    for nid, label, decision in g.nodes:
        lines.append(f"    {nid} [label={q(label)}{', shape=diamond' if decision else ''}];")
    for a, b, edge in g.edges:
        lines.append(f"    {a} -> {b}{f' [label={q(edge)}]' if edge else ''};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def png(t: Workflow, out: Path, program: Program | None = None) -> None:
    """Draw ``t`` into ``out`` with graphviz's ``dot``; a missing or failing ``dot`` is a one-line UsageError."""
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError("--format png needs graphviz's `dot` on PATH (apt-get install graphviz); "
                         "use --format dot or mermaid")
    try:
        proc = subprocess.run([exe, "-Tpng", "-o", str(out)], input=dot(t, program).encode(), capture_output=True,
                              check=False)
    except OSError as exc:
        raise UsageError(f"cannot run graphviz's dot ({exe}): {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        # dot's own words are the useful part (e.g. "Could not open ... for writing"); keep the first line.
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        why = said[0] if said else f"exit code {proc.returncode}"
        raise UsageError(f"graphviz's dot could not draw {out}: {why}")
