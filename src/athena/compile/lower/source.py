"""Find the source of a decorated function: the whole file parsed once, so spans are real coordinates."""

from __future__ import annotations

import ast
import linecache
import os
from collections.abc import Callable
from typing import Any

from athena.errors import Span

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_Parsed = tuple[float, ast.Module, dict[str, list[FunctionNode]]]
_cache: dict[str, _Parsed] = {}
# The parse a module's functions were found in, by the module's globals dict (held, so its id is not
# reused): functions of one import share it, so a 1000-function module is stat'ed once, not 1000 times.
# A re-imported module has a new globals dict and is checked afresh.
_by_module: dict[tuple[str, int], tuple[dict[str, Any], _Parsed]] = {}


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
    entry = (mtime, tree, _index(tree))
    _cache[path] = entry
    return entry


def _index(tree: ast.Module) -> dict[str, list[FunctionNode]]:
    """Every function by name, found once so looking one up is not a walk of the module (emit stays linear).

    Only statements are visited: a ``def`` cannot stand inside an expression, and a module's expressions are
    most of its nodes.
    """
    index: dict[str, list[FunctionNode]] = {}
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            index.setdefault(node.name, []).append(node)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if children:
                stack.extend(reversed(children))
    return index


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
    module_globals: dict[str, Any] = getattr(fn, "__globals__", {})
    known = _by_module.get((path, id(module_globals)))
    if known is not None and known[0] is module_globals:
        parsed = known[1]
    else:
        found = _parsed(path)
        if found is None:
            return None
        parsed = found
        _by_module[(path, id(module_globals))] = (module_globals, parsed)
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
