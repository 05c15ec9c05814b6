"""Shared state and small types of the workflow-body lowering (see ``athena.compile.lower.body``)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import msgspec

from athena import codes
from athena.compile.lower.scope import Binding, Scope
from athena.compile.lower.source import span_of
from athena.compile.model import (
    Arg,
    ArmMerge,
    Cond,
    Sequence,
    Task,
    Workflow,
)
from athena.compile.typecheck import (
    ANY,
    TypeNode,
)
from athena.decorators import Template
from athena.errors import Diagnostic, Span
from athena.ports import PORT_FUNCTIONS

MAX_SAFE_INT = 2**53 - 1

_REJECTED_STMTS: dict[type, tuple[str, str]] = {
    ast.For: (codes.FOR_LOOP, "`for` loops are not allowed in a workflow body"),
    ast.AsyncFor: (codes.FOR_LOOP, "`for` loops are not allowed in a workflow body"),
    ast.While: (codes.WHILE_LOOP, "`while` loops are not allowed in a workflow body"),
    ast.Match: (codes.MATCH, "`match` is not allowed in a workflow body"),
    ast.Try: (codes.TRY, "`try` is not allowed in a workflow body"),
    ast.With: (codes.WITH, "`with` is not allowed in a workflow body"),
    ast.AsyncWith: (codes.WITH, "`with` is not allowed in a workflow body"),
    ast.Delete: (codes.DEL, "`del` is not allowed in a workflow body"),
    ast.Global: (codes.GLOBAL, "`global` is not allowed in a workflow body"),
    ast.Nonlocal: (codes.GLOBAL, "`nonlocal` is not allowed in a workflow body"),
    ast.AugAssign: (codes.AUG_ASSIGN, "augmented assignment is not allowed in a workflow body"),
}
if hasattr(ast, "TryStar"):
    _REJECTED_STMTS[ast.TryStar] = (codes.TRY, "`try` is not allowed in a workflow body")

_CONVERSIONS = {"str", "int", "float", "bool", "list", "dict", "tuple", "set", "frozenset", "len", "repr",
                "sorted", "sum", "min", "max", "abs", "round", "bytes"}
_PORT_FUNCS = frozenset(PORT_FUNCTIONS)
_OPTION_KEYS = ("continue_on", "on_exit", "on_success", "on_failure", "on_error", "hooks")
_CMP: dict[type[ast.cmpop], Any] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class _Bail(Exception):
    def __init__(self, diag: Diagnostic) -> None:
        self.diag = diag


class _Body(msgspec.Struct):
    scope: Scope
    tasks: list[Task] = msgspec.field(default_factory=list)
    taken: set[str] = msgspec.field(default_factory=set)
    fan_item: bool = False  # lowering a fan-out element: no nested calls


class _Val(msgspec.Struct, frozen=True):
    arg: Arg
    type: TypeNode | None  # None: a literal, checked by value
    span: Span


class Lowered(msgspec.Struct):
    workflow: Workflow | None
    synthetic: list[Workflow]
    callees: list[Template[Any, Any]]



class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()




class LowererBase:
    """State shared by the lowering passes; the passes live in mixins, one file each."""

    def __init__(self, template: Template[Any, Any], path: str, node: ast.FunctionDef | ast.AsyncFunctionDef,
                 *, resolve: bool, name_of: Callable[[Template[Any, Any]], str] | None = None) -> None:
        self.t = template
        self.path = path
        self.node = node
        self.resolve = resolve
        self.name_of = name_of or (lambda t: t.fn.__name__)
        self.globals: dict[str, Any] = getattr(template.fn, "__globals__", {})
        self.diags: list[Diagnostic] = []
        self.poisoned: set[str] = set()  # names bound only by rejected statements (no follow-on errors)
        self.synthetic: list[Workflow] = []
        self.callees: list[Template[Any, Any]] = []
        self.if_count = 0
        self._callee_ids: set[int] = set()
        self.each_count = 0
        self.root_name = self.name_of(template) if resolve else template.fn.__name__
        self.exit_fact_uses: list[Span] = []  # issue 13: where the body reads athena.wf.status / failures

    # ---------------------------------------------------------------------------------- helpers

    def span(self, node: ast.AST) -> Span:
        return span_of(self.path, node)

    def error(self, code: str, message: str, node: ast.AST, hint: str | None = None) -> None:
        self.diags.append(codes.diag(code, message, self.span(node), hint=hint))

    def bail(self, code: str, message: str, node: ast.AST, hint: str | None = None) -> _Bail:
        return _Bail(codes.diag(code, message, self.span(node), hint=hint))


    def add_callee(self, tmpl: Template[Any, Any]) -> None:
        if id(tmpl) not in self._callee_ids:
            self._callee_ids.add(id(tmpl))
            self.callees.append(tmpl)

    # Implemented by the mixins; declared here so each pass can call the others.
    def call(self, body: _Body, node: ast.Call, *, bind: str | None, fan_over: Arg | Sequence | None = None,
             fan_deps: tuple[str, ...] = ()) -> Binding:
        raise NotImplementedError

    def statements(self, body: _Body, stmts: list[ast.stmt], *, top: bool,
                   returns: TypeNode = ANY) -> Arg | ArmMerge | None:
        raise NotImplementedError

    def value(self, body: _Body, node: ast.expr) -> _Val:
        raise NotImplementedError

    def access(self, body: _Body, node: ast.expr) -> _Val:
        raise NotImplementedError

    def literal(self, node: ast.expr) -> Any:
        raise NotImplementedError

    def resolve_callee(self, body: _Body, expr: ast.expr) -> Template[Any, Any] | None:
        raise NotImplementedError

    def condition(self, body: _Body, wscope: Scope, node: ast.expr) -> Cond:
        raise NotImplementedError

    def computed_value(self, body: _Body, node: ast.expr) -> _Val | None:  # issue 13 (lower/computed.py)
        raise NotImplementedError

    def range_source(self, body: _Body, call: ast.Call) -> Sequence | None:  # issue 13 (lower/computed.py)
        raise NotImplementedError
