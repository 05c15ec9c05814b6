"""``athena container``: list, describe and emulate container templates."""

from __future__ import annotations

from pathlib import Path

import click

from athena.cli.appargs import app_option, lookup, name_argument
from athena.cli.output import Bar, describe_json, params_info, run_options_info, table
from athena.cli.state import State, app_and_program

__all__ = ["container"]


@click.group("container")
def container() -> None:
    """List, describe and emulate container templates."""


@container.command("ls")
@app_option
@click.option("--all", "show_all", is_flag=True, help="Also list containers reached from other modules.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def container_ls(state: State, app: str | None, show_all: bool, as_json: bool) -> int:
    """List container templates: name, entry point, image."""
    from athena.compile.model import Container

    config, _, program = app_and_program(state, app)
    root_names = set(program.roots)
    rows = [{"name": t.name, "entry": t.entry, "image": t.options.image or config.bootstrap.default_image}
            for t in program.templates.values()
            if isinstance(t, Container) and (show_all or t.name in root_names)]
    table(rows, as_json)
    return 0


@container.command("describe")
@name_argument
@click.pass_obj
def container_describe(state: State, name: str | None, app: str | None) -> int:
    """Show a container's image, parameters, return type, retry, timeouts and ports (NAME: template or function
    name)."""
    from athena.compile.model import Container

    config, _, _, t = lookup(state, app, name, "container")
    assert isinstance(t, Container)  # lookup returns only the kind asked for
    describe_json({
        # The image the pod runs, as `ls` shows it: the template's own, else [bootstrap].default_image.
        "name": t.name, "entry": t.entry, "image": t.options.image or config.bootstrap.default_image,
        "parameters": params_info(t.params),
        "returns": str(t.returns),
        **run_options_info(t.options),
        "host_paths": list(t.ports.host_paths),
        "artifacts_in": [k for k, _ in t.ports.artifacts_in],
        "artifacts_out": list(t.ports.artifacts_out),
    })
    return 0


@container.command("emulate")
@name_argument
@click.option("-a", "--arg", "pairs", multiple=True, metavar="NAME=VALUE",
              help="An argument: raw text for a str parameter (unless a JSON string literal), else JSON.")
@click.option("--input-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON object of arguments.")
@click.option("--build", "build_", is_flag=True, help="Use a fresh local build for the image's architecture.")
@click.option("--tarball", type=click.Path(exists=True, dir_okay=False), default=None, help="Use this bundle file.")
@click.option("--runtime", type=click.Choice(["docker", "podman"]), default=None,
              help="Container runtime (default: podman if present, else docker).")
@click.option("--skip-artifacts", is_flag=True, help="Do not sync S3 artifact ports.")
@click.option("--image", default=None, help="Run in this image instead of the template's (e.g. a local copy).")
@click.pass_obj
def container_emulate(state: State, name: str | None, app: str | None, pairs: tuple[str, ...], input_file: str | None,
                      build_: bool, tarball: str | None, runtime: str | None, skip_artifacts: bool,
                      image: str | None) -> int:
    """Run one container exactly as Argo would (same image, the emitted bootstrap, /athena scratch).

    The bundle comes from S3 by default (publish it first), from --build or from --tarball. Prints
    `return: <json>` and exits with the container's code.
    """
    from athena.local.emulate import emulate_step

    config, loaded, _, t = lookup(state, app, name, "container")
    with Bar("building") as bar:
        result = emulate_step(loaded, config, t.name, pairs=pairs, input_file=Path(input_file) if input_file else None,
                              tarball=Path(tarball) if tarball else None, build=build_, runtime=runtime,
                              skip_artifacts=skip_artifacts, image=image, progress=bar.stage)
    for err in result.errors:
        click.echo(f"athena: {err}", err=True)
    if result.result_json is not None:
        click.echo(f"return: {result.result_json}")
    return result.exit_code if result.exit_code else (1 if result.errors else 0)
