"""Argo's executor, as far as it places input artifacts on disk (``argo-semantics.md`` §17).

A faithful port of ``workflow/executor/executor.go`` (``loadArtifacts``, ``isTarball``, ``untar``, ``unpack``,
``chmod``; the same logic in Argo 3.6 → 4.1), so that ``athena container emulate`` and the tests see a bundle
exactly as a pod would:

- with no ``archive`` field the downloaded file is sniffed: gzip + one readable tar header = tarball (an empty
  tarball is therefore *not* one and lands as a raw file); ``archive: {none: {}}`` = raw file; ``tar`` = always
  untar; ``zip`` = unzip (not supported here);
- a tarball is extracted into ``<path>.tmpdir``, then a **lone top-level entry is renamed to the artifact path**
  (else the tmpdir itself is);
- regular files get the mode from the tar header (permission bits only, minus the umask) and their mtime;
  directories are created ``0755`` whatever the header says; a file that already exists is overwritten in
  place without truncation and keeps its mode;
- symlinks must point inside the destination; a regular file whose existing parent resolves outside it is
  refused; entry names that clean to the destination itself (``./``) or leave it (``../x``) are refused;
- **hard links, character/block devices, FIFOs, contiguous and sparse files are silently skipped**;
- the artifact's parent directory is created ``0700`` when missing.

Refusals raise :class:`UnpackError` with Argo's own message, prefixed by the artifact.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import shutil
import stat
import tarfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from athena.errors import AthenaError

__all__ = ["DEFAULT_UMASK", "UnpackError", "chmod_artifact", "is_tarball", "load_artifact", "untar"]

DEFAULT_UMASK = 0o022
"""The umask of Argo's init container (the container runtime's default)."""

# Go's archive/tar normalizes TypeRegA ('\0') to TypeReg unless the name ends in '/'; Python's tarfile turns
# such names into DIRTYPE already. CONTTYPE ('7') and GNU sparse ('S') are *not* TypeReg in Go: skipped.
_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE)


class UnpackError(AthenaError):
    """Argo's executor would fail the pod (init container error) with this message."""


def _clean(p: str) -> str:
    """Go's ``filepath.Clean`` for POSIX paths."""
    if p == "":
        return "."
    c = posixpath.normpath(p)
    if c.startswith("//"):  # normpath keeps a leading '//' (POSIX allows it); Go does not
        c = "/" + c.lstrip("/")
    return c


def _join(*parts: str) -> str:
    """Go's ``filepath.Join``: join non-empty elements with '/', then Clean (absolute elements do not reset)."""
    joined = "/".join(p for p in parts if p != "")
    return _clean(joined) if joined else ""


def is_tarball(path: Path) -> bool:
    """``isTarball``: a gzip stream whose first tar header reads without error."""
    if path.is_dir():
        return False
    try:
        with open(path, "rb") as raw:
            if raw.read(2) != b"\x1f\x8b":
                return False
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) as gz, tarfile.open(fileobj=gz, mode="r|") as tf:
                return tf.next() is not None
    except (OSError, EOFError, zlib.error, tarfile.TarError):
        return False


def untar(tar_path: Path, dest: Path, *, umask: int = DEFAULT_UMASK) -> None:
    """Argo's ``untar`` + ``unpack``: extract to ``<dest>.tmpdir``, then move into place (see the module doc)."""
    tmp = Path(str(dest) + ".tmpdir")
    _mkdir_all(tmp, 0o777, umask)
    try:
        with open(tar_path, "rb") as raw, gzip.GzipFile(fileobj=raw) as gz:
            _extract(gz, str(tmp), umask)
    except (EOFError, zlib.error, tarfile.TarError, gzip.BadGzipFile) as exc:
        raise UnpackError(f"{tar_path}: not a readable gzip-compressed tarball ({exc})") from exc
    except OSError as exc:
        raise UnpackError(f"extracting {tar_path}: {exc}") from exc
    entries = os.listdir(tmp)
    if len(entries) == 1:
        os.rename(tmp / entries[0], dest)
        os.rmdir(tmp)
    else:
        os.rename(tmp, dest)


def _mkdir_all(path: Path | str, mode: int, umask: int) -> None:
    """``os.MkdirAll(path, mode)`` under ``umask``: missing components get ``mode &^ umask``."""
    p = Path(path)
    missing: list[Path] = []
    while not os.path.lexists(p):
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for m in reversed(missing):
        try:
            os.mkdir(m)
        except FileExistsError:
            if not m.is_dir():
                raise
            continue
        os.chmod(m, mode & ~umask & 0o7777)
    if not Path(path).is_dir():
        raise NotADirectoryError(f"mkdir {path}: not a directory")


def _extract(fileobj: IO[bytes] | gzip.GzipFile, dest: str, umask: int) -> None:
    dest_clean = _clean(dest)
    prefix = dest_clean + "/"
    with tarfile.open(fileobj=fileobj, mode="r|") as tf:
        for member in tf:
            target = _join(dest, _clean(member.name))
            if not target.startswith(prefix):
                raise UnpackError(f"illegal file path: {member.name}")
            if member.type == tarfile.SYMTYPE:
                link = member.linkname
                link_target = link if posixpath.isabs(link) else _join(posixpath.dirname(target), link)
                if not _clean(link_target).startswith(prefix):
                    raise UnpackError(f"illegal symlink target: {member.name} -> {member.linkname}")
                _mkdir_all(posixpath.dirname(target), 0o755, umask)
                os.symlink(link, target)
            elif member.type == tarfile.DIRTYPE:
                _mkdir_all(target, 0o755, umask)
            elif member.type in _REGULAR:
                _write_regular(tf, member, target, dest, umask)
            # hard links, devices, FIFOs, contiguous and sparse files: skipped, as Argo does


def _write_regular(tf: tarfile.TarFile, member: tarfile.TarInfo, target: str, dest: str, umask: int) -> None:
    parent = posixpath.dirname(target)
    resolved_dest = os.path.realpath(dest)
    if os.path.lexists(parent):
        if os.path.islink(parent) and not os.path.exists(parent):
            raise UnpackError(f"lstat {parent}: broken symlink")
        resolved_parent = os.path.realpath(parent)
        if not (resolved_parent + "/").startswith(resolved_dest + "/") and resolved_parent != resolved_dest:
            raise UnpackError(
                f"illegal file path after symlink resolution: {member.name} resolves outside destination")
    else:
        _mkdir_all(parent, 0o755, umask)
    created = not os.path.lexists(target)
    perm = member.mode & 0o777  # os.FileMode(header.Mode): only the permission bits reach open(2)
    fd = os.open(target, os.O_CREAT | os.O_RDWR, perm & ~umask)
    try:
        src = tf.extractfile(member)
        if src is not None:
            with src:
                while chunk := src.read(1 << 20):
                    os.write(fd, chunk)
    finally:
        os.close(fd)
    if created:
        os.chmod(target, perm & ~umask)  # independent of this process's umask
    atime: float
    pax_atime = member.pax_headers.get("atime")
    atime = float(pax_atime) if pax_atime else os.stat(target).st_atime  # zero time.Time: left unchanged
    os.utime(target, (atime, member.mtime))


def chmod_artifact(path: Path, mode: int, recurse: bool) -> None:
    """The artifact's ``mode`` / ``recurseMode``."""
    os.chmod(path, mode)
    if recurse:
        for root, dirs, files in os.walk(path):
            for n in dirs + files:
                p = os.path.join(root, n)
                if not os.path.islink(p):
                    os.chmod(p, mode)


def load_artifact(
    source: Path,
    path: Path,
    *,
    archive: Mapping[str, Any] | None = None,
    mode: int | None = None,
    recurse_mode: bool = False,
    umask: int = DEFAULT_UMASK,
) -> None:
    """Place one downloaded input artifact (file or directory ``source``) at ``path`` as Argo's init container does.

    ``archive`` is the artifact's ``archive`` field (``None`` when absent: auto-detect a tarball).
    """
    tmp = Path(str(path) + ".tmp")
    _mkdir_all(tmp.parent, 0o700, umask)
    if source.is_dir():
        shutil.copytree(source, tmp, symlinks=True)
    else:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644 & ~umask)
    archive = archive or {}
    try:
        if "none" in archive:
            as_tar = False
        elif "tar" in archive:
            as_tar = True
        elif "zip" in archive:
            raise UnpackError("zip input artifacts are not supported by athena's emulation")
        else:
            as_tar = is_tarball(tmp)
        if as_tar:
            untar(tmp, path, umask=umask)
        else:
            os.rename(tmp, path)
    finally:
        if os.path.lexists(tmp):
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()
    if mode is not None:
        chmod_artifact(path, mode, recurse_mode)


def file_mode(path: Path) -> int:
    """Permission bits of ``path`` (a small helper for callers and tests)."""
    return stat.S_IMODE(os.lstat(path).st_mode)
