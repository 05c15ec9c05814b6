"""The tarball writer: only regular files and directories, fixed metadata, the same bytes every time."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from pathlib import Path

import pytest

from athena.bundle import BundleError
from athena.bundle.archive import MTIME, write_tarball


def _tree(root: Path) -> Path:
    b = root / "bin"
    (b / "app-x86_64" / "libc").mkdir(parents=True)
    (b / "app-x86_64" / "libc" / "ld-linux-x86-64.so.2").write_bytes(b"\x7fELF" + b"\0" * 100)
    (b / "app-x86_64" / "libc" / "ld-linux-x86-64.so.2").chmod(0o700)
    (b / "app-x86_64" / "run").write_text("#!/bin/sh\n")
    (b / "app-x86_64" / "run").chmod(0o755)
    (b / "app-x86_64" / "data.txt").write_text("x" * 5000)
    (b / "app-x86_64" / "data.txt").chmod(0o600)
    (b / "app-aarch64").mkdir()
    (b / "app-aarch64" / "zz.py").write_text("print(1)\n")
    (b / "manifest.json").write_text("{}\n")
    os.link(b / "app-x86_64" / "data.txt", b / "app-aarch64" / "linked.txt")  # a hard link in the source tree
    return root


def test_entries_are_regular_files_and_directories_with_fixed_metadata(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    sizes = write_tarball(root, tmp_path / "b.tar.gz")
    with tarfile.open(tmp_path / "b.tar.gz", "r:gz") as tf:
        members = tf.getmembers()
    names = [m.name for m in members]
    assert names == ["bin", "bin/app-aarch64", "bin/app-aarch64/linked.txt", "bin/app-aarch64/zz.py",
                     "bin/app-x86_64", "bin/app-x86_64/data.txt", "bin/app-x86_64/libc",
                     "bin/app-x86_64/libc/ld-linux-x86-64.so.2", "bin/app-x86_64/run", "bin/manifest.json"]
    for m in members:
        assert m.isdir() or m.isreg(), m.name  # the hard link became a second regular file
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (MTIME, 0, 0, "", "")
    modes = {m.name: m.mode for m in members}
    assert modes["bin"] == modes["bin/app-x86_64/libc"] == 0o755
    assert modes["bin/app-x86_64/libc/ld-linux-x86-64.so.2"] == 0o755
    assert modes["bin/app-x86_64/run"] == 0o755
    assert modes["bin/app-x86_64/data.txt"] == modes["bin/app-aarch64/zz.py"] == 0o644
    assert set(sizes) == {"app-aarch64", "app-x86_64", "manifest.json"}
    assert sum(sizes.values()) <= (tmp_path / "b.tar.gz").stat().st_size


def test_gzip_header_has_no_name_and_no_time(tmp_path: Path) -> None:
    write_tarball(_tree(tmp_path / "t"), tmp_path / "b.tar.gz")
    head = (tmp_path / "b.tar.gz").read_bytes()[:10]
    assert head[:3] == b"\x1f\x8b\x08"
    assert head[3] == 0  # FLG: no FNAME
    assert head[4:8] == b"\0\0\0\0"  # MTIME 0
    assert gzip.decompress((tmp_path / "b.tar.gz").read_bytes())


def test_same_tree_same_bytes(tmp_path: Path) -> None:
    a = _tree(tmp_path / "a")
    b = _tree(tmp_path / "b")
    os.utime(b / "bin" / "manifest.json", (1, 1))  # mtimes, inode order and umask do not matter
    write_tarball(a, tmp_path / "a.tar.gz")
    write_tarball(b, tmp_path / "b.tar.gz")
    digest = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("a.tar.gz", "b.tar.gz")]
    assert digest[0] == digest[1]


def test_a_symlink_in_the_tree_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    (root / "bin" / "app-x86_64" / "python").symlink_to("run")
    with pytest.raises(BundleError, match="is a symlink"):
        write_tarball(root, tmp_path / "b.tar.gz")
    assert not (tmp_path / "b.tar.gz").exists()
