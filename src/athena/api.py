"""The library API behind the CLI: load an app, compile it, emit it. Never prints, never exits.

A façade: each step lives in its own module (:mod:`athena.app`, :mod:`athena.compile.program`,
:mod:`athena.bundle.identity`, :mod:`athena.argo.emit`); this module wires them for callers.
"""

from __future__ import annotations

from typing import Any

from athena.app import App, find_template, import_module, load_app, templates_in
from athena.bundle import identity
from athena.compile.model import Program
from athena.compile.program import compile_templates
from athena.config import Config

__all__ = [
    "App",
    "bundle_digest",
    "compile_templates",
    "emit_documents",
    "find_template",
    "import_module",
    "load_app",
    "python_mismatch",
    "templates_in",
]


def bundle_digest(app: App, config: Config) -> str:
    """A digest of the bundle's source inputs, computable without building (DESIGN §5.2)."""
    return identity.bundle_digest(app.modules, config)


def python_mismatch(config: Config) -> str | None:
    """A warning when this interpreter is not the pod's (see :func:`athena.bundle.identity.python_mismatch`)."""
    return identity.python_mismatch(config)


def emit_documents(app: App, config: Config, *, with_workflow: bool = False, namespace: str | None = None,
                   program: Program | None = None) -> list[dict[str, Any]]:
    """Compile (unless ``program`` is given, already compiled) and emit the Argo documents of ``app``."""
    from athena.argo.emit import EmitSettings, emit_program

    program = program or compile_templates(app.roots, config)
    settings = EmitSettings.from_config(config, digest=bundle_digest(app, config), namespace=namespace)
    return emit_program(program, settings, with_workflow=with_workflow)
