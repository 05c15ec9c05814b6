"""What Argo's validation and (from 4.0) the full CRDs' admission rules reject before anything runs, and what a
local run does not honour (the portability notes).

Facts (reference/argo-semantics.md §3, ``argo@v4.1.2:workflow/validate/validate.go``,
``pkg/apis/workflow/v1alpha1/workflow_types.go``): on every line a DAG may not use both ``depends`` and
``dependencies``, nor ``continueOn`` once ``depends`` is used; the v4 CRDs allow at most 200 templates per object,
200 tasks per DAG and 500 input parameters per template, and no ``timeout``/``activeDeadlineSeconds`` on dag/steps
templates. On every line an object's own ``spec.arguments`` parameter with an ``enum`` must hold a value from it
(``validate.go:1035-1048`` ``validateArgumentsValues``); a value given at submit is a new parameter without the
enum (``workflow/util/util.go`` ``overrideParameters``) and is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from athena.argo import facts
from athena.local.run.model import RunOptions

__all__ = ["admission_problems", "portability_notes"]


def admission_problems(documents: Sequence[Mapping[str, Any]], version: facts.ArgoVersion) -> list[str]:
    out: list[str] = []
    v4 = version.major >= 4
    for doc in documents:
        if not isinstance(doc, Mapping) or doc.get("kind") not in ("Workflow", "WorkflowTemplate",
                                                                   "ClusterWorkflowTemplate"):
            continue
        meta = doc.get("metadata") or {}
        where = f"{doc.get('kind')} {meta.get('name') or meta.get('generateName') or '?'}"
        for p in ((doc.get("spec") or {}).get("arguments") or {}).get("parameters") or []:
            enum = p.get("enum") if isinstance(p, Mapping) else None
            if enum is None:
                continue
            pname = f"spec.arguments.{p.get('name')}"
            if not enum:
                out.append(f"{where}: {pname}.enum should contain at least one value")
            elif p.get("value") is not None and _text(p["value"]) not in [_text(e) for e in enum]:
                out.append(f"{where}: {pname}.value should be present in {pname}.enum list "
                           f"({_text(p['value'])!r} is not one of {', '.join(_text(e) for e in enum)})")
        templates = (doc.get("spec") or {}).get("templates") or []
        if v4 and len(templates) > facts.MAX_TEMPLATES:
            out.append(f"{where}: {len(templates)} templates, above Argo 4's limit of {facts.MAX_TEMPLATES}")
        for t in templates:
            tname = f"{where} template {t.get('name')}"
            inputs = (t.get("inputs") or {}).get("parameters") or []
            if v4 and len(inputs) > facts.MAX_INPUT_PARAMS:
                out.append(f"{tname}: {len(inputs)} input parameters, above Argo 4's limit of "
                           f"{facts.MAX_INPUT_PARAMS}")
            if v4 and ("dag" in t or "steps" in t):
                for f in ("timeout", "activeDeadlineSeconds"):
                    if t.get(f) is not None:
                        out.append(f"{tname}: `{f}` is only valid on leaf templates (Argo 4 admission)")
            dag = t.get("dag")
            if isinstance(dag, Mapping):
                tasks = dag.get("tasks") or []
                if v4 and len(tasks) > facts.MAX_DAG_TASKS:
                    out.append(f"{tname}: {len(tasks)} DAG tasks, above Argo 4's limit of {facts.MAX_DAG_TASKS}")
                uses_depends = any(x.get("depends") for x in tasks)
                if uses_depends and any(x.get("dependencies") for x in tasks):
                    out.append(f"{tname}: cannot use both 'depends' and 'dependencies' in the same DAG template")
                if uses_depends and any(x.get("continueOn") for x in tasks):
                    out.append(f"{tname}: cannot use 'continueOn' when using 'depends'. Instead use "
                               "'dep-task.Failed'/'dep-task.Errored'")
    return out


def _text(v: Any) -> str:
    """A parameter value as Argo's ``AnyString`` reads it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


_IGNORED = ("resources", "nodeSelector", "tolerations", "affinity", "synchronization", "priorityClassName",
            "podSpecPatch", "metrics", "memoize", "volumes", "securityContext", "serviceAccountName")


def portability_notes(documents: Sequence[Mapping[str, Any]], options: RunOptions) -> list[str]:
    """Each field of the YAML a local run approximates or ignores, once."""
    seen: list[str] = []

    def note(text: str) -> None:
        if text not in seen:
            seen.append(text)

    def walk(v: Any, path: str) -> None:
        if isinstance(v, Mapping):
            for k, x in v.items():
                if k in _IGNORED and options.runtime == "process":
                    note(f"{k}: ignored by --runtime process")
                elif k in ("nodeSelector", "tolerations", "affinity", "synchronization", "priorityClassName"):
                    note(f"{k}: ignored (cluster scheduling)")
                if k == "retryStrategy" and options.time_scale != 1.0:
                    note(f"retryStrategy backoff: waits scaled by {options.time_scale:g}")
                if k in ("timeout", "activeDeadlineSeconds") and options.time_scale != 1.0:
                    note(f"{k}: scaled by {options.time_scale:g}")
                if k == "duration" and options.time_scale != 1.0 and "suspend" in path:
                    note(f"suspend duration: scaled by {options.time_scale:g}")
                walk(x, f"{path}.{k}")
        elif isinstance(v, list):
            for x in v:
                walk(x, path)

    walk(list(documents), "")
    return seen
