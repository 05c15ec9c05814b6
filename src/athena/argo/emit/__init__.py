"""IR → Argo documents (plain dicts, key order fixed by construction, empty values omitted).

One WorkflowTemplate per template (``container.py`` or ``dag.py`` builds its one template, ``root.py``
the WorkflowSpec fields read only on a submitted root), callees first; then a ``CronWorkflow`` per root
with a schedule (``cron.py``); then an optional ``Workflow`` per root (``workflow.py``). Where each decorator option lands is declared in ``options.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from athena.argo.emit import options
from athena.argo.emit.common import API_VERSION, tagged
from athena.argo.emit.container import container_template
from athena.argo.emit.cron import cron_doc
from athena.argo.emit.dag import dag_template
from athena.argo.emit.order import callees_first, reachable
from athena.argo.emit.root import root_fields
from athena.argo.emit.settings import EmitSettings
from athena.argo.emit.workflow import workflow_doc
from athena.compile.model import Container, Program, TemplateIR, Workflow

__all__ = ["EmitSettings", "callees_first", "emit_program", "reachable"]


def emit_program(program: Program, s: EmitSettings, *, with_workflow: bool = False,
                 arguments: Mapping[str, Mapping[str, str]] | None = None) -> list[dict[str, Any]]:
    """The documents of ``program``; with ``with_workflow`` a Workflow per @workflow root, whose
    ``spec.arguments`` take ``arguments[root name]`` (input name → JSON text) and placeholders for the rest."""
    from athena.compile.split import (
        split_program,  # issue 13: DAGs above Argo v4's task limit become nested DAGs
    )

    program = split_program(program, s.argo_line)
    docs = [_document(program, program.templates[n], s) for n in callees_first(program)]
    for root in program.roots:  # DESIGN §3: the CronWorkflows after every template they reference
        t = program.templates[root]
        if isinstance(t, Workflow) and t.options.schedules:
            docs.append(cron_doc(t, s))
    if with_workflow:
        for root in program.roots:
            t = program.templates[root]
            if isinstance(t, Workflow):
                docs.append(workflow_doc(t, s, (arguments or {}).get(root)))
    return docs


def _document(program: Program, t: TemplateIR, s: EmitSettings) -> dict[str, Any]:
    spec: dict[str, Any] = {"entrypoint": t.name}
    synthetic = isinstance(t, Workflow) and t.synthetic
    if not synthetic:
        spec.update(root_fields(program, t, s))
    tmpl = container_template(t, s) if isinstance(t, Container) else dag_template(t, s, program)
    spec["templates"] = [tmpl]
    return {"apiVersion": API_VERSION, "kind": "WorkflowTemplate", "metadata": _metadata(t, s), "spec": spec}


def _metadata(t: TemplateIR, s: EmitSettings) -> dict[str, Any]:
    md: dict[str, Any] = {"name": tagged(t.name, s)}
    if s.namespace:
        md["namespace"] = s.namespace
    if isinstance(t, Workflow) and not t.synthetic:
        md.update(options.fields("document_metadata", t, s))
    return md
