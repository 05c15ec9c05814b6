"""The bundle's identity as emit and publish both see it: project name, version, S3 key (DESIGN §5.2)."""

from __future__ import annotations

import contextlib

from athena.argo import names
from athena.config import Config

__all__ = ["bundle_key", "project_identity"]


def project_identity(config: Config) -> tuple[str, str]:
    """(normalized project name, version) as ``[artifact].key`` and emit see them.

    The project is ``[project].name``, else the PEP 621 name, else ``app``; the version is the installed
    distribution's, else ``0.0.0``.
    """
    project = config.project.name or config.dist_name or "app"
    version = "0.0.0"
    if config.dist_name:
        import importlib.metadata  # slow to import: only when there is a distribution to ask about

        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            version = importlib.metadata.version(config.dist_name)
    return names.normalize(project) or "app", version


def bundle_key(config: Config, *, digest: str, project: str | None = None, version: str | None = None) -> str:
    """``[artifact].key`` filled in. ``project`` / ``version`` default to ``project_identity(config)``;
    a given project is normalized the same way, so emit and publish agree on one key."""
    if project is None or version is None:
        default_project, default_version = project_identity(config)
        project = default_project if project is None else project
        version = default_version if version is None else version
    return config.artifact.key.format(project=names.normalize(project) or "app", version=version, digest=digest)
