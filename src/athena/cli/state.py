"""What the global options decide, shared by every command: the configuration file and ``--debug``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from athena.app import App
    from athena.compile.model import Program
    from athena.config import Config


@dataclass
class State:
    config_file: str | None = None
    debug: bool = False

    def config(self, app: str | None = None) -> Config:
        """The configuration; without -c, discovery starts beside an APP given as a file."""
        from athena.config import load_config

        start = None
        if app is not None:
            base = Path(app.split(":", 1)[0])
            if base.suffix == ".py" or base.is_file():
                start = base.resolve().parent
        return load_config(self.config_file, start=start)


def warn_python(config: Config) -> None:
    """Warn when this interpreter's minor version differs from the one the pods run."""
    from athena.api import python_mismatch

    message = python_mismatch(config)
    if message:
        click.echo(f"athena: warning: {message}", err=True)


def app_and_program(state: State, app: str | None,
                    values: Sequence[str] = ()) -> tuple[Config, App, Program]:
    """The configuration, the loaded APP and its compiled program (with ``values`` files applied)."""
    from athena import api

    config = state.config(app)
    loaded = api.load_app(app, config)
    program = api.compile_templates(loaded.roots, config, api.load_values(values))
    return config, loaded, program
