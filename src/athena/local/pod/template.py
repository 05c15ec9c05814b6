"""The template side of a pod: picking the container template, its input values, Argo's substitution of
globals and inputs and its second pass over the pod spec (:func:`argo_replace`), the pod's name and its deadline.

Facts reproduced (Argo's ``util/template`` and ``substitutePodParams`` in ``workflowpod.go``, every line): the
controller substitutes over ``json.Marshal`` of the template (globals, then inputs) and again over the pod spec
with the globals, ``inputs.parameters.<n>`` and ``pod.name``, unresolved tags allowed. A tag runs from ``{{`` to
the first ``}}`` and a ``{{`` without a ``}}`` fails the pod; a simple tag is looked up by its trimmed text and its
value inserted through Go's ``strconv.Quote`` (so DEL or a non-printable astral character makes the spec invalid
JSON and the pod is never created); an unknown tag whose text holds ``{{x`` with ``x`` known becomes ``{{`` +
prefix + value; a ``{{=`` tag is evaluated, a failure or ``nil`` left verbatim, a string result inserted as JSON
text without its quotes. A value that itself holds a tag is therefore substituted again in the second pass:
athena's own values never hold ``{{`` (DESIGN §5.1.7), values typed by hand may.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any

from athena.durations import parse_go_duration
from athena.errors import AthenaError
from athena.local.argo import gojson
from athena.local.argo.evaluate import ExprError, evaluate
from athena.local.argo.lexer import ExprSyntaxError
from athena.local.argo.render import expand

__all__ = ["argo_replace", "container_template", "go_quote", "input_values", "make_pod_name",            "substitute_template", "template_deadline"]


def make_pod_name(workflow: str, template: str) -> str:
    """A pod name like the controller's: ``<workflow>-<template>-<10 digits>``, at most 63 characters."""
    prefix = f"{workflow}-{template}"[:52].rstrip("-.")
    return f"{prefix}-{secrets.randbelow(10**10):010d}"


def container_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """A private copy of the container template: ``template`` itself, or the entrypoint's of a whole document."""
    t: Mapping[str, Any] = template
    if "spec" in t and "container" not in t:
        spec = t["spec"]
        templates = spec.get("templates") or []
        entry = spec.get("entrypoint")
        picked = [x for x in templates if x.get("name") == entry] or templates[:1]
        if not picked:
            raise AthenaError("the document has no templates")
        t = picked[0]
    if "container" not in t:
        raise AthenaError(f"template {t.get('name', '?')!r} is not a container template")
    copy: dict[str, Any] = json.loads(json.dumps(t))  # a private, plain copy
    return copy


def input_values(tmpl: Mapping[str, Any], args: Mapping[str, str]) -> dict[str, str]:
    """Every input parameter's value: from ``args``, else its ``default`` or ``value``; unknown or missing names
    are errors, as Argo's would be."""
    declared = (tmpl.get("inputs") or {}).get("parameters") or []
    names = [str(p["name"]) for p in declared]
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise AthenaError(f"{tmpl.get('name')}: unknown parameter(s) {', '.join(unknown)} "
                          f"(parameters: {', '.join(names) or 'none'})")
    values: dict[str, str] = {}
    missing: list[str] = []
    for p in declared:
        n = str(p["name"])
        if n in args:
            values[n] = str(args[n])
        elif p.get("default") is not None:
            values[n] = str(p["default"])
        elif p.get("value") is not None:
            values[n] = str(p["value"])
        else:
            missing.append(n)
    if missing:
        raise AthenaError(f"{tmpl.get('name')}: no value for parameter(s) {', '.join(missing)} "
                          "(Argo: inputs.parameters.<name> had no value); pass them as args")
    return values


_GO_SHORT = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
             "\v": "\\v", '"': '\\"', "\\": "\\\\"}


def _go_printable(ch: str) -> bool:
    """Go's ``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote(text)`` without its outer quotes."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text
    out: list[str] = []
    for ch in text:
        short = _GO_SHORT.get(ch)
        o = ord(ch)
        if short is not None:
            out.append(short)
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif _go_printable(ch):
            out.append(ch)
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


def _replace_text(text: str, params: Mapping[str, str], scope: list[dict[str, Any]]) -> str:
    """``template.Replace`` over one marshalled JSON string body, unresolved tags allowed."""
    out: list[str] = []
    i = 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            out.append(text[i:])
            return "".join(out)
        end = text.find("}}", start + 2)
        if end < 0:
            raise AthenaError(f"Argo cannot parse {text[start:start + 60]!r}: a `{{{{` without `}}}}` "
                              "(fasttemplate: cannot find end tag); the pod would not be created")
        out.append(text[i:start])
        tag = text[start + 2:end]
        out.append(_expression(tag, text[start:end + 2], scope, params) if tag.startswith("=")
                   else _simple(tag, params))
        i = end + 2


def _simple(tag: str, params: Mapping[str, str]) -> str:
    key = tag.strip(" \t\n\r\v\f")
    if key in params:
        return go_quote(params[key])
    nested = tag.rfind("{{")
    if nested > 0 and tag[nested + 2:] in params:
        return "{{" + tag[:nested] + go_quote(params[tag[nested + 2:]])
    return "{{" + tag + "}}"


def _expression(tag: str, verbatim: str, scope: list[dict[str, Any]], params: Mapping[str, str]) -> str:
    try:
        source = json.loads(f'"{tag[1:]}"')
    except ValueError:
        return verbatim
    if not scope:
        scope.append(expand(params))
    try:
        value = evaluate(source, scope[0])
    except (ExprError, ExprSyntaxError):
        return verbatim
    if value is None:
        return verbatim
    try:
        marshalled = gojson.encode(value)
    except gojson.GoJSONError:
        return verbatim
    if isinstance(value, str):
        return marshalled[1:-1]
    return go_quote(marshalled)


def argo_replace(value: Any, params: Mapping[str, str]) -> Any:
    """Argo's substitution over ``json.Marshal(value)`` (unresolved tags allowed), then ``json.Unmarshal``.

    Each string is marshalled as Go does, substituted, and read back; a result that is not valid JSON (a value
    with DEL, say, inserted as ``\\x7f``) is the error Argo reports instead of creating the pod.
    """
    scope: list[dict[str, Any]] = []

    def one(s: str) -> str:
        if "{{" not in s:
            return s
        body = gojson.encode(s)[1:-1]
        done = _replace_text(body, params, scope)
        try:
            back: str = json.loads(f'"{done}"')
        except ValueError as exc:
            raise AthenaError(f"Argo could not create the pod: after substitution {s[:60]!r} is no longer valid "
                              f"JSON ({exc}); a value with DEL or a non-printable character went through Go's "
                              "strconv.Quote") from None
        return back

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return one(v)
        if isinstance(v, Mapping):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [walk(x) for x in v]
        return v

    return walk(value)


def substitute_template(tmpl: dict[str, Any], globals_: Mapping[str, str],
                        values: Mapping[str, str]) -> dict[str, Any]:
    """Argo's order: globals first, then the template's own inputs and output paths."""
    tmpl = argo_replace(tmpl, globals_)
    inputs = tmpl.get("inputs") or {}
    outputs = tmpl.get("outputs") or {}
    local: dict[str, str] = {f"inputs.parameters.{k}": v for k, v in values.items()}
    local["inputs.parameters"] = json.dumps([{"name": k, "value": v} for k, v in values.items()],
                                            separators=(",", ":"))
    for a in inputs.get("artifacts") or []:
        if a.get("path"):
            local[f"inputs.artifacts.{a['name']}.path"] = a["path"]
    for a in outputs.get("artifacts") or []:
        if a.get("path"):
            local[f"outputs.artifacts.{a['name']}.path"] = a["path"]
    for p in outputs.get("parameters") or []:
        path = (p.get("valueFrom") or {}).get("path")
        if path:
            local[f"outputs.parameters.{p['name']}.path"] = path
    out: dict[str, Any] = argo_replace(tmpl, local)
    return out


def template_deadline(tmpl: Mapping[str, Any]) -> float | None:
    """The pod's deadline in seconds: the shorter of ``activeDeadlineSeconds`` and ``timeout``, else None."""
    cands = [d for d in (_seconds(tmpl.get("activeDeadlineSeconds")), _seconds(tmpl.get("timeout")))
             if d is not None]
    return min(cands) if cands else None


def _seconds(value: Any) -> float | None:
    """``activeDeadlineSeconds`` (an int, or its digits as text) or ``timeout`` (a Go duration, e.g. ``"90s"``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    return parse_go_duration(text)
