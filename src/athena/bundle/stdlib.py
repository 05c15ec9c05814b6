"""Copying an interpreter prefix into ``app-<arch>/python/`` (packaging.md §5 step 1).

Kept: ``bin/python3.X``, the versioned ``lib/libpython3.X*.so.*`` of ``--enable-shared`` builds, and
``lib/python3.X/`` without tests, IDLE, tkinter, ensurepip, lib2to3, pydoc data, site-packages, build
configuration, caches and the extension modules nobody needs in a pod (curses, readline, dbm, nis, test
modules). Symlinks are followed (the bundle holds regular files only); dangling ones are dropped.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

__all__ = ["SKIP_DIRS", "SKIP_DYNLOAD", "SKIP_FILES", "copy_interpreter", "copy_tree"]

SKIP_DIRS = ("test", "tests", "idle_test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3",
             "pydoc_data", "site-packages", "dist-packages", "__pycache__", "config-3.*")
SKIP_FILES = ("turtle.py", "sitecustomize.py", "EXTERNALLY-MANAGED", "*.pyc", "*.pyo", "*.exe", "*.a", "*.o")
SKIP_DYNLOAD = ("_tkinter*", "_test*", "xxlimited*", "_ctypes_test*", "readline*", "_curses*", "_dbm*",
                "_gdbm*", "nis*", "xxsubtype*", "_xxtestfuzz*", "_xxsubinterpreters*")


def copy_interpreter(prefix: Path, python: str, dest: Path) -> list[Path]:
    """Copy the interpreter at ``prefix`` into ``dest`` (``app-<arch>/python``); returns the ELF files."""
    elves: list[Path] = []
    exe = dest / "bin" / f"python{python}"
    exe.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(prefix / "bin" / f"python{python}", exe)
    exe.chmod(0o755)
    elves.append(exe)
    lib = dest / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    for so in sorted((prefix / "lib").glob(f"libpython{python}*.so.*")):
        if so.is_file():
            target = lib / so.name
            shutil.copyfile(so, target)
            target.chmod(0o755)
            elves.append(target)
    copy_tree(prefix / "lib" / f"python{python}", lib / f"python{python}", stdlib=True)
    dynload = lib / f"python{python}" / "lib-dynload"
    if dynload.is_dir():
        elves.extend(sorted(p for p in dynload.iterdir() if p.name.endswith(".so")))
    return elves


def copy_tree(src: Path, dest: Path, *, stdlib: bool = False) -> None:
    """Copy ``src`` to ``dest`` following symlinks; with ``stdlib`` the skip lists apply."""
    dest.mkdir(parents=True, exist_ok=True)
    in_dynload = src.name == "lib-dynload"
    with os.scandir(src) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        if entry.is_dir():  # follows symlinks
            if name == "__pycache__" or (stdlib and any(fnmatch.fnmatch(name, p) for p in SKIP_DIRS)):
                continue
            copy_tree(path, dest / name, stdlib=stdlib)
        elif entry.is_file():
            if name.endswith((".pyc", ".pyo")):
                continue
            if stdlib and any(fnmatch.fnmatch(name, p) for p in SKIP_FILES):
                continue
            if stdlib and in_dynload and any(fnmatch.fnmatch(name, p) for p in SKIP_DYNLOAD):
                continue
            target = dest / name
            shutil.copyfile(path, target)
            mode = path.stat().st_mode
            target.chmod(0o755 if mode & 0o111 or name.endswith(".so") else 0o644)
        # else: a dangling symlink or a special file: not shipped
