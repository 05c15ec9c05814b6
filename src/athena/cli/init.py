"""``athena init``: write a runnable starter project."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["init"]


@click.command()
@click.argument("path", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--name", default=None, help="The Python package name (default: from the directory's name).")
def init(path: str, name: str | None) -> int:
    """Create a starter project in PATH (default: here): a pipeline, its test, athena.toml and a values file.

    It passes `athena check` and its own test as created. Existing files are never overwritten."""
    from athena.scaffold import scaffold

    directory = Path(path)
    written = scaffold(directory, name)
    for p in written:
        click.echo(f"created {p}", err=True)
    click.echo("next: pip install -e '.[dev]' && pytest && athena check"
               + ("" if directory.resolve() == Path.cwd() else f"  (in {directory})"), err=True)
    return 0
