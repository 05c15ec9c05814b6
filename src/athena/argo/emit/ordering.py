"""Issue 13 (ordering): steps groups from ``with athena.parallel():`` and the ``depends`` form of a DAG that
uses ``after_any=``."""

from __future__ import annotations

from typing import Any

from athena.argo import expr
from athena.compile.model import Task, Workflow


def step_groups(wf: Workflow, steps: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """One inner list per group: consecutive tasks of one ``with athena.parallel():`` block share one."""
    groups: list[list[dict[str, Any]]] = []
    last = 0
    for task, step in zip(wf.tasks, steps, strict=True):
        if task.group and task.group == last:
            groups[-1].append(step)
        else:
            groups.append([step])
        last = task.group
    return groups


def depends_mode(wf: Workflow) -> dict[str, tuple[str, ...]] | None:
    """Each task's ``continue_on`` when ``wf`` is written with ``depends`` (some task uses ``after_any=``), else
    ``None``. Argo rejects ``dependencies`` and ``depends`` in one DAG, and ``continueOn`` next to ``depends``,
    so a ``continue_on`` task's tolerance moves into its dependents' ``depends`` (what Argo itself expands
    ``dependencies`` into)."""
    if wf.steps or not any(t.after_any for t in wf.tasks):
        return None
    return {t.name: t.continue_on for t in wf.tasks}


def depends_text(task: Task, tolerated: dict[str, tuple[str, ...]], *, expand: bool = False) -> str:
    return expr.depends([(n, tolerated.get(n, ())) for n in task.deps], task.after_any, expand=expand)
