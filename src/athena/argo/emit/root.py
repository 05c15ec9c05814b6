"""WorkflowSpec fields Argo reads only when a template is the submitted root (ignored behind a templateRef)."""

from __future__ import annotations

from typing import Any

from athena.argo.emit import options
from athena.argo.emit.common import param, value_params
from athena.argo.emit.container import workflow_claim
from athena.argo.emit.order import reachable
from athena.argo.emit.settings import EmitSettings
from athena.compile.model import Container, Program, TemplateIR, Workflow


def root_fields(program: Program, t: TemplateIR, s: EmitSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    values = value_params(t.params)
    if values:
        out["arguments"] = {"parameters": [param(p, arguments=True) for p in values]}
    if s.service_account:
        out["serviceAccountName"] = s.service_account
    # The `image_pull_secrets` option: a pod pulls with the root's secrets, so the root carries everyone's.
    secrets = list(s.image_pull_secrets)
    # The `volumes` option's workflow claims: created once per run from the root (the compiler made sure one
    # name has one spec), sorted by name so the output is deterministic.
    claims: dict[str, dict[str, Any]] = {}
    for n in reachable(program, t.name):
        c = program.templates[n]
        if isinstance(c, Container):
            secrets.extend(c.options.image_pull_secrets)
            for v in c.options.volumes:
                if v.kind == "workflow_claim":
                    claims.setdefault(v.volume, workflow_claim(v))
    if secrets:
        out["imagePullSecrets"] = [{"name": n} for n in sorted(set(secrets))]
    if claims:
        out["volumeClaimTemplates"] = [claims[k] for k in sorted(claims)]
    if isinstance(t, Workflow):
        out.update(options.fields("workflow_root", t, s))
    out.update(options.fields("root", t, s))
    return out
