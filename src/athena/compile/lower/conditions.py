"""Conditions of `if` and value-if: one expr-lang boolean each, with operand type checks."""

from __future__ import annotations

import ast
import json
from typing import Any, Literal

from athena import codes
from athena.compile.lower.base import (
    _CMP,
    _MISSING,
    LowererBase,
    _Body,
    _Val,
)
from athena.compile.lower.scope import Scope
from athena.compile.model import (
    BoolOp,
    Compare,
    Cond,
    InLits,
    IsNone,
    Lit,
    Not,
    Truth,
)
from athena.compile.typecheck import (
    BOOL,
    AnyT,
    literal_fits,
    scalar_kind,
)


class ConditionsMixin(LowererBase):
    def condition(self, body: _Body, wscope: Scope, node: ast.expr) -> Cond:
        if isinstance(node, ast.BoolOp):
            bop: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(bop, tuple(self.condition(body, wscope, v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.condition(body, wscope, node.operand))
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.bail(codes.CHAINED_COMPARE, "chained comparisons are not allowed in a condition", node)
            cop, right = node.ops[0], node.comparators[0]
            left = self.operand(body, wscope, node.left)
            if isinstance(cop, (ast.Is, ast.IsNot)):
                if not (isinstance(right, ast.Constant) and right.value is None):
                    raise self.bail(codes.BAD_CONDITION, "`is` compares with None only", node)
                return IsNone(left.arg, negated=isinstance(cop, ast.IsNot))
            if isinstance(cop, (ast.In, ast.NotIn)):
                values = self.literal(right)
                if not isinstance(right, (ast.Tuple, ast.List, ast.Set)) or values is _MISSING:
                    raise self.bail(codes.BAD_CONDITION, "`in` takes a literal tuple: `x in (\"a\", \"b\")`", right)
                self.check_cond_literals(left, values, node)
                return InLits(left.arg, tuple(values), negated=isinstance(cop, ast.NotIn))
            sym = _CMP.get(type(cop))
            if sym is None:  # pragma: no cover - every ast.cmpop is listed above
                raise self.bail(codes.BAD_CONDITION, "unsupported comparison", node)
            rv = self.operand(body, wscope, right)
            self.check_compare(left, rv, node)
            self._check_braces(left, rv, node)
            return Compare(sym, left.arg, rv.arg)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return Truth(Lit(node.value))
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            v = self.operand(body, wscope, node)
            if self.resolve and v.type is not None and v.type != BOOL and not isinstance(v.type, AnyT):
                raise self.bail(codes.TRUTHINESS, f"`{ast.unparse(node)}` is {v.type}, not bool", node)
            return Truth(v.arg)
        raise self.bail(codes.BAD_CONDITION, f"`{ast.unparse(node)}` is not a supported condition", node)

    def _check_braces(self, left: _Val, right: _Val, node: ast.AST) -> None:
        for v in (left, right):
            if isinstance(v.arg, Lit) and isinstance(v.arg.value, str) and "}}" in v.arg.value:
                raise self.bail(codes.LITERAL_TEMPLATE_BRACES, "a condition literal cannot contain `}}`", node)

    def operand(self, body: _Body, wscope: Scope, node: ast.expr) -> _Val:
        """A condition operand, read through the wrapper's scope; template calls are hoisted into ``body``."""
        if isinstance(node, ast.Call):
            b = self.call(body, node, bind="cond")
            hidden = f"cond-{b.task}"
            body.scope.names[hidden] = b
            captured = wscope.lookup(hidden)
            assert captured is not None
            return _Val(captured.ref(hidden), captured.type, self.span(node))
        if isinstance(node, (ast.Attribute, ast.JoinedStr)):  # issue 13: an athena.wf fact, an f-string
            computed = self.computed_value(_Body(wscope), node)
            if computed is not None:
                return computed
        lit = self.literal(node)
        if lit is not _MISSING:
            if isinstance(lit, (list, dict)):
                raise self.bail(codes.BAD_CONDITION, "conditions compare scalar values", node)
            return _Val(Lit(lit), None, self.span(node))
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.access(_Body(wscope), node)
        raise self.bail(codes.BAD_CONDITION, f"`{ast.unparse(node)}` cannot be a condition operand", node)

    def check_compare(self, left: _Val, right: _Val, node: ast.AST) -> None:
        if not self.resolve:
            return
        kinds = []
        for v in (left, right):
            if v.type is None:
                val = v.arg.value if isinstance(v.arg, Lit) else None
                kinds.append("None" if val is None else type(val).__name__)
            elif isinstance(v.type, AnyT):
                kinds.append("any")
            else:
                k = scalar_kind(v.type)
                if k is None:
                    raise self.bail(codes.CONDITION_TYPE, f"`{ast.unparse(node)}` compares {v.type}, which is "
                                    "not a scalar", node)
                kinds.append(k)
        numeric = {"int", "float"}
        a, b = kinds
        if "any" in kinds or a == b or (a in numeric and b in numeric):
            return
        raise self.bail(codes.CONDITION_TYPE, f"`{ast.unparse(node)}` compares {a} with {b}", node)

    def check_cond_literals(self, left: _Val, values: list[Any], node: ast.AST) -> None:
        if not self.resolve or left.type is None:
            return
        for v in values:
            if not literal_fits(v, left.type):
                raise self.bail(codes.CONDITION_TYPE, f"{json.dumps(v)} can never equal a value of type "
                                f"{left.type}", node)
