"""A ``Workflow`` IR → its Argo DAG (or steps) template: inputs, the return output, tasks and their hooks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from athena.argo import expr
from athena.argo.emit import options, ordering
from athena.argo.emit.common import param, ref, value_params
from athena.argo.emit.settings import EmitSettings
from athena.compile.model import (
    ArmMerge,
    ExternalRef,
    Hook,
    Input,
    Program,
    Sequence,
    Task,
    TaskOut,
    Workflow,
)
from athena.compile.typecheck import ArtifactT


def dag_template(t: Workflow, s: EmitSettings, program: Program) -> dict[str, Any]:
    if t.pause is not None:  # issue 13: athena.suspend() / athena.approval()
        from athena.argo.emit.pause import pause_template

        return pause_template(t.name, t.pause)
    scope: expr.Scope = "steps" if t.steps else "tasks"  # the `steps` option (see options.RULES)
    tmpl: dict[str, Any] = {"name": t.name}
    inputs: dict[str, Any] = {}
    values = value_params(t.params)
    if values:
        inputs["parameters"] = [param(p) for p in values]
    arts = [{"name": p.name} for p in t.params if isinstance(p.type, ArtifactT)]
    if arts:
        inputs["artifacts"] = arts
    if inputs:
        tmpl["inputs"] = inputs
    out = _output(t, scope)
    if out:
        tmpl["outputs"] = {"parameters": [out]}
        art = _artifact_output(t, scope)
        if art:
            tmpl["outputs"]["artifacts"] = [art]
    if t.exports:  # issue 13: a part of a split big DAG
        from athena.argo.emit.split import export_outputs

        export_outputs(t, scope, tmpl.setdefault("outputs", {}))
    tmpl.update(options.fields("dag", t, s))
    tolerated = ordering.depends_mode(t)  # issue 13: `after_any=` needs `depends` for the whole DAG
    tasks = [_task(task, scope, s, program, tolerated) for task in t.tasks]
    if t.steps:
        tmpl["steps"] = ordering.step_groups(t, tasks)
    else:
        tmpl["dag"] = {"tasks": tasks}
    return tmpl


def _output(t: Workflow, scope: expr.Scope) -> dict[str, Any] | None:
    # One text for emit and the in-process runner (which evaluates exactly this valueFrom).
    vf = expr.dag_output(t.result, t.returns, t.synthetic, scope)
    return None if vf is None else {"name": "return", "valueFrom": vf}


def _artifact_output(t: Workflow, scope: expr.Scope) -> dict[str, Any] | None:
    if not isinstance(t.returns, ArtifactT):
        return None
    r = t.result
    if isinstance(r, ArmMerge):
        return {"name": "return", "fromExpression": expr.arm_merge_expression(r.arms, "artifacts")}
    if isinstance(r, (TaskOut, Input)):
        return {"name": "return", "from": expr.artifact_ref(r, scope)}
    return None


def _task(task: Task, scope: expr.Scope, s: EmitSettings, program: Program,
          tolerated: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"name": task.name, "templateRef": ref(task.template, s) if task.external is None else
                         external_ref(task.external)}
    callee = program.templates.get(task.template)
    artifact_params = {p.name for p in callee.params if isinstance(p.type, ArtifactT)} if callee else set()
    params = [{"name": n, "value": expr.param_value(a, scope)} for n, a in task.args if n not in artifact_params]
    arts = [{"name": n, "from": expr.artifact_ref(a, scope)} for n, a in task.args if n in artifact_params]
    if params or arts:
        d["arguments"] = {}
        if params:
            d["arguments"]["parameters"] = params
        if arts:
            d["arguments"]["artifacts"] = arts
    if tolerated is not None:
        text = ordering.depends_text(task, tolerated)
        if text:
            d["depends"] = text
    elif task.deps and scope == "tasks":
        d["dependencies"] = sorted(set(task.deps))
    if task.when is not None:
        d["when"] = expr.when(task.when, scope)
    if isinstance(task.fan_over, Sequence):  # range(n) (issue 13)
        d["withSequence"] = expr.with_sequence(task.fan_over, scope)
    elif task.fan_over is not None:
        d["withParam"] = expr.with_param(task.fan_over, scope)
    if task.continue_on and tolerated is None:
        d["continueOn"] = {k: True for k in task.continue_on}
    if task.hooks:
        d["hooks"] = _hooks(task, task.hooks, scope, s)
    return d


def _hooks(task: Task, hooks: Iterable[Hook], scope: expr.Scope, s: EmitSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    n = 0
    status = {"success": "Succeeded", "failure": "Failed", "error": "Error"}
    for h in hooks:
        body: dict[str, Any] = {"templateRef": ref(h.template, s)}
        if h.args:
            body["arguments"] = {"parameters": [{"name": k, "value": expr.param_value(a, scope)} for k, a in h.args]}
        if h.kind == "exit":
            out["exit"] = body
            continue
        n += 1
        if h.kind == "expr":
            body["expression"] = expr.hook_expression(h.expression or "", task.name, scope)
        else:
            body["expression"] = expr.status_expression(task.name, status[h.kind], scope)
        out[f"hook{n}"] = body
    return out


def external_ref(e: ExternalRef) -> dict[str, Any]:
    """Issue 13: the templateRef of an external template (its name is not athena's: no name tag)."""
    out: dict[str, Any] = {"name": e.name, "template": e.template}
    if e.cluster_scope:
        out["clusterScope"] = True
    return out
