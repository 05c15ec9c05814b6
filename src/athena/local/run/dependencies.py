"""DAG edges: ``dependencies`` and ``depends`` as Argo expands and evaluates them.

Facts (reference/argo-semantics.md §7; ``argo@v4.1.2:workflow/common/ancestry.go``): a bare name ``A`` means
``(A.Succeeded || A.Skipped || A.Daemoned)`` plus ``|| A.Errored`` / ``|| A.Failed`` when A's own ``continueOn``
allows it; ``dependencies: [A, B]`` is the same joined with ``&&``; the expression is evaluated with expr over
``{Succeeded, Failed, Errored, Skipped, Omitted, Daemoned, AnySucceeded, AllFailed}`` per task, names with ``-``
written with ``_``. Omitted is not in a bare name, so Omitted cascades.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from athena.local.argo.evaluate import ExprError, evaluate
from athena.local.argo.lexer import ExprSyntaxError

__all__ = ["DependsError", "depends_names", "evaluate_depends", "expand_depends"]

_TOKEN = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_-]*)(?:\.([A-Za-z]+))?")
_RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")


class DependsError(ValueError):
    pass


def _safe(name: str) -> str:
    return name.replace("-", "_")


def depends_names(task: Mapping[str, Any]) -> list[str]:
    """The tasks a DAG task waits for."""
    if task.get("depends"):
        seen: list[str] = []
        for m in _TOKEN.finditer(str(task["depends"])):
            if m.group(1) not in seen:
                seen.append(m.group(1))
        return seen
    return [str(d) for d in task.get("dependencies") or []]


def expand_depends(task: Mapping[str, Any], continue_on: Mapping[str, Mapping[str, Any]]) -> str:
    """The task's edge condition as an expr text (empty when it has none)."""
    if task.get("depends"):
        text = str(task["depends"])
    elif task.get("dependencies"):
        text = " && ".join(str(d) for d in task["dependencies"])
    else:
        return ""

    def repl(m: re.Match[str]) -> str:
        name, result = m.group(1), m.group(2)
        if result is not None:
            if result not in _RESULTS:
                raise DependsError(f"depends {text!r}: unknown result {result!r} of {name} (use one of "
                                   f"{', '.join(_RESULTS)})")
            return f"{_safe(name)}.{result}"
        parts = [f"{_safe(name)}.Succeeded", f"{_safe(name)}.Skipped", f"{_safe(name)}.Daemoned"]
        co = continue_on.get(name) or {}
        if co.get("error"):
            parts.append(f"{_safe(name)}.Errored")
        if co.get("failed"):
            parts.append(f"{_safe(name)}.Failed")
        return "(" + " || ".join(parts) + ")"

    return _TOKEN.sub(repl, text)


def evaluate_depends(expression: str, phases: Mapping[str, tuple[str, Sequence[str]]]) -> bool:
    """``phases``: task name -> (its phase, its fan-out children's phases)."""
    env: dict[str, Any] = {}
    for name, (phase, children) in phases.items():
        env[_safe(name)] = {
            "Succeeded": phase == "Succeeded", "Failed": phase == "Failed", "Errored": phase == "Error",
            "Skipped": phase == "Skipped", "Omitted": phase == "Omitted", "Daemoned": False,
            "AnySucceeded": any(c == "Succeeded" for c in children),
            "AllFailed": bool(children) and all(c == "Failed" for c in children),
        }
    try:
        value = evaluate(expression, env)
    except (ExprError, ExprSyntaxError) as exc:
        raise DependsError(f"cannot evaluate depends {expression!r}: {exc}") from None
    if not isinstance(value, bool):
        raise DependsError(f"depends {expression!r} did not give a boolean")
    return value
