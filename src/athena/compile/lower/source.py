"""Find the source of a decorated function: the whole file parsed once, so spans are real coordinates."""

from __future__ import annotations

import ast
import linecache
import os
from collections.abc import Callable
from typing import Any

from athena.errors import Span

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_cache: dict[str, tuple[float, ast.Module, dict[str, list[FunctionNode]]]] = {}


def _parsed(path: str) -> tuple[float, ast.Module, dict[str, list[FunctionNode]]] | None:
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        mtime = -1.0
    hit = _cache.get(path)
    if hit is not None and hit[0] == mtime:
        return hit
    lines = linecache.getlines(path)
    if not lines:
        return None
    try:
        tree = ast.parse("".join(lines), filename=path)
    except SyntaxError:
        return None
    # Index every function by name once, so finding one is not a walk of the whole module (emit stays linear).
    index: dict[str, list[FunctionNode]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            index.setdefault(node.name, []).append(node)
    entry = (mtime, tree, index)
    _cache[path] = entry
    return entry


def parse_file(path: str) -> ast.Module | None:
    parsed = _parsed(path)
    return parsed[1] if parsed else None


def function_node(fn: Callable[..., Any]) -> tuple[str, FunctionNode] | None:
    """The FunctionDef of ``fn`` in its defining file, or None when there is no source.

    Remembered on the function (a re-imported module makes new function objects, so this never goes stale).
    """
    cached = getattr(fn, "__dict__", {}).get("_athena_node")
    if cached is not None:
        return cached if cached != () else None
    found = _find_function_node(fn)
    if hasattr(fn, "__dict__"):
        fn.__dict__["_athena_node"] = found if found is not None else ()
    return found


def _find_function_node(fn: Callable[..., Any]) -> tuple[str, FunctionNode] | None:
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    path = code.co_filename
    parsed = _parsed(path)
    if parsed is None:
        return None
    first = code.co_firstlineno
    for node in parsed[2].get(fn.__name__, ()):
        start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        if start == first or node.lineno == first:
            return path, node
    return None


def span_of(path: str, node: ast.AST) -> Span:
    return Span(
        path,
        getattr(node, "lineno", 1),
        getattr(node, "col_offset", 0),
        getattr(node, "end_lineno", None),
        getattr(node, "end_col_offset", None),
    )


def def_span(fn: Callable[..., Any]) -> Span | None:
    """The span of the function's name in ``def name(``, else its first line."""
    found = function_node(fn)
    code = getattr(fn, "__code__", None)
    if found is None:
        if code is None:
            return None
        return Span(code.co_filename, code.co_firstlineno, 0)
    path, node = found
    line = linecache.getline(path, node.lineno)
    # The name follows `def` (or `async def`) and whitespace; a plain scan, no regex per function.
    at = line.find("def", node.col_offset)
    col = at + 3
    while at >= 0 and col < len(line) and line[col] in " \t":
        col += 1
    if at < 0 or not line.startswith(node.name, col):
        return span_of(path, node)
    return Span(path, node.lineno, col, node.lineno, col + len(node.name))


def decorator_keyword_span(fn: Callable[..., Any], keyword: str) -> Span | None:
    """The span of ``keyword=...`` in the decorator call of ``fn`` (the argument's value)."""
    found = function_node(fn)
    if found is None:
        return def_span(fn)
    path, node = found
    for dec in node.decorator_list:
        if isinstance(dec, ast.Call):
            for kw in dec.keywords:
                if kw.arg == keyword:
                    return span_of(path, kw.value)
    return def_span(fn)
