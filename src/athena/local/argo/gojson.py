"""Go's view of JSON and of ``%v``, for the values expr-lang sees inside Argo.

Values are modelled as Python objects: ``None`` is Go ``nil``, ``bool``, ``int`` (Go ``int``), ``float``
(``float64``), ``str``, ``list`` (``[]any``) and ``dict`` (``map[string]any``).

Facts reproduced (Go's ``encoding/json`` and ``fmt``):

- ``json.Unmarshal`` into ``any`` decodes every number to ``float64`` and rejects ``NaN``/``Infinity``;
- ``json.Marshal`` sorts map keys, escapes ``<`` ``>`` ``&`` U+2028 U+2029 as ``\\uXXXX``, prints a
  ``float64`` in the shortest form without exponent in [1e-6, 1e21) (so ``3.0`` is ``3``), else as
  ``1e+21`` / ``1e-7``; ``MarshalIndent(v, "", "  ")`` keeps ``{}`` and ``[]`` compact;
- ``fmt`` ``%v`` prints ``nil`` as ``<nil>``, a float with ``%g`` at the shortest precision (exponent form
  from 1e+06 up), a list as ``[a b]`` and a map as ``map[k:v]`` with sorted keys.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

__all__ = ["GoJSONError", "compact", "decode", "encode", "format_v"]


class GoJSONError(ValueError):
    """A value Go's encoding/json refuses (invalid text, NaN or infinite numbers, unsupported types)."""


def _reject_constant(name: str) -> Any:
    raise GoJSONError(f"invalid character {name[0]!r} looking for beginning of value")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise GoJSONError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


def decode(text: str) -> Any:
    """``json.Unmarshal([]byte(text), &v)`` with ``v any``: every number becomes a float64."""
    try:
        return json.loads(text, parse_int=_float, parse_float=_float, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise GoJSONError(f"invalid JSON: {exc.msg}") from None


_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def compact(text: str) -> str:
    """How ``json.Marshal`` re-emits a ``json.RawMessage`` (e.g. a ``wfv1.Item``): the text is checked to be
    JSON (``GoJSONError`` otherwise), whitespace between tokens is dropped and ``<`` ``>`` ``&`` U+2028 U+2029
    are escaped; everything else, numbers included, is kept byte for byte (no float64 round trip)."""
    decode(text)
    out: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            out.append(_HTML_ESCAPES.get(ch, ch))
        elif ch in " \t\n\r":
            continue
        else:
            in_string = ch == '"'
            out.append(ch)
    return "".join(out)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
            "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif "\ud800" <= ch <= "\udfff":  # not valid UTF-8: Go writes the replacement character
            out.append("\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _digits(f: float) -> tuple[str, int]:
    """The shortest round-tripping decimal digits of ``abs(f)`` and the decimal exponent of the first digit."""
    t = Decimal(repr(abs(f))).normalize().as_tuple()
    digits = "".join(map(str, t.digits)) or "0"
    assert isinstance(t.exponent, int)
    return digits, t.exponent + len(digits) - 1


def _exp_form(f: float, min_exp_digits: int) -> str:
    digits, exp = _digits(f)
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if exp < 0 else "+"
    return ("-" if f < 0 else "") + f"{mant}e{sign}{abs(exp):0{min_exp_digits}d}"


def _plain_form(f: float) -> str:
    text = format(Decimal(repr(abs(f))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if math.copysign(1.0, f) < 0 else "") + text


def json_float(f: float) -> str:
    """Go ``encoding/json``'s text of a float64."""
    if math.isnan(f) or math.isinf(f):
        raise GoJSONError(f"json: unsupported value: {format_v(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        return _exp_form(f, 1)
    return _plain_form(f)


def encode(value: Any, indent: bool = False) -> str:
    """``json.Marshal`` (``indent=False``) or ``json.MarshalIndent(v, "", "  ")``."""
    parts: list[str] = []
    _encode(value, parts, "\n" if indent else "", indent)
    return "".join(parts)


def _encode(v: Any, out: list[str], nl: str, indent: bool) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        out.append(json_float(v))
    elif isinstance(v, str):
        out.append(_string(v))
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append("[]")
            return
        inner = nl + "  " if indent else ""
        out.append("[")
        for i, item in enumerate(v):
            out.append(("," if i else "") + inner)
            _encode(item, out, inner, indent)
        out.append(nl + "]")
    elif isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        inner = nl + "  " if indent else ""
        out.append("{")
        for i, key in enumerate(sorted(v)):
            if not isinstance(key, str):
                raise GoJSONError(f"json: unsupported map key {key!r}")
            out.append(("," if i else "") + inner + _string(key) + (": " if indent else ":"))
            _encode(v[key], out, inner, indent)
        out.append(nl + "}")
    else:
        raise GoJSONError(f"json: unsupported type: {type(v).__name__}")


def format_v(v: Any) -> str:
    """Go ``fmt.Sprintf("%v", v)``."""
    if v is None:
        return "<nil>"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "+Inf" if v > 0 else "-Inf"
        if v == 0:
            return "-0" if math.copysign(1.0, v) < 0 else "0"
        _, exp = _digits(v)
        # %v is %g at the shortest precision: exponent form below 1e-4 and from 1e+06 (precision 6).
        return _exp_form(v, 2) if exp < -4 or exp >= 6 else _plain_form(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(format_v(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{format_v(v[k])}" for k in sorted(v)) + "]"
    return str(v)
