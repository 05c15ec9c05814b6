"""APP and NAME on the command line, one way for every command.

Every command that loads an app takes ``--app APP``; ``emit`` and ``check`` also take it positionally. A
command that takes a template NAME understands an APP given there by mistake: ``flows.py`` (a file) means
``--app flows.py`` and the app's only template of that kind, ``flows.py:send`` or ``pkg.flows:send`` means
``--app ... send`` (when ``--app`` is given, ``module:function`` stays a container's entry point).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from athena.errors import UsageError

if TYPE_CHECKING:
    from athena.app import App
    from athena.cli.state import State
    from athena.compile.model import Program, TemplateIR
    from athena.compile.values import Values
    from athena.config import Config

__all__ = ["Root", "app_argument", "app_option", "arguments_options", "lookup", "lookup_root", "name_argument",
           "values_option"]

F = TypeVar("F", bound=Callable[..., Any])

APP_HELP = ("The app: a module (my_flows.pipeline) or a file (flows/pipeline.py), either with :name to pick one "
            "root; default: [project].app.")


def app_option(f: F) -> F:
    """``--app APP``."""
    return click.option("--app", "app", default=None, metavar="APP", help=APP_HELP)(f)


def arguments_options(note: str = "") -> Callable[[F], F]:
    """``-a NAME=VALUE`` (repeatable) and ``--input-file FILE``: a workflow's arguments, as ``athena run`` and
    ``athena submit`` take them; the command receives ``pairs`` and ``input_file``. ``note`` ends ``-a``'s help."""

    def wrap(f: F) -> F:
        f = click.option("--input-file", type=click.Path(exists=True, dir_okay=False), default=None,
                         help="A JSON object of workflow arguments.")(f)
        return click.option("-a", "--arg", "pairs", multiple=True, metavar="NAME=VALUE",
                            help="A workflow argument: raw text for a str parameter (unless a JSON string "
                                 f"literal), else JSON. {note}Repeatable.")(f)

    return wrap


def values_option(f: F) -> F:
    """``--values F`` (repeatable): values files, merged in order (docs/values.md); the command receives
    ``values`` as a tuple of paths."""
    return click.option("--values", "-f", "values", multiple=True, metavar="FILE",
                        type=click.Path(dir_okay=False),
                        help="A values file overriding decorator arguments (Helm-style merge); repeatable, later "
                             "files win.")(f)


def app_argument(f: F) -> F:
    """``[APP]`` positionally or ``--app APP`` (emit, check); the command receives ``app``."""

    @functools.wraps(f)
    def wrapper(*args: Any, app_arg: str | None, app: str | None, **kwargs: Any) -> Any:
        if app_arg is not None and app is not None and app_arg != app:
            raise click.UsageError(f"two apps given ({app_arg} and --app {app}); give one")
        return f(*args, app=app if app is not None else app_arg, **kwargs)

    return click.argument("app_arg", metavar="[APP]", required=False)(app_option(wrapper))  # type: ignore[return-value]


def _looks_like_app(name: str) -> tuple[str, str | None] | None:
    """(app, name) when ``name`` is an app (``x.py``), or an app with a name (``x.py:f``, ``pkg.mod:f``)."""
    if name.endswith(".py"):
        return name, None
    base, sep, rest = name.rpartition(":")
    if sep and base and rest and (base.endswith(".py") or all(p.isidentifier() for p in base.split("."))):
        return base, rest
    return None


def name_argument(f: F) -> F:
    """``NAME`` (a template or function name) and ``--app APP``; an app given as NAME is understood.

    The command receives ``app`` and ``name``; ``name`` is None when only an app was given (``lookup``
    then takes the app's only root of the kind asked for).
    """

    @functools.wraps(f)
    def wrapper(*args: Any, name: str, app: str | None, **kwargs: Any) -> Any:
        split = _looks_like_app(name)
        picked: str | None = name
        if split is not None:
            if app is None:
                app, picked = split
            elif name.endswith(".py"):
                ctx = click.get_current_context()
                raise click.UsageError(f"NAME `{name}` is a file, and --app {app} is given too; name a template "
                                       f"of the app: `{ctx.command_path} NAME --app {app}`")
        return f(*args, name=picked, app=app, **kwargs)

    return click.argument("name")(app_option(wrapper))  # type: ignore[return-value]


def lookup(state: State, app: str | None, name: str | None, kind: str) -> tuple[Config, App, Program, TemplateIR]:
    """The configuration, the app, its program and the template of ``kind`` that NAME means."""
    from athena.api import find_template
    from athena.cli.state import app_and_program

    ctx = click.get_current_context()
    with_app = f" --app {app}" if app is not None else ""

    def command(other: str, n: str) -> str:
        return f"athena {other} describe {n}{with_app}"

    config, loaded, program = app_and_program(state, app)
    if name is None:
        roots = [program.templates[r] for r in program.roots if program.templates[r].kind == kind]
        if len(roots) != 1:
            if not roots:
                raise UsageError(f"{app or 'the app'} has no {kind}; NAME a {kind} of an app given with --app")
            known = ", ".join(f"`{t.function}`" for t in roots)
            raise UsageError(f"{app or 'the app'} has {len(roots)} {kind}s ({known}); name one, e.g. "
                             f"`{ctx.command_path} {roots[0].function}{with_app}`")
        return config, loaded, program, roots[0]
    return config, loaded, program, find_template(program, name, kind, command)


@dataclass(frozen=True)
class Root:
    """A workflow root as ``athena run`` and ``athena submit`` take it: compiled under the values files, with the
    Python function its arguments are checked against (None when it cannot be found)."""

    config: Config
    loaded: App
    program: Program
    template: TemplateIR
    overrides: Values | None
    fn: Callable[..., Any] | None


def lookup_root(state: State, app: str | None, name: str | None, values: tuple[str, ...]) -> Root:
    """:func:`lookup` of a workflow, recompiled when ``values`` files are given, and its function."""
    from athena import api
    from athena.cli.state import warn_python

    config, loaded, program, t = lookup(state, app, name, "workflow")
    warn_python(config)
    overrides = api.load_values(values)
    if overrides is not None:
        program = api.compile_templates(loaded.roots, config, overrides)
        t = program.templates[t.name]
    return Root(config, loaded, program, t, overrides, _function_of(loaded, t))


def _function_of(loaded: App, t: TemplateIR) -> Callable[..., Any] | None:
    from athena.runtime.main import resolve_entry

    for tmpl in loaded.roots:
        fn = getattr(tmpl, "fn", None)
        if fn is not None and fn.__name__ == str(t.function).split(" ")[0].split(".")[-1]:
            return fn  # type: ignore[no-any-return]
    entry = getattr(t, "entry", None)
    return resolve_entry(entry) if entry else None
