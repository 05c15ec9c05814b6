"""The documents of a run: which one is the submitted root, its spec, and template resolution.

Facts (reference/argo-semantics.md §15, ``argo@v4.1.2:workflow/templateresolution/context.go``): a plain
``template: name`` resolves in the WorkflowTemplate the calling template came from; ``templateRef: {name,
template, clusterScope}`` fetches one template of another WorkflowTemplate (ClusterWorkflowTemplate with
``clusterScope``) and nothing else of it; the spec-level fields (``arguments``, ``hooks``, ``onExit``,
``parallelism``, ``activeDeadlineSeconds``, ``retryStrategy``, ``templateDefaults``, ...) are the submitted root's
only. A Workflow with ``workflowTemplateRef`` is the template's spec with the Workflow's spec merged over it and
the arguments merged by name (the Workflow wins).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from athena.errors import AthenaError

__all__ = ["Documents", "Root", "RunError", "TemplateScope"]

_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate")


class RunError(AthenaError):
    """The documents cannot be run (a user error: bad YAML, an unknown templateRef, a missing argument)."""


@dataclass(frozen=True)
class TemplateScope:
    """The document a template came from: plain ``template:`` names resolve among its templates."""

    kind: str
    name: str
    templates: Mapping[str, Mapping[str, Any]]


@dataclass
class Root:
    """The submitted workflow: its spec (merged with a referenced WorkflowTemplate's) and where its entrypoint
    resolves."""

    name: str  # the name generated workflow names start with
    spec: dict[str, Any]
    scope: TemplateScope
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


def _name(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    return str(meta.get("name") or str(meta.get("generateName") or "").rstrip("-") or "")


class Documents:
    """Every Argo document of the run, by kind and name."""

    def __init__(self, documents: Sequence[Mapping[str, Any]]) -> None:
        self.by_kind: dict[str, dict[str, Mapping[str, Any]]] = {k: {} for k in _KINDS}
        for i, doc in enumerate(documents):
            if not isinstance(doc, Mapping):
                raise RunError(f"document {i + 1} is not a mapping (a YAML object); is this Argo YAML?")
            kind = doc.get("kind")
            if kind not in _KINDS:
                continue  # ConfigMaps, CronWorkflows and the like are not run
            name = _name(doc)
            if not name:
                raise RunError(f"document {i + 1} ({kind}) has no metadata.name")
            spec = doc.get("spec")
            if not isinstance(spec, Mapping):
                raise RunError(f"{kind} {name} has no spec")
            self.by_kind[str(kind)][name] = doc
        self.scopes: dict[tuple[str, str], TemplateScope] = {}
        for kind, docs in self.by_kind.items():
            for name, doc in docs.items():
                templates: dict[str, Mapping[str, Any]] = {}
                for t in doc["spec"].get("templates") or []:
                    if not isinstance(t, Mapping) or not t.get("name"):
                        raise RunError(f"{kind} {name}: a template without a name")
                    templates[str(t["name"])] = t
                self.scopes[(kind, name)] = TemplateScope(kind, name, templates)

    def root(self, entry: str) -> Root:
        """The submitted root named ``entry``: a Workflow document (by name or generateName) or a WorkflowTemplate
        submitted as a Workflow with ``workflowTemplateRef`` would be."""
        wf = self.by_kind["Workflow"].get(entry)
        if wf is not None:
            return self._workflow_root(entry, wf)
        if entry in self.by_kind["WorkflowTemplate"]:
            return self._template_root(entry, "WorkflowTemplate", {})
        if entry in self.by_kind["ClusterWorkflowTemplate"]:
            return self._template_root(entry, "ClusterWorkflowTemplate", {})
        known = sorted({*self.by_kind["Workflow"], *self.by_kind["WorkflowTemplate"]})
        import difflib

        close = difflib.get_close_matches(entry, known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else f" (known: {', '.join(known) or 'none'})"
        raise RunError(f"no Workflow or WorkflowTemplate named `{entry}` in the documents{hint}")

    def _template_root(self, name: str, kind: str, over: Mapping[str, Any]) -> Root:
        doc = self.by_kind[kind][name]
        spec = copy.deepcopy(dict(doc["spec"]))
        args = _merge_arguments((spec.get("arguments") or {}), over.get("arguments") or {})
        for k, v in over.items():
            if k not in ("arguments", "workflowTemplateRef"):
                spec[k] = copy.deepcopy(v)
        spec["arguments"] = args
        meta = doc.get("metadata") or {}
        return Root(name, spec, self.scopes[(kind, name)], dict(meta.get("labels") or {}),
                    dict(meta.get("annotations") or {}))

    def _workflow_root(self, name: str, wf: Mapping[str, Any]) -> Root:
        spec = wf["spec"]
        ref = spec.get("workflowTemplateRef")
        if ref:
            kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
            target = str(ref.get("name") or "")
            if target not in self.by_kind[kind]:
                raise RunError(f"Workflow {name}: workflowTemplateRef {kind} `{target}` is not among the documents "
                               "(pass its YAML with --file)")
            if spec.get("templates"):
                raise RunError(f"Workflow {name}: a Workflow with workflowTemplateRef cannot define templates")
            root = self._template_root(target, kind, spec)
            root.name = name
            return root
        meta = wf.get("metadata") or {}
        return Root(name, copy.deepcopy(dict(spec)), self.scopes[("Workflow", name)],
                    dict(meta.get("labels") or {}), dict(meta.get("annotations") or {}))

    def resolve(self, holder: Mapping[str, Any], scope: TemplateScope,
                where: str) -> tuple[dict[str, Any], TemplateScope]:
        """The template a task, step or hook (``holder``) calls, and the scope its own references resolve in."""
        if holder.get("inline"):
            return copy.deepcopy(dict(holder["inline"])), scope
        ref = holder.get("templateRef")
        if ref:
            kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
            name, tname = str(ref.get("name") or ""), str(ref.get("template") or "")
            target = self.scopes.get((kind, name))
            if target is None:
                raise RunError(f"{where}: templateRef {kind} `{name}` is not among the documents (pass its YAML "
                               "with --file)")
            t = target.templates.get(tname)
            if t is None:
                raise RunError(f"{where}: {kind} `{name}` has no template `{tname}` "
                               f"(it has: {', '.join(target.templates) or 'none'})")
            return copy.deepcopy(dict(t)), target
        tname = str(holder.get("template") or "")
        if not tname:
            raise RunError(f"{where}: neither template, templateRef nor inline is set")
        t = scope.templates.get(tname)
        if t is None:
            raise RunError(f"{where}: template `{tname}` not found in {scope.kind} {scope.name} "
                           f"(it has: {', '.join(scope.templates) or 'none'})")
        return copy.deepcopy(dict(t)), scope


def _merge_arguments(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("parameters", "artifacts"):
        merged: dict[str, Any] = {}
        for p in base.get(kind) or []:
            merged[str(p.get("name"))] = copy.deepcopy(dict(p))
        for p in over.get(kind) or []:
            merged[str(p.get("name"))] = {**merged.get(str(p.get("name")), {}), **copy.deepcopy(dict(p))}
        if merged:
            out[kind] = list(merged.values())
    return out


def apply_defaults(tmpl: dict[str, Any], defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    """``spec.templateDefaults`` under the template: the template's own fields win (a deep merge of maps)."""
    if not defaults:
        return tmpl

    def merge(base: Any, top: Any) -> Any:
        if isinstance(base, Mapping) and isinstance(top, Mapping):
            out = dict(base)
            for k, v in top.items():
                out[k] = merge(base.get(k), v) if k in base else v
            return out
        return top

    out: dict[str, Any] = merge(copy.deepcopy(dict(defaults)), tmpl)
    return out
