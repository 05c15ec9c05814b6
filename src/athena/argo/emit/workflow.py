"""The optional ``Workflow`` document that submits a root WorkflowTemplate by reference."""

from __future__ import annotations

from typing import Any

from athena.argo.emit.common import API_VERSION, tagged
from athena.argo.emit.settings import EmitSettings
from athena.compile.model import Workflow


def workflow_doc(t: Workflow, s: EmitSettings) -> dict[str, Any]:
    md: dict[str, Any] = {"generateName": f"{t.name}-"}
    if s.namespace:
        md["namespace"] = s.namespace
    spec: dict[str, Any] = {"workflowTemplateRef": {"name": tagged(t.name, s)}}
    if s.service_account:
        spec["serviceAccountName"] = s.service_account
    return {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": md, "spec": spec}
