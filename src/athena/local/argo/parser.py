"""A Pratt parser for expr-lang: text → a small tree the evaluator walks.

Precedences and associativity are expr-lang's (``parser/operator``): ``or ||`` 10, ``and &&`` 15,
comparisons and ``in``/``matches``/``contains``/``startsWith``/``endsWith`` 20, ``..`` 25, ``+ -`` 30,
``* / %`` 60, ``** ^`` 100 (right), ``??`` 500; unary ``not !`` 50 and ``- +`` 90; the ternary ``?:`` and
``let x = v; body`` sit below every binary operator. ``not in`` (and ``not matches``, …) is the negation of
the positive operator. A chain holding ``?.`` yields ``nil`` as a whole when an optional step meets ``nil``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from athena.local.argo.lexer import ExprSyntaxError, Token, tokenize

__all__ = ["Invoke", "Node", "parse"]


@dataclass(frozen=True, slots=True)
class Lit:
    value: Any


@dataclass(frozen=True, slots=True)
class Name:
    name: str


@dataclass(frozen=True, slots=True)
class Pointer:
    """``#`` (the current element of a predicate), or ``#acc``/``#index``."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "!" "-" "+"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "&&" "||" for the word forms too
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Ternary:
    cond: Node
    then: Node
    other: Node


@dataclass(frozen=True, slots=True)
class Member:
    base: Node
    key: Node
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Slice:
    base: Node
    lo: Node | None
    hi: Node | None


@dataclass(frozen=True, slots=True)
class Chain:
    """A member chain holding ``?.``: an optional step on ``nil`` makes the whole chain ``nil``."""

    inner: Node


@dataclass(frozen=True, slots=True)
class Closure:
    body: Node


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Invoke:
    """A call of a member (``sprig.upper(x)``): expr-lang calls a function value read from a map."""

    callee: Node
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Array:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLit:
    pairs: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    value: Node
    body: Node


Node = (Lit | Name | Pointer | Unary | Binary | Ternary | Member | Slice | Chain | Closure | Call | Invoke | Array
        | MapLit | Let)

_BINARY: dict[str, tuple[int, bool]] = {  # op → (precedence, right-associative)
    "|": (0, False), "or": (10, False), "||": (10, False), "and": (15, False), "&&": (15, False),
    "==": (20, False), "!=": (20, False), "<": (20, False), ">": (20, False), "<=": (20, False),
    ">=": (20, False), "in": (20, False), "matches": (20, False), "contains": (20, False),
    "startsWith": (20, False), "endsWith": (20, False), "..": (25, False), "+": (30, False), "-": (30, False),
    "*": (60, False), "/": (60, False), "%": (60, False), "**": (100, True), "^": (100, True), "??": (500, False),
}
_UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
_NEGATABLE = frozenset({"in", "matches", "contains", "startsWith", "endsWith"})
_CANONICAL = {"or": "||", "and": "&&", "not": "!", "^": "**"}
# Builtins whose second argument is a predicate (``{...}`` there is a closure, not a map literal).
PREDICATE_BUILTINS = frozenset({"map", "filter", "all", "any", "none", "one", "count", "find", "findIndex",
                                "findLast", "findLastIndex", "groupBy", "sortBy", "sum", "reduce"})


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def cur(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def expect(self, op: str) -> None:
        if not self.cur.is_op(op):
            raise ExprSyntaxError(f"expected {op!r} at {self.cur.pos}, found {self.cur.value or 'end'!r}")
        self.advance()

    # ------------------------------------------------------------------------------------ expressions

    def expression(self, precedence: int = 0) -> Node:
        if precedence == 0 and self.cur.is_op("let"):
            return self.let()
        left = self.unary()
        while self.cur.kind == "op":
            tok = self.cur
            negate = tok.is_op("not") and self.peek().kind == "op" and self.peek().value in _NEGATABLE
            op = self.peek().value if negate else tok.value
            entry = _BINARY.get(op)
            if entry is None or entry[0] < precedence or (tok.is_op("not") and not negate):
                break
            self.advance()
            if negate:
                self.advance()
            prec, right_assoc = entry
            right = self.expression(prec if right_assoc else prec + 1)
            if op == "|":
                left = self.pipe(left, right)
            else:
                node: Node = Binary(_CANONICAL.get(op, op), left, right)
                left = Unary("!", node) if negate else node
        if precedence == 0:
            left = self.conditional(left)
        return left

    def pipe(self, left: Node, right: Node) -> Node:
        if not isinstance(right, Call):
            raise ExprSyntaxError("the right side of | must be a function call")
        return Call(right.name, (left, *right.args))

    def conditional(self, cond: Node) -> Node:
        while self.cur.is_op("?"):
            self.advance()
            then = self.expression(0)
            self.expect(":")
            other = self.expression(0)
            cond = Ternary(cond, then, other)
        return cond

    def let(self) -> Node:
        self.advance()
        tok = self.advance()
        if tok.kind != "name":
            raise ExprSyntaxError(f"expected a variable name after let at {tok.pos}")
        self.expect("=")
        value = self.expression(0)
        self.expect(";")
        return Let(tok.value, value, self.expression(0))

    def unary(self) -> Node:
        tok = self.cur
        if tok.kind == "op" and tok.value in _UNARY:
            self.advance()
            operand = self.expression(_UNARY[tok.value])
            return Unary(_CANONICAL.get(tok.value, tok.value), operand)
        return self.postfix(self.primary())

    # ------------------------------------------------------------------------------------- primaries

    def primary(self) -> Node:
        tok = self.advance()
        if tok.kind == "number":
            return Lit(_number_value(tok.value))
        if tok.kind == "string":
            return Lit(tok.value)
        if tok.kind == "pointer":
            return Pointer(tok.value)
        if tok.kind == "name":
            if tok.value in ("true", "false"):
                return Lit(tok.value == "true")
            if tok.value == "nil":
                return Lit(None)
            if self.cur.is_op("("):
                return self.call(tok.value)
            return Name(tok.value)
        if tok.is_op("("):
            inner = self.expression(0)
            self.expect(")")
            return inner
        if tok.is_op("["):
            return Array(tuple(self.items("]")))
        if tok.is_op("{"):
            return self.map_literal()
        if tok.is_op("."):  # `.Field` inside a predicate is `#.Field`
            name = self.advance()
            if name.kind not in ("name", "op"):
                raise ExprSyntaxError(f"expected a field name at {name.pos}")
            return Member(Pointer(""), Lit(name.value))
        raise ExprSyntaxError(f"unexpected {tok.value or 'end'!r} at {tok.pos}")

    def items(self, close: str) -> list[Node]:
        out: list[Node] = []
        while not self.cur.is_op(close):
            out.append(self.expression(0))
            if not self.cur.is_op(","):
                break
            self.advance()
        self.expect(close)
        return out

    def map_literal(self) -> Node:
        pairs: list[tuple[Node, Node]] = []
        while not self.cur.is_op("}"):
            tok = self.cur
            key: Node
            if tok.kind in ("name", "string") or (tok.kind == "op" and tok.value.isalpha()):
                self.advance()
                key = Lit(tok.value)
            elif tok.kind == "number":
                self.advance()
                key = Lit(_number_value(tok.value))
            elif tok.is_op("("):
                self.advance()
                key = self.expression(0)
                self.expect(")")
            else:
                raise ExprSyntaxError(f"a map key must be a name, a string, a number or (expr), at {tok.pos}")
            self.expect(":")
            pairs.append((key, self.expression(0)))
            if not self.cur.is_op(","):
                break
            self.advance()
        self.expect("}")
        return MapLit(tuple(pairs))

    def call(self, name: str) -> Node:
        self.expect("(")
        args: list[Node] = []
        while not self.cur.is_op(")"):
            if args and name in PREDICATE_BUILTINS and len(args) == 1:
                args.append(self.closure())
            else:
                args.append(self.expression(0))
            if not self.cur.is_op(","):
                break
            self.advance()
        self.expect(")")
        return Call(name, tuple(args))

    def closure(self) -> Node:
        if self.cur.is_op("{"):
            self.advance()
            body = self.expression(0)
            self.expect("}")
            return Closure(body)
        return Closure(self.expression(0))

    def postfix(self, node: Node) -> Node:
        optional_seen = False
        while True:
            tok = self.cur
            if tok.is_op(".", "?."):
                self.advance()
                name = self.advance()
                if name.kind not in ("name", "op") or not name.value:
                    raise ExprSyntaxError(f"expected a field name at {name.pos}")
                node = Member(node, Lit(name.value), optional=tok.value == "?.")
            elif tok.is_op("?.["):
                self.advance()
                key = self.expression(0)
                self.expect("]")
                node = Member(node, key, optional=True)
            elif tok.is_op("["):
                self.advance()
                node = self.index(node)
            elif tok.is_op("(") and isinstance(node, Member):
                self.advance()
                args = self.items(")")
                node = Invoke(node, tuple(args))
            else:
                break
            optional_seen = optional_seen or tok.value in ("?.", "?.[")
        return Chain(node) if optional_seen else node

    def index(self, base: Node) -> Node:
        if self.cur.is_op(":"):
            self.advance()
            hi = None if self.cur.is_op("]") else self.expression(0)
            self.expect("]")
            return Slice(base, None, hi)
        key = self.expression(0)
        if self.cur.is_op(":"):
            self.advance()
            hi = None if self.cur.is_op("]") else self.expression(0)
            self.expect("]")
            return Slice(base, key, hi)
        self.expect("]")
        return Member(base, key)


def _number_value(text: str) -> int | float:
    clean = text.replace("_", "")
    try:
        if clean[:2].lower() in ("0x", "0o", "0b"):
            return int(clean, 0)
        if any(c in clean for c in ".eE"):
            return float(clean)
        return int(clean)
    except ValueError:
        raise ExprSyntaxError(f"invalid number {text!r}") from None


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """The tree of one expression; cached by text (the same condition is evaluated per task and item)."""
    p = _Parser(text)
    node = p.expression(0)
    if p.cur.kind != "eof":
        raise ExprSyntaxError(f"unexpected {p.cur.value!r} at {p.cur.pos}")
    return node
