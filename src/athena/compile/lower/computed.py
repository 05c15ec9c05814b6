"""Values computed at run time from other values (issue 13): record constructors, f-strings, ``athena.wf``
facts, and ``range(...)`` as a fan-out source.

Each lowers to an IR value (``Record``, ``Format``, ``WfFact``, ``Sequence``) that ``argo/expr.py`` turns into
one expr-lang expression; a value made only of literals folds into a ``Lit`` at compile time, so the YAML holds
plain JSON where it can.
"""

from __future__ import annotations

import ast
import builtins
import json
import types
from typing import Any

from athena import codes
from athena.compile.lower.base import _MISSING, LowererBase, _Body, _Val
from athena.compile.model import Format, FormatKind, FormatPart, Lit, Record, Sequence, WfFact, WfFactName
from athena.compile.typecheck import (
    AnyT,
    LiteralT,
    ScalarT,
    StructT,
    TypeNode,
    TypeProblem,
    assignable,
    literal_fits,
    type_node,
)

WF_MODULE = "athena.wf"
EXIT_ONLY_FACTS = ("status", "failures")


def _fact_type(name: str) -> TypeNode:
    from athena import wf

    return type_node(wf.FACT_TYPES[name])


class ComputedMixin(LowererBase):
    # --------------------------------------------------------------------------------- dispatch

    def computed_value(self, body: _Body, node: ast.expr) -> _Val | None:
        """A record, an f-string or a workflow fact; None when ``node`` is none of them."""
        if isinstance(node, ast.JoinedStr):
            return self.fstring(body, node)
        if isinstance(node, ast.Attribute) and self._is_wf_module(node.value):
            return self.wf_fact(node)
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Call):
            cls = self._record_class(body, node.func)
            if cls is not None:
                return self.record(body, node, cls)
        return None

    def _is_wf_module(self, node: ast.expr) -> bool:
        obj = self._module_attr(node)
        return isinstance(obj, types.ModuleType) and obj.__name__ == WF_MODULE

    def _module_attr(self, node: ast.expr) -> Any:
        """``node`` as a module or a module attribute, without touching bindings (they are values)."""
        if isinstance(node, ast.Name):
            return self.globals.get(node.id, _MISSING)
        if isinstance(node, ast.Attribute):
            base = self._module_attr(node.value)
            if isinstance(base, types.ModuleType):
                if base.__name__ == "athena" and node.attr == "wf":
                    import athena.wf

                    return athena.wf
                return base.__dict__.get(node.attr, _MISSING)
        return _MISSING

    def _record_class(self, body: _Body, func: ast.expr) -> type | None:
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and body.scope.lookup(root.id) is not None:
            return None  # a binding: resolve_callee reports it
        obj = self._module_attr(func)
        if isinstance(obj, type):
            try:
                node = type_node(obj)
            except TypeProblem:
                return None
            if isinstance(node, StructT):
                return obj
        return None

    # ---------------------------------------------------------------------------------- records

    def record(self, body: _Body, node: ast.Call, cls: type) -> _Val:
        """``Rec(f=..., g=...)``: each field checked against its annotation; a JSON literal when every field is
        a literal, else a ``Record`` the emitter builds with one expression."""
        rtype = type_node(cls)
        assert isinstance(rtype, StructT)
        name = cls.__qualname__
        fields = rtype.fields
        by_name = {f.name: f for f in fields}
        if rtype.flavour == "TypedDict":  # a TypedDict is called with its keys
            by_name.update({str(f.wire): f for f in fields})
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.bail(codes.STAR_ARGS, "`*args` is not allowed at a call site", a)
        for kw in node.keywords:
            if kw.arg is None:
                raise self.bail(codes.STAR_ARGS, "`**kwargs` is not allowed at a call site", kw.value)
        if node.args and rtype.flavour in ("TypedDict", "pydantic"):
            raise self.bail(codes.RECORD_FIELD, f"`{name}` is a {rtype.flavour}: its fields are given by name",
                            node.args[0], hint=f"write `{name}({fields[0].name}=...)`" if fields else None)
        if len(node.args) > len(fields):
            raise self.bail(codes.RECORD_FIELD, f"`{name}` has {len(fields)} field(s), {len(node.args)} given "
                            "positionally", node.args[len(fields)])
        given: dict[str, tuple[_Val, ast.AST]] = {}
        for f, a in zip(fields, node.args, strict=False):
            given[f.name] = (self.value(body, a), a)
        for kw in node.keywords:
            key = kw.arg or ""
            found = by_name.get(key)
            if found is None:
                import difflib

                close = difflib.get_close_matches(key, list(by_name), n=1)
                raise self.bail(codes.RECORD_FIELD, f"`{name}` has no field `{key}`", kw,
                                hint=f"did you mean `{close[0]}`?" if close else
                                f"`{name}` has: {', '.join(f.name for f in fields) or 'no fields'}")
            if found.name in given:
                raise self.bail(codes.RECORD_FIELD, f"`{name}` field `{found.name}` is given twice", kw)
            given[found.name] = (self.value(body, kw.value), kw.value)
        missing = [f.name for f in fields if f.name not in given and not f.has_default]
        if missing:
            raise self.bail(codes.RECORD_MISSING, f"`{name}(...)` is missing field(s): "
                            f"{', '.join(f'`{m}`' for m in missing)}", node,
                            hint="give every field that has no default")
        for f in fields:
            if f.name in given:
                self._check_field(name, f.name, f.type, *given[f.name])
        array = rtype.flavour == "NamedTuple"
        parts: list[tuple[str | int, Any]] = []
        if array:  # by index, up to the last field given; a gap takes the field's default, as a literal
            last = max((i for i, f in enumerate(fields) if f.name in given), default=-1)
            defaults: dict[str, Any] = getattr(cls, "_field_defaults", {})
            for i, f in enumerate(fields[:last + 1]):
                if f.name in given:
                    parts.append((i, given[f.name][0].arg))
                else:
                    parts.append((i, Lit(_json_default(defaults[f.name], name, f.name))))
        else:
            parts = [(f.wire, given[f.name][0].arg) for f in fields if f.name in given]
        if all(isinstance(a, Lit) for _, a in parts):
            values = [a.value for _, a in parts]
            lit = values if array else {str(k): v for (k, _), v in zip(parts, values, strict=True)}
            return _Val(Lit(lit), rtype, self.span(node))
        return _Val(Record(tuple(parts), array=array), rtype, self.span(node))

    def _check_field(self, rec: str, field: str, ftype: TypeNode, v: _Val, at: ast.AST) -> None:
        if not self.resolve:
            return
        if v.type is None:
            assert isinstance(v.arg, Lit)
            if not literal_fits(v.arg.value, ftype):
                self.diags.append(codes.diag(codes.RECORD_FIELD_TYPE, f"`{rec}` field `{field}` expects {ftype}, "
                                             f"got {json.dumps(v.arg.value)}", self.span(at)))
            return
        if not assignable(v.type, ftype):
            self.diags.append(codes.diag(codes.RECORD_FIELD_TYPE, f"`{rec}` field `{field}` expects {ftype}, got "
                                         f"{v.type}", self.span(at)))

    # -------------------------------------------------------------------------------- f-strings

    def fstring(self, body: _Body, node: ast.JoinedStr) -> _Val:
        """``f"{run}/part-{i}"``: literal text and scalar values. A literal part is formatted now, by Python; a
        value part is printed by the expression as Python prints it (str as is, int in decimal, bool as
        ``True``/``False``). Float values print differently in Go, so they are refused."""
        from athena.compile.typecheck import STR

        parts: list[str | FormatPart] = []
        for piece in node.values:
            if isinstance(piece, ast.Constant):
                parts.append(str(piece.value))
                continue
            assert isinstance(piece, ast.FormattedValue)
            v = self.value(body, piece.value)
            spec = piece.format_spec if isinstance(piece.format_spec, ast.JoinedStr) else None
            if isinstance(v.arg, Lit):
                parts.append(self._format_literal(v.arg.value, piece))
                continue
            if piece.conversion not in (-1, ord("s")) or (spec is not None and spec.values):
                what = f"!{chr(piece.conversion)}" if piece.conversion not in (-1, ord("s")) else \
                    f":{ast.unparse(spec)[2:-1] if spec is not None else ''}"
                raise self.bail(codes.FSTRING_FORMAT, f"`{what}` cannot format `{ast.unparse(piece.value)}`, a value "
                                "known only at run time", piece.value, hint="format it in a @container and pass the "
                                "text on, or interpolate the plain value: `{x}`")
            parts.append(FormatPart(v.arg, self._format_kind(v, piece)))
        merged: list[str | FormatPart] = []
        for p in parts:  # adjacent text joins, so the expression has one literal per run of text
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            else:
                merged.append(p)
        if all(isinstance(p, str) for p in merged):
            return _Val(Lit("".join(p for p in merged if isinstance(p, str))), None, self.span(node))
        return _Val(Format(tuple(merged)), STR, self.span(node))

    def _format_literal(self, value: Any, piece: ast.FormattedValue) -> str:
        spec = ""
        fs = piece.format_spec
        if isinstance(fs, ast.JoinedStr):
            lit = [v.value for v in fs.values if isinstance(v, ast.Constant)]
            if len(lit) != len(fs.values):
                raise self.bail(codes.FSTRING_FORMAT, "a format spec must be literal text", fs)
            spec = "".join(map(str, lit))
        conv: dict[int, Any] = {ord("r"): repr, ord("a"): ascii, ord("s"): str}
        convert = conv.get(piece.conversion)
        try:
            return format(convert(value) if convert else value, spec)
        except (ValueError, TypeError) as exc:
            raise self.bail(codes.FSTRING_FORMAT, f"`{ast.unparse(piece)}`: {exc}", piece) from None

    def _format_kind(self, v: _Val, piece: ast.FormattedValue) -> FormatKind:
        t = v.type
        if not self.resolve or t is None or isinstance(t, AnyT):
            return "str"
        kind: str | None = None
        if isinstance(t, ScalarT):
            kind = t.kind
        elif isinstance(t, LiteralT) and t.values:
            kinds = {type(x).__name__ for x in t.values}
            kind = kinds.pop() if len(kinds) == 1 else None
        if kind in ("str", "int", "bool"):
            return kind  # type: ignore[return-value]
        why = ("a float prints differently in Argo (Go) and in Python" if kind == "float"
               else "only str, int and bool values can be interpolated")
        raise self.bail(codes.FSTRING_VALUE, f"`{ast.unparse(piece.value)}` is {t}: {why}", piece.value,
                        hint="pass the value to a @container and build the text there, or interpolate a str, int "
                             "or bool field of it")

    # ---------------------------------------------------------------------------- workflow facts

    def wf_fact(self, node: ast.Attribute) -> _Val:
        from athena import wf

        if node.attr not in wf.FACT_TYPES:
            raise self.bail(codes.WF_FACT_UNKNOWN, f"`athena.wf` has no fact `{node.attr}`", node,
                            hint=f"the facts are: {', '.join(wf.FACT_TYPES)}")
        name: WfFactName = node.attr  # type: ignore[assignment]
        if name in EXIT_ONLY_FACTS:
            self.exit_fact_uses.append(self.span(node))
        return _Val(WfFact(name), _fact_type(name), self.span(node))

    # -------------------------------------------------------------------------------- range(...)

    def range_source(self, body: _Body, call: ast.Call) -> Sequence | None:
        """``range(n)`` / ``range(a, b)`` (step 1) as a fan-out source; None when ``call`` is not ``range``."""
        if not (isinstance(call.func, ast.Name) and call.func.id == "range"
                and self.globals.get("range", builtins.range) is builtins.range
                and body.scope.lookup("range") is None):
            return None
        if call.keywords or not 1 <= len(call.args) <= 3 or any(isinstance(a, ast.Starred) for a in call.args):
            raise self.bail(codes.RANGE_FANOUT, "a fan-out range is `range(n)` or `range(start, stop)`", call)
        if len(call.args) == 3:
            step = self.literal(call.args[2])
            if step != 1:
                raise self.bail(codes.RANGE_FANOUT, f"`range` with step {ast.unparse(call.args[2])}: Argo's "
                                "withSequence counts by one", call.args[2],
                                hint="fan out over range(start, stop) and scale the number in the element's "
                                "template, or build the list in a @container")
        vals = [self.value(body, a) for a in call.args[:2]]
        for v, a in zip(vals, call.args, strict=False):
            ok = (isinstance(v.arg, Lit) and type(v.arg.value) is int) if v.type is None else \
                (not self.resolve or v.type == ScalarT("int") or isinstance(v.type, AnyT)
                 or (isinstance(v.type, LiteralT) and all(type(x) is int for x in v.type.values)))
            if not ok:
                raise self.bail(codes.RANGE_FANOUT, f"`range` takes int values; `{ast.unparse(a)}` is "
                                f"{v.type or json.dumps(v.arg.value if isinstance(v.arg, Lit) else None)}", a)
        if len(vals) == 1:
            return Sequence(Lit(0), vals[0].arg)
        return Sequence(vals[0].arg, vals[1].arg)


def _json_default(value: Any, rec: str, field: str) -> Any:
    from athena.compile.typecheck import check_value

    try:
        return check_value(value, f"the default of `{rec}.{field}`")
    except TypeProblem:
        return value
