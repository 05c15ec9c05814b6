"""A fast block-YAML writer for athena's documents, byte-identical to PyYAML's output.

PyYAML's Python-level representer costs more than everything else in ``athena emit``; the documents are
plain dicts, lists and scalars, so this writes them directly, asking PyYAML's own emitter only to *analyze*
each distinct string (cached) and applying its style rules. Quoting decisions are :mod:`.scalars`'. Anything
unusual raises :class:`Unsupported` and the caller falls back to PyYAML for that document.

Each distinct string is styled once per indentation, and a :class:`~.frozen.FrozenDict` or
:class:`~.frozen.FrozenList` is rendered once per indentation and call, so the blocks the emitter repeats in
every template cost one lookup each.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from yaml.emitter import Emitter, ScalarAnalysis

from athena.argo.yaml.frozen import FrozenDict, FrozenList
from athena.argo.yaml.scalars import Dumper, requested_style

__all__ = ["Unsupported", "dump_document", "dump_documents"]

_BREAK_CHARS = "\n\x85\u2028\u2029"
_ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\x09": "t", "\x0a": "n", "\x0b": "v", "\x0c": "f",
            "\x0d": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_ODD = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_./-]{1,127}\Z")
# Strings PyYAML's analysis always allows plain in block context: a letter first (no indicator), then
# only characters with no meaning there (a `:` only when a non-space follows). Skips the analysis.
_PLAIN_SAFE = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./-]+)*\Z")
# Strings the analysis always writes single-quoted: an indicator first (never plain), then printable ASCII
# on one line with no trailing space (nothing that forbids single quotes). Argo's `{{...}}` are these.
_QUOTE_SAFE = re.compile(r"[#,\[\]{}&*!|>'\"%@`][\x20-\x7e]*(?<! )\Z")


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
    """PyYAML's choose_scalar_style, for the style the representer would request."""
    requested = requested_style(value, Dumper)
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


# Non-literal renderings do not depend on the indentation: styled once per string, whatever the depth.
_flat: dict[str, str] = {}


def _string(v: str, indent: int, simple_key: bool) -> str:
    if not simple_key:
        hit = _flat.get(v)
        if hit is not None:
            return hit
    text = _render(v, indent, simple_key)
    if not simple_key and text[:1] != "|":
        _flat[v] = text
    return text


def _render(v: str, indent: int, simple_key: bool) -> str:
    if _ASTRAL.search(v):
        raise Unsupported  # libyaml and PyYAML's emitter disagree on characters beyond the BMP
    if _ODD.search(v) or (simple_key and not _SIMPLE_KEY.match(v)):
        # Control characters, and keys beyond plain names: the emitters differ in small ways there.
        raise Unsupported
    if _PLAIN_SAFE.match(v) is not None and requested_style(v, Dumper) is None:
        return v
    style = "'" if _QUOTE_SAFE.match(v) is not None else _style(v, simple_key)
    if style == "":
        return v
    if style == "'":
        return "'" + v.replace("'", "''") + "'"
    if style == "|":
        return _literal(v, indent)
    return _double(v)


# Caches of rendered text. A value's "tail" is what follows `key: ` or `- `, newline included (a literal
# block brings its own); it depends on the indentation only through a literal block's margin.
_keys: dict[str, str] = {}
_tails: dict[int, dict[str, str]] = {}
# Frozen sub-documents rendered during the current call: (id, indent, lead) -> (object, text). The object
# is held so its id cannot be reused; cleared after each call so nothing outlives the documents.
_frozen_texts: dict[tuple[int, int, str | None], tuple[Any, str]] = {}


def _key(k: Any) -> str:
    if type(k) is not str:
        raise Unsupported
    text = _keys[k] = _string(k, 0, simple_key=True) + ":"
    return text


def _tail(v: Any, indent: int) -> str:
    """The text of a scalar written at ``indent``, through its newline."""
    if type(v) is str:
        cache = _tails.get(indent)
        if cache is None:
            cache = _tails[indent] = {}
        hit = cache.get(v)
        if hit is None:
            text = _string(v, indent, False)
            hit = cache[v] = text if text[:1] == "|" else text + "\n"
        return hit
    if v is None:
        return "null\n"
    if v is True:
        return "true\n"
    if v is False:
        return "false\n"
    if isinstance(v, int):
        return f"{v}\n"
    if isinstance(v, float):
        return _float(v) + "\n"
    if isinstance(v, str):
        text = _string(v, indent, False)
        return text if text[:1] == "|" else text + "\n"
    raise Unsupported


def _frozen(v: FrozenDict | FrozenList, indent: int, out: list[str], lead: str | None) -> None:
    key = (id(v), indent, lead)
    hit = _frozen_texts.get(key)
    if hit is None:
        part: list[str] = []
        if type(v) is FrozenDict:
            _mapping(v, indent, part, lead)
        else:
            _sequence(v, indent, part, lead)
        hit = _frozen_texts[key] = (v, "".join(part))
    out.append(hit[1])


def _mapping(m: Mapping[Any, Any], indent: int, out: list[str], lead: str | None) -> None:
    pad = " " * indent
    prefix = pad if lead is None else lead
    inner = indent + 2
    tails = _tails.get(inner)
    if tails is None:
        tails = _tails[inner] = {}
    append = out.append
    for k, v in m.items():
        key = _keys.get(k) if type(k) is str else None
        if key is None:
            key = _key(k)
        tv = type(v)
        if tv is str:
            tail = tails.get(v)
            if tail is None:
                tail = _tail(v, inner)
            append(f"{prefix}{key} {tail}")
        elif tv is dict:
            if v:
                append(f"{prefix}{key}\n")
                _mapping(v, inner, out, None)
            else:
                append(f"{prefix}{key} {{}}\n")
        elif tv is list or tv is tuple:
            if v:
                append(f"{prefix}{key}\n")
                _sequence(v, indent, out, None)
            else:
                append(f"{prefix}{key} []\n")
        elif tv is FrozenDict or tv is FrozenList:
            if v:
                append(f"{prefix}{key}\n")
                _frozen(v, inner if tv is FrozenDict else indent, out, None)
            else:
                append(f"{prefix}{key} {{}}\n" if tv is FrozenDict else f"{prefix}{key} []\n")
        elif tv is not str and isinstance(v, Mapping):
            if v:
                append(f"{prefix}{key}\n")
                _mapping(v, inner, out, None)
            else:
                append(f"{prefix}{key} {{}}\n")
        else:
            append(f"{prefix}{key} {_tail(v, inner)}")
        prefix = pad


def _sequence(seq: Iterable[Any], indent: int, out: list[str], lead: str | None) -> None:
    pad = " " * indent + "- "
    prefix = pad if lead is None else lead + "- "
    inner = indent + 2
    append = out.append
    for item in seq:
        ti = type(item)
        if ti is dict or ti is FrozenDict or (ti is not str and isinstance(item, Mapping)):
            if not item:
                append(prefix + "{}\n")
            elif ti is FrozenDict:
                _frozen(item, inner, out, prefix)
            else:
                _mapping(item, inner, out, prefix)
        elif ti is list or ti is tuple or ti is FrozenList:
            if not item:
                append(prefix + "[]\n")
            elif ti is FrozenList:
                _frozen(item, inner, out, prefix)
            else:
                _sequence(item, inner, out, prefix)
        else:
            append(prefix + _tail(item, inner))
        prefix = pad


def dump_document(doc: Mapping[str, Any]) -> str:
    """One document's text (no ``---``)."""
    if not doc:
        raise Unsupported  # PyYAML writes an empty document in flow style (`--- {}`)
    out: list[str] = []
    _mapping(doc, 0, out, None)
    return "".join(out)


def dump_documents(docs: Iterable[Mapping[str, Any]]) -> str:
    """The documents joined by ``---``; raises :class:`Unsupported` if any one needs PyYAML."""
    # The writer makes no reference cycles; collecting while it runs only re-walks the caller's (large,
    # live) documents and IR, so the collector waits until the text is done.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return "---\n".join([dump_document(doc) for doc in docs])
    finally:
        _frozen_texts.clear()
        if enabled:
            gc.enable()
