"""``athena inspect``: the environment variables the app's steps read through ``athena.settings``.

``--gen-env`` prints them as a ``.env`` file (grouped by step, with type, default and secret marked; a secret's
default is never printed); ``--check-env`` checks this environment, or a ``.env`` file, against them.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

from athena.cli.appargs import app_argument
from athena.cli.output import read_file
from athena.cli.state import State, app_and_program

if TYPE_CHECKING:
    from athena.compile.model import Container
    from athena.runtime.settings import Variable

__all__ = ["inspect"]


@click.command()
@app_argument
@click.option("--gen-env", is_flag=True, help="Print every variable every step reads, as a .env file.")
@click.option("--check-env", is_flag=True,
              help="Check the environment (or --env-file) for missing or malformed variables; exit 1 if any.")
@click.option("--env-file", type=click.Path(dir_okay=False), default=None,
              help="With --check-env: check this .env file instead of the environment.")
@click.pass_obj
def inspect(state: State, app: str | None, gen_env: bool, check_env: bool, env_file: str | None) -> int:
    """The environment variables APP's steps read through athena.settings.

    A field `f` of a settings class read in the container function `train` is the variable TRAIN__F; a nested
    settings class adds a level (TRAIN__DB__HOST). A str field takes the text as it is, any other type JSON text.
    """
    if gen_env == check_env:
        raise click.UsageError("give one of --gen-env (print the variables) or --check-env (check them)")
    if env_file is not None and not check_env:
        raise click.UsageError("--env-file goes with --check-env")
    from athena import api

    _, _, program = app_and_program(state, app)
    steps = api.step_settings(program)
    if gen_env:
        click.echo(_gen_env(steps), nl=False)
        return 0
    if env_file is not None:
        from athena.envfile import parse

        environ: Mapping[str, str] = parse(read_file(env_file), env_file)
        where = env_file
    else:
        environ, where = os.environ, "the environment"
    return _check_env(steps, environ, where)


def _gen_env(steps: list[tuple[Container, list[Variable]]]) -> str:
    from athena.envfile import format_value

    lines = ["# The environment variables the steps read through athena.settings (athena inspect --gen-env).",
             "# A str variable is taken as it is, any other type as JSON text. Commented assignments are unset:",
             "# fill in the required ones; a default applies to an unset variable.", ""]
    if not steps:
        return "\n".join([*lines[:1], "# No step of this app reads settings.", ""])
    for ir, variables in steps:
        lines.append(f"# --- step {ir.function} (template {ir.name}, {ir.entry})")
        for v in variables:
            facts = [v.type_name, "required" if v.required else "optional"]
            if v.secret:
                facts.append("secret" if v.required else "secret, has a default (not shown)")
            lines.append(f"# {v.name}: {', '.join(facts)}; {v.where}")
            default = v.default_text()
            if default is None or v.secret:
                lines.append(f"# {v.name}=")
            else:
                lines.append(f"{v.name}={format_value(default)}")
        lines.append("")
    return "\n".join(lines)


def _check_env(steps: list[tuple[Container, list[Variable]]], environ: Mapping[str, str], where: str) -> int:
    from athena.compile.settings import resolve
    from athena.runtime.settings import problems

    found = 0
    count = 0
    for ir, variables in steps:
        count += len(variables)
        step = ir.entry.rpartition(":")[2].rpartition(".")[2]
        lines = [line for entry in ir.settings for line in problems(resolve(entry), step, environ)]
        if lines:
            click.echo(f"step {ir.function} (template {ir.name}):")
            for line in lines:
                click.echo(f"  {line}")
        found += len(lines)
        known = [v.name for v in variables]
        prefix = step.upper() + "__"
        for name in sorted(environ):
            if name.startswith(prefix) and name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                click.echo(f"athena inspect: warning: {name} is set in {where} but step {ir.function} reads no such "
                           f"variable{hint}", err=True)
    if found:
        click.echo(f"athena inspect: {found} problem(s) in {where}; `athena inspect --gen-env` lists every "
                   "variable with its type", err=True)
        return 1
    click.echo(f"athena inspect: ok: {where} sets or defaults all {count} variable(s) of {len(steps)} step(s)",
               err=True)
    return 0
