"""The bundle tarball: deterministic, and only what Argo's untar keeps (packaging.md §2).

Argo unpacks a gzip tar keeping regular files (with their header mode) and directories, and silently drops
hard links and other entry types; symlinks must stay inside the destination. So the archive holds regular
files and directories only, in sorted order, with a fixed mtime, uid/gid 0 and no user/group names, and the
gzip header carries no name and mtime 0: the same tree always gives the same bytes.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from athena.bundle.errors import BundleError
from athena.runtime import protocol

__all__ = ["MTIME", "write_tarball"]

#: Every entry's mtime: 1980-01-01T00:00:00Z (no .pyc depends on it: they are unchecked-hash).
MTIME = 315532800


class _Counting:
    """A write-only file object that counts the bytes passing through."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


def write_tarball(
    root: Path,
    out: Path,
    *,
    top: str = protocol.BUNDLE_ROOT,
    level: int = 6,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write ``root/top`` as ``out`` (a .tar.gz whose single top-level entry is ``top/``).

    Returns the compressed bytes attributed to each entry directly under ``top/`` (measured at the gzip
    stream as it is written, so approximate by the compressor's buffering). Files with any exec bit get mode
    0755, others 0644; directories 0755. A symlink, hard-link-only or special file in the tree is an error.
    ``progress(done_bytes, total_bytes)`` is called as file data is written.
    """
    entries = _walk(root / top, top)
    total = sum(size for _, _, size in entries)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    sizes: dict[str, int] = {}
    done = 0
    current: str | None = None
    mark = 0
    with partial.open("wb") as raw:
        counter = _Counting(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=counter, compresslevel=level, mtime=0) as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, path, size in entries:
                parts = name.split("/")
                group = parts[1] if len(parts) > 1 else ""
                if group != current:
                    if current is not None:
                        sizes[current] = sizes.get(current, 0) + counter.count - mark
                    current, mark = group, counter.count
                info = tarfile.TarInfo(name)
                info.mtime = MTIME
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if path is None:
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tar.addfile(info)
                    continue
                info.type = tarfile.REGTYPE
                info.size = size
                info.mode = 0o755 if os.stat(path).st_mode & 0o111 else 0o644
                with path.open("rb") as f:
                    tar.addfile(info, f)
                done += size
                if progress is not None:
                    progress(done, total)
        if current is not None:
            sizes[current] = sizes.get(current, 0) + counter.count - mark
    partial.replace(out)
    sizes.pop("", None)
    return sizes


def _walk(directory: Path, name: str) -> list[tuple[str, Path | None, int]]:
    """``(archive name, file or None for a directory, size)`` in sorted, parents-first order."""
    out: list[tuple[str, Path | None, int]] = [(name, None, 0)]
    with os.scandir(directory) as it:
        children = sorted(it, key=lambda e: e.name)
    for entry in children:
        child = f"{name}/{entry.name}"
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            out.extend(_walk(Path(entry.path), child))
        elif stat.S_ISREG(st.st_mode):
            out.append((child, Path(entry.path), st.st_size))
        else:
            kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise BundleError(f"{entry.path} is {kind}: a bundle may hold only regular files and directories "
                              "(Argo drops other entries when it unpacks)")
    return out
