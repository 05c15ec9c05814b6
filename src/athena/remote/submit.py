"""``athena submit``: check the arguments and the bundle, bring the cluster's templates up to date (with a drift
check and a confirmation), then create the Workflow. Never prints: progress goes through ``notify``, questions
through ``confirm``; the CLI (:mod:`athena.cli.submit`) decides where they go.

Order (DESIGN §6): arguments → bundle → every WorkflowTemplate the root reaches, callees first → the root's
CronWorkflows → the Workflow. All reads and server-side dry runs happen before the first write, so a refusal,
a declined prompt or a rejected document leaves the cluster as it was.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from athena.errors import UsageError
from athena.remote import drift
from athena.remote.kube import API_VERSION
from athena.remote.transport import Transport

__all__ = ["Change", "SubmitRequest", "plan_changes", "reachable", "resolve_namespace", "submit", "workflow_doc"]

Action = Literal["create", "unchanged", "update"]


@dataclass(frozen=True)
class SubmitRequest:
    root: str  # the root WorkflowTemplate's name
    arguments: Mapping[str, str]  # input name -> JSON text, already checked against the signature
    namespace: str
    service_account: str | None = None
    node_selector: Mapping[str, str] | None = None
    yes: bool = False  # -y: every prompt answered yes
    update: bool = False  # --update: changed templates are applied without asking


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    action: Action
    doc: dict[str, Any]  # what would be written (stamped with the annotation; resourceVersion for an update)
    drift: drift.Drift | None = None


def resolve_namespace(flag: str | None, values_namespace: str | None, config_namespace: str | None,
                      env: Mapping[str, str] = os.environ) -> str:
    """``-n`` → values file → ``$ARGO_NAMESPACE`` → ``[defaults].namespace`` → ``default`` (DESIGN §6)."""
    return flag or values_namespace or env.get("ARGO_NAMESPACE") or config_namespace or "default"


def reachable(docs: Sequence[Mapping[str, Any]], root: str) -> list[dict[str, Any]]:
    """The WorkflowTemplates ``root`` reaches through ``templateRef`` (itself included), callees first, then
    the CronWorkflows that run ``root``."""
    templates = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "WorkflowTemplate"}
    if root not in templates:
        raise UsageError(f"no WorkflowTemplate named {root} in the compiled app")
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in templates:  # not ours (a template already in the cluster): not applied
            return
        seen.add(name)
        for ref in sorted(_template_refs(templates[name].get("spec", {}))):
            visit(ref)
        order.append(name)

    visit(root)
    crons = [dict(d) for d in docs if d.get("kind") == "CronWorkflow"
             and ((d.get("spec") or {}).get("workflowSpec") or {}).get("workflowTemplateRef", {}).get("name") == root]
    return [dict(templates[n]) for n in order] + crons


def _template_refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        ref = node.get("templateRef")
        if isinstance(ref, Mapping) and isinstance(ref.get("name"), str) and not ref.get("clusterScope"):
            yield ref["name"]
        for value in node.values():
            yield from _template_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _template_refs(value)


def _references(doc: Mapping[str, Any]) -> set[str]:
    """The WorkflowTemplates a document names: its tasks' ``templateRef``s, a CronWorkflow's ``workflowTemplateRef``."""
    spec = doc.get("spec") or {}
    refs = set(_template_refs(spec))
    root = ((spec.get("workflowSpec") or {}).get("workflowTemplateRef") or {}).get("name")
    if isinstance(root, str):
        refs.add(root)
    return refs


def plan_changes(kube: Transport, docs: Sequence[Mapping[str, Any]], namespace: str) -> list[Change]:
    """Read each live object and dry-run its replacement; no writes.

    Where the server checks ``templateRef`` targets (the Argo Server), a document that references a template
    still to be created cannot be dry-run yet: it is checked by the server when it is created, callees first.
    """
    changes: list[Change] = []
    pending: set[str] = set()  # WorkflowTemplates this submit creates
    for doc in docs:
        desired = _with_namespace(doc, namespace)
        kind, name = desired["kind"], desired["metadata"]["name"]
        stamped = drift.stamp(desired)
        live = kube.get(kind, name, namespace)
        checkable = not (kube.validates_references and pending & _references(desired))
        if live is None:
            if checkable:
                kube.create(stamped, namespace, dry_run=True)  # a 422 or 403 now, before anything is written
            if kind == "WorkflowTemplate":
                pending.add(name)
            changes.append(Change(kind, name, "create", stamped))
            continue
        stamped["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        reference = kube.replace(stamped, namespace, dry_run=True) if checkable else stamped
        found = drift.compare(desired, reference, live, name=f"{kind}/{name}")
        changes.append(Change(kind, name, "update" if found.changed else "unchanged", stamped, found))
    return changes


def _with_namespace(doc: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    out = dict(doc)
    out["metadata"] = {**doc["metadata"], "namespace": namespace}
    return out


def _warn_secure(kube: Transport, namespace: str, templates: list[str], notify: Callable[[str], None]) -> None:
    """Under ``templateReferencing: Secure`` the controller stores each running Workflow's template and errors
    the Workflow if it changes (``WorkflowSpec may not change during execution``): name the ones at risk."""
    if not templates or kube.template_referencing(namespace) != "Secure":
        return
    changing = set(templates)
    running = sorted(str((w.get("metadata") or {}).get("name")) for w in kube.running_workflows(namespace)
                     if ((w.get("spec") or {}).get("workflowTemplateRef") or {}).get("name") in changing)
    at_risk = (f"; running now: {', '.join(running)}" if running else
               "; none of them is running a changed template right now")
    notify(f"warning: the controller runs with templateReferencing: Secure, so a Workflow still running when its "
           f"WorkflowTemplate changes fails (\"WorkflowSpec may not change during execution\"){at_risk}")


def workflow_doc(request: SubmitRequest) -> dict[str, Any]:
    """The Workflow: ``generateName``, the root's ``workflowTemplateRef`` and the arguments; the service account
    and node selector only when asked for (everything else comes from the template)."""
    spec: dict[str, Any] = {"workflowTemplateRef": {"name": request.root}}
    if request.arguments:
        spec["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in request.arguments.items()]}
    if request.service_account:
        spec["serviceAccountName"] = request.service_account
    if request.node_selector:
        spec["nodeSelector"] = dict(request.node_selector)
    return {"apiVersion": API_VERSION, "kind": "Workflow",
            "metadata": {"generateName": f"{request.root}-", "namespace": request.namespace}, "spec": spec}


def submit(kube: Transport, docs: Sequence[Mapping[str, Any]], request: SubmitRequest, *,
           notify: Callable[[str], None], confirm: Callable[[str], bool], settle: float = 2.0,
           sleep: Callable[[float], None] = time.sleep) -> str:
    """Bring the templates ``request.root`` reaches up to date, then create its Workflow; its name.

    ``docs`` are the compiled documents (templates and CronWorkflows, no Workflow). A changed template is shown
    (``notify``) and applied only with ``request.update``/``request.yes`` or when ``confirm`` says yes;
    otherwise a UsageError, and nothing is written.
    """
    ns = request.namespace
    changes = plan_changes(kube, reachable(docs, request.root), ns)
    updates = [c for c in changes if c.action == "update"]
    for c in changes:
        if c.action == "unchanged":
            ignored = f" ({len(c.drift.defaulted)} server-defaulted field(s) ignored)" if c.drift and \
                c.drift.defaulted else ""
            notify(f"unchanged {c.kind} {c.name}{ignored}")
    for c in updates:
        assert c.drift is not None
        notify(f"{c.kind} {c.name} in {ns}: {c.drift.reasons}\n{c.drift.diff.rstrip()}")
        if c.drift.outside:
            notify(f"warning: {c.kind} {c.name} was edited in the cluster since athena applied it; applying "
                   "overwrites that edit")
    if updates:
        _warn_secure(kube, ns, [c.name for c in updates if c.kind == "WorkflowTemplate"], notify)
    if updates and not (request.update or request.yes):
        names = ", ".join(c.name for c in updates)
        if not confirm(f"apply {len(updates)} changed object(s) to namespace {ns} ({names})?"):
            raise UsageError(f"nothing changed in namespace {ns}: {names} differ(s) from the live object(s); "
                             "run again with --update (or -y) to apply the new compile")
    for c in changes:
        if c.action == "create":
            kube.create(c.doc, ns)
            notify(f"created {c.kind} {c.name}")
        elif c.action == "update":
            kube.replace(c.doc, ns)
            notify(f"updated {c.kind} {c.name}")
    if any(c.action != "unchanged" for c in changes):
        # Argo's controller resolves workflowTemplateRef from its informer cache: a Workflow created the instant
        # its template is written can fail "workflowtemplates ... not found" (seen on Argo 3.7, docs/cluster.md).
        sleep(settle)
    created = kube.create(workflow_doc(request), ns)
    return str(created["metadata"]["name"])
