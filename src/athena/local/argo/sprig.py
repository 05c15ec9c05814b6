"""``sprig.<fn>`` inside Argo expressions: the functions of Masterminds/sprig v3 that athena run knows.

Argo puts ``sprig.GenericFuncMap()`` minus ``env``/``expandenv`` in the expression environment under the name
``sprig`` (``argo@v4.1.2:util/expr/env/env.go`` ``GetFuncMap``; the same in v3.6.19), so ``sprig.upper(x)`` is a
call of a map member. Facts reproduced (sprig v3.3.0 ``functions.go``, ``strings.go``, ``numeric.go``,
``defaults.go``, ``list.go``, ``dict.go``, ``regex.go``, ``crypto.go``, ``spf13/cast``):

- sprig swallows errors where its Go code ignores them: ``int("x")`` is ``0`` (``cast.ToInt``),
  ``atoi("x")`` is ``0``, ``fromJson`` of bad text is ``nil``, ``b64dec`` of bad text is the error text;
- argument order is sprig's (the subject last: ``trimPrefix("-", s)``, ``repeat(3, s)``, ``contains(sub, s)``);
- integer arithmetic (``add``, ``sub``, ``mul``, ``div``, ``mod``, ``max``, ``min``) converts with ``cast.ToInt64``;
- ``toString``/``cat``/``join`` print non-strings with Go ``%v``.

A sprig function not listed here fails the expression with a message naming it, instead of computing
something different from Argo.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from collections.abc import Callable
from typing import Any

from athena.local.argo import gojson

__all__ = ["SPRIG", "SprigError"]


class SprigError(ValueError):
    """A sprig function that panics in Go (or one athena run does not implement)."""


def _s(v: Any, fn: str) -> str:
    if not isinstance(v, str):
        raise SprigError(f"sprig.{fn}: expected a string argument, got {gojson.format_v(v)}")
    return v


def _i(v: Any, fn: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SprigError(f"sprig.{fn}: expected an integer argument, got {gojson.format_v(v)}")
    return int(v)


def strval(v: Any) -> str:
    return v if isinstance(v, str) else gojson.format_v(v)


def to_int64(v: Any) -> int:
    """``cast.ToInt64`` with the error dropped (sprig's ``toInt64``)."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return 0 if math.isnan(v) or math.isinf(v) else int(v)
    if isinstance(v, str):
        text = re.sub(r"\.0*$", "", v) if re.fullmatch(r"[+-]?\d+\.0*", v) else v  # cast's trimZeroDecimal
        try:
            if re.fullmatch(r"[+-]?0[0-7_]+", text):  # ParseInt base 0: a leading 0 is octal
                return int(text.replace("_", ""), 8)
            return int(text, 0)
        except ValueError:
            return 0
    return 0


def to_float64(v: Any) -> float:
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return 0.0
    return 0.0


def empty(v: Any) -> bool:
    if v is None or v is False:
        return True
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return v == 0
    if isinstance(v, str | list | dict):
        return len(v) == 0
    return False


def _atoi(v: Any) -> int:
    s = _s(v, "atoi")
    return int(s) if re.fullmatch(r"[+-]?\d+", s) else 0


def _substr(start: Any, end: Any, s: Any) -> str:
    a, b, text = _i(start, "substr"), _i(end, "substr"), _s(s, "substr")
    if a < 0:
        return text[:b]
    if b < 0 or b > len(text):
        return text[a:]
    return text[a:b]


def _trunc(c: Any, s: Any) -> str:
    n, text = _i(c, "trunc"), _s(s, "trunc")
    if n < 0 and len(text) + n > 0:
        return text[len(text) + n:]
    if n >= 0 and len(text) > n:
        return text[:n]
    return text


def _quote(q: str) -> Callable[..., str]:
    def fn(*args: Any) -> str:
        parts = []
        for a in args:
            if a is None:
                continue
            text = strval(a)
            # Go's %q (strconv.Quote): no HTML escaping, unlike json.Marshal
            parts.append(json.dumps(text, ensure_ascii=False) if q == '"' else f"'{text}'")
        return " ".join(parts)
    return fn


def _div(a: Any, b: Any) -> int:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise SprigError("sprig.div: integer divide by zero")
    q = abs(x) // abs(y)  # Go truncates toward zero
    return q if (x >= 0) == (y >= 0) else -q


def _mod(a: Any, b: Any) -> int:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise SprigError("sprig.mod: integer divide by zero")
    return x - _div(x, y) * y


def _regex(pattern: Any, fn: str) -> re.Pattern[str]:
    try:
        return re.compile(_s(pattern, fn))
    except re.error as exc:
        raise SprigError(f"sprig.{fn}: invalid regexp {pattern!r}: {exc}") from None


def _go_template(repl: str) -> str:
    """Go's ``Regexp.ReplaceAllString`` template (``$1``, ``${1}``, ``${name}``, ``$$``) as a Python one."""
    out = re.sub(r"\$\$", "\0", repl.replace("\\", "\\\\"))
    out = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: f"\\g<{m.group(1) or m.group(2)}>", out)
    return out.replace("\0", "$")


def _regex_replace_all(pattern: Any, s: Any, repl: Any) -> str:
    return _regex(pattern, "regexReplaceAll").sub(_go_template(_s(repl, "regexReplaceAll")),
                                                  _s(s, "regexReplaceAll"))


def _from_json(v: Any) -> Any:
    try:
        return gojson.decode(_s(v, "fromJson"))
    except gojson.GoJSONError:
        return None


def _to_json(indent: bool) -> Callable[[Any], str]:
    def fn(v: Any) -> str:
        try:
            return gojson.encode(v, indent=indent)
        except gojson.GoJSONError:
            return ""
    return fn


def _b64dec(v: Any) -> str:
    try:
        return base64.b64decode(_s(v, "b64dec"), validate=True).decode("utf-8", "replace")
    except ValueError as exc:
        return f"illegal base64 data ({exc})"


def _list(v: Any, fn: str) -> list[Any]:
    if not isinstance(v, list):
        raise SprigError(f"sprig.{fn}: cannot find {fn} on type {type(v).__name__}")
    return v


def _dict(*kv: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(kv), 2):
        out[strval(kv[i])] = kv[i + 1] if i + 1 < len(kv) else ""
    return out


def _indent(n: Any, s: Any) -> str:
    pad = " " * _i(n, "indent")
    return pad + _s(s, "indent").replace("\n", "\n" + pad)


SPRIG: dict[str, Callable[..., Any]] = {
    # strings
    "upper": lambda s: _s(s, "upper").upper(),
    "lower": lambda s: _s(s, "lower").lower(),
    "trim": lambda s: _s(s, "trim").strip(" \t\n\r\v\f\u0085\u00a0"),
    "trimAll": lambda cut, s: _s(s, "trimAll").strip(_s(cut, "trimAll")),
    "trimPrefix": lambda p, s: _s(s, "trimPrefix").removeprefix(_s(p, "trimPrefix")),
    "trimSuffix": lambda p, s: _s(s, "trimSuffix").removesuffix(_s(p, "trimSuffix")),
    "repeat": lambda n, s: _s(s, "repeat") * max(0, _i(n, "repeat")),
    "substr": _substr,
    "trunc": _trunc,
    "contains": lambda sub, s: _s(sub, "contains") in _s(s, "contains"),
    "hasPrefix": lambda p, s: _s(s, "hasPrefix").startswith(_s(p, "hasPrefix")),
    "hasSuffix": lambda p, s: _s(s, "hasSuffix").endswith(_s(p, "hasSuffix")),
    "replace": lambda old, new, s: _s(s, "replace").replace(_s(old, "replace"), _s(new, "replace")),
    "nospace": lambda s: re.sub(r"\s", "", _s(s, "nospace")),
    "quote": _quote('"'),
    "squote": _quote("'"),
    "cat": lambda *a: " ".join(strval(x) for x in a if x is not None),
    "indent": _indent,
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "splitList": lambda sep, s: _s(s, "splitList").split(_s(sep, "splitList")) if sep else list(_s(s, "splitList")),
    "join": lambda sep, xs: _s(sep, "join").join(strval(x) for x in _list(xs, "join") if x is not None),
    "toString": strval,
    "toStrings": lambda xs: [strval(x) for x in _list(xs, "toStrings")],
    # conversions and defaults
    "int": to_int64,
    "int64": to_int64,
    "float64": to_float64,
    "atoi": _atoi,
    "default": lambda d, *given: d if not given or empty(given[0]) else given[0],
    "empty": empty,
    "coalesce": lambda *a: next((x for x in a if not empty(x)), None),
    "ternary": lambda t, f, cond: t if cond is True else f,
    "toJson": _to_json(False),
    "toPrettyJson": _to_json(True),
    "fromJson": _from_json,
    # numbers
    "add": lambda *a: sum(to_int64(x) for x in a),
    "add1": lambda a: to_int64(a) + 1,
    "sub": lambda a, b: to_int64(a) - to_int64(b),
    "mul": lambda a, *rest: math.prod([to_int64(a), *(to_int64(x) for x in rest)]),
    "div": _div,
    "mod": _mod,
    "max": lambda a, *rest: max([to_int64(a), *(to_int64(x) for x in rest)]),
    "min": lambda a, *rest: min([to_int64(a), *(to_int64(x) for x in rest)]),
    "floor": lambda a: float(math.floor(to_float64(a))),
    "ceil": lambda a: float(math.ceil(to_float64(a))),
    # lists and dicts
    "list": lambda *a: list(a),
    "first": lambda xs: _list(xs, "first")[0] if _list(xs, "first") else None,
    "last": lambda xs: _list(xs, "last")[-1] if _list(xs, "last") else None,
    "rest": lambda xs: _list(xs, "rest")[1:],
    "initial": lambda xs: _list(xs, "initial")[:-1],
    "reverse": lambda xs: list(reversed(_list(xs, "reverse"))),
    "has": lambda needle, xs: any(gojson.encode(x) == gojson.encode(needle) for x in _list(xs, "has")),
    "compact": lambda xs: [x for x in _list(xs, "compact") if not empty(x)],
    "dict": _dict,
    "get": lambda d, k: d.get(_s(k, "get"), "") if isinstance(d, dict) else "",
    "hasKey": lambda d, k: isinstance(d, dict) and _s(k, "hasKey") in d,
    # regular expressions
    "regexMatch": lambda p, s: _regex(p, "regexMatch").search(_s(s, "regexMatch")) is not None,
    "regexFind": lambda p, s: (m.group(0) if (m := _regex(p, "regexFind").search(_s(s, "regexFind"))) else ""),
    "regexReplaceAll": _regex_replace_all,
    "regexReplaceAllLiteral": lambda p, s, r: _regex(p, "regexReplaceAllLiteral").sub(
        lambda _m: _s(r, "regexReplaceAllLiteral"), _s(s, "regexReplaceAllLiteral")),
    # encodings and digests
    "b64enc": lambda s: base64.b64encode(_s(s, "b64enc").encode()).decode(),
    "b64dec": _b64dec,
    "sha1sum": lambda s: hashlib.sha1(_s(s, "sha1sum").encode()).hexdigest(),
    "sha256sum": lambda s: hashlib.sha256(_s(s, "sha256sum").encode()).hexdigest(),
    "adler32sum": lambda s: str(zlib.adler32(_s(s, "adler32sum").encode())),
}
