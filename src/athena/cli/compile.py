"""Compile commands: ``emit``, ``check``, ``lint``."""

from __future__ import annotations

from typing import Any

import click

from athena.cli.appargs import app_argument, values_option
from athena.cli.output import checked_summary, emit_text, read_file
from athena.cli.state import State, warn_python

__all__ = ["check", "emit", "lint"]


@click.command()
@app_argument
@click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not stdout.")
@click.option("--with-workflow", is_flag=True, help="Append one Workflow per @workflow root.")
@click.option("--namespace", "-n", default=None,
              help="Write metadata.namespace on every document (default: the values files' namespace).")
@click.option("-a", "--arg", "pairs", multiple=True, metavar="NAME=VALUE",
              help="With --with-workflow: an input of the root for the Workflow's arguments; raw text for a str, "
                   "Enum or Literal choice, else JSON. Repeatable.")
@values_option
@click.pass_obj
def emit(state: State, app: str | None, out: str | None, with_workflow: bool, namespace: str | None,
         pairs: tuple[str, ...], values: tuple[str, ...]) -> int:
    """Compile APP and print its WorkflowTemplates as one YAML stream.

    APP is a module (my_flows.pipeline), a file (flows/pipeline.py), or either with :name to pick one
    root; default: [project].app.
    """
    import gc

    from athena import api
    from athena.argo.yaml import dump_yaml

    # A short-lived process that builds many small acyclic objects: the cycle collector only costs time here.
    gc.disable()
    config = state.config(app)
    warn_python(config)
    overrides = api.load_values(values)  # before the app: a typo in a values file is reported at once
    loaded = api.load_app(app, config)
    if pairs and not with_workflow:
        from athena.errors import UsageError

        raise UsageError("-a sets the arguments of the Workflow document: add --with-workflow")
    docs = api.emit_documents(loaded, config, with_workflow=with_workflow, namespace=namespace, arguments=pairs,
                              values=overrides)
    text = dump_yaml(docs)
    emit_text(text, out)
    _note_placeholders(docs)
    return 0


def _note_placeholders(docs: list[dict[str, Any]]) -> None:
    """Say on stderr which Workflow arguments still hold a placeholder (the YAML itself carries no comments)."""
    from athena.argo.emit.workflow import PLACEHOLDER_PREFIX

    for d in docs:
        if d.get("kind") != "Workflow":
            continue
        names = [p["name"] for p in d["spec"].get("arguments", {}).get("parameters", [])
                 if str(p.get("value", "")).startswith(PLACEHOLDER_PREFIX)]
        if names:
            click.echo(f"athena emit: note: Workflow {d['metadata']['generateName']}: fill in "
                       f"{', '.join(names)} (written as '<required: ...>'), or emit with "
                       f"{' '.join(f'-a {n}=VALUE' for n in names)}; submitted as it is, it fails", err=True)


@click.command()
@app_argument
@click.option("--pss", type=click.Choice(["baseline", "restricted"]), default=None,
              help="Also report what a namespace enforcing this Pod Security Standard would reject.")
@values_option
@click.pass_obj
def check(state: State, app: str | None, pss: str | None, values: tuple[str, ...]) -> int:
    """Compile, type-check and validate APP against the Argo schemas of the target line and newer.

    Checks the WorkflowTemplates `emit` prints and one Workflow per @workflow root. Problems go to stderr
    (exit 1); warnings go to stderr too but keep exit 0; on success stderr says what was checked against
    which Argo lines, stdout stays empty.
    """
    from athena import api
    from athena.argo.lint import SUPPORTED, lint_documents
    from athena.compile.sizes import aggregate_arguments

    config = state.config(app)
    warn_python(config)
    overrides = api.load_values(values)
    loaded = api.load_app(app, config)
    program = api.compile_templates(loaded.roots, config, overrides)
    docs = api.emit_documents(loaded, config, with_workflow=True, program=program, values=overrides)
    line = config.defaults.argo_line
    issues = lint_documents(docs, [v for v in SUPPORTED if v >= line])
    for i in issues:
        click.echo(f"argo {i.version}: {i.kind}/{i.name}: {i.path}: {i.message}", err=True)
    for warning in aggregate_arguments(program):
        click.echo(warning, err=True)
    rejected = 0
    if pss is not None:
        from athena.argo import pss as standards

        level: standards.Level = "restricted" if pss == "restricted" else "baseline"
        findings = standards.check_documents(docs, level)
        for f in findings:
            click.echo(f"pss {level}: {f}", err=True)
        if level == "restricted":
            click.echo(f"pss restricted: note: {standards.EXECUTOR_NOTE}", err=True)
        rejected = len(findings)
    if not issues and not rejected:
        click.echo(f"ok: {checked_summary(docs, [v for v in SUPPORTED if v >= line])}", err=True)
    return 1 if issues or rejected else 0


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--argo-version", "versions", multiple=True,
              help="Check against this Argo line only (3.6, 3.7, 4.0, 4.1); repeatable. Default: all.")
def lint(files: tuple[str, ...], versions: tuple[str, ...]) -> int:
    """Validate Argo YAML files against the bundled Argo schemas (unknown keys forbidden, v4 CRD rules on)."""
    from athena.argo.lint import SUPPORTED, lint_text

    bad = 0
    for f in files:
        issues = lint_text(read_file(f), versions or SUPPORTED)
        for i in issues:
            click.echo(f"{f}: argo {i.version}: document {i.doc_index} {i.kind}/{i.name}: {i.path}: "
                       f"{i.message}")
        bad += len(issues)
    click.echo(f"{len(files)} file(s), {bad} problem(s)", err=True)
    return 1 if bad else 0
