"""What Argo puts in scope of a DAG or steps template, as the flat ``{{...}}`` parameter map.

Facts (reference/argo-semantics.md §5, §9): every value is a string; ``inputs.parameters.<p>`` is the
input's text; ``tasks.<t>.status`` the node phase; ``tasks.<t>.outputs.parameters.return`` the output
when the node produced one; ``tasks.<t>.exitCode`` the main container's exit code, as text. A
fan-out (TaskGroup) aggregates the ``return`` of its Succeeded children in index order into one JSON list:
the elements embedded when every one is a JSON object or array, else a list of strings; no Succeeded
child means no aggregate at all. ``item`` is the current fan-out element: a string raw, anything else
as compact JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from athena.local.argo import gojson

__all__ = ["NodeResult", "aggregate", "fan_items", "scope_params"]

Scope = Literal["tasks", "steps"]


@dataclass
class NodeResult:
    """One task's outcome inside a DAG/steps run."""

    phase: str  # Succeeded | Failed | Error | Skipped | Omitted
    output: str | None = None  # text of the `return` output parameter, when produced
    children: list[NodeResult] = field(default_factory=list)  # fan-out elements, in index order
    fanned: bool = False
    exit_code: int | None = None


def aggregate(outputs: Sequence[str]) -> str | None:
    """Argo's aggregated ``outputs.parameters.return`` of a fan-out, or ``None`` when it is unset."""
    if not outputs:
        return None
    decoded: list[Any] = []
    for text in outputs:
        try:
            value = gojson.decode(text)
        except gojson.GoJSONError:
            break
        if not isinstance(value, (dict, list)):
            break
        decoded.append(value)
    else:
        return gojson.encode(decoded)
    return gojson.encode(list(outputs))


def scope_params(inputs: Mapping[str, str], nodes: Mapping[str, NodeResult], scope: Scope = "tasks",
                 item: str | None = None) -> dict[str, str]:
    params = {f"inputs.parameters.{k}": v for k, v in inputs.items()}
    for name, node in nodes.items():
        prefix = f"{scope}.{name}"
        params[f"{prefix}.status"] = node.phase
        if node.fanned:
            agg = aggregate([c.output for c in node.children if c.phase == "Succeeded" and c.output is not None])
            if agg is not None:
                params[f"{prefix}.outputs.parameters.return"] = agg
            continue
        if node.output is not None:
            params[f"{prefix}.outputs.parameters.return"] = node.output
        if node.exit_code is not None:
            params[f"{prefix}.exitCode"] = str(node.exit_code)
    if item is not None:
        params["item"] = item
    return params


def fan_items(text: str) -> list[str]:
    """The ``{{item}}`` text of each element of a rendered ``withParam`` (must be a JSON list)."""
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, list):
        raise ValueError(f"withParam value could not be parsed as a JSON list: {text[:200]}")
    return [v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
            for v in values]
