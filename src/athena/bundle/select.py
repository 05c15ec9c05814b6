"""Which of the project's own files go into a bundle, and which never do.

Every pod unpacks the bundle, and anyone who can read the bucket can read it, so the selection is an
allow-list, not "the directory":

- a project with ``pyproject.toml`` ``[project]`` is built as a wheel and its build backend's selection is
  the source of truth; athena then drops the files below from what the wheel installed
  (:func:`strip_installed`);
- app modules the wheel does not provide (and every app module of a plain-directory project) are copied
  from their import location: a module is its one ``.py`` file, a package is its directory tree (modules
  and package data inside it), nothing above it (:func:`app_files`);
- never: VCS metadata (``.git``, ``.hg``, ...), environment files (``.env``, ``.env.*``, ``.envrc``),
  editor and OS droppings (``*.swp``, ``*~``, ``.DS_Store``, ...), byte-code (the build compiles its own),
  any other hidden file or directory, sockets, FIFOs and devices;
- a symlink whose target is inside the project is copied as the file or directory it points to (the
  bundle holds regular files only); one that leads out of the project, or dangles, is skipped; a symlink
  loop is a build error naming the link.

``athena build --print`` lists every exclusion with its reason.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from athena.bundle.errors import BundleError

__all__ = ["AppFiles", "Excluded", "app_files", "excluded_reason", "strip_athena", "strip_installed"]

# First match wins: the specific reasons before the catch-all for hidden names.
_RULES: tuple[tuple[str, str], ...] = (
    *((n, "VCS metadata") for n in (".git", ".gitmodules", ".gitattributes", ".gitignore", ".hg", ".hgignore",
                                    ".svn", ".bzr", "_darcs", "CVS", ".jj")),
    *((n, "environment file (may hold secrets)") for n in (".env", ".env.*", ".envrc", "*.env")),
    *((n, "credentials file") for n in (".netrc", ".pypirc", ".npmrc", ".pgpass", "*.pem", "id_rsa*", "id_ed25519*")),
    *((n, "editor or OS file") for n in ("*.swp", "*.swo", "*~", ".#*", "#*#", ".DS_Store", "Thumbs.db",
                                         ".idea", ".vscode")),
    *((n, "byte-code (the build compiles its own)") for n in ("__pycache__", "*.pyc", "*.pyo")),
    (".*", "hidden file"),
)


def excluded_reason(name: str) -> str | None:
    """Why a file or directory called ``name`` never goes into a bundle, or None."""
    for pattern, reason in _RULES:
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


@dataclass(frozen=True, slots=True)
class Excluded:
    path: str  # relative to the project root when inside it, else absolute
    reason: str
    top: str = ""  # the app module it belongs to ("" for what was removed from the installed wheel)


@dataclass(frozen=True, slots=True)
class AppFiles:
    files: tuple[tuple[str, Path, str], ...]  # (top-level module, source file, destination relative to app/)
    excluded: tuple[Excluded, ...]


class _Walk:
    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self.given = Path(os.path.abspath(root))
        self.files: list[tuple[str, Path, str]] = []
        self.excluded: list[Excluded] = []
        self.top = ""

    def shown(self, path: Path | str) -> str:
        p = Path(os.path.abspath(path))
        for base in (self.given, self.root):
            if base in p.parents:
                return p.relative_to(base).as_posix()
        return str(p)

    def skip(self, path: Path | str, reason: str) -> None:
        self.excluded.append(Excluded(self.shown(path), reason, self.top))

    def real(self, path: Path, boundary: Path) -> Path | None:
        """Where ``path`` really is, if that is inside ``boundary``; else record why it is skipped."""
        try:
            real = Path(os.path.realpath(path, strict=True))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise BundleError(f"{path} is a symlink loop ({path} -> {os.readlink(path)}): remove the link or "
                                  "point it at a real file") from None
            self.skip(path, f"dangling symlink (-> {os.readlink(path)})" if path.is_symlink() else str(exc))
            return None
        if real != boundary and boundary not in real.parents:
            self.skip(path, f"symlink to {real}, outside the project")
            return None
        return real

    def file(self, top: str, path: Path, dest: str, boundary: Path) -> None:
        real = self.real(path, boundary) if path.is_symlink() else path
        if real is None:
            return
        if real.is_dir():
            self.tree(top, path, dest, boundary, ())
        elif real.is_file():
            self.files.append((top, real, dest))
        else:
            self.skip(path, "not a regular file")

    def tree(self, top: str, path: Path, dest: str, boundary: Path, stack: tuple[Path, ...]) -> None:
        here = Path(os.path.realpath(path))
        if here in stack:
            raise BundleError(f"{path} is a symlink loop: it leads back to {here}, which contains it; remove the "
                              "link")
        stack = (*stack, here)
        with os.scandir(path) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            child = Path(entry.path)
            reason = excluded_reason(entry.name)
            if reason is not None:
                self.skip(child, reason)
                continue
            real = self.real(child, boundary) if entry.is_symlink() else child
            if real is None:
                continue
            if real.is_dir():
                self.tree(top, child, f"{dest}/{entry.name}", boundary, stack)
            elif real.is_file():
                self.files.append((top, real, f"{dest}/{entry.name}"))
            else:
                self.skip(child, "not a regular file")


def app_files(sources: Sequence[tuple[str, Path]], root: Path) -> AppFiles:
    """The files of the app modules ``sources`` ((top-level name, package directory or module file)), with
    everything left out; ``root`` is the project (no symlink may lead out of it)."""
    walk = _Walk(root)
    for top, source in sources:
        absolute = Path(os.path.abspath(source))
        walk.top = top
        inside = walk.root in absolute.parents or walk.given in absolute.parents
        # A module imported from outside the project (another sys.path entry) is bounded by its own place.
        boundary = walk.root if inside else Path(os.path.realpath(absolute if absolute.is_dir() else absolute.parent))
        if absolute.is_symlink() and walk.real(absolute, boundary) is None:
            why = walk.excluded.pop().reason
            raise BundleError(f"the app module `{top}` is {absolute}, a {why}: athena never bundles files from "
                              "outside the project; move the code into the project (or make it a dependency)")
        if source.is_dir():
            walk.tree(top, absolute, top, boundary, ())
        else:
            walk.file(top, absolute, source.name, boundary)
    return AppFiles(tuple(walk.files), tuple(walk.excluded))


def strip_installed(site_packages: Path, tops: Sequence[str]) -> list[Excluded]:
    """Remove what :func:`excluded_reason` refuses from the project's installed packages (its wheel's
    selection, minus secrets and junk); returns what was removed, as ``site-packages/...`` paths."""
    removed: list[Excluded] = []
    for top in tops:
        for base in (site_packages / top, site_packages / f"{top}.py"):
            if not base.is_dir() or base.is_symlink():
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                for name in sorted([*dirnames, *filenames]):
                    reason = excluded_reason(name)
                    if reason is None or reason.startswith("byte-code"):
                        continue  # pip's own byte-code is not written (--no-compile); ours comes later
                    path = Path(dirpath) / name
                    removed.append(Excluded(f"site-packages/{path.relative_to(site_packages).as_posix()} "
                                            "(from the project wheel)", reason))
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
                dirnames[:] = [d for d in dirnames if (Path(dirpath) / d).is_dir()]
    return removed


def strip_athena(site_packages: Path) -> list[Excluded]:
    """Remove athena's compiler side (and its bundled Argo schemas) from an installed athena-workflows: a pod
    runs only :data:`~athena.bundle.identity.POD_MODULES`, the files the bundle digest hashes, so nothing else
    can change what a pod does (a test holds the runtime's imports to that list). One entry, not one per file."""
    from athena.bundle.identity import POD_MODULES

    root = site_packages / "athena"
    if not root.is_dir():
        return []
    keep = {site_packages / rel for rel in POD_MODULES}
    keep |= {d / "__init__.py" for rel in POD_MODULES for d in (site_packages / rel).parents
             if d != site_packages and root in (d, *d.parents)}
    keep.add(root / "py.typed")
    dropped = 0
    for dirpath, _, filenames in os.walk(root, topdown=False):
        here = Path(dirpath)
        for name in filenames:
            path = here / name
            if path not in keep:
                path.unlink()
                dropped += 1
        if here != root and not any(here.iterdir()):
            here.rmdir()
    if not dropped:
        return []
    return [Excluded(f"site-packages/athena/... ({dropped} files)",
                     "athena's compiler side: a pod runs only athena's runtime modules")]
