"""The optional ``Workflow`` document that submits a root WorkflowTemplate by reference."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from athena.argo.emit.common import API_VERSION, tagged, value_params
from athena.argo.emit.settings import EmitSettings
from athena.compile.model import Param, Workflow
from athena.compile.typecheck import enum_values

#: How a placeholder starts: ``athena emit`` looks for it to tell the user what is left to fill.
PLACEHOLDER_PREFIX = "<required"


def placeholder(p: Param) -> str:
    """The value written for a required input nobody gave: invalid on purpose (the pod cannot decode it, and an
    enum input rejects it at submission), and saying what to write. The YAML writer writes no comments, so the
    hint is the value itself. Enum choices are shown as the user types them with ``-a``, never JSON-quoted."""
    choices = enum_values(p.type)
    if choices is not None:
        what = "one of " + " | ".join(c if isinstance(c, str) else json.dumps(c) for c in choices)
    else:
        what = str(p.type)
    return f"{PLACEHOLDER_PREFIX}: {what}; write its JSON here, or emit with -a {p.name}=VALUE>"


def workflow_doc(t: Workflow, s: EmitSettings, arguments: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A Workflow submitting ``t``. ``arguments`` maps input names to their JSON texts (``emit -a``); every
    required input without one gets a :func:`placeholder`, since the controller rejects a Workflow that leaves a
    required input without a value. Inputs with defaults are left to the template's own arguments."""
    md: dict[str, Any] = {"generateName": f"{t.name}-"}
    if s.namespace:
        md["namespace"] = s.namespace
    spec: dict[str, Any] = {"workflowTemplateRef": {"name": tagged(t.name, s)}}
    given = arguments or {}
    params = [{"name": p.name, "value": given[p.name] if p.name in given else placeholder(p)}
              for p in value_params(t.params) if p.name in given or not p.has_default]
    if params:
        spec["arguments"] = {"parameters": params}
    if s.service_account:
        spec["serviceAccountName"] = s.service_account
    return {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": md, "spec": spec}
