"""The ``athena`` command: a thin shell over ``athena.api``. Data on stdout, messages on stderr."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from athena.errors import AthenaError, CompileError


class _State:
    def __init__(self, config_file: str | None) -> None:
        self.config_file = config_file

    def config(self, app: str | None = None) -> Any:
        """The configuration; without -c, discovery starts beside an APP given as a file."""
        from athena.config import load_config

        start = None
        if app is not None:
            base = Path(app.split(":", 1)[0])
            if base.suffix == ".py" or base.is_file():
                start = base.resolve().parent
        return load_config(self.config_file, start=start)


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _run(fn: Any) -> Any:
    try:
        return fn()
    except CompileError as exc:
        n = len(exc.diagnostics)
        _fail(f"{exc.render()}\n\nathena: {n} error{'s' if n != 1 else ''}")
    except AthenaError as exc:
        _fail(f"athena: {exc}")
    except Exception:  # an exception raised while importing the user's module
        tb = traceback.format_exc()
        _fail(f"athena: importing the app failed:\n{tb}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Configuration file (default: $ATHENA_CONFIG, else the nearest athena.toml or "
                   "pyproject.toml [tool.athena]).")
@click.version_option(package_name="athena-workflows", prog_name="athena")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Write a normal Python program, get an Argo Workflow."""
    ctx.obj = _State(config_file)


def _warn_python(config: Any) -> None:
    from athena.api import python_mismatch

    message = python_mismatch(config)
    if message:
        click.echo(f"athena: warning: {message}", err=True)


def _app_and_program(state: _State, app: str | None) -> tuple[Any, Any, Any]:
    from athena import api

    config = state.config(app)
    loaded = api.load_app(app, config)
    program = api.compile_templates(loaded.roots, config)
    return config, loaded, program


@main.command()
@click.argument("app", required=False)
@click.option("--out", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not stdout.")
@click.option("--with-workflow", is_flag=True, help="Append one Workflow per @workflow root.")
@click.option("--namespace", "-n", default=None, help="Write metadata.namespace on every document.")
@click.pass_obj
def emit(state: _State, app: str | None, out: str | None, with_workflow: bool, namespace: str | None) -> None:
    """Compile APP and print its WorkflowTemplates as one YAML stream.

    APP is a module (my_flows.pipeline), a file (flows/pipeline.py), or either with :name to pick one
    root; default: [project].app.
    """

    def go() -> str:
        from athena import api
        from athena.argo.yaml.io import dump_yaml

        config = state.config(app)
        _warn_python(config)
        loaded = api.load_app(app, config)
        return dump_yaml(api.emit_documents(loaded, config, with_workflow=with_workflow, namespace=namespace))

    text = _run(go)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("app", required=False)
@click.pass_obj
def check(state: _State, app: str | None) -> None:
    """Compile, type-check and validate APP against the Argo schemas of the target line and newer.

    Problems go to stderr (exit 1); on success stderr says how many documents were checked, stdout stays empty.
    """

    def go() -> int:
        from athena import api
        from athena.argo.lint import lint_documents

        config = state.config(app)
        _warn_python(config)
        loaded = api.load_app(app, config)
        docs = api.emit_documents(loaded, config, with_workflow=True)
        from athena.argo.lint import SUPPORTED

        line = config.defaults.argo_line
        issues = lint_documents(docs, [v for v in SUPPORTED if v >= line])
        for i in issues:
            click.echo(f"argo {i.version}: {i.kind}/{i.name}: {i.path}: {i.message}", err=True)
        if not issues:
            click.echo(f"ok: {len(docs)} documents", err=True)
        return 1 if issues else 0

    sys.exit(_run(go))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--argo-version", "versions", multiple=True,
              help="Check against this Argo line only (3.6, 3.7, 4.0, 4.1); repeatable. Default: all.")
@click.pass_obj
def lint(state: _State, files: tuple[str, ...], versions: tuple[str, ...]) -> None:
    """Validate Argo YAML files against the bundled Argo schemas (unknown keys forbidden, v4 CRD rules on)."""

    def go() -> int:
        from athena.argo.lint import SUPPORTED, lint_text

        bad = 0
        for f in files:
            issues = lint_text(Path(f).read_text(encoding="utf-8"), versions or SUPPORTED)
            for i in issues:
                click.echo(f"{f}: argo {i.version}: document {i.doc_index} {i.kind}/{i.name}: {i.path}: "
                           f"{i.message}")
            bad += len(issues)
        click.echo(f"{len(files)} file(s), {bad} problem(s)", err=True)
        return 1 if bad else 0

    sys.exit(_run(go))


# ------------------------------------------------------------------------------------------- bundles


class _Bar:
    """A progress bar on stderr for long builds and transfers (hidden when stderr is not a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0

    def stage(self, stage: str, fraction: float) -> None:
        self._ensure(1000, stage)
        self._to(int(fraction * 1000))

    def bytes(self, done: int, total: int) -> None:
        self._ensure(max(total, 1), self.label)
        self._to(done)

    def _ensure(self, total: int, label: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=False)
            self.bar.__enter__()
        self.bar.label = label

    def _to(self, n: int) -> None:
        if n > self.done:
            self.bar.update(n - self.done)
            self.done = n

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command()
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.option("--target", "targets", multiple=True, type=click.Choice(["x86_64", "aarch64"]),
              help="Build only this target (repeatable); default: [bootstrap].targets.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None, help="Write the tarball here.")
@click.option("--print", "print_only", is_flag=True, help="Print the bundle's digest and targets; build nothing.")
@click.pass_obj
def build(state: _State, app: str | None, targets: tuple[str, ...], out: str | None, print_only: bool) -> None:
    """Build the bundle tarball: interpreter, its loader and libraries, your code and wheels, per target."""

    def go() -> str:
        from athena import api

        config = state.config(app)
        loaded = api.load_app(app, config)
        digest = api.bundle_digest(loaded, config)
        if print_only:
            return f"digest {digest}, targets {', '.join(targets or config.bootstrap.targets)}"
        from athena.bundle.build import build_bundle

        bar = _Bar("building")
        try:
            result = build_bundle(loaded, config, targets=list(targets) or None,
                                  out=Path(out) if out else None, progress=bar.stage)
        finally:
            bar.close()
        click.echo(f"built {result.path} ({result.size_bytes / 1e6:.1f} MB, digest {result.digest})", err=True)
        return str(result.path)

    click.echo(_run(go))


@main.command()
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.option("--tarball", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Upload this prebuilt bundle instead of building one.")
@click.option("--print", "print_only", is_flag=True, help="Print the s3:// URL only; build and upload nothing.")
@click.pass_obj
def publish(state: _State, app: str | None, tarball: str | None, print_only: bool) -> None:
    """Build every [bootstrap].targets entry (or take --tarball) and upload the bundle to [artifact].key;
    print s3://bucket/key. A tarball lacking a configured target is refused.

    Credentials: AWS_* environment variables or ambient cloud identity. AWS_ENDPOINT_URL overrides the
    endpoint for this upload only (not what emit writes into the YAML).
    """

    def go() -> str:
        from athena import api
        from athena.remote.publish import publish as upload

        config = state.config(app)
        path: Path
        if tarball is not None:
            path = Path(tarball)
        else:
            loaded = api.load_app(app, config)
            if print_only:
                from athena.bundle.identity import bundle_key

                s3 = config.artifact_repository.s3
                bucket = s3.bucket if s3 is not None and s3.bucket else "<default repository>"
                return f"s3://{bucket}/{bundle_key(config, digest=api.bundle_digest(loaded, config))}"
            from athena.bundle.build import build_bundle

            bar = _Bar("building")
            try:
                path = build_bundle(loaded, config, progress=bar.stage).path
            finally:
                bar.close()
        bar = _Bar("uploading")
        try:
            return upload(config, path, dry_run=print_only, progress=bar.bytes,
                          notify=lambda m: click.echo(m, err=True))
        finally:
            bar.close()

    click.echo(_run(go))


# ------------------------------------------------------------------------------------------ container


@main.group("container")
def container_group() -> None:
    """List, describe and emulate container templates."""


def _find(program: Any, name: str, kind: str) -> Any:
    from athena.api import find_template

    return find_template(program, name, kind)


@container_group.command("ls")
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.option("--all", "show_all", is_flag=True, help="Also list containers reached from other modules.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def container_ls(state: _State, app: str | None, show_all: bool, as_json: bool) -> None:
    """List container templates: name, entry point, image."""
    _, _loaded, program = _run(lambda: _app_and_program(state, app))
    config = state.config(app)
    root_names = set(program.roots)
    rows = []
    for t in program.templates.values():
        if t.kind != "container" or (not show_all and t.name not in root_names):
            continue
        rows.append({"name": t.name, "entry": t.entry, "image": t.options.image or config.bootstrap.default_image})
    _table(rows, as_json)


@container_group.command("describe")
@click.argument("name")
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.pass_obj
def container_describe(state: _State, name: str, app: str | None) -> None:
    """Show a container's parameters, return type and resources (NAME: template or function name)."""
    _, _, program = _run(lambda: _app_and_program(state, app))
    t = _run(lambda: _find(program, name, "container"))
    info = {
        "name": t.name, "entry": t.entry, "image": t.options.image,
        "parameters": [{"name": p.name, "type": str(p.type), **({"default": p.default} if p.has_default else {})}
                       for p in t.params],
        "returns": str(t.returns),
        "host_paths": list(t.ports.host_paths),
        "artifacts_in": [k for k, _ in t.ports.artifacts_in],
        "artifacts_out": list(t.ports.artifacts_out),
    }
    click.echo(json.dumps(info, indent=2))


@container_group.command("emulate")
@click.argument("name")
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.option("-a", "--arg", "pairs", multiple=True, metavar="NAME=VALUE",
              help="An argument: raw text for a str parameter (unless a JSON string literal), else JSON.")
@click.option("--input-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON object of arguments.")
@click.option("--build", "build_", is_flag=True, help="Use a fresh local build for this machine's architecture.")
@click.option("--tarball", type=click.Path(exists=True, dir_okay=False), default=None, help="Use this bundle file.")
@click.option("--runtime", type=click.Choice(["docker", "podman"]), default=None,
              help="Container runtime (default: podman if present, else docker).")
@click.option("--skip-artifacts", is_flag=True, help="Do not sync S3 artifact ports.")
@click.option("--image", default=None, help="Run in this image instead of the template's (e.g. a local copy).")
@click.pass_obj
def container_emulate(state: _State, name: str, app: str | None, pairs: tuple[str, ...], input_file: str | None,
                      build_: bool, tarball: str | None, runtime: str | None, skip_artifacts: bool,
                      image: str | None) -> None:
    """Run one container exactly as Argo would (same image, the emitted bootstrap, /athena scratch).

    The bundle comes from S3 by default (publish it first), from --build or from --tarball. Prints
    `return: <json>` and exits with the container's code.
    """

    def go() -> Any:
        from athena import api
        from athena.local.emulate import emulate_step

        config = state.config(app)
        loaded = api.load_app(app, config)
        bar = _Bar("building")
        try:
            return emulate_step(loaded, config, name, pairs=pairs, input_file=Path(input_file) if input_file else None,
                                tarball=Path(tarball) if tarball else None, build=build_, runtime=runtime,
                                skip_artifacts=skip_artifacts, image=image, progress=bar.stage)
        finally:
            bar.close()

    result = _run(go)
    for err in result.errors:
        click.echo(f"athena: {err}", err=True)
    if result.result_json is not None:
        click.echo(f"return: {result.result_json}")
    sys.exit(result.exit_code if result.exit_code else (1 if result.errors else 0))


# ------------------------------------------------------------------------------------------- workflow


@main.group("workflow")
def workflow_group() -> None:
    """List, describe and draw workflows."""


@workflow_group.command("ls")
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.option("--include-synthetic", is_flag=True, help="Also list the if/else wrappers athena generates.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def workflow_ls(state: _State, app: str | None, include_synthetic: bool, as_json: bool) -> None:
    """List workflow templates: name, function, number of tasks."""
    _, _, program = _run(lambda: _app_and_program(state, app))
    rows = [{"name": t.name, "function": t.function, "tasks": str(len(t.tasks))}
            for t in program.templates.values()
            if t.kind == "workflow" and (include_synthetic or not t.synthetic)]
    _table(rows, as_json)


@workflow_group.command("describe")
@click.argument("name")
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.pass_obj
def workflow_describe(state: _State, name: str, app: str | None) -> None:
    """Show a workflow's inputs, tasks, edges and result."""
    _, _, program = _run(lambda: _app_and_program(state, app))
    t = _run(lambda: _find(program, name, "workflow"))
    info = {
        "name": t.name, "function": t.function, "mode": "steps" if t.steps else "dag",
        "parameters": [{"name": p.name, "type": str(p.type)} for p in t.params],
        "returns": str(t.returns),
        "tasks": [{"name": k.name, "template": k.template, "depends": list(k.deps),
                   **({"fan_out": True} if k.fan_over is not None else {}),
                   **({"when": True} if k.when is not None else {}),
                   **({"continue_on": list(k.continue_on)} if k.continue_on else {})} for k in t.tasks],
    }
    click.echo(json.dumps(info, indent=2))


@workflow_group.command("graph")
@click.argument("name")
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "png"]), default="mermaid",
              show_default=True, help="png needs graphviz's `dot` on PATH.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), help="Write to this file (required for png).")
@click.pass_obj
def workflow_graph(state: _State, name: str, app: str | None, fmt: str, out: str | None) -> None:
    """Draw a workflow's DAG."""
    from athena import graph

    _, _, program = _run(lambda: _app_and_program(state, app))
    t = _run(lambda: _find(program, name, "workflow"))
    text = graph.mermaid(t) if fmt == "mermaid" else graph.dot(t)
    if fmt == "png":
        exe = shutil.which("dot")
        if exe is None:
            _fail("athena: --format png needs graphviz's `dot` on PATH (apt-get install graphviz); "
                  "use --format dot or mermaid")
        if not out:
            _fail("athena: --format png needs --out FILE")
        subprocess.run([exe, "-Tpng", "-o", out], input=text.encode(), check=True)
        click.echo(f"wrote {out}", err=True)
        return
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


def _table(rows: list[dict[str, str]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in cols).rstrip())
    for r in rows:
        click.echo("  ".join(str(r[c]).ljust(widths[c]) for c in cols).rstrip())


if __name__ == "__main__":  # pragma: no cover
    main()
