"""``athena workflow``: list, describe and draw workflows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from athena.cli.appargs import app_option, lookup, name_argument
from athena.cli.output import describe_json, emit_text, params_info, table
from athena.cli.state import State, app_and_program
from athena.errors import UsageError

if TYPE_CHECKING:
    from athena.compile.model import Program, Workflow

__all__ = ["workflow"]


@click.group("workflow")
def workflow() -> None:
    """List, describe and draw workflows."""


@workflow.command("ls")
@app_option
@click.option("--include-synthetic", is_flag=True, help="Also list the if/else wrappers athena generates.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def workflow_ls(state: State, app: str | None, include_synthetic: bool, as_json: bool) -> int:
    """List workflow templates: name, function, number of tasks."""
    from athena.compile.model import Workflow

    _, _, program = app_and_program(state, app)
    rows = [{"name": t.name, "function": t.function, "tasks": str(len(t.tasks))}
            for t in program.templates.values()
            if isinstance(t, Workflow) and (include_synthetic or not t.synthetic)]
    table(rows, as_json)
    return 0


def _workflow(state: State, name: str | None, app: str | None) -> tuple[Program, Workflow]:
    from athena.compile.model import Workflow

    _, _, program, t = lookup(state, app, name, "workflow")
    assert isinstance(t, Workflow)  # lookup returns only the kind asked for
    return program, t


@workflow.command("describe")
@name_argument
@click.pass_obj
def workflow_describe(state: State, name: str | None, app: str | None) -> int:
    """Show a workflow's inputs (with their defaults), tasks, edges and result."""
    _, t = _workflow(state, name, app)
    describe_json({
        "name": t.name, "function": t.function, "mode": "steps" if t.steps else "dag",
        "parameters": params_info(t.params),
        "returns": str(t.returns),
        "tasks": [{"name": k.name, "template": k.template, "depends": list(k.deps),
                   **({"fan_out": True} if k.fan_over is not None else {}),
                   **({"when": True} if k.when is not None else {}),
                   **({"continue_on": list(k.continue_on)} if k.continue_on else {})} for k in t.tasks],
    })
    return 0


@workflow.command("graph")
@name_argument
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "png"]), default="mermaid",
              show_default=True, help="png needs graphviz's `dot` on PATH.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), help="Write to this file (required for png).")
@click.pass_obj
def workflow_graph(state: State, name: str | None, app: str | None, fmt: str, out: str | None) -> int:
    """Draw a workflow's DAG."""
    from athena import graph

    program, t = _workflow(state, name, app)
    if fmt == "png":
        if not out:
            raise UsageError("--format png needs --out FILE")
        graph.png(t, Path(out), program)
        click.echo(f"wrote {out}", err=True)
        return 0
    text = graph.mermaid(t, program) if fmt == "mermaid" else graph.dot(t, program)
    emit_text(text, out)
    return 0
