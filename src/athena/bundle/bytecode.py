"""Byte-compiling a bundle (packaging.md §8).

The stdlib becomes sourceless (``compileall -b`` style: ``os.pyc`` next to where ``os.py`` was, the ``.py``
deleted); the app and site-packages keep their ``.py`` (readable tracebacks) with ``__pycache__`` beside.
Every ``.pyc`` is ``unchecked-hash`` (valid whatever mtimes the unpacker restores) and records the path
the file has in the pod (``/athena/bin/app-<arch>/...``), never the build directory; the compiler runs
with ``PYTHONHASHSEED=0``. Together that makes the bytes reproducible.

The compiler must be the target's minor version: the host interpreter when it matches, else the bundled
x86_64 interpreter started through its own loader. Syntax the target Python lacks fails the build for the
user's code (``strict`` trees); third-party files that do not compile are left as source, as pip does.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from athena.bundle.errors import BundleError

__all__ = ["CompileJob", "compile_trees"]


@dataclass(frozen=True, slots=True)
class CompileJob:
    directory: Path  # a staged tree
    shown_as: str  # its path in the pod, recorded in the code objects
    sourceless: bool = False  # stdlib: legacy .pyc next to the source, then the source is deleted
    strict: bool = False  # a file that does not compile fails the build
    only: tuple[str, ...] | None = None  # strict only for these top-level names (None: all)


_SCRIPT = r'''
import json, os, py_compile, sys
from concurrent.futures import ProcessPoolExecutor

def files(job):
    root = job["directory"]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield job, os.path.join(dirpath, name)

def one(item):
    job, src = item
    rel = os.path.relpath(src, job["directory"])
    dfile = job["shown_as"].rstrip("/") + "/" + rel.replace(os.sep, "/")
    cfile = src + "c" if job["sourceless"] else None
    try:
        py_compile.compile(src, cfile=cfile, dfile=dfile, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError as exc:
        return [job["index"], rel, exc.msg]
    except (OSError, ValueError) as exc:
        return [job["index"], rel, str(exc)]
    return None

jobs = json.loads(sys.stdin.read())
for i, job in enumerate(jobs):
    job["index"] = i
items = [item for job in jobs for item in files(job)]
with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
    errors = [e for e in pool.map(one, items, chunksize=64) if e is not None]
sys.stdout.write(json.dumps(errors))
'''


def compile_trees(compiler: Sequence[str], jobs: Sequence[CompileJob], *, target: str) -> list[str]:
    """Compile ``jobs`` with ``compiler`` (an interpreter command line); returns the non-fatal failures."""
    if not jobs:
        return []
    payload = json.dumps([{"directory": str(j.directory), "shown_as": j.shown_as, "sourceless": j.sourceless}
                          for j in jobs])
    env = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LC_ALL": "C.UTF-8"}
    try:
        proc = subprocess.run([*compiler, "-S", "-s", "-B", "-X", "utf8", "-c", _SCRIPT], input=payload, text=True,
                              capture_output=True, env=env, check=False)
    except OSError as exc:
        raise BundleError(f"cannot start the byte compiler {compiler[0]} for target {target}: {exc}") from exc
    if proc.returncode != 0:
        raise BundleError(f"byte-compiling target {target} with {' '.join(compiler[:1])} failed "
                          f"(exit {proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
    errors: list[list[object]] = json.loads(proc.stdout or "[]")
    fatal: list[str] = []
    soft: list[str] = []
    failed: set[tuple[int, str]] = set()
    for index, rel, message in errors:
        assert isinstance(index, int) and isinstance(rel, str)
        job = jobs[index]
        failed.add((index, rel))
        where = f"{job.shown_as.rstrip('/')}/{rel}"
        top = rel.split(os.sep, 1)[0].removesuffix(".py")
        if job.strict and (job.only is None or top in job.only):
            fatal.append(f"{where}: {message}")
        else:
            soft.append(f"{where}: {str(message).splitlines()[0] if message else 'error'}")
    if fatal:
        raise BundleError(f"the code does not compile with the target's Python (target {target}):\n"
                          + "\n".join(fatal))
    for index, job in enumerate(jobs):
        if job.sourceless:
            _drop_sources(job.directory, {rel for i, rel in failed if i == index})
    return soft


def _drop_sources(root: Path, keep: set[str]) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.endswith(".py"):
                src = Path(dirpath) / name
                if os.path.relpath(src, root) not in keep and src.with_suffix(".pyc").is_file():
                    src.unlink()
