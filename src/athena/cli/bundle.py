"""Bundle commands: ``build``, ``publish``."""

from __future__ import annotations

from pathlib import Path

import click

from athena.cli.output import Bar
from athena.cli.state import State
from athena.runtime.protocol import ARCH_ALIASES

__all__ = ["build", "publish"]


@click.command()
@click.option("--app", default=None, help="APP (default: [project].app).")
@click.option("--target", "targets", multiple=True, type=click.Choice(list(ARCH_ALIASES)),
              help="Build only this target (repeatable); default: [bootstrap].targets.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None, help="Write the tarball here.")
@click.option("--print", "print_only", is_flag=True, help="Print the bundle's digest and targets; build nothing.")
@click.pass_obj
def build(state: State, app: str | None, targets: tuple[str, ...], out: str | None, print_only: bool) -> int:
    """Build the bundle tarball: interpreter, its loader and libraries, your code and wheels, per target."""
    from athena import api

    config = state.config(app)
    loaded = api.load_app(app, config)
    digest = api.bundle_digest(loaded, config)
    if print_only:
        click.echo(f"digest {digest}, targets {', '.join(targets or config.bootstrap.targets)}")
        return 0
    from athena.bundle.build import build_bundle

    with Bar("building") as bar:
        result = build_bundle(loaded, config, targets=list(targets) or None,
                              out=Path(out) if out else None, progress=bar.stage)
    click.echo(f"built {result.path} ({result.size_bytes / 1e6:.1f} MB, digest {result.digest})", err=True)
    click.echo(str(result.path))
    return 0


@click.command()
@click.option("--app", default=None, help="APP (default: [project].app).")
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

        with Bar("building") as bar:
            path = build_bundle(loaded, config, progress=bar.stage).path
    with Bar("uploading") as bar:
        return upload(config, path, dry_run=print_only, progress=bar.bytes,
                      notify=lambda m: click.echo(m, err=True))
