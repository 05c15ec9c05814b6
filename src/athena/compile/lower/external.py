"""External templates (issue 13): the stub check at decoration, and what a call of one lowers to.

A stub declares a template of a WorkflowTemplate that athena does not build. A call is type-checked against
the stub's annotations like any template call, and its task names the stub by ``external:<module:qualname>``
(never a template of the program, so the emitter and the callee ordering skip it) and carries the
``templateRef`` in ``Task.external``.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from athena import codes
from athena.compile.lower.source import decorator_keyword_span, def_span, function_node, span_of
from athena.compile.model import ExternalRef
from athena.decorators import External, Template
from athena.errors import CompileError, Diagnostic

#: The prefix of an external call's ``Task.template``: not a name athena generates (those have no ``:``).
PREFIX = "external:"
_OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_TEMPLATE_NAME = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]*")


def check_stub(e: External[Any, Any]) -> None:
    """The decorator's arguments and the stub's body (``...``, after an optional docstring)."""
    diags: list[Diagnostic] = []
    ref, template = e.template_ref, e.template
    if not isinstance(ref, str) or len(ref) > 253 or not _OBJECT_NAME.fullmatch(ref):
        diags.append(codes.diag(codes.BAD_EXTERNAL_REF, f"template_ref={ref!r} is not a WorkflowTemplate name",
                                decorator_keyword_span(e.fn, "template_ref")))
    if not isinstance(template, str) or len(template) > 128 or not _TEMPLATE_NAME.fullmatch(template):
        diags.append(codes.diag(codes.BAD_EXTERNAL_REF, f"template={template!r} is not an Argo template name",
                                decorator_keyword_span(e.fn, "template")))
    if not isinstance(e.cluster_scope, bool):
        diags.append(codes.diag(codes.BAD_EXTERNAL_REF, f"cluster_scope={e.cluster_scope!r} must be True or False",
                                decorator_keyword_span(e.fn, "cluster_scope")))
    found = function_node(e.fn)
    if found is not None:
        path, node = found
        body = list(node.body)
        if body and _is_docstring(body[0]):
            body = body[1:]
        if not (len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and body[0].value.value is Ellipsis):
            at = body[0] if body else node
            diags.append(codes.diag(codes.EXTERNAL_STUB_BODY, f"`{e.fn.__qualname__}` is an external template "
                                    "stub: its body must be `...`", span_of(path, at)))
    elif "<locals>" in e.fn.__qualname__:
        diags.append(codes.diag(codes.NOT_MODULE_LEVEL, f"`{e.fn.__qualname__}` is not defined at module level",
                                def_span(e.fn)))
    if diags:
        raise CompileError(diags)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def is_external(t: Template[Any, Any] | None) -> bool:
    return isinstance(t, External)


def task_template(t: External[Any, Any]) -> str:
    return PREFIX + t.entry


def reference(t: External[Any, Any]) -> ExternalRef:
    return ExternalRef(t.template_ref, t.template, t.cluster_scope)


def artifact_problem(t: External[Any, Any]) -> str | None:
    """Why the stub's signature cannot describe an external template (an Artifact travels as an artifact, and
    an external template is passed parameters only), or None."""
    from athena.compile.lower.signature import signature
    from athena.compile.typecheck import ArtifactT

    sig = signature(t)
    for p in sig.params:
        if isinstance(p.type, ArtifactT):
            return f"external template `{t.fn.__qualname__}` parameter `{p.name}` is {p.type}"
    if isinstance(sig.returns, ArtifactT):
        return f"external template `{t.fn.__qualname__}` returns {sig.returns}"
    return None
