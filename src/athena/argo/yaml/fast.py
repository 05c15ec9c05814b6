"""A fast block-YAML writer for athena's documents, byte-identical to PyYAML's output.

PyYAML's Python-level representer costs more than everything else in ``athena emit``; the documents are
plain dicts, lists and scalars, so this writes them directly, asking PyYAML's own emitter only to *analyze*
each distinct string (cached) and applying its style rules. Quoting decisions are ``yamlio``'s. Anything
unusual raises :class:`Unsupported` and the caller falls back to PyYAML for that document.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from yaml.emitter import Emitter, ScalarAnalysis

_BREAK_CHARS = "\n\x85\u2028\u2029"
_ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\x09": "t", "\x0a": "n", "\x0b": "v", "\x0c": "f",
            "\x0d": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_ODD = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_./-]{1,127}\Z")


class Unsupported(Exception):
    """A value this writer does not reproduce exactly; use PyYAML."""


_emitter = Emitter(io.StringIO(), allow_unicode=True)
_analyses: dict[str, ScalarAnalysis] = {}


def _analysis(value: str) -> ScalarAnalysis:
    hit = _analyses.get(value)
    if hit is None:
        hit = _analyses[value] = _emitter.analyze_scalar(value)
    return hit


def _style(value: str, simple_key: bool) -> str:
    """PyYAML's choose_scalar_style, for the style yamlio's representer would request."""
    from athena.argo.yaml import io as yamlio  # imported here: yamlio imports this module

    requested: str | None = None
    if yamlio._BREAKS.search(value):
        requested = "|" if yamlio._literal_round_trips(value, yamlio._Dumper) else '"'
    elif yamlio._needs_quotes(value):
        requested = "'"
    a = _analysis(value)
    if requested is None and not (simple_key and (a.empty or a.multiline)) and a.allow_block_plain:
        return ""
    if requested == "|" and not simple_key and a.allow_block:
        return "|"
    if requested in (None, "'") and a.allow_single_quoted and not (simple_key and a.multiline):
        return "'"
    return '"'


def _double(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in '"\\\x85\u2028\u2029\ufeff' or not (
            "\x20" <= ch <= "\x7e" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
        ):
            if ch in _ESCAPES:
                out.append("\\" + _ESCAPES[ch])
            elif ch <= "\xff":
                out.append(f"\\x{ord(ch):02X}")
            elif ch <= "\uffff":
                out.append(f"\\u{ord(ch):04X}")
            else:
                out.append(f"\\U{ord(ch):08X}")
        else:
            out.append(ch)
    out.append('"')
    text = "".join(out)
    if " " in value and (value.startswith(" ") or value.endswith(" ")):
        raise Unsupported  # PyYAML escapes edge spaces in some positions; not worth mirroring
    return text


def _literal(value: str, indent: int) -> str:
    hints = ""
    if value and value[0] in " " + _BREAK_CHARS:
        hints += "2"
    if not value or value[-1] not in _BREAK_CHARS:
        hints += "-"
    elif len(value) == 1 or value[-2] in _BREAK_CHARS:
        raise Unsupported  # `|+` makes PyYAML end the document explicitly
    out = ["|" + hints, "\n"]
    pad = " " * indent
    breaks = True
    start = end = 0
    n = len(value)
    while end <= n:
        ch = value[end] if end < n else None
        if breaks:
            if ch is None or ch not in _BREAK_CHARS:
                for br in value[start:end]:
                    out.append("\n" if br == "\n" else br)
                if ch is not None:
                    out.append(pad)
                start = end
        elif ch is None or ch in _BREAK_CHARS:
            out.append(value[start:end])
            if ch is None:
                out.append("\n")
            start = end
        if ch is not None:
            breaks = ch in _BREAK_CHARS
        end += 1
    return "".join(out)


def _float(v: float) -> str:
    if v != v:
        return ".nan"
    if v in (float("inf"), float("-inf")):
        return ".inf" if v > 0 else "-.inf"
    text = repr(v).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


_strings: dict[tuple[str, int, bool], str] = {}


def _scalar(v: Any, indent: int, simple_key: bool = False) -> str:
    """The scalar's text; a literal block ends with its own newline (callers must not add one)."""
    if type(v) is str:
        hit = _strings.get((v, indent, simple_key))
        if hit is None:
            hit = _strings[(v, indent, simple_key)] = _string(v, indent, simple_key)
        return hit
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float(v)
    if not isinstance(v, str):
        raise Unsupported
    return _string(v, indent, simple_key)


def _string(v: str, indent: int, simple_key: bool) -> str:
    if _ASTRAL.search(v):
        raise Unsupported  # libyaml and PyYAML's emitter disagree on characters beyond the BMP
    if _ODD.search(v) or (simple_key and not _SIMPLE_KEY.match(v)):
        # Control characters, and keys beyond plain names: the emitters differ in small ways there.
        raise Unsupported
    style = _style(v, simple_key)
    if style == "":
        return v
    if style == "'":
        return "'" + v.replace("'", "''") + "'"
    if style == "|":
        return _literal(v, indent)
    return _double(v)


def _line(out: list[str], head: str, scalar: str) -> None:
    out.append(head + scalar)
    if not scalar.endswith("\n") or not scalar.startswith("|"):
        out.append("\n")


def _mapping(m: Mapping[Any, Any], indent: int, out: list[str], lead: str | None) -> None:
    first = True
    for k, v in m.items():
        if not isinstance(k, str):
            raise Unsupported
        prefix = lead if (first and lead is not None) else " " * indent
        first = False
        key = _scalar(k, indent, simple_key=True)
        tv = type(v)
        if tv is dict or (tv is not str and isinstance(v, Mapping)):
            if not v:
                out.append(f"{prefix}{key}: {{}}\n")
            else:
                out.append(f"{prefix}{key}:\n")
                _mapping(v, indent + 2, out, None)
        elif tv is list or tv is tuple:
            if not v:
                out.append(f"{prefix}{key}: []\n")
            else:
                out.append(f"{prefix}{key}:\n")
                _sequence(v, indent, out, None)
        else:
            _line(out, f"{prefix}{key}: ", _scalar(v, indent + 2))


def _sequence(seq: list[Any] | tuple[Any, ...], indent: int, out: list[str], lead: str | None) -> None:
    for i, item in enumerate(seq):
        prefix = (lead if (i == 0 and lead is not None) else " " * indent) + "- "
        ti = type(item)
        if ti is dict or (ti is not str and isinstance(item, Mapping)):
            if not item:
                out.append(prefix + "{}\n")
            else:
                _mapping(item, indent + 2, out, prefix)
        elif ti is list or ti is tuple:
            if not item:
                out.append(prefix + "[]\n")
            else:
                _sequence(item, indent + 2, out, prefix)
        else:
            _line(out, prefix, _scalar(item, indent + 2))


def dump_document(doc: Mapping[str, Any]) -> str:
    if not doc:
        raise Unsupported  # PyYAML writes an empty document in flow style (`--- {}`)
    out: list[str] = []
    _mapping(doc, 0, out, None)
    return "".join(out)
