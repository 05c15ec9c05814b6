"""Checks made when a decorator runs (at import, outside pods)."""

from __future__ import annotations

import inspect
from typing import Any

from athena import codes
from athena.compile.lower.source import def_span, function_node
from athena.decorators import Template
from athena.errors import CompileError, Span


def check_decorated(t: Template[Any, Any]) -> None:
    fn = t.fn
    qual = fn.__qualname__
    # The span is found only for an error: a module of containers is not parsed at import.
    if "." in qual or "<locals>" in qual:
        raise CompileError([codes.diag(codes.NOT_MODULE_LEVEL, f"`{qual}` is not defined at module level",
                                       def_span(fn))])
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        code = codes.ASYNC_WORKFLOW if t.kind == "workflow" else codes.ASYNC_CONTAINER
        raise CompileError([codes.diag(code, f"`{qual}` is `async def`", def_span(fn))])
    if t.kind != "workflow":
        return
    found = function_node(fn)
    if found is None:
        file = getattr(getattr(fn, "__code__", None), "co_filename", "<unknown>")
        raise CompileError([codes.diag(
            codes.NO_SOURCE, f"cannot read the source of workflow `{qual}` (defined in {file})",
            Span(file, 1, 0) if not file.startswith("<") else None,
        )])
    from athena.compile.lower.body import Lowerer

    path, node = found
    Lowerer(t, path, node, resolve=False).lower()
