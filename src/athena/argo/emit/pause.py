"""Issue 13: the template of ``athena.suspend()`` / ``athena.approval()``.

A suspend waits ``duration`` (a Go duration text) or until resumed. An approval is Argo's intermediate
parameter: its ``return`` output is ``valueFrom.supplied`` (set with ``argo node set ... --output-parameter
return=true`` or in the UI), restricted to the JSON texts ``true``/``false``, ``default`` when resumed without one.
"""

from __future__ import annotations

from typing import Any

from athena.argo import expr
from athena.compile.model import Pause
from athena.durations import format_seconds


def pause_template(name: str, p: Pause) -> dict[str, Any]:
    suspend: dict[str, Any] = {}
    if p.duration_seconds is not None:
        suspend["duration"] = format_seconds(p.duration_seconds)
    tmpl: dict[str, Any] = {"name": name, "suspend": suspend}
    if p.prompt is not None:
        tmpl["outputs"] = {"parameters": [{
            "name": "return",
            "valueFrom": {"supplied": {}, "default": expr.json_text(p.default)},
            "enum": ["true", "false"],
            "description": p.prompt,
        }]}
    return tmpl
