"""Issue 13: the extra outputs of a part of a split big DAG (``compile/split.py``)."""

from __future__ import annotations

from typing import Any

from athena.argo import expr
from athena.compile.model import Workflow
from athena.compile.typecheck import ANY


def export_outputs(t: Workflow, scope: expr.Scope, outputs: dict[str, Any]) -> None:
    """Each export as an output parameter (``valueFrom`` exactly as a template result's, so a fan-out list or an
    ``Outcome`` arrives normalized, with its default), or an output artifact."""
    for e in t.exports:
        if e.artifact:
            outputs.setdefault("artifacts", []).append({"name": e.name, "from": expr.artifact_ref(e.value, scope)})
        else:
            vf = expr.dag_output(e.value, ANY, True, scope)
            assert vf is not None
            outputs.setdefault("parameters", []).append({"name": e.name, "valueFrom": vf})
