"""``jsonpath(json, path)`` inside Argo expressions (``argo@v4.1.2:util/expr/env/env.go`` ``jsonPath``).

Argo decodes the text with ``json.Unmarshal`` (numbers become float64) and queries it with
``evilmonkeyinc/jsonpath`` v0.8.1; any error panics, i.e. the expression fails. What athena run reproduces:

- ``$`` the root; ``.name`` and ``['name']`` / ``["name"]`` a map key (a missing key is an error);
- ``[n]`` an array index, negative from the end (out of range is an error);
- a path made only of those returns the raw value (``$.a.b`` is ``"deep"``, ``$.a.c[1]`` is ``20``);
- ``*`` / ``[*]`` (every element or value), unions ``[0,2]`` / ``['a','b']``, slices ``[1:3]`` and the
  recursive descent ``..name`` return a list.

Filter expressions (``[?(...)]``) and script expressions are refused with a message naming them.
"""

from __future__ import annotations

import re
from typing import Any

from athena.local.argo import gojson

__all__ = ["JSONPathError", "query"]


class JSONPathError(ValueError):
    """The query fails (Argo panics, so the expression fails)."""


_TOKEN = re.compile(r"""
    \.\.(?P<deep>[A-Za-z0-9_-]+|\*)        # ..name / ..*
  | \.(?P<dot>[A-Za-z0-9_-]+|\*)           # .name / .*
  | \[(?P<bracket>[^\]]*)\]                # [...]
""", re.X)


def query(text: str, path: str) -> Any:
    try:
        doc = gojson.decode(text)
    except gojson.GoJSONError as exc:
        raise JSONPathError(f"jsonpath: the first argument is not JSON ({exc})") from None
    path = path.strip()
    if not path.startswith("$"):
        raise JSONPathError(f"jsonpath {path!r}: a path starts with $")
    values = [doc]
    many = False
    pos = 1
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None:
            raise JSONPathError(f"jsonpath {path!r}: cannot read the path at {path[pos:]!r}")
        pos = m.end()
        if m.group("deep") is not None:
            many = True
            values = [v for x in values for v in _descend(x, m.group("deep"))]
        elif m.group("dot") is not None:
            key = m.group("dot")
            many = many or key == "*"
            values = [v for x in values for v in _select(x, [key], path)]
        else:
            selectors, plural = _bracket(m.group("bracket"), path)
            many = many or plural
            values = [v for x in values for v in _select(x, selectors, path)]
    return values if many else values[0]


def _bracket(inner: str, path: str) -> tuple[list[Any], bool]:
    inner = inner.strip()
    if inner.startswith("?") or inner.startswith("("):
        raise JSONPathError(f"jsonpath {path!r}: filter and script expressions are not supported by athena run")
    if inner == "*":
        return ["*"], True
    if re.fullmatch(r"-?\d*:-?\d*(:-?\d*)?", inner):
        return [slice(*[int(p) if p else None for p in inner.split(":")])], True
    parts = [p.strip() for p in inner.split(",")]
    out: list[Any] = []
    for p in parts:
        if re.fullmatch(r"-?\d+", p):
            out.append(int(p))
        elif len(p) >= 2 and p[0] == p[-1] and p[0] in "'\"":
            out.append(p[1:-1])
        else:
            raise JSONPathError(f"jsonpath {path!r}: cannot read the selector [{inner}]")
    return out, len(out) > 1


def _select(value: Any, selectors: list[Any], path: str) -> list[Any]:
    out: list[Any] = []
    for s in selectors:
        if s == "*":
            out.extend(value if isinstance(value, list) else [value[k] for k in sorted(value)]
                       if isinstance(value, dict) else [])
        elif isinstance(s, slice):
            if not isinstance(value, list):
                raise JSONPathError(f"jsonpath {path!r}: a slice needs an array")
            out.extend(value[s])
        elif isinstance(s, int):
            if not isinstance(value, list):
                raise JSONPathError(f"jsonpath {path!r}: index [{s}] needs an array")
            if not -len(value) <= s < len(value):
                raise JSONPathError(f"jsonpath {path!r}: index [{s}] out of range")
            out.append(value[s])
        else:
            if not isinstance(value, dict) or s not in value:
                raise JSONPathError(f"jsonpath {path!r}: key {s!r} not found")
            out.append(value[s])
    return out


def _descend(value: Any, key: str) -> list[Any]:
    out: list[Any] = []
    if isinstance(value, dict):
        for k in sorted(value):
            if key == "*" or k == key:
                out.append(value[k])
            out.extend(_descend(value[k], key))
    elif isinstance(value, list):
        for v in value:
            if key == "*":
                out.append(v)
            out.extend(_descend(v, key))
    return out
