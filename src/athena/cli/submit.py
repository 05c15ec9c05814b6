"""``athena submit``, ``athena get`` and ``athena logs``: a workflow run on a cluster (DESIGN §6)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from athena.cli.appargs import arguments_options, name_argument, values_option
from athena.cli.state import State

if TYPE_CHECKING:
    from athena.remote.transport import Transport
    from athena.remote.watch import Snapshot

__all__ = ["get", "logs", "submit"]

_NS_HELP = "Namespace (default: the values file's, else $ARGO_NAMESPACE, else [defaults].namespace, else default)."


def _connect(namespace: str | None, argo_server: str | None, insecure: bool) -> Transport:
    from athena.remote.transport import argo_server_settings, connect

    return connect(namespace, argo_server=argo_server_settings(argo_server, insecure))


_F = TypeVar("_F", bound=Callable[..., Any])


def transport_options(fn: _F) -> _F:
    """``--argo-server`` and ``--insecure-skip-tls-verify``: the Argo Server instead of the Kubernetes API."""
    fn = click.option("--insecure-skip-tls-verify", "insecure", is_flag=True,
                      help="Accept an Argo Server certificate that does not verify (argo server's self-signed "
                           "default). Also $ARGO_INSECURE_SKIP_VERIFY=true.")(fn)
    return click.option("--argo-server", "argo_server", default=None, metavar="URL",
                        help="Talk to this Argo Server's REST API (host:port, HTTPS unless $ARGO_SECURE=false, or "
                             "a URL) instead of the Kubernetes API; default $ARGO_SERVER. Authorization: "
                             "$ARGO_TOKEN.")(fn)


@click.command("submit")
@name_argument
@arguments_options("Checked against the signature before anything is created. ")
@click.option("-n", "--namespace", default=None, metavar="NS", help=_NS_HELP)
@click.option("--service-account", default=None, metavar="SA", help="The Workflow's serviceAccountName.")
@click.option("--node-selector", "node_selector", multiple=True, metavar="KEY=VALUE",
              help="A nodeSelector entry of the Workflow. Repeatable.")
@values_option
@click.option("-y", "--yes", is_flag=True, help="Answer yes to every prompt (apply changed templates).")
@click.option("--update", is_flag=True, help="Apply changed templates without asking (the diff is still shown).")
@click.option("--skip-bundle-check", is_flag=True, help="Do not check that the bundle exists in S3.")
@click.option("--watch", is_flag=True,
              help="Follow the run: a line per finished step, the steps' output as they print it, the tree at the "
                   "end, `return: <json>` on stdout; the exit code follows the phase (0 Succeeded, 1 Failed, "
                   "2 Error).")
@click.option("--no-logs", "no_logs", is_flag=True, help="With --watch: do not stream the steps' output.")
@transport_options
@click.pass_obj
def submit(state: State, name: str | None, app: str | None, pairs: tuple[str, ...], input_file: str | None,
           namespace: str | None, service_account: str | None, node_selector: tuple[str, ...],
           values: tuple[str, ...], yes: bool, update: bool, skip_bundle_check: bool, watch: bool, no_logs: bool,
           argo_server: str | None, insecure: bool) -> int:
    """Submit the workflow NAME to the cluster of the current kubeconfig context; print the Workflow's name.

    The arguments are checked against the signature and the bundle's presence in S3 first; then every
    WorkflowTemplate it reaches (callees first) and its CronWorkflows are compared with the live ones: missing
    ones are created, unchanged ones left alone, changed ones shown as a diff and applied only after a yes
    (or with --update / -y). Progress goes to stderr, the Workflow's name to stdout.
    """
    from athena import api
    from athena.cli.appargs import lookup_root
    from athena.errors import UsageError
    from athena.local.emulate import parse_arguments
    from athena.remote import submit as remote
    from athena.runtime.main import artifact_type

    root = lookup_root(state, app, name, values)
    config, loaded, program, t, fn, overrides = (root.config, root.loaded, root.program, root.template, root.fn,
                                                 root.overrides)
    arguments: dict[str, str] = {}
    if fn is not None:
        import typing

        skip = [n for n, tp in typing.get_type_hints(fn).items() if artifact_type(tp) is not None]
        arguments = parse_arguments(fn, pairs, Path(input_file) if input_file else None, skip=skip)
    elif pairs or input_file:
        raise UsageError(f"cannot find the function of {t.name} to check its arguments")
    selector = {}
    for pair in node_selector:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--node-selector {pair!r}: write it as key=value")
        selector[key] = value
    ns = remote.resolve_namespace(namespace, overrides.namespace if overrides else None,
                                  config.defaults.namespace)
    docs = api.emit_documents(loaded, config, program=program, values=overrides, namespace=ns)
    if not skip_bundle_check:
        _check_bundle(config, remote.reachable(docs, t.name))
    kube = _connect(ns, argo_server, insecure)
    request = remote.SubmitRequest(root=t.name, arguments=arguments, namespace=ns,
                                   service_account=service_account, node_selector=selector or None,
                                   yes=yes, update=update)
    wf = remote.submit(kube, docs, request, notify=lambda m: click.echo(m, err=True), confirm=_confirm)
    click.echo(f"submitted {wf} to namespace {ns} (athena get {wf} -n {ns})", err=True)
    if not watch:
        click.echo(wf)
        return 0
    click.echo(wf, err=True)
    functions = _sources(program)
    return _follow(kube, wf, ns, functions, logs=not no_logs, root_fn=fn)


def _sources(program: Any) -> dict[str, str]:
    """Template name -> ``function, file:line`` (relative to here when under it): how --watch names the steps."""
    out: dict[str, str] = {}
    for name, t in program.templates.items():
        fn = str(getattr(t, "function", "")).split(" ")[0]
        span = getattr(t, "span", None)
        if span is not None:
            path = Path(span.path)
            shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
            fn = f"{fn}, {shown}:{span.line}"
        out[name] = fn
    return out


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False  # nobody to ask: the caller says how to apply (--update / -y)
    return click.confirm(question, default=False, err=True)


def _check_bundle(config: object, docs: list[dict[str, object]]) -> None:
    """Every bundle key the reachable containers download exists in the configured bucket."""
    from athena.config import Config
    from athena.remote.publish import bundle_exists
    from athena.remote.store import StoreError

    assert isinstance(config, Config)
    keys = sorted(set(_bundle_keys(docs)))
    if not keys:
        return
    s3 = config.artifact_repository.s3
    if s3 is None or not s3.bucket:
        click.echo("athena: warning: no [artifact_repository.s3] bucket configured: the bundle's presence is not "
                   "checked (Argo's default artifact repository is used)", err=True)
        return
    for key in keys:
        if not bundle_exists(config, key):
            raise StoreError(f"the bundle s3://{s3.bucket}/{key} does not exist: run `athena publish` first "
                             "(or pass --skip-bundle-check); nothing was submitted")


def _bundle_keys(node: object) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("name") == "athena-bundle" and isinstance(node.get("s3"), dict):
            key = node["s3"].get("key")
            if isinstance(key, str):
                out.append(key)
        for value in node.values():
            out.extend(_bundle_keys(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_bundle_keys(value))
    return out


def _follow(kube: Transport, name: str, namespace: str, functions: dict[str, str], *, logs: bool,
            root_fn: Callable[..., Any] | None = None) -> int:
    """``athena run``'s renderer over the polled cluster: a live tree on a terminal, else a line per finished
    step; the steps' output as they print it; the final tree."""
    from athena.local.run.progress import Progress
    from athena.remote.watch import NODE_FINAL, exit_code, watch

    def poll(snap: Snapshot) -> None:
        for node in snap.nodes:
            phase = node.phase if node.phase in NODE_FINAL else "Running"  # Pending too: not finished yet
            progress.node(node.name, node.display_name, node.template, phase, snap.parents.get(node.name),
                          snap.types.get(node.name, "Pod"), node.message, snap.started.get(node.name))
        progress.refresh()

    with Progress(functions, logs=logs) as progress:
        def log(node: str, line: str) -> None:
            # A step can print before the poll that reports it: shown under its task name all the same.
            progress.log(node if node in progress.entries else node.removeprefix(name + "."), line)

        snap = watch(kube, name, namespace, on_poll=poll, on_log=log if logs else None)
    _show(snap, functions, root_fn)
    return exit_code(snap.phase)


def _show(snap: Snapshot, functions: dict[str, str], root_fn: Callable[..., Any] | None = None) -> None:
    from athena.local.run.progress import tree_lines

    click.echo("", err=True)
    for text in tree_lines(snap.nodes, snap.parents, functions):
        click.echo(text, err=True)
    click.echo(f"\n{snap.name}: {snap.phase or 'Pending'}" + (f" ({snap.message})" if snap.message else ""),
               err=True)
    if snap.phase == "Succeeded":
        if snap.result is not None:
            from athena.cli.returns import show_decoded

            show_decoded(root_fn, snap.result)
        click.echo(f"return: {snap.result if snap.result is not None else 'null'}")


@click.command("get")
@click.argument("workflow")
@click.option("-n", "--namespace", default=None, metavar="NS", help=_NS_HELP)
@transport_options
@click.pass_obj
def get(state: State, workflow: str, namespace: str | None, argo_server: str | None, insecure: bool) -> int:
    """Show the submitted Workflow WORKFLOW: its tree of steps and phase; `return: <json>` when it Succeeded.
    Inside the project that submitted it, the steps are named with their functions and the result is also
    shown as the Python value of the root's return type. Exit code: 0 Succeeded, 1 Failed, 2 Error, 3 still
    running."""
    from athena.remote.watch import exit_code, read

    ns = _namespace(state, namespace)
    snap = read(_connect(ns, argo_server, insecure), workflow, ns)
    functions, root_fn = _project_view(state, snap.template_ref)
    _show(snap, functions, root_fn)
    return exit_code(snap.phase) if snap.done else 3


def _project_view(state: State, template: str | None) -> tuple[dict[str, str], Callable[..., Any] | None]:
    """The steps' functions and the root's function, when the project here has the Workflow's root template;
    nothing otherwise (no project, another app's Workflow, a project that does not load): get works anywhere."""
    from athena.cli.appargs import lookup_root
    from athena.errors import AthenaError

    if template is None:
        return {}, None
    try:
        root = lookup_root(state, None, template, ())
    except (AthenaError, click.ClickException):
        return {}, None
    return _sources(root.program), root.fn


@click.command("logs")
@click.argument("workflow")
@click.option("-n", "--namespace", default=None, metavar="NS", help=_NS_HELP)
@transport_options
@click.pass_obj
def logs(state: State, workflow: str, namespace: str | None, argo_server: str | None, insecure: bool) -> int:
    """Print the logs of every step (pod) of the submitted Workflow WORKFLOW, oldest first."""
    from athena.remote.watch import logs as read_logs

    ns = _namespace(state, namespace)
    for node, lines in read_logs(_connect(ns, argo_server, insecure), workflow, ns):
        click.echo(f"--- {node}")
        for text in lines:
            click.echo(text)
    return 0


def _namespace(state: State, flag: str | None) -> str:
    from athena.errors import AthenaError
    from athena.remote.submit import resolve_namespace

    try:
        configured = state.config().defaults.namespace
    except AthenaError:  # get/logs need no project
        configured = None
    return resolve_namespace(flag, None, configured)
