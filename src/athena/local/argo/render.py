"""Argo's ``{{...}}`` templating over one string: simple tags and ``{{= expr }}`` tags.

Facts (reference/argo-semantics.md §5): a tag runs from ``{{`` to the **first** ``}}`` (which is why
athena writes map literals ``{...} }``); ``{{=expr}}`` is evaluated with expr-lang over the same
parameters expanded into nested maps; a string result is inserted as is, any other result as compact JSON
(Go ``json.Marshal``); a simple tag is looked up by its trimmed name and an unknown one stays verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from athena.local.argo import gojson
from athena.local.argo.evaluate import ExprError, evaluate
from athena.local.argo.lexer import ExprSyntaxError

__all__ = ["TemplateError", "expand", "render", "render_value"]


class TemplateError(ValueError):
    """An expression tag failed (Argo: "failed to evaluate expression"), or gave ``nil``."""


def expand(params: Mapping[str, str]) -> dict[str, Any]:
    """The flat ``a.b.c → text`` map as nested maps, the environment of expression tags."""
    root: dict[str, Any] = {}
    for key in sorted(params, key=lambda k: k.count(".")):
        node = root
        *path, leaf = key.split(".")
        for part in path:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if not isinstance(node.get(leaf), dict):
            node[leaf] = params[key]
    return root


def render_value(value: Any) -> str:
    """How Argo inserts an expression's result: a string raw, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return gojson.encode(value)
    except gojson.GoJSONError as exc:
        raise TemplateError(str(exc)) from None


def render(text: str, params: Mapping[str, str], *, strict: bool = True,
           env: Mapping[str, Any] | None = None, missing: list[str] | None = None) -> str:
    """``text`` with its tags replaced. ``strict``: an expression that fails or gives ``nil`` raises
    ``TemplateError`` (Argo fails the node); otherwise the tag stays verbatim, as where Argo allows it.
    ``missing`` collects the names of simple tags left verbatim (not a ``{{`` that a value brought in)."""
    if "{{" not in text:
        return text
    out: list[str] = []
    i = 0
    scope = env
    while True:
        start = text.find("{{", i)
        end = text.find("}}", start + 2) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:start])
        tag = text[start + 2:end]
        if tag.startswith("="):
            if scope is None:
                scope = expand(params)
            try:
                value = evaluate(tag[1:], scope)
            except (ExprError, ExprSyntaxError) as exc:
                if strict:
                    raise TemplateError(f"failed to evaluate expression {tag[1:].strip()!r}: {exc}") from None
                value = None
            if value is None:
                if strict:
                    raise TemplateError(f"expression {tag[1:].strip()!r} gave nil")
                out.append(text[start:end + 2])
            else:
                out.append(render_value(value))
        else:
            name = tag.strip()
            if name in params:
                out.append(params[name])
            else:
                out.append(text[start:end + 2])
                if missing is not None:
                    missing.append(name)
        i = end + 2
