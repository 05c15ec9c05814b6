"""Hostile tarballs: nothing is written or linked outside the destination (issue 7 item 10). No containers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.local.pod.test_unpack import make_tar

from athena.local.pod.unpack import UnpackError, untar


def _sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """(sandbox, dest): everything the unpack may touch is under sandbox/work/dest(.tmpdir)."""
    box = tmp_path / "box"
    (box / "work").mkdir(parents=True)
    (box / "sentinel").write_text("keep")
    return box, box / "work" / "dest"


def _outside_untouched(box: Path, dest: Path) -> None:
    found = sorted(p.relative_to(box).as_posix() for p in box.rglob("*")
                   if not (p == dest or dest in p.parents))
    assert found == ["sentinel", "work"], found
    assert (box / "sentinel").read_text() == "keep"


def _links_inside(dest: Path) -> None:
    if not os.path.lexists(dest):
        return
    real = os.path.realpath(dest)
    for dirpath, dirnames, filenames in os.walk(dest):
        for name in [*dirnames, *filenames]:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                r = os.path.realpath(p)
                assert r == real or r.startswith(real + "/"), (p, os.readlink(p), r)


def test_a_chain_of_links_cannot_redirect_a_later_file(tmp_path: Path) -> None:
    # Argo's textual checks accept every member; the file d/b would land in box/work/escape.
    box, dest = _sandbox(tmp_path)
    tgz = make_tar(tmp_path / "t.tgz", [
        ("d/", "dir", 0o755, b""),
        ("d/a", "symlink", 0o777, "../d"),
        ("d/a/b", "symlink", 0o777, "../../escape"),
        ("d/b", "file", 0o644, "pwned"),
    ])
    with pytest.raises(UnpackError, match="illegal symlink target: d/a/b"):
        untar(tgz, dest)
    _outside_untouched(box, dest)
    assert not os.path.lexists(dest)


def test_writing_through_an_existing_link_to_a_dot_is_refused(tmp_path: Path) -> None:
    # a -> . is inside; x -> a/../escape reads "escape" as text but the kernel resolves a/.. to the parent.
    box, dest = _sandbox(tmp_path)
    tgz = make_tar(tmp_path / "t.tgz", [
        ("top/a", "symlink", 0o777, "."),
        ("top/x", "symlink", 0o777, "a/../../escape"),
        ("top/x", "file", 0o644, "pwned"),
    ])
    with pytest.raises(UnpackError):
        untar(tgz, dest)
    _outside_untouched(box, dest)


def test_a_link_made_to_escape_by_a_later_member_is_refused(tmp_path: Path) -> None:
    box, dest = _sandbox(tmp_path)
    tgz = make_tar(tmp_path / "t.tgz", [
        ("top/x", "symlink", 0o777, "a/../../escape"),  # dangling and inside when made
        ("top/a", "symlink", 0o777, "."),  # now top/x -> box/work/dest.tmpdir/../escape
        ("other", "file", 0o644, "x"),
    ])
    with pytest.raises(UnpackError, match="illegal symlink target: top/x"):
        untar(tgz, dest)
    _outside_untouched(box, dest)


def test_a_lone_top_level_symlink_is_refused(tmp_path: Path) -> None:
    box, dest = _sandbox(tmp_path)
    with pytest.raises(UnpackError, match="lone top-level symlink"):
        untar(make_tar(tmp_path / "t.tgz", [("x", "symlink", 0o777, "sentinel")]), dest)  # dangling inside
    _outside_untouched(box, dest)


def test_writes_follow_links_that_stay_inside(tmp_path: Path) -> None:
    box, dest = _sandbox(tmp_path)
    tgz = make_tar(tmp_path / "t.tgz", [
        ("top/real/", "dir", 0o755, b""),
        ("top/alias", "symlink", 0o777, "real"),
        ("top/alias/f", "file", 0o644, "through"),
        ("top/real/g", "file", 0o644, "g"),
        ("top/g2", "symlink", 0o777, "real/g"),
        ("top/g2", "file", 0o644, "G"),  # Argo's OpenFile writes through a link (no truncation)
    ])
    untar(tgz, dest)
    assert (dest / "real" / "f").read_text() == "through"
    assert (dest / "real" / "g").read_text() == "G"
    assert (dest / "g2").is_symlink()
    _outside_untouched(box, dest)


def test_a_failed_unpack_removes_the_tmpdir(tmp_path: Path) -> None:
    box, dest = _sandbox(tmp_path)
    tgz = make_tar(tmp_path / "t.tgz", [("bin/ok", "file", 0o644, "x"), ("bin/evil", "symlink", 0o777, "/etc")])
    with pytest.raises(UnpackError):
        untar(tgz, dest, umask=0)
    assert not os.path.lexists(str(dest) + ".tmpdir")
    _outside_untouched(box, dest)


def test_a_planted_tmpdir_symlink_is_not_followed(tmp_path: Path) -> None:
    box, dest = _sandbox(tmp_path)
    (box / "elsewhere").mkdir()
    os.symlink(box / "elsewhere", str(dest) + ".tmpdir")
    untar(make_tar(tmp_path / "t.tgz", [("a", "file", 0o644, "x"), ("b", "file", 0o644, "y")]), dest)
    assert sorted(os.listdir(dest)) == ["a", "b"]
    assert os.listdir(box / "elsewhere") == []


# ----------------------------------------------------------------------------------------- generated archives

_NAMES = st.sampled_from(["d", "a", "b", "x", "..", ".", "escape", "sentinel", "work", "dest", "dest.tmpdir"])
_PATHS = st.lists(_NAMES, min_size=1, max_size=4).map("/".join) | st.sampled_from(["/d/a", "d/", "/", "./"])
_TARGETS = (st.lists(_NAMES, min_size=1, max_size=5).map("/".join)
            | st.sampled_from(["/", "/etc", "/tmp", "../../..", "../sentinel"]))
_MEMBERS = st.one_of(
    st.tuples(_PATHS, st.just("dir"), st.just(0o755), st.just(b"")),
    st.tuples(_PATHS, st.just("file"), st.sampled_from([0o644, 0o755, 0o600]), st.just(b"data")),
    st.tuples(_PATHS, st.just("symlink"), st.just(0o777), _TARGETS),
    st.tuples(_PATHS, st.just("hardlink"), st.just(0o644), _TARGETS),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(_MEMBERS, min_size=1, max_size=8))
def test_generated_archives_never_leave_the_destination(
        tmp_path_factory: pytest.TempPathFactory, members: list[tuple[str, str, int, bytes | str]]) -> None:
    tmp = tmp_path_factory.mktemp("gen")
    box, dest = _sandbox(tmp)
    tgz = make_tar(tmp / "g.tgz", members)
    try:
        untar(tgz, dest)
    except UnpackError:
        assert not os.path.lexists(str(dest) + ".tmpdir")
    _outside_untouched(box, dest)
    _links_inside(dest)


def test_a_link_climbing_out_of_the_lone_top_directory_is_refused(tmp_path: Path) -> None:
    """Found by the generator: `/d/a -> ../d` stays inside the tmpdir, but `d` is renamed to the destination,
    where the same link points beside it."""
    import io
    import tarfile

    from athena.local.pod.unpack import UnpackError, untar

    tar = tmp_path / "t.tgz"
    with tarfile.open(tar, "w:gz") as tf:
        info = tarfile.TarInfo("/d/a")
        info.type, info.linkname = tarfile.SYMTYPE, "../d"
        tf.addfile(info, io.BytesIO())
    dest = tmp_path / "work" / "dest"
    dest.parent.mkdir()
    with pytest.raises(UnpackError, match="outside destination"):
        untar(tar, dest)
    assert sorted(p.name for p in dest.parent.iterdir()) == []
