"""Argo's executor unpack semantics (argo-semantics.md §17), as ported in athena.local.pod.unpack. No containers."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from athena.local.pod.unpack import UnpackError, file_mode, is_tarball, load_artifact, untar


def make_tar(path: Path, entries: list[tuple[str, str, int, bytes | str]], *, gz: bool = True) -> Path:
    """entries: (name, kind, mode, data-or-linkname); kind in file/dir/symlink/hardlink/fifo/chr."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, kind, mode, data in entries:
            ti = tarfile.TarInfo(name)
            ti.mode = mode
            ti.mtime = 1_700_000_000
            if kind == "file":
                raw = data if isinstance(data, bytes) else data.encode()
                ti.size = len(raw)
                tf.addfile(ti, io.BytesIO(raw))
                continue
            ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                       "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}[kind]
            if kind in ("symlink", "hardlink"):
                ti.linkname = str(data)
            tf.addfile(ti)
    raw = buf.getvalue()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def test_lone_top_level_directory_is_renamed_to_the_artifact_path(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "b.tgz", [
        ("bin", "dir", 0o755, b""),
        ("bin/app-x86_64", "dir", 0o755, b""),
        ("bin/app-x86_64/run", "file", 0o755, "echo hi\n"),
        ("bin/manifest.json", "file", 0o644, "{}"),
    ])
    dest = tmp_path / "athena" / "bin"
    dest.parent.mkdir()
    untar(tgz, dest)
    assert sorted(os.listdir(dest)) == ["app-x86_64", "manifest.json"]  # bin/ itself became /athena/bin
    assert (dest / "app-x86_64" / "run").read_text() == "echo hi\n"
    assert not (tmp_path / "athena" / "bin.tmpdir").exists()


def test_several_top_level_entries_keep_the_tmpdir_as_the_artifact(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "b.tgz", [("app-x86_64/run", "file", 0o644, "x"), ("manifest.json", "file", 0o644, "{}")])
    dest = tmp_path / "bin"
    untar(tgz, dest)
    assert sorted(os.listdir(dest)) == ["app-x86_64", "manifest.json"]
    assert file_mode(dest) == 0o755


def test_lone_top_level_file_becomes_the_artifact_file(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "f.tgz", [("data.json", "file", 0o600, "[1]")])
    dest = tmp_path / "in" / "doc"
    dest.parent.mkdir()
    untar(tgz, dest)
    assert dest.is_file() and dest.read_text() == "[1]"


def test_modes_from_the_header_are_kept_minus_umask_and_directories_are_0755(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "m.tgz", [
        ("bin", "dir", 0o700, b""),
        ("bin/private", "dir", 0o700, b""),
        ("bin/ld.so", "file", 0o755, "ELF"),
        ("bin/data", "file", 0o644, "d"),
        ("bin/secret", "file", 0o600, "s"),
        ("bin/wide", "file", 0o777, "w"),
        ("bin/setuid", "file", 0o4755, "u"),
        ("bin/private/x", "file", 0o640, "x"),
    ])
    dest = tmp_path / "bin"
    untar(tgz, dest)
    assert file_mode(dest / "ld.so") == 0o755
    assert file_mode(dest / "data") == 0o644
    assert file_mode(dest / "secret") == 0o600
    assert file_mode(dest / "wide") == 0o755  # umask 022
    assert file_mode(dest / "setuid") == 0o755  # only permission bits reach open(2)
    assert file_mode(dest / "private") == 0o755  # header's 0700 ignored
    assert file_mode(dest) == 0o755
    assert int((dest / "data").stat().st_mtime) == 1_700_000_000


def test_hard_links_and_special_files_are_dropped(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "h.tgz", [
        ("bin", "dir", 0o755, b""),
        ("bin/python3.11", "file", 0o755, "ELF"),
        ("bin/python3", "hardlink", 0o755, "bin/python3.11"),
        ("bin/fifo", "fifo", 0o644, b""),
        ("bin/tty", "chr", 0o644, b""),
    ])
    dest = tmp_path / "bin"
    untar(tgz, dest)
    assert sorted(os.listdir(dest)) == ["python3.11"]


def test_tarfile_emits_hard_links_unless_dereference(tmp_path: Path) -> None:
    # Why the bundle builder must write regular files only: a second link of a file becomes a LNKTYPE entry.
    src = tmp_path / "src" / "bin"
    src.mkdir(parents=True)
    (src / "a").write_text("same")
    os.link(src / "a", src / "b")
    tgz = tmp_path / "t.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(src, arcname="bin")
    untar(tgz, tmp_path / "out")
    assert sorted(os.listdir(tmp_path / "out")) == ["a"]  # "b" silently lost in the pod


def test_symlinks_inside_are_kept(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "s.tgz", [
        ("bin/python/bin/python3.11", "file", 0o755, "ELF"),
        ("bin/python/bin/python3", "symlink", 0o777, "python3.11"),
    ])
    dest = tmp_path / "bin"
    untar(tgz, dest)
    link = dest / "python" / "bin" / "python3"
    assert link.is_symlink() and os.readlink(link) == "python3.11" and link.read_text() == "ELF"


@pytest.mark.parametrize("target", ["../../../etc/passwd", "/etc/passwd", ".."])
def test_symlinks_escaping_the_destination_are_refused(tmp_path: Path, target: str) -> None:
    tgz = make_tar(tmp_path / "e.tgz", [("bin/evil", "symlink", 0o777, target)])
    with pytest.raises(UnpackError, match="illegal symlink target: bin/evil"):
        untar(tgz, tmp_path / "bin")


@pytest.mark.parametrize("name", ["../x", "bin/../../x"])
def test_entries_leaving_the_destination_are_refused(tmp_path: Path, name: str) -> None:
    tgz = make_tar(tmp_path / "p.tgz", [(name, "file", 0o644, "x")])
    with pytest.raises(UnpackError, match="illegal file path"):
        untar(tgz, tmp_path / "bin")


def test_a_dot_entry_is_refused_like_argo_does(tmp_path: Path) -> None:
    # `tar -C dir -czf b.tgz .` writes a "./" entry: Argo's untar cleans it to the destination itself and fails.
    tgz = make_tar(tmp_path / "d.tgz", [("./", "dir", 0o755, b""), ("./bin/run", "file", 0o644, "x")])
    with pytest.raises(UnpackError, match=r"illegal file path: \."):
        untar(tgz, tmp_path / "bin")


def test_absolute_names_land_inside(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "a.tgz", [("/bin/run", "file", 0o644, "x")])
    dest = tmp_path / "bin"
    untar(tgz, dest)
    assert (dest / "run").read_text() == "x"


def test_is_tarball_sniffs_like_argo(tmp_path: Path) -> None:
    assert is_tarball(make_tar(tmp_path / "ok.tgz", [("bin/x", "file", 0o644, "x")]))
    assert not is_tarball(make_tar(tmp_path / "plain.tar", [("bin/x", "file", 0o644, "x")], gz=False))
    assert not is_tarball(make_tar(tmp_path / "empty.tgz", []))  # no first header: a raw file for Argo
    (tmp_path / "text.gz").write_bytes(gzip.compress(b"just text, not a tar header" * 40))
    assert not is_tarball(tmp_path / "text.gz")
    (tmp_path / "junk").write_bytes(b"\x1f\x8b garbage")
    assert not is_tarball(tmp_path / "junk")


def test_truncated_tarball_is_an_error(tmp_path: Path) -> None:
    good = make_tar(tmp_path / "g.tgz", [("bin/big", "file", 0o644, os.urandom(200_000))])
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(good.read_bytes()[:-5000])
    assert is_tarball(bad)  # the first header is fine, as Argo's sniffing would see it
    with pytest.raises(UnpackError, match="not a readable gzip-compressed tarball"):
        untar(bad, tmp_path / "bin")


def test_load_artifact_raw_and_auto_and_parent_0700(tmp_path: Path) -> None:
    tgz = make_tar(tmp_path / "x.tgz", [("bin/run", "file", 0o755, "r")])
    vol = tmp_path / "athena"
    vol.mkdir()
    load_artifact(tgz, vol / "artifacts" / "in" / "raw", archive={"none": {}})
    assert (vol / "artifacts" / "in" / "raw").read_bytes() == tgz.read_bytes()  # archive none: never unpacked
    assert stat.S_IMODE((vol / "artifacts").stat().st_mode) == 0o700  # MkdirAll(parent, 0700)
    load_artifact(tgz, vol / "bin")
    assert (vol / "bin" / "run").read_text() == "r"
    plain = tmp_path / "plain.txt"
    plain.write_text("hello")
    load_artifact(plain, vol / "in" / "doc", mode=0o600)
    assert (vol / "in" / "doc").read_text() == "hello" and file_mode(vol / "in" / "doc") == 0o600
    assert not list(vol.rglob("*.tmp")) and not list(vol.rglob("*.tmpdir"))
