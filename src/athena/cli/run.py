"""``athena run``: the emitted YAML executed on this machine with Argo's semantics (DESIGN §8.2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from athena.cli.appargs import app_option, arguments_options, values_option
from athena.cli.returns import show_decoded
from athena.cli.state import State

__all__ = ["run"]


@click.command("run")
@click.argument("name", required=False)
@app_option
@arguments_options("With --file: the parameter's text as is. ")
@click.option("--runtime", type=click.Choice(["process", "podman", "docker"]), default="process",
              show_default=True, help="Run each container step as a local process, or in its image.")
@click.option("--argo-version", default=None, metavar="X.Y[.Z]",
              help="Reproduce this Argo version's behaviour (default: [defaults].argo_version).")
@values_option
@click.option("--file", "files", multiple=True, type=click.Path(exists=True, dir_okay=False), metavar="YAML",
              help="Run these Argo YAML files instead of compiling the app; NAME is a Workflow or WorkflowTemplate "
                   "in them. Repeatable.")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Multiply retry backoffs, suspend durations and timeouts by this factor.")
@click.option("--answer", "answers", multiple=True, metavar="NAME=VALUE",
              help="Resume a suspend node (by node or output parameter name) with this value. Repeatable.")
@click.option("--store", type=click.Path(file_okay=False), default=None,
              help="Keep artifacts in this directory (default: a temporary one).")
@click.option("--output", "output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: print the result (phase, outputs, every node) as one JSON object on stdout.")
@click.option("--logs/--no-logs", "logs", default=True, show_default=True,
              help="Stream each step's stdout and stderr to stderr as it runs, prefixed with the step's name "
                   "(the run record keeps every log either way).")
@click.option("--replay", default=None, metavar="RUN/NODE",
              help="Re-run one node of a recorded run with its recorded inputs: RUN is a run name under "
                   ".athena/runs/ (or a run record directory), NODE a node name or display name.")
@click.pass_obj
def run(state: State, name: str | None, app: str | None, pairs: tuple[str, ...], input_file: str | None,
        runtime: str, argo_version: str | None, values: tuple[str, ...], files: tuple[str, ...], time_scale: float,
        answers: tuple[str, ...], store: str | None, output: str, logs: bool, replay: str | None) -> int:
    """Run the workflow NAME of the app (or of --file YAML) on this machine, as Argo would run it.

    Progress (a live tree on a terminal) and each step's log lines go to stderr; on success `return: <json>` is
    printed on stdout. A record of the run (phases, parameters, logs) is written under .athena/runs/<name>/.
    Exit code 0 only when the workflow Succeeded.
    """
    from athena.errors import UsageError
    from athena.local.run import RunOptions, run_workflow
    from athena.local.run.progress import Progress, tree_lines

    answer_map = dict(_pairs(answers, "--answer"))
    functions: dict[str, str] = {}
    bundle: Path | None = None
    root_fn: Any = None
    if replay is not None:
        if name is not None or files or app is not None or values or pairs or input_file:
            raise UsageError("--replay re-runs a recorded node with its recorded inputs and YAML: give nothing else "
                             "but runtime options")
        docs, entry, arguments, version = _replay(replay, argo_version)
    elif name is None:
        raise UsageError("name the workflow to run: athena run NAME [--app APP], or athena run FILE.py:NAME")
    elif files:
        if app is not None or values:
            raise UsageError("--file runs the given YAML: --app and --values apply only to a compiled app")
        docs = _read_yaml(files)
        entry = name
        arguments = dict(_pairs(pairs, "-a"))
        if input_file is not None:
            data = json.loads(Path(input_file).read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise UsageError(f"--input-file {input_file}: expected a JSON object")
            arguments = {**{k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}, **arguments}
        version = argo_version or state.config().defaults.argo_version
    else:
        docs, entry, arguments, functions, version, bundle, root_fn = _compile(
            state, app, name, pairs, input_file, values, argo_version, runtime)
    progress = Progress(functions, logs=logs)
    options = RunOptions(runtime=runtime, argo_version=version,  # type: ignore[arg-type]
                         time_scale=time_scale, store=Path(store) if store else None, answers=answer_map,
                         on_event=progress, on_log=progress.log if logs else None, bundle=bundle)
    try:
        result = run_workflow(docs, entry, arguments, options)
    finally:
        progress.close()  # the live tree goes away before the final one is printed (and on Ctrl-C)
    if result.record is not None:  # what --replay re-runs a node of: the YAML, and where the app's code was found
        (Path(result.record) / "documents.json").write_text(json.dumps(list(docs), ensure_ascii=False),
                                                            encoding="utf-8")
        (Path(result.record) / "sys_path.json").write_text(json.dumps(sys.path), encoding="utf-8")
    parents = _parents(result)
    click.echo("", err=True)
    for line in tree_lines(result.nodes, parents, functions):
        click.echo(line, err=True)
    _show_portability(result, runtime, time_scale)
    click.echo(f"\n{result.name}: {result.phase}" + (f" ({result.message})" if result.message else ""), err=True)
    if result.record is not None:
        click.echo(f"run record: {result.record}", err=True)
    if output == "json":
        click.echo(json.dumps(_as_json(result), ensure_ascii=False))
        return 0 if result.phase == "Succeeded" else 1
    if result.phase != "Succeeded":
        _show_failures(result)
        return 1
    if "return" in result.outputs:
        show_decoded(root_fn, result.outputs["return"])
        click.echo(f"return: {result.outputs['return']}")
    elif not files:
        click.echo("return: null")
    elif result.outputs:
        click.echo(f"outputs: {json.dumps(dict(result.outputs), ensure_ascii=False)}")
    return 0


def _as_json(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": result.name, "phase": result.phase, "message": result.message,
                            "outputs": dict(result.outputs)}
    if "return" in result.outputs:
        try:
            data["return"] = json.loads(result.outputs["return"])
        except ValueError:
            data["return"] = result.outputs["return"]
    data["nodes"] = [{"name": n.name, "display_name": n.display_name, "template": n.template, "phase": n.phase,
                      "message": n.message, "outputs": dict(n.outputs), "attempts": n.attempts}
                     for n in result.nodes]
    data["record"] = str(result.record) if result.record is not None else None
    return data


def _show_portability(result: Any, runtime: str, time_scale: float) -> None:
    """What this run did differently from a cluster (DESIGN §8.2: nothing silently different)."""
    notes: list[str] = []
    if result.record is not None:
        data = json.loads((Path(result.record) / "run.json").read_text(encoding="utf-8"))
        notes = list(data.get("portability") or [])
    ignored = [n.split(":", 1)[0] for n in notes if n.endswith(f"ignored by --runtime {runtime}")]
    other = [n for n in notes if not n.endswith(f"ignored by --runtime {runtime}")]
    if time_scale != 1.0:
        other.append(f"retry backoffs, timeouts and suspend durations scaled by {time_scale:g} (--time-scale)")
    if not ignored and not other:
        click.echo("\nportability: every field of the YAML was honoured as on a cluster", err=True)
        return
    click.echo("\nportability: honoured as on a cluster, except:", err=True)
    if ignored:
        click.echo(f"  ignored by --runtime {runtime}: {', '.join(ignored)}", err=True)
    for note in other:
        click.echo(f"  {note}", err=True)


def _replay(spec: str, argo_version: str | None) -> tuple[list[Any], str, dict[str, str], str]:
    """The documents, entry and arguments that re-run one recorded node (a Pod or a DAG/steps node)."""
    from athena.errors import UsageError

    run_part, sep, node_part = spec.rpartition("/")
    if not sep or not run_part or not node_part:
        raise UsageError(f"--replay {spec!r}: write it as RUN/NODE (a run under .athena/runs/ and one of its nodes)")
    record = Path(run_part) if Path(run_part, "run.json").is_file() else Path(".athena", "runs", run_part)
    if not (record / "run.json").is_file():
        raise UsageError(f"--replay: no run record {record}/run.json (runs are recorded under .athena/runs/)")
    if not (record / "documents.json").is_file():
        raise UsageError(f"--replay: {record} holds no documents.json (it was recorded by an older athena); "
                         "run the workflow again to record one")
    data = json.loads((record / "run.json").read_text(encoding="utf-8"))
    docs: list[Any] = json.loads((record / "documents.json").read_text(encoding="utf-8"))
    candidates = [n for n in data["nodes"] if n["name"] == node_part or n["display_name"] == node_part]
    runs = [n for n in candidates if n.get("type") not in ("Retry", "TaskGroup", "StepGroup")] or candidates
    if not runs:
        names = ", ".join(sorted({n["display_name"] for n in data["nodes"] if n.get("type") == "Pod"}))
        raise UsageError(f"--replay: {record} has no node {node_part!r}; its steps: {names}")
    node = runs[-1]  # the last attempt of that node
    template = node["template"]
    for doc in docs:
        spec_ = doc.get("spec") or {}
        if template not in [t.get("name") for t in spec_.get("templates") or []]:
            continue
        if doc.get("kind") == "WorkflowTemplate" and spec_.get("entrypoint") == template:
            entry = str(doc["metadata"]["name"])
            break
        replay_doc = {"apiVersion": doc.get("apiVersion", "argoproj.io/v1alpha1"), "kind": "Workflow",
                      "metadata": {"name": f"replay-{template}"[:60]},
                      "spec": {**spec_, "entrypoint": template}}
        docs = [*docs, replay_doc]
        entry = replay_doc["metadata"]["name"]
        break
    else:
        raise UsageError(f"--replay: the recorded documents hold no template {template!r}")
    arguments = {k: str(v) for k, v in (node.get("inputs") or {}).items()}
    if (record / "sys_path.json").is_file():  # the process runtime imports the app's code from these
        sys.path[:0] = [p for p in json.loads((record / "sys_path.json").read_text(encoding="utf-8"))
                        if p not in sys.path]
    click.echo(f"replaying {node['name']} ({template}) with its recorded inputs", err=True)
    return docs, entry, arguments, argo_version or str(data.get("argo_version") or "4.1")


def _pairs(items: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
    from athena.errors import UsageError

    out = []
    for item in items:
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise UsageError(f"{flag} {item!r}: write it as name=value")
        out.append((k, v))
    return out


def _read_yaml(files: tuple[str, ...]) -> list[Any]:
    import yaml

    from athena.cli.output import read_file
    from athena.errors import UsageError

    docs: list[Any] = []
    for f in files:
        try:
            docs += [d for d in yaml.safe_load_all(read_file(f)) if d is not None]
        except yaml.YAMLError as exc:
            raise UsageError(f"--file {f}: not valid YAML: {exc}") from None
    return docs


def _compile(state: State, app: str | None, name: str, pairs: tuple[str, ...], input_file: str | None,
             values: tuple[str, ...], argo_version: str | None,
             runtime: str) -> tuple[list[Any], str, dict[str, str], dict[str, str], str, Path | None, Any]:
    from athena import api
    from athena.cli.appargs import _looks_like_app, lookup_root
    from athena.local.emulate import parse_arguments

    split = _looks_like_app(name)
    picked: str | None = name
    if split is not None and app is None:
        app, picked = split
    root = lookup_root(state, app, picked, values)
    config, loaded, program, t, fn = root.config, root.loaded, root.program, root.template, root.fn
    docs = api.emit_documents(loaded, config, program=program, values=root.overrides)
    arguments = parse_arguments(fn, pairs, Path(input_file) if input_file else None) if fn is not None else {}
    functions = {n: str(getattr(x, "function", "")).split(" ")[0] for n, x in program.templates.items()}
    bundle: Path | None = None
    if runtime != "process":
        from athena.bundle.build import build_bundle
        from athena.local.emulate import host_target

        bundle = build_bundle(loaded, config, targets=[host_target()]).path
    return docs, t.name, arguments, functions, argo_version or config.defaults.argo_version, bundle, fn


def _parents(result: Any) -> dict[str, str | None]:
    """Each node's parent, from the run record (the public records carry no parent)."""
    if result.record is None:
        return {}
    data = json.loads((Path(result.record) / "run.json").read_text(encoding="utf-8"))
    return {n["name"]: n["parent"] for n in data["nodes"]}


def _show_failures(result: Any) -> None:
    """Each failed step's message and the last lines of its log, where the cause is."""
    if result.record is None:
        return
    data = json.loads((Path(result.record) / "run.json").read_text(encoding="utf-8"))
    for n in data["nodes"]:
        if n["phase"] in ("Failed", "Error") and n.get("log"):
            log = Path(result.record) / n["log"]
            if log.is_file():
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-10:]
                if tail:
                    click.echo(f"\n--- {n['display_name']}: the last lines of its log ({log}) ---", err=True)
                    for line in tail:
                        click.echo(line, err=True)
    sys.stderr.flush()
