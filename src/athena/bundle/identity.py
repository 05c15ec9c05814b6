"""The bundle's identity as emit and publish both see it: project name, version, S3 key (DESIGN §5.2)."""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

from athena import names
from athena.config import Config

__all__ = ["athena_identity", "bundle_digest", "bundle_key", "project_identity", "python_mismatch"]


def project_identity(config: Config, modules: Sequence[ModuleType] = ()) -> tuple[str, str]:
    """(normalized project name, version) as ``[artifact].key`` and emit see them.

    The project is ``[project].name`` (which holds the PEP 621 name when there is one), else the prefix the
    templates of the app's first module get (its top-level package, or its file's stem: ``etl.py`` gives
    ``etl-*`` templates and an ``etl`` bundle), else ``app``; the version is the installed distribution's,
    else ``0.0.0``.
    """
    project = config.project.name or config.dist_name
    if not project and modules:
        from athena.compile.naming import Namer

        project = Namer(config).module_prefix(modules[0].__name__)
    project = project or "app"
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


def python_mismatch(config: Config) -> str | None:
    """A warning when this interpreter is not the pod's: code may use syntax or wheels the pod lacks."""
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    if host != config.bootstrap.python:
        return (f"this Python is {host} but [bootstrap].python is {config.bootstrap.python}: the pods run "
                f"{config.bootstrap.python}, so check with that version (`athena build` will refuse the mismatch)")
    return None


def bundle_digest(modules: Iterable[ModuleType], config: Config) -> str:
    """A digest of the bundle's source inputs, computable without building (DESIGN §5.2)."""
    h = hashlib.sha256()
    files: set[Path] = set()
    for m in modules:
        f = getattr(m, "__file__", None)
        if not f:
            continue
        p = Path(f).resolve()
        if m.__name__.split(".")[0] != m.__name__ or p.name == "__init__.py":
            pkg = sys.modules.get(m.__name__.split(".")[0])
            pf = getattr(pkg, "__file__", None)
            if pf:
                files.update(Path(pf).resolve().parent.rglob("*.py"))
                continue
        files.add(p)
    for p in sorted(files):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    b = config.bootstrap
    h.update(f"{b.python}|{b.interpreter}|{','.join(b.targets)}".encode())
    h.update(athena_identity().encode())
    # The declared dependency set (resolution per target happens at build; its inputs are these files).
    for name in ("pyproject.toml", "requirements.txt", "uv.lock", "poetry.lock"):
        f = config.root / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


#: The athena modules a pod runs (the runtime and the pod-safe surface; ``tests/runtime`` pins that a pod
#: imports nothing else of athena), plus the launcher generator whose scripts every bundle carries.
POD_MODULES = (
    "athena/__init__.py", "athena/_inert.py", "athena/errors.py", "athena/option_types.py", "athena/outcome.py",
    "athena/ports.py", "athena/runtime/__init__.py", "athena/runtime/codec.py", "athena/runtime/main.py",
    "athena/runtime/protocol.py", "athena/runtime/metrics.py", "athena/bundle/launchers.py",
    "athena/runtime/settings.py",  # settings (issue 9): imported by a pod whose code calls athena.settings
    "athena/ordering.py",  # athena.parallel: a user's module may import it at its top
    "athena/wf.py",  # athena.wf: workflow facts, read in a container body too
    "athena/pause.py",  # athena.suspend/approval: a user's module may import them at its top
)

_ATHENA_ID: str | None = None


def athena_identity() -> str:
    """athena's part of every bundle digest: its version and the code a pod runs (:data:`POD_MODULES`).

    The same files give the same identity however athena was installed (editable, from a wheel, from a
    checkout): what matters is what the pod runs, not where it came from.
    """
    global _ATHENA_ID
    if _ATHENA_ID is None:
        import athena

        root = Path(athena.__file__).resolve().parent.parent
        h = hashlib.sha256(athena.__version__.encode())
        for rel in POD_MODULES:
            h.update(rel.encode())
            h.update((root / rel).read_bytes())
        _ATHENA_ID = h.hexdigest()
    return _ATHENA_ID
