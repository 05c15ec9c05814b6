"""The calls of a container body and of every ``@fragment`` it reaches: what the static collectors read.

``host()``/artifact ports (:mod:`athena.compile.ports`) and ``athena.settings()``
(:mod:`athena.compile.settings`) are found by reading the source, never by running it; both walk the same
bodies, so the walk lives here once.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from athena.compile.lower.source import function_node
from athena.decorators import Fragment, Template

__all__ = ["BodyCall", "calls", "might_call", "resolve"]


class BodyCall(NamedTuple):
    path: str  # the source file, for spans
    call: ast.Call
    target: Any  # the module-level object the call names, or None
    globals: dict[str, Any]
    locals: frozenset[str]  # names the function binds itself (never module-level)


def resolve(expr: ast.expr, g: dict[str, Any], local_names: frozenset[str] = frozenset()) -> Any:
    """The module-level object ``expr`` (a name or ``a.b.c``) names, or None; a local name is not one."""
    if isinstance(expr, ast.Name):
        return None if expr.id in local_names else g.get(expr.id)
    if isinstance(expr, ast.Attribute):
        base = resolve(expr.value, g, local_names)
        return getattr(base, expr.attr, None) if base is not None else None
    return None


def might_call(code: Any, g: dict[str, Any], wanted: Callable[[str, Any], bool]) -> bool:
    """Could ``code`` (or code nested in it) reach a call ``wanted(name, target)`` accepts, or a fragment? By the
    names it uses: cheaper than parsing, and most bodies use none."""
    for name in code.co_names:
        target = g.get(name)
        if isinstance(target, (Fragment, types.ModuleType)) or wanted(name, target):
            return True  # a module attribute may be a fragment elsewhere: walk to find out
    return any(might_call(c, g, wanted) for c in code.co_consts if hasattr(c, "co_names"))


def calls(t: Template[Any, Any], wanted: Callable[[str, Any], bool]) -> Iterator[BodyCall]:
    """Every call (other than to a fragment) in ``t``'s body and in each fragment it calls, transitively, each
    body once; bodies whose names cannot reach ``wanted`` are skipped without parsing."""
    seen: set[int] = set()
    todo = [t.fn]
    while todo:
        fn = todo.pop(0)
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        g: dict[str, Any] = getattr(fn, "__globals__", {})
        code = getattr(fn, "__code__", None)
        if code is not None and not might_call(code, g, wanted):
            continue
        located = function_node(fn)
        if located is None:
            continue
        path, node = located
        local_names = frozenset(code.co_varnames) | frozenset(code.co_cellvars) if code is not None else frozenset()
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            target = resolve(call.func, g)
            if isinstance(target, Fragment):
                todo.append(target.fn)
                continue
            yield BodyCall(path, call, target, g, local_names)
