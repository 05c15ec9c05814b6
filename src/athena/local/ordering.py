"""Issue 13 (ordering) in-process: which tasks Argo omits, and whether an omitted last task fails its DAG.

A task runs when the ``depends`` text the emitter writes for it holds (``dependencies`` are the same text with
bare names, as Argo expands them); it is evaluated with Argo's expression rules over each dependency's
results. Otherwise the task is Omitted, and so are the tasks waiting for it (Argo's cascade).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from athena.argo.emit.ordering import depends_text
from athena.compile.model import Workflow
from athena.errors import AthenaError, WorkflowFailed
from athena.local.argo.context import NodeResult
from athena.local.argo.evaluate import evaluate

_FAILED = ("Failed", "Error")


def _results(node: NodeResult) -> dict[str, Any]:
    kids = node.children
    return {
        "Succeeded": node.phase == "Succeeded", "Failed": node.phase == "Failed", "Errored": node.phase == "Error",
        "Skipped": node.phase == "Skipped", "Omitted": node.phase == "Omitted", "Daemoned": False,
        "AnySucceeded": any(k.phase == "Succeeded" for k in kids),
        "AllFailed": bool(kids) and all(k.phase in _FAILED for k in kids),
    }


def omitted(wf: Workflow, name: str, nodes: Mapping[str, NodeResult]) -> bool:
    """Whether Argo omits task ``name`` of ``wf`` given the nodes so far (all its dependencies ran earlier)."""
    task = next(t for t in wf.tasks if t.name == name)
    waited = [n for n in (*task.deps, *task.after_any) if n in nodes]
    if all(nodes[n].phase == "Succeeded" for n in waited):
        return False  # the common case: nothing to evaluate
    tolerated = {t.name: t.continue_on for t in wf.tasks}
    text = depends_text(task, tolerated, expand=True)
    # Argo evaluates `depends` with `-` in task names read as `_` (dag.go evaluateDependsLogic).
    env = {n.replace("-", "_"): _results(nodes[n]) for n in waited}
    return evaluate(text.replace("-", "_"), env) is not True


def check_omitted_targets(wf: Workflow, nodes: Mapping[str, NodeResult]) -> None:
    """An omitted last task takes the phase of the branch that led to it, failures first (Argo's
    assessDAGPhase): all of an ``after_any=`` list failing under ``continue_on`` fails the workflow."""
    branch: dict[str, str] = {}
    for t in wf.tasks:
        node = nodes.get(t.name)
        if node is None:
            continue
        if node.phase != "Omitted":
            branch[t.name] = node.phase
            continue
        parents = [branch[n] for n in (*t.deps, *t.after_any) if n in branch]
        branch[t.name] = next((p for p in parents if p in _FAILED), "Succeeded")
    waited = {d for t in wf.tasks for d in (*t.deps, *t.after_any)}
    by_name = {t.name: t for t in wf.tasks}
    for t in wf.tasks:
        if t.name not in waited and nodes.get(t.name, NodeResult("Succeeded")).phase == "Omitted" \
                and branch.get(t.name) in _FAILED:
            # name the task whose own condition failed, not the last one of the cascade
            origin = t
            while True:
                up = next((by_name[n] for n in (*origin.deps, *origin.after_any)
                           if n in nodes and nodes[n].phase == "Omitted"), None)
                if up is None:
                    break
                origin = up
            listed = ", ".join(origin.after_any) or ", ".join(origin.deps)
            tail = "" if origin is t else f" (and `{t.name}`, which waits for it)"
            raise WorkflowFailed(origin.name, origin.template, AthenaError(
                f"omitted: none of after_any=[{listed}] succeeded, so this task{tail} never ran; its branch "
                "failed, so Argo fails the workflow"))
