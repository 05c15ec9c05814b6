"""Bundle commands: ``build``, ``publish``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from athena.cli.appargs import app_option
from athena.cli.output import Bar
from athena.cli.state import State
from athena.runtime.protocol import ARCH_ALIASES

if TYPE_CHECKING:
    from athena.config import Config

__all__ = ["build", "publish"]


@click.command()
@app_option
@click.option("--target", "targets", multiple=True, type=click.Choice(list(ARCH_ALIASES)),
              help="Build only this target (repeatable); default: [bootstrap].targets.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None, help="Write the tarball here.")
@click.option("--print", "print_only", is_flag=True,
              help="Print the bundle's digest and targets, and which project files it leaves out and why; "
                   "build nothing.")
@click.pass_obj
def build(state: State, app: str | None, targets: tuple[str, ...], out: str | None, print_only: bool) -> int:
    """Build the bundle tarball: interpreter, its loader and libraries, your code and wheels, per target.

    Only the project's wheel (when pyproject.toml has [project]) and the app's own packages and modules go
    in; VCS metadata, .env files, editor files, other hidden files and symlinks leading out of the project
    never do (see --print)."""
    from athena import api

    config = state.config(app)
    loaded = api.load_app(app, config)
    digest = api.bundle_digest(loaded, config)
    if print_only:
        click.echo(f"digest {digest}, targets {', '.join(targets or config.bootstrap.targets)}")
        _print_selection(loaded, config)
        return 0
    from athena.bundle.build import build_bundle

    with Bar("building") as bar:
        result = build_bundle(loaded, config, targets=list(targets) or None,
                              out=Path(out) if out else None, progress=bar.stage)
    if result.excluded:
        click.echo(f"left out {len(result.excluded)} project file(s) (.env, VCS, hidden, links out of the project; "
                   "athena build --print lists them)", err=True)
    click.echo(f"built {result.path} ({result.size_bytes / 1e6:.1f} MB, digest {result.digest})", err=True)
    click.echo(str(result.path))
    return 0


def _print_selection(loaded: Any, config: Config) -> None:
    from athena.bundle import wheels
    from athena.bundle.build import app_selection

    selection = app_selection(loaded, config)
    if wheels.project_table(config.root) is not None:
        click.echo(f"project: the wheel built from {config.root / 'pyproject.toml'} (its build backend selects "
                   "the files; athena then drops the kinds of file listed below); app modules it does not "
                   "provide are copied as follows")
    tops = sorted({top for top, _src, _rel in selection.files})
    click.echo(f"app modules: {', '.join(tops) if tops else '(none)'} "
               f"({len(selection.files)} file(s))")
    if not selection.excluded:
        click.echo("excluded: nothing")
        return
    click.echo("excluded:")
    width = max(len(e.path) for e in selection.excluded)
    for e in selection.excluded:
        click.echo(f"  {e.path:<{width}}  {e.reason}")


@click.command()
@app_option
@click.option("--tarball", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Upload this prebuilt bundle instead of building one.")
@click.option("--print", "print_only", is_flag=True, help="Print the s3:// URL only; build and upload nothing.")
@click.pass_obj
def publish(state: State, app: str | None, tarball: str | None, print_only: bool) -> int:
    """Build every [bootstrap].targets entry (or take --tarball) and upload the bundle to [artifact].key;
    print s3://bucket/key. A tarball lacking a configured target is refused.

    Credentials: AWS_* environment variables or ambient cloud identity. AWS_ENDPOINT_URL overrides the
    endpoint for this upload only (not what emit writes into the YAML).
    """
    click.echo(_publish(state, app, tarball, print_only))
    return 0


def _publish(state: State, app: str | None, tarball: str | None, print_only: bool) -> str:
    from athena import api
    from athena.remote.publish import publish as upload
    from athena.remote.publish import published_url, require_bucket

    config = state.config(app)
    if not print_only:
        require_bucket(config)  # before any build: a missing bucket is found in a second, not after minutes
    path: Path
    if tarball is not None:
        path = Path(tarball)
    else:
        from athena.bundle.identity import bundle_key, project_identity

        loaded = api.load_app(app, config)
        key = bundle_key(config, digest=api.bundle_digest(loaded, config),
                         project=project_identity(config, loaded.modules)[0])
        if print_only:
            s3 = config.artifact_repository.s3
            bucket = s3.bucket if s3 is not None and s3.bucket else "<default repository>"
            return f"s3://{bucket}/{key}"
        # The key holds the digest of the bundle's inputs: when it exists, this bundle is published already.
        url = published_url(config, key)
        if url is not None:
            click.echo(f"already published {url} (same digest); nothing built", err=True)
            return url
        from athena.bundle.build import build_bundle

        with Bar("building") as bar:
            path = build_bundle(loaded, config, progress=bar.stage).path
    with Bar("uploading") as bar:
        return upload(config, path, dry_run=print_only, progress=bar.bytes,
                      notify=lambda m: click.echo(m, err=True))
