"""The library API behind the CLI: load an app, compile it, emit it. Never prints, never exits.

A façade: each step lives in its own module (:mod:`athena.app`, :mod:`athena.compile.program`,
:mod:`athena.bundle.identity`, :mod:`athena.argo.emit`); this module wires them for callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from athena.app import App, find_template, import_module, load_app, templates_in
from athena.bundle import identity
from athena.compile.model import Container, Program
from athena.compile.program import compile_templates
from athena.compile.values import Values
from athena.config import Config
from athena.errors import UsageError

if TYPE_CHECKING:
    from athena.runtime.settings import Variable

__all__ = [
    "App",
    "bundle_digest",
    "compile_templates",
    "emit_documents",
    "find_template",
    "import_module",
    "load_app",
    "load_values",
    "python_mismatch",
    "step_settings",
    "templates_in",
]


def bundle_digest(app: App, config: Config) -> str:
    """A digest of the bundle's source inputs, computable without building (DESIGN §5.2)."""
    return identity.bundle_digest(app.modules, config)


def python_mismatch(config: Config) -> str | None:
    """A warning when this interpreter is not the pod's (see :func:`athena.bundle.identity.python_mismatch`)."""
    return identity.python_mismatch(config)


def load_values(paths: Sequence[str]) -> Values | None:
    """The values files ``paths`` merged and checked, or None when there are none."""
    from athena.compile.values import load_values as load

    return load(paths) if paths else None


def emit_documents(app: App, config: Config, *, with_workflow: bool = False, namespace: str | None = None,
                   program: Program | None = None, arguments: Sequence[str] = (),
                   values: Values | None = None) -> list[dict[str, Any]]:
    """Compile (unless ``program`` is given, already compiled) and emit the Argo documents of ``app``.

    ``values`` (see :func:`load_values`) override decorator arguments; a values file's ``namespace`` applies
    when ``namespace`` is not given.

    ``arguments`` are ``name=value`` pairs (``emit -a``, parsed like ``container emulate -a``) for the Workflow of
    the one @workflow root; :class:`UsageError` when they do not fit its signature or there is not exactly one.
    """
    from athena.argo.emit import EmitSettings, emit_program

    program = program or compile_templates(app.roots, config, values)
    if namespace is None and values is not None:
        namespace = values.namespace
    settings = EmitSettings.from_config(config, digest=bundle_digest(app, config), namespace=namespace,
                                        modules=app.modules)
    given = workflow_arguments(app, program, arguments) if arguments else None
    return emit_program(program, settings, with_workflow=with_workflow, arguments=given)


def workflow_arguments(app: App, program: Program, pairs: Sequence[str]) -> dict[str, dict[str, str]]:
    """``-a name=value`` pairs checked against the signature of the app's one @workflow root: root name →
    input name → JSON text. Missing inputs are allowed (the Workflow gets placeholders)."""
    from athena.compile.model import Workflow
    from athena.local.emulate import parse_arguments
    from athena.runtime.main import artifact_type

    roots = [(name, tmpl) for name, tmpl in zip(program.roots, app.roots, strict=True)
             if isinstance(program.templates[name], Workflow)]
    if len(roots) != 1:
        names = ", ".join(t.fn.__qualname__ for _, t in roots) or "none"
        raise UsageError(f"-a needs exactly one @workflow root, this app has {len(roots)} ({names}); pick one "
                         "with APP:name")
    name, tmpl = roots[0]
    import typing

    hints = typing.get_type_hints(tmpl.fn)
    artifacts = [n for n, tp in hints.items() if artifact_type(tp) is not None]
    return {name: parse_arguments(tmpl.fn, pairs, None, skip=artifacts, require_all=False)}


def step_settings(program: Program) -> list[tuple[Container, list[Variable]]]:
    """Each container of ``program`` that reads settings, by template name, with the variables it reads
    (:class:`athena.runtime.settings.Variable`); ``athena inspect`` prints and checks these (settings, issue 9)."""
    from athena.compile.settings import step_variables

    return [(t, step_variables(t)) for name, t in sorted(program.templates.items())
            if isinstance(t, Container) and t.settings]
