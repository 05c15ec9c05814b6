"""The ``athena`` group: global options, and the commands, each module imported only when it is needed."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import ClassVar

import click

from athena.cli.state import State

__all__ = ["LazyGroup", "cli"]


class LazyGroup(click.Group):
    """A group whose commands live in other modules, imported on first use (``athena --help`` stays fast)."""

    #: command name -> "module:attribute" of its click command
    lazy: ClassVar[Mapping[str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


class Root(LazyGroup):
    lazy: ClassVar[Mapping[str, str]] = {
        "emit": "athena.cli.compile:emit",
        "check": "athena.cli.compile:check",
        "lint": "athena.cli.compile:lint",
        "build": "athena.cli.bundle:build",
        "publish": "athena.cli.bundle:publish",
        "container": "athena.cli.container:container",
        "workflow": "athena.cli.workflow:workflow",
        "values": "athena.cli.values:values",
        "init": "athena.cli.init:init",
        "inspect": "athena.cli.inspect:inspect",  # settings (issue 9)
        "run": "athena.cli.run:run",  # issue 10: the emitted YAML executed locally
        "submit": "athena.cli.submit:submit",  # issue 12: submit, get, logs
        "get": "athena.cli.submit:get",
        "logs": "athena.cli.submit:logs",
    }


@click.group(cls=Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: $ATHENA_CONFIG, else the nearest athena.toml or "
                   "pyproject.toml [tool.athena]).")
@click.option("--debug", is_flag=True, help="On an internal error, print the traceback too.")
@click.version_option(package_name="athena-workflows", prog_name="athena")
@click.pass_obj
def cli(state: State, config_file: str | None, debug: bool) -> None:
    """Write a normal Python program, get an Argo Workflow."""
    state.config_file = config_file
    state.debug = debug
