"""``.env`` files: what ``athena inspect --gen-env`` writes and ``--check-env --env-file`` reads.

The format, deliberately small (athena has no dotenv dependency):

- one ``KEY=VALUE`` per line, an optional ``export `` before the key; blank lines and lines starting with ``#``
  are ignored; a later line for a key replaces an earlier one;
- ``KEY=text``: the text up to a ``#`` preceded by whitespace (a comment), surrounding whitespace dropped;
- ``KEY='text'``: the text exactly as written (no escapes);
- ``KEY="text"``: backslash escapes ``\\\\``, ``\\"``, ``\\n``, ``\\r``, ``\\t``;
- a value never spans lines, and nothing is expanded (``$HOME`` stays ``$HOME``).
"""

from __future__ import annotations

import re

from athena.errors import UsageError

__all__ = ["format_value", "parse"]

_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}
_PLAIN = re.compile(r"[^\s'\"#\\]+")


def parse(text: str, source: str) -> dict[str, str]:
    """The variables ``text`` sets; a line that is none of the forms above is a UsageError naming
    ``source:line``."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")  # CRLF files; a value's own \r is written escaped
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            raise UsageError(f"{source}:{number}: expected KEY=VALUE (a letter or _ first, then letters, digits "
                             f"and _), got {stripped[:60]!r}")
        key, rest = m.group(1), m.group(2)
        try:
            out[key] = _value(rest)
        except ValueError as exc:
            raise UsageError(f"{source}:{number}: {key}: {exc}") from None
    return out


def _value(rest: str) -> str:
    if rest[:1] == "'":
        end = rest.find("'", 1)
        if end < 0:
            raise ValueError("the single quote is not closed on this line")
        _after(rest[end + 1:])
        return rest[1:end]
    if rest[:1] == '"':
        chars: list[str] = []
        i = 1
        while i < len(rest):
            c = rest[i]
            if c == "\\" and i + 1 < len(rest) and rest[i + 1] in _ESCAPES:
                chars.append(_ESCAPES[rest[i + 1]])
                i += 2
                continue
            if c == '"':
                _after(rest[i + 1:])
                return "".join(chars)
            chars.append(c)
            i += 1
        raise ValueError("the double quote is not closed on this line")
    comment = re.search(r"\s#", rest)
    return (rest[:comment.start()] if comment else rest).strip()


def _after(tail: str) -> None:
    tail = tail.strip()
    if tail and not tail.startswith("#"):
        raise ValueError(f"unexpected text after the closing quote: {tail[:40]!r}")


def format_value(text: str) -> str:
    """``text`` written so that :func:`parse` reads it back exactly: bare when it is plain, else quoted."""
    if text == "" or _PLAIN.fullmatch(text):
        return text
    if "'" not in text and "\n" not in text and "\r" not in text:
        return f"'{text}'"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'
