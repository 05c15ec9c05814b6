"""``athena values``: the values-file schema, and where each effective option of a template comes from."""

from __future__ import annotations

import json

import click

from athena.cli.appargs import app_option, values_option
from athena.cli.state import State

__all__ = ["values"]


@click.group("values")
def values() -> None:
    """Values files: their JSON Schema, and what they change."""


@values.command("schema")
def values_schema() -> int:
    """Print the JSON Schema (2020-12) of values files, for editors to complete and check them."""
    from athena.compile.values import values_schema as schema

    click.echo(json.dumps(schema(), indent=2))
    return 0


@values.command("explain")
@click.argument("name")
@app_option
@values_option
@click.pass_obj
def values_explain(state: State, name: str, app: str | None, values: tuple[str, ...]) -> int:
    """Show every option NAME (a @container or @workflow) ends up with, and which file or decorator set it."""
    from athena import api
    from athena.app import find_template
    from athena.compile.values import explain, load_values
    from athena.errors import UsageError

    config = state.config(app)
    overrides = load_values(values)  # even with no files: it records every template the compile sees
    loaded = api.load_app(app, config)
    program = api.compile_templates(loaded.roots, config, overrides)
    try:
        ir = find_template(program, name, "container")
    except UsageError:
        ir = find_template(program, name, "workflow")
    template = overrides.templates[ir.name]
    rows = explain(overrides, template, ir.name)
    click.echo(f"{ir.name} (@{ir.kind} {template.entry})")
    if not rows:
        click.echo("  no options: every field has its default")
        return 0
    width = min(28, max(len(path) for path, _, _ in rows))
    for path, value, origin in rows:
        text = value if isinstance(value, str) else json.dumps(value)
        click.echo(f"  {path.ljust(width)} = {text}  # {_relative(origin.file)}"
                   f"{'' if origin.line is None else f':{origin.line}'}  {origin.path}")
    return 0



def _relative(path: str) -> str:
    """``path`` relative to the working directory when it is under it (shorter, and what the user typed)."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path
