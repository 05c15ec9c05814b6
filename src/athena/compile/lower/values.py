"""Arguments: literals, inputs, bindings and their fields, module constants, callee resolution."""

from __future__ import annotations

import ast
import builtins
import enum
import json
import types
import typing
from typing import Any

from athena import codes
from athena.compile.lower.base import (
    _CONVERSIONS,
    _MISSING,
    _PORT_FUNCS,
    MAX_SAFE_INT,
    LowererBase,
    _Bail,
    _Body,
    _Val,
)
from athena.compile.lower.scope import Binding
from athena.compile.model import (
    Lit,
)
from athena.compile.typecheck import (
    ANY,
    NONE,
    TypeNode,
    TypeProblem,
    check_value,
    field_step,
    lone_surrogate,
    type_node,
)
from athena.decorators import Fragment, Template


class ValuesMixin(LowererBase):
    def resolve_callee(self, body: _Body, expr: ast.expr) -> Template[Any, Any] | None:
        """The template ``expr`` names; None when not resolvable yet (grammar mode)."""
        root = expr
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and body.scope.lookup(root.id) is not None:
            if isinstance(expr, ast.Attribute):
                raise self.bail(codes.METHOD_CALL, f"`{ast.unparse(expr)}(...)` calls a method on a value",
                                expr)
            raise self.bail(codes.NOT_A_TEMPLATE, f"`{root.id}` is a value, not a template", expr)
        obj = self.lookup_global(expr)
        if obj is _MISSING:
            if not self.resolve:
                return None
            raise self.bail(codes.UNKNOWN_NAME, f"`{ast.unparse(expr)}` is not defined: no template, function or "
                            "import of that name in this module", expr, hint=self._callee_hint(expr))
        if isinstance(obj, Template):
            return obj
        if isinstance(obj, Fragment):
            raise self.bail(codes.FRAGMENT_CALL, f"`{ast.unparse(expr)}` is a @fragment", expr)
        name = getattr(obj, "__name__", "")
        if getattr(obj, "__module__", "") in ("athena.ports", "athena") and name in _PORT_FUNCS:
            raise self.bail(codes.ARTIFACT_IN_WORKFLOW, f"`{name}()` cannot be used in a workflow body", expr)
        if getattr(obj, "__module__", "") == "athena.runtime.settings" and name == "settings":  # settings (issue 9)
            raise self.bail(codes.SETTINGS_IN_WORKFLOW, "`athena.settings()` reads a container's environment; it "
                            "cannot be used in a workflow body", expr)
        if obj in (str, int, float, bool, list, dict, tuple, set, frozenset, bytes) or (
            isinstance(obj, types.BuiltinFunctionType) and name in _CONVERSIONS
        ):
            raise self.bail(codes.CONVERSION, f"`{ast.unparse(expr)}(...)` converts a value; "
                            "a workflow body only wires values", expr)
        if isinstance(obj, type) and _is_record_type(obj):
            raise self.bail(codes.NOT_A_TEMPLATE, f"`{ast.unparse(expr)}(...)` builds a `{obj.__name__}` record "
                            "value, which is not a task on its own", expr,
                            hint=f"pass it to a template (`t({obj.__name__}(...))`) or bind it "
                                 f"(`x = {obj.__name__}(...)`)")
        raise self.bail(codes.NOT_A_TEMPLATE, f"`{ast.unparse(expr)}` is not a @container or @workflow", expr,
                        hint="a workflow body calls only templates; their arguments may be literals, workflow "
                             "inputs, earlier bindings, fields of them (`b.f`, `b[\"k\"]`) and nested template "
                             "calls")

    def _callee_hint(self, expr: ast.expr) -> str:
        """Did-you-mean over the templates this module can see, else how to make one."""
        import difflib

        g: dict[str, Any] = getattr(self.t.fn, "__globals__", {})
        known = sorted(k for k, v in g.items() if isinstance(v, Template))
        close = difflib.get_close_matches(ast.unparse(expr), known, n=1)
        if close:
            return f"did you mean `{close[0]}`?"
        return "define it (or import it) as a @container or @workflow; a workflow body calls only templates"

    def lookup_global(self, expr: ast.expr) -> Any:
        if isinstance(expr, ast.Name):
            if expr.id in self.globals:
                return self.globals[expr.id]
            if hasattr(builtins, expr.id):
                return getattr(builtins, expr.id)
            return _MISSING
        if isinstance(expr, ast.Attribute):
            base = self.lookup_global(expr.value)
            if base is _MISSING:
                return _MISSING
            if isinstance(base, types.ModuleType) or (isinstance(base, type) and issubclass(base, enum.Enum)):
                return getattr(base, expr.attr, _MISSING)
            raise self.bail(codes.METHOD_CALL, f"`{ast.unparse(expr)}` is an attribute of a non-module object",
                            expr)
        return _MISSING

    def value(self, body: _Body, node: ast.expr) -> _Val:
        span = self.span(node)
        lit = self.literal(node)
        if lit is not _MISSING:
            return _Val(Lit(lit), None, span)
        computed = self.computed_value(body, node)  # issue 13: a record, an f-string, an athena.wf fact
        if computed is not None:
            return computed
        if isinstance(node, ast.Call):
            if body.fan_item:
                raise self.bail(codes.UNSUPPORTED_EXPRESSION, "arguments inside a fan-out cannot be template "
                                "calls", node, hint="bind the call before the fan-out, or fan out over a workflow")
            b = self.call(body, node, bind=None)
            return self.use(b, "", (), node)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.access(body, node)
        if isinstance(node, (ast.BinOp, ast.BoolOp, ast.Compare, ast.UnaryOp)):
            raise self.bail(codes.ARITHMETIC, f"`{ast.unparse(node)}` computes a value; a workflow body only "
                            "wires values", node)
        if isinstance(node, ast.IfExp):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, "a value-if must be bound first", node,
                            hint="write `x = a(...) if cond else b(...)` and pass `x`")
        if isinstance(node, ast.ListComp):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, "a fan-out must be bound first", node,
                            hint="write `ys = [t(x) for x in xs]` and pass `ys`")
        if isinstance(node, ast.NamedExpr):
            raise self.bail(codes.WALRUS, "`:=` is not allowed in a workflow body", node)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, "collections of bindings cannot be built in a "
                            "workflow body", node, hint="pass the values separately, or build the collection "
                            "in a @container")
        raise self.bail(codes.UNSUPPORTED_EXPRESSION, f"`{ast.unparse(node)}` is not a workflow argument", node)

    def use(self, b: Binding, name: str, path: tuple[str | int, ...], node: ast.AST) -> _Val:
        if self.resolve and b.type == NONE:
            raise self.bail(codes.NONE_CONSUMED, f"`{ast.unparse(node)}` is the result of a template that "
                            "returns None", node)
        return _Val(b.ref(name, path), b.type, self.span(node))

    def access(self, body: _Body, node: ast.expr) -> _Val:
        chain: list[str] = []
        cur = node
        while True:
            if isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                cur = cur.value
            elif isinstance(cur, ast.Subscript):
                s = cur.slice
                if not (isinstance(s, ast.Constant) and isinstance(s.value, str)):
                    raise self.bail(codes.UNSUPPORTED_EXPRESSION, "only string keys can index a value: "
                                    "`b[\"field\"]`", s)
                chain.append(s.value)
                cur = cur.value
            else:
                break
        chain.reverse()
        if not isinstance(cur, ast.Name):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, f"`{ast.unparse(node)}` is not a workflow argument", node)
        escaped = body.scope.escaped(cur.id)
        if escaped is not False:
            raise self.bail(codes.ARM_BINDING_ESCAPES, f"`{cur.id}` is bound inside an `if` arm and used after it",
                            cur)
        b = body.scope.lookup(cur.id)
        if b is None:
            return self.global_value(node, cur.id)
        t: TypeNode = b.type
        path: list[str | int] = []
        for step in chain:
            if not self.resolve:
                path.append(step)
                continue
            r = field_step(t, step)
            if isinstance(r, str):
                raise self.bail(codes.NO_FIELD, r, node)
            path.append(r[0])
            t = r[1]
        if self.resolve and b.type == NONE:
            raise self.bail(codes.NONE_CONSUMED, f"`{cur.id}` is the result of a template that returns None", cur)
        try:
            return _Val(b.ref(cur.id, tuple(path)), t, self.span(node))
        except LookupError:  # issue 13: `cfg.f` where the record value `cfg` leaves `f` to its default
            raise self.bail(codes.NO_FIELD, f"`{ast.unparse(node)}`: the record value `{cur.id}` does not set "
                            "this field (it takes the type's default in the step)", node,
                            hint="give the field explicitly where the record is built") from None

    def global_value(self, node: ast.expr, root: str) -> _Val:
        try:
            obj = self.lookup_global(node)
        except _Bail:
            obj = _MISSING
        if obj is _MISSING:
            if not self.resolve and (isinstance(node, ast.Attribute) or root in self.globals):
                return _Val(Lit(None), ANY, self.span(node))
            if not self.resolve:
                return _Val(Lit(None), ANY, self.span(node))
            raise self.bail(codes.UNKNOWN_NAME, f"`{ast.unparse(node)}` is not a parameter, a binding or a "
                            "module constant", node)
        if isinstance(obj, enum.Enum):
            try:  # the Enum's own rules (all str or all int, each a JSON value), then the value itself
                type_node(type(obj))
            except TypeProblem as exc:
                raise self.bail(exc.code, str(exc), node) from None
            return _Val(Lit(obj.value), None, self.span(node))
        if isinstance(obj, (Template, Fragment)) or callable(obj):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, f"`{ast.unparse(node)}` is a function; call it, or "
                            "pass a value", node)
        try:
            # a module constant is written into the YAML like a body literal: the same checks apply
            value = check_value(obj, f"module constant `{ast.unparse(node)}`")
        except TypeProblem as exc:
            raise self.bail(exc.code, str(exc), node) from None
        return _Val(Lit(value), None, self.span(node))

    def literal(self, node: ast.expr) -> Any:
        """The JSON value of a Python literal, or _MISSING when ``node`` is not a literal."""
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None:
                return v
            if isinstance(v, int):
                if abs(v) > MAX_SAFE_INT:
                    raise self.bail(codes.INT_RANGE, f"{v} is outside ±(2**53-1)", node)
                return v
            if isinstance(v, float):
                if v != v or v in (float("inf"), float("-inf")):
                    raise self.bail(codes.BAD_LITERAL, f"{ast.unparse(node)} is not a finite number; JSON has no "
                                    "NaN or Infinity", node)
                return v
            if isinstance(v, str):
                if lone_surrogate(v) is not None:
                    raise self.bail(codes.UNENCODABLE_STRING, f"string literal {v!r} contains a lone surrogate, "
                                    "which is not Unicode text and cannot be written as UTF-8", node)
                return v
            raise self.bail(codes.BAD_LITERAL, f"{ast.unparse(node)} is not a JSON value", node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
                and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float):
            num = typing.cast(int | float, node.operand.value)
            return self.literal(ast.copy_location(ast.Constant(-num if isinstance(node.op, ast.USub) else num), node))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.literal(e) for e in node.elts]
            if any(i is _MISSING for i in items):
                return _MISSING
            if isinstance(node, ast.Set):
                return sorted(items, key=json.dumps)
            return items
        if isinstance(node, ast.Dict):
            out: dict[str, Any] = {}
            for k, val in zip(node.keys, node.values, strict=True):
                if k is None:
                    return _MISSING
                kv = self.literal(k)
                vv = self.literal(val)
                if kv is _MISSING or vv is _MISSING:
                    return _MISSING
                if not isinstance(kv, str):
                    raise self.bail(codes.BAD_LITERAL, "JSON object keys must be strings", k)
                out[kv] = vv
            return out
        return _MISSING


def _is_record_type(cls: type) -> bool:
    """A dataclass, NamedTuple, TypedDict, msgspec Struct or pydantic model: a boundary record type."""
    import dataclasses

    if dataclasses.is_dataclass(cls) or hasattr(cls, "_fields") or hasattr(cls, "__total__"):
        return True
    return any(f"{b.__module__}.{b.__qualname__}" in ("msgspec.Struct", "pydantic.main.BaseModel")
               for b in cls.__mro__)
