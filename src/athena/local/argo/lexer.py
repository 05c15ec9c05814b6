"""Tokens of expr-lang (github.com/expr-lang/expr), the language of Argo's ``{{= ... }}``.

Written from the language definition: ``//`` and ``/* */`` comments; integers (decimal, ``0x``, ``0o``,
``0b``, ``_`` separators); floats (``0.5``, ``.5``, exponents); strings in ``'...'`` or ``"..."`` with Go
escapes, raw strings in backticks; ``#`` pointers; word operators (``and or not in matches contains
startsWith endsWith let``) next to the symbolic ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ExprSyntaxError", "Token", "tokenize"]

Kind = Literal["number", "string", "name", "op", "pointer", "eof"]

# Longest first: the lexer takes the first that matches at a position.
_SYMBOLS = ("?.[", "?.", "??", "**", "==", "!=", "<=", ">=", "&&", "||", "..", "?", ":", ".", "<", ">", "!",
            "+", "-", "*", "/", "%", "^", "|", "(", ")", "[", "]", "{", "}", ",", ";", "=")
WORD_OPERATORS = frozenset({"and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith", "let"})


class ExprSyntaxError(ValueError):
    """The text is not an expr-lang expression (Argo fails to compile it)."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    value: str  # the operator or name; a string literal's decoded text; a number's source text
    pos: int

    def is_op(self, *values: str) -> bool:
        return self.kind == "op" and self.value in values


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
                   "'": "'", '"': '"'}


def _unquote(text: str, start: int, quote: str) -> tuple[str, int]:
    """Decode a quoted string starting after its opening quote; return it and the index after the closing one."""
    out: list[str] = []
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\n":
            break
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            break
        e = text[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = text[i + 2:i + 2 + width]
            if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ExprSyntaxError(f"invalid escape \\{e}{digits} at {i}")
            out.append(chr(int(digits, 16)))
            i += 2 + width
        elif e in "01234567":
            digits = text[i + 1:i + 4]
            if len(digits) != 3 or any(c not in "01234567" for c in digits):
                raise ExprSyntaxError(f"invalid octal escape at {i}")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ExprSyntaxError(f"invalid escape \\{e} at {i}")
    raise ExprSyntaxError(f"unterminated string literal at {start - 1}")


def _number(text: str, i: int) -> int:
    """Index after the number starting at ``i`` (a digit, or a ``.`` followed by a digit)."""
    n = len(text)
    if text.startswith(("0x", "0X", "0o", "0O", "0b", "0B"), i):
        j = i + 2
        while j < n and (text[j].isalnum() or text[j] == "_"):
            j += 1
        return j
    j = i
    while j < n and (text[j].isdigit() or text[j] == "_"):
        j += 1
    # A `.` starts a fraction unless it is the range operator `..` (as in `1..3`).
    if j < n and text[j] == "." and not text.startswith("..", j):
        j += 1
        while j < n and (text[j].isdigit() or text[j] == "_"):
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k].isdigit():
            j = k
            while j < n and text[j].isdigit():
                j += 1
    return j


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ExprSyntaxError(f"unclosed comment at {i}")
            i = end + 2
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = _number(text, i)
            tokens.append(Token("number", text[i:j], i))
            i = j
        elif ch in "'\"":
            value, j = _unquote(text, i + 1, ch)
            tokens.append(Token("string", value, i))
            i = j
        elif ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise ExprSyntaxError(f"unterminated raw string at {i}")
            tokens.append(Token("string", text[i + 1:end], i))
            i = end + 1
        elif ch == "#":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(Token("pointer", text[i + 1:j], i))
            i = j
        elif ch.isalpha() or ch in "_$":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            word = text[i:j]
            tokens.append(Token("op" if word in WORD_OPERATORS else "name", word, i))
            i = j
        else:
            for sym in _SYMBOLS:
                if text.startswith(sym, i):
                    # `?.` followed by a digit is a ternary over a float (`a ?.5 : 1`).
                    if sym == "?." and i + 2 < n and text[i + 2].isdigit():
                        continue
                    tokens.append(Token("op", sym, i))
                    i += len(sym)
                    break
            else:
                raise ExprSyntaxError(f"unexpected character {ch!r} at {i}")
    tokens.append(Token("eof", "", n))
    return tokens
