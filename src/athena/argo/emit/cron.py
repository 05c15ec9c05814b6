"""The ``CronWorkflow`` of a scheduled root: its schedule fields and a ``workflowSpec`` by reference.

The compiler has checked that every parameter has a value (a default or ``cron_arguments``), so the
arguments here are complete: the controller starts the workflow with nobody to supply the rest.
"""

from __future__ import annotations

from typing import Any

from athena import names
from athena.argo.emit import options
from athena.argo.emit.common import API_VERSION, param, tagged, value_params
from athena.argo.emit.settings import EmitSettings
from athena.compile.model import Workflow


def cron_doc(t: Workflow, s: EmitSettings) -> dict[str, Any]:
    """The CronWorkflow of ``t`` (which has ``schedule``): named like its WorkflowTemplate, shortened to 52."""
    md: dict[str, Any] = {"name": names.cron_name(tagged(t.name, s))}
    if s.namespace:
        md["namespace"] = s.namespace
    spec: dict[str, Any] = options.fields("cron", t, s)
    workflow_spec: dict[str, Any] = {"workflowTemplateRef": {"name": tagged(t.name, s)}}
    given = dict(t.options.cron_arguments)
    params = [{"name": p.name, "value": given[p.name]} if p.name in given else param(p, arguments=True)
              for p in value_params(t.params)]
    if params:
        workflow_spec["arguments"] = {"parameters": [{"name": p["name"], "value": p["value"]} for p in params]}
    if s.service_account:
        workflow_spec["serviceAccountName"] = s.service_account
    spec["workflowSpec"] = workflow_spec
    return {"apiVersion": API_VERSION, "kind": "CronWorkflow", "metadata": md, "spec": spec}
