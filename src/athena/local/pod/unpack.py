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
- **stricter than Argo, on purpose** (Argo checks names and link targets as text, so a chain of links made by
  earlier members can send a later one outside): every path is resolved link by link against what is already
  on disk and refused when it lands outside; writes go through ``O_NOFOLLOW`` directory descriptors; absolute
  link targets and a lone top-level symlink are refused; after the last member every link is checked again;
  a failed extraction removes ``<path>.tmpdir``;
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
    """Argo's ``untar`` + ``unpack``: extract to ``<dest>.tmpdir``, then move into place (see the module doc).

    On any failure the tmpdir is removed again (nothing half-extracted stays behind)."""
    tmp = Path(str(dest) + ".tmpdir")
    if os.path.lexists(tmp):
        # A leftover of an earlier run (or a planted symlink): extraction must start from a directory it made.
        _remove(tmp)
    _mkdir_all(tmp, 0o777, umask)
    try:
        try:
            with open(tar_path, "rb") as raw, gzip.GzipFile(fileobj=raw) as gz:
                _extract(gz, str(tmp), umask)
        except (EOFError, zlib.error, tarfile.TarError, gzip.BadGzipFile) as exc:
            raise UnpackError(f"{tar_path}: not a readable gzip-compressed tarball ({exc})") from exc
        except OSError as exc:
            raise UnpackError(f"extracting {tar_path}: {exc}") from exc
        entries = os.listdir(tmp)
        try:
            if len(entries) == 1:
                lone = tmp / entries[0]
                if lone.is_symlink():
                    # Renamed to the artifact path, its relative target would be read from the artifact's
                    # parent directory: a link that pointed inside the tmpdir would point outside it.
                    raise UnpackError(f"illegal symlink target: {entries[0]} -> {os.readlink(lone)} "
                                      "(a lone top-level symlink would point outside the artifact path)")
                # The lone entry *becomes* the destination: a link that stayed inside the tmpdir by climbing out of
                # that entry (`d/a -> ../d`) would point outside the destination after the rename.
                if lone.is_dir():
                    _check_links(_Tree(str(lone), umask))
                os.rename(lone, dest)
                os.rmdir(tmp)
            else:
                os.rename(tmp, dest)
        except OSError as exc:
            raise UnpackError(f"moving the extracted {tar_path} to {dest}: {exc}") from exc
    except BaseException:
        if os.path.lexists(tmp):
            _remove(tmp)
        raise


def _remove(path: Path) -> None:
    """Delete a file, a symlink (not what it points to) or a directory tree (never following links)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


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


_MAX_LINKS = 40  # Linux's MAXSYMLINKS: more hops than this is ELOOP for the kernel too


class _Tree:
    """The extraction directory, addressed only by paths *relative to it* that this class resolves itself.

    Argo checks a member's name and a symlink's target as text, so links created earlier can redirect a
    later member outside the destination (``d/a -> ../d``, ``d/a/b -> ../../escape``, then ``d/b``). Here every
    path is resolved the way the kernel would, link by link, against what is already on disk; a path that
    would leave the root is refused. Writing then goes through directory file descriptors opened with
    ``O_NOFOLLOW`` from the root, so nothing on disk can redirect a write either.
    """

    def __init__(self, root: str, umask: int) -> None:
        self.root = root
        self.umask = umask

    def resolve(self, rel: str, *, follow_last: bool, what: str) -> list[str]:
        """The symlink-free components (relative to the root) that ``rel`` lands on; components that do not
        exist yet are kept as they are. Raises UnpackError when the path leaves the root or loops."""
        pending = [c for c in reversed(rel.split("/"))]
        out: list[str] = []
        hops = 0
        missing = False  # below a missing component nothing can be a link: the rest is lexical
        while pending:
            c = pending.pop()
            if c in ("", "."):
                continue
            if c == "..":
                if not out:
                    raise UnpackError(f"{what} resolves outside destination")
                out.pop()
                continue
            cand = [*out, c]
            if missing:
                out = cand
                continue
            try:
                st = os.lstat(os.path.join(self.root, *cand))
            except FileNotFoundError:
                missing = True
                out = cand
                continue
            except OSError as exc:  # ENOTDIR: a file used as a directory
                raise UnpackError(f"{what}: {exc.strerror} ({'/'.join(cand)})") from None
            if stat.S_ISLNK(st.st_mode) and (pending or follow_last):
                hops += 1
                if hops > _MAX_LINKS:
                    raise UnpackError(f"{what}: too many levels of symbolic links")
                target = os.readlink(os.path.join(self.root, *cand))
                if target.startswith("/"):
                    raise UnpackError(f"{what} resolves outside destination (through {'/'.join(cand)} -> "
                                      f"{target})")
                pending.extend(reversed(target.split("/")))
                continue
            out = cand
        return out

    def open_dir(self, parts: list[str]) -> int:
        """An fd of the directory ``parts`` (created ``0755 &^ umask`` where missing), never following a link."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            for c in parts:
                try:
                    nxt = os.open(c, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except FileNotFoundError:
                    os.mkdir(c, 0o700, dir_fd=fd)
                    nxt = os.open(c, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    os.chmod(nxt, 0o755 & ~self.umask)
                os.close(fd)
                fd = nxt
        except BaseException:
            os.close(fd)
            raise
        return fd


def _extract(fileobj: IO[bytes] | gzip.GzipFile, dest: str, umask: int) -> None:
    dest_clean = _clean(dest)
    prefix = dest_clean + "/"
    tree = _Tree(dest_clean, umask)
    with tarfile.open(fileobj=fileobj, mode="r|") as tf:
        for member in tf:
            target = _join(dest, _clean(member.name))
            if not target.startswith(prefix):
                raise UnpackError(f"illegal file path: {member.name}")
            rel = target[len(prefix):]
            if member.type == tarfile.SYMTYPE:
                _symlink(tree, member, rel, prefix)
            elif member.type == tarfile.DIRTYPE:
                os.close(tree.open_dir(tree.resolve(rel, follow_last=True, what=f"illegal file path: {member.name}")))
            elif member.type in _REGULAR:
                _write_regular(tf, member, tree, rel)
            # hard links, devices, FIFOs, contiguous and sparse files: skipped, as Argo does
    _check_links(tree)


def _check_links(tree: _Tree) -> None:
    """Every link still lands inside: a later member can change what an earlier (dangling) link meant."""
    for dirpath, dirnames, filenames in os.walk(tree.root):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                rel = os.path.relpath(path, tree.root)
                tree.resolve(rel, follow_last=True, what=f"illegal symlink target: {rel} -> {os.readlink(path)}")


def _symlink(tree: _Tree, member: tarfile.TarInfo, rel: str, prefix: str) -> None:
    link = member.linkname
    refused = f"illegal symlink target: {member.name} -> {link}"
    # Argo's own (textual) check first, then where the link really lands. Absolute targets are refused
    # outright: one into the tmpdir would dangle after the rename, any other leaves the destination.
    if posixpath.isabs(link) or not _join(prefix + posixpath.dirname(rel), link).startswith(prefix):
        raise UnpackError(refused)
    parent = tree.resolve(posixpath.dirname(rel), follow_last=True, what=f"illegal file path: {member.name}")
    try:
        tree.resolve("/".join([*parent, link]), follow_last=True, what=refused)
    except UnpackError:
        raise UnpackError(refused) from None
    fd = tree.open_dir(parent)
    try:
        os.symlink(link, posixpath.basename(rel), dir_fd=fd)
    finally:
        os.close(fd)


def _write_regular(tf: tarfile.TarFile, member: tarfile.TarInfo, tree: _Tree, rel: str) -> None:
    # Argo's OpenFile follows a link at the last component (writing through it); resolved here, inside only.
    parts = tree.resolve(rel, follow_last=True, what=f"illegal file path after symlink resolution: {member.name}")
    if not parts:
        raise UnpackError(f"illegal file path: {member.name}")
    perm = member.mode & 0o777  # os.FileMode(header.Mode): only the permission bits reach open(2)
    dir_fd = tree.open_dir(parts[:-1])
    try:
        name = parts[-1]
        try:
            os.lstat(name, dir_fd=dir_fd)
            created = False
        except FileNotFoundError:
            created = True
        fd = os.open(name, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, perm & ~tree.umask, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnpackError(f"illegal file path: {member.name} is not a regular file on disk")
        src = tf.extractfile(member)
        if src is not None:
            with src:
                while chunk := src.read(1 << 20):
                    os.write(fd, chunk)
        if created:
            os.chmod(fd, perm & ~tree.umask)  # independent of this process's umask
        pax_atime = member.pax_headers.get("atime")
        atime = float(pax_atime) if pax_atime else os.fstat(fd).st_atime  # zero time.Time: left unchanged
        os.utime(fd, (atime, member.mtime))
    finally:
        os.close(fd)


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
