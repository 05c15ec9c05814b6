"""The venv a peer is measured from (Hera for emit.py, kfp for local_run.py), kept beside the benchmarks at one
pinned version: created and filled when missing or at another version."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class VenvError(RuntimeError):
    """The venv does not hold the pinned version after installing it."""


def installed_version(python: Path, dist: str, imports: str) -> str | None:
    """The version of ``dist`` in the venv of ``python``, or None when it (or one of ``imports``) does not import."""
    probe = f"import importlib.metadata as m, {imports}; print(m.version({dist!r}))"
    proc = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure(venv: Path, dist: str, version: str, requirement: str, imports: str,
           log: Callable[[str], None]) -> Path:
    """The python of ``venv`` with ``requirement`` installed (``dist`` at ``version``, ``imports`` importable)."""
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating {venv.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if installed_version(python, dist, imports) != version:
        log(f"installing {requirement} into {venv.relative_to(ROOT)}")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement],
                       check=True)
    found = installed_version(python, dist, imports)
    if found != version:
        raise VenvError(f"{venv} has {dist} {found}, expected {version}")
    return python
