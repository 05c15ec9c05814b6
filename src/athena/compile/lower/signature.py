"""A template's typed signature, resolved at first compile exactly as the pod resolves it."""

from __future__ import annotations

import inspect
import json
import typing
from typing import Any

import msgspec

from athena import codes, names
from athena.compile.lower.source import def_span, function_node, span_of
from athena.compile.model import Param
from athena.compile.typecheck import NONE, TypeNode, TypeProblem, check_value, type_node
from athena.decorators import Template
from athena.errors import CompileError, Diagnostic, Span


class Signature(msgspec.Struct, frozen=True):
    params: tuple[Param, ...]
    returns: TypeNode
    param_spans: dict[str, Span]

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


def signature(t: Template[Any, Any]) -> Signature:
    # Cached on the template itself: an id()-keyed cache would hand a dead template's signature to a new one.
    hit: Signature | None = t.__dict__.get("_athena_signature")
    if hit is None:
        hit = _build(t)
        t.__dict__["_athena_signature"] = hit
    return hit


def _param_spans(t: Template[Any, Any]) -> tuple[dict[str, Span], Span | None]:
    found = function_node(t.fn)
    spans: dict[str, Span] = {}
    ret: Span | None = None
    if found is not None:
        path, node = found
        a = node.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
            spans[arg.arg] = span_of(path, arg)
        for extra in (a.vararg, a.kwarg):
            if extra is not None:
                spans[extra.arg] = span_of(path, extra)
        if node.returns is not None:
            ret = span_of(path, node.returns)
    return spans, ret


def _build(t: Template[Any, Any]) -> Signature:
    fn = t.fn
    where = def_span(fn)
    spans, ret_span = _param_spans(t)
    diags: list[Diagnostic] = []
    name = fn.__qualname__
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:  # NameError for TYPE_CHECKING-only imports, and anything an annotation raises
        raise CompileError([codes.diag(
            codes.UNRESOLVED_ANNOTATION,
            f"the annotations of `{name}` cannot be resolved: {exc}",
            where,
        )]) from None
    sig = inspect.signature(fn)
    params: list[Param] = []
    for p in sig.parameters.values():
        span = spans.get(p.name, where)
        bad_name = names.check_parameter_name(p.name)
        if bad_name:
            diags.append(codes.diag(codes.BAD_NAME, f"`{name}` parameter `{p.name}`: {bad_name}", span))
            continue
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            diags.append(codes.diag(codes.SETTINGS_EXPLICIT,
                                    f"`{name}` parameter `{p.name}` is {p.kind.description}; "
                                    "templates take plain named parameters", span))
            continue
        if p.name not in hints:
            diags.append(codes.diag(codes.MISSING_ANNOTATION,
                                    f"`{name}` parameter `{p.name}` has no type annotation", span,
                                    hint=f"annotate it, e.g. `{p.name}: str`"))
            continue
        try:
            tn = type_node(hints[p.name])
        except TypeProblem as exc:
            diags.append(codes.diag(exc.code, f"`{name}` parameter `{p.name}`: {exc}", span))
            continue
        has_default = p.default is not inspect.Parameter.empty
        default: Any = None
        if has_default:
            try:
                default = _jsonable(p.default)
            except (TypeError, ValueError):
                diags.append(codes.diag(codes.BAD_LITERAL,
                                        f"`{name}` parameter `{p.name}` has a default that is not JSON: "
                                        f"{p.default!r}", span))
            else:
                try:  # the default is written into the YAML like a body literal: the same checks apply
                    check_value(default, f"the default of `{name}` parameter `{p.name}`")
                except TypeProblem as exc:
                    diags.append(codes.diag(exc.code, str(exc), span))
        params.append(Param(p.name, tn, has_default, default))
    returns: TypeNode = NONE
    if "return" not in hints:
        diags.append(codes.diag(codes.MISSING_ANNOTATION, f"`{name}` has no return annotation",
                                where, hint="annotate it, e.g. `-> str`, or `-> None` when it returns nothing"))
    else:
        try:
            returns = type_node(hints["return"])
        except TypeProblem as exc:
            diags.append(codes.diag(exc.code, f"`{name}` return type: {exc}", ret_span or where))
    if diags:
        raise CompileError(diags)
    return Signature(tuple(params), returns, spans)


def _jsonable(value: Any) -> Any:
    import msgspec

    try:
        out = msgspec.to_builtins(value, order="sorted")
    except (msgspec.EncodeError, TypeError) as exc:
        raise TypeError(str(exc)) from None
    json.dumps(out, allow_nan=False)
    return out
