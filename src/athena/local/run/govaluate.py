"""``when`` as Argo evaluates it: govaluate over the text left after ``{{...}}`` substitution.

Facts (reference/argo-semantics.md §6; ``argo@v4.1.2:workflow/controller/steps.go`` ``shouldExecute``): the
substituted text is tokenized by govaluate; Argo then turns every *variable* token into a *string* token, so a
bare word compares as its own text (``heads == heads`` is true); numbers are float64, ``true``/``false``
booleans, quoted text a string; ``=~``/``!~`` match a regular expression; a text govaluate cannot tokenize
(a leftover ``{{``, JSON braces, a quote inside a value) is an error, and a result that is not a boolean is
"Expected boolean evaluation". ``in`` is a comparator whose right side is a parenthesised, comma-separated
list (``Error in (Failed, Error)``, ``argo@v4.1.2:workflow/controller/when_test.go``). Errors read as
``shouldExecute`` words them: ``Invalid 'when' expression '<text>': <govaluate error>`` (with Argo's quoting
hint for an invalid token). Not reproduced: govaluate's parsing of quoted ISO dates as times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from athena.local.argo.gojson import format_v

__all__ = ["WhenError", "evaluate_when"]


class WhenError(ValueError):
    """The ``when`` text is not a boolean govaluate expression (Argo marks the node Error)."""


class _EvalError(WhenError):
    """A type error while evaluating (govaluate finds these at Evaluate, not at parse time)."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | str | bool | op | lparen | rparen
    value: Any


_OPS = ("==", "!=", ">=", "<=", "=~", "!~", "&&", "||", ">", "<", "+", "-", "*", "/", "%", "!")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "'\"":
            end = text.find(c, i + 1)
            if end < 0:
                raise WhenError("Unclosed string literal")
            out.append(_Tok("str", text[i + 1:end]))
            i = end + 1
            continue
        if c == "(":
            out.append(_Tok("lparen", c))
            i += 1
            continue
        if c == ")":
            out.append(_Tok("rparen", c))
            i += 1
            continue
        if c == ",":
            out.append(_Tok("sep", c))
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m is not None:
            out.append(_Tok("num", float(m.group())))
            i = m.end()
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_."):
                j += 1
            word = text[i:j]
            if word in ("true", "false"):
                out.append(_Tok("bool", word == "true"))
            elif word in ("in", "IN"):  # govaluate's textual comparator
                out.append(_Tok("op", "in"))
            else:
                out.append(_Tok("str", word))  # Argo: every VARIABLE token becomes a STRING token
            i = j
            continue
        if c == "[":  # govaluate's bracketed variable name: [some name]
            end = text.find("]", i)
            if end < 0:
                raise WhenError("Unclosed parameter bracket")
            out.append(_Tok("str", text[i + 1:end]))
            i = end + 1
            continue
        for op in _OPS:
            if text.startswith(op, i):
                out.append(_Tok("op", op))
                i += len(op)
                break
        else:
            j = i
            while j < n and not (text[j].isalnum() or text[j].isspace()):
                j += 1  # govaluate reads the run of non-alphanumeric characters as the bad token
            raise WhenError(f"Invalid token: '{text[i:max(j, i + 1)]}'")
    return out


_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, ">": 3, ">=": 3, "<": 3, "<=": 3, "=~": 3, "!~": 3, "in": 3,
               "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}


class _Parser:
    def __init__(self, toks: list[_Tok], text: str) -> None:
        self.toks = toks
        self.i = 0
        self.text = text

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def expr(self, min_prec: int = 1) -> Any:
        left = self.unary()
        while True:
            t = self.peek()
            if t is None or t.kind != "op" or t.value not in _PRECEDENCE or _PRECEDENCE[t.value] < min_prec:
                return left
            self.i += 1
            op = t.value
            if op in ("&&", "||"):
                if not isinstance(left, bool):
                    raise _EvalError(f"Value {left!r} cannot be used with the logical operator {op!r}")
                right = self.expr(_PRECEDENCE[op] + 1)
                if not isinstance(right, bool):
                    raise _EvalError(f"Value {right!r} cannot be used with the logical operator {op!r}")
                left = (left and right) if op == "&&" else (left or right)
                continue
            right = self.expr(_PRECEDENCE[op] + 1)
            left = _apply(op, left, right)

    def sequence(self) -> Any:
        """govaluate's separator: ``a, b`` (lowest precedence) builds an array."""
        v = self.expr()
        t = self.peek()
        if t is None or t.kind != "sep":
            return v
        items = [v]
        while t is not None and t.kind == "sep":
            self.i += 1
            items.append(self.expr())
            t = self.peek()
        return items

    def unary(self) -> Any:
        t = self.peek()
        if t is None:
            raise WhenError("Unexpected end of expression")
        if t.kind == "op" and t.value in ("!", "-"):
            self.i += 1
            v = self.unary()
            if t.value == "!":
                if not isinstance(v, bool):
                    raise _EvalError(f"Value {v!r} cannot be used with the prefix '!'")
                return not v
            if not isinstance(v, float):
                raise _EvalError(f"Value {v!r} cannot be used with the prefix '-'")
            return -v
        if t.kind == "lparen":
            self.i += 1
            v = self.sequence()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise WhenError("Unbalanced parenthesis")
            self.i += 1
            return v
        if t.kind in ("num", "str", "bool"):
            self.i += 1
            return t.value
        raise WhenError(f"Unexpected {t.value!r}")


def _apply(op: str, a: Any, b: Any) -> Any:
    if op == "in":
        if not isinstance(b, list):
            raise _EvalError(f"Value {b!r} cannot be used with the comparator 'in', it is not an array")
        return any(type(a) is type(x) and a == x for x in b)
    if op == "==":
        return type(a) is type(b) and a == b
    if op == "!=":
        return not (type(a) is type(b) and a == b)
    if op in ("=~", "!~"):
        if not (isinstance(a, str) and isinstance(b, str)):
            raise _EvalError(f"Value {a!r} cannot be used with the comparator {op!r}")
        try:
            hit = re.search(b, a) is not None
        except re.error as exc:
            raise _EvalError(f"invalid regular expression {b!r}: {exc}") from None
        return hit if op == "=~" else not hit
    if op in (">", ">=", "<", "<="):
        if not ((isinstance(a, float) and isinstance(b, float)) or (isinstance(a, str) and isinstance(b, str))):
            raise _EvalError(f"Value {a!r} cannot be used with the comparator {op!r}")
        x: Any = a
        return bool({">": x > b, ">=": x >= b, "<": x < b, "<=": x <= b}[op])
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if not (isinstance(a, float) and isinstance(b, float)):
        raise _EvalError(f"Value {a!r} cannot be used with the modifier {op!r}")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise _EvalError("division by zero")
    return a / b if op == "/" else float(int(a) % int(b))


def evaluate_when(text: str) -> bool:
    """The boolean ``when`` text (already substituted) means; :class:`WhenError` worded as Argo's would be."""
    if text == "":
        return True  # shouldExecute: an empty when runs the task
    try:
        if "{{" in text:
            raise WhenError("Invalid token: '{{' (a reference was left unresolved)")
        toks = _tokens(text)
        if not toks:
            raise WhenError("Unexpected end of expression")
        p = _Parser(toks, text)
        value = p.sequence()
        if p.i != len(toks):
            raise WhenError(f"Unexpected {toks[p.i].value!r}")
    except _EvalError as exc:
        raise WhenError(f"Failed to evaluate 'when' expresion '{text}': {exc}") from None  # sic, Argo's spelling
    except WhenError as exc:
        hint = ""
        if "Invalid token" in str(exc):
            hint = (" (hint: try wrapping the affected expression in quotes (\"), or write the condition as one "
                    "`{{= ... }}` expression)")
        raise WhenError(f"Invalid 'when' expression '{text}': {exc}{hint}") from None
    if not isinstance(value, bool):
        got = value if isinstance(value, str) else format_v(value)
        raise WhenError(f"Expected boolean evaluation for '{text}'. Got {got}")
    return value
