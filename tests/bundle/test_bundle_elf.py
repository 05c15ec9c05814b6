"""The ELF closure on a real Debian arm64 sysroot (pyelftools reads any architecture on any host)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from athena.bundle import BundleError, UnresolvedSonameError, elf, stdlib


@pytest.fixture
def staged(apt_sysroot: Path, tmp_path: Path) -> tuple[Path, list[Path]]:
    """An app-aarch64/ with the interpreter copied by the stdlib rules; returns it and its ELF files."""
    target = tmp_path / "app-aarch64"
    elves = stdlib.copy_interpreter(apt_sysroot / "usr", "3.11", target / "python")
    return target, elves


def test_closure_of_the_debian_interpreter(apt_sysroot: Path, staged: tuple[Path, list[Path]]) -> None:
    target, elves = staged
    exe = target / "python" / "bin" / "python3.11"
    result = elf.closure(elves, arch="aarch64", interpreter=exe, sysroot=apt_sysroot, bundle=target)
    assert result.loader_name == "ld-linux-aarch64.so.1"
    assert result.loader.is_file() and apt_sysroot in result.loader.parents
    assert {"libc.so.6", "libm.so.6", "libz.so.1", "libexpat.so.1", "libssl.so.3", "libcrypto.so.3",
            "libffi.so.8", "libsqlite3.so.0", "liblzma.so.5", "libbz2.so.1.0", "libgcc_s.so.1"} <= set(result.libraries)
    for soname, path in result.libraries.items():
        assert elf.read_elf(path).machine == "EM_AARCH64", soname
    # the skip lists keep curses/readline/dbm/nis (and their libraries) out
    assert not any(n.startswith(("libncurses", "libreadline", "libtirpc", "libdb")) for n in result.libraries)
    assert elf.glibc_version(result.libraries["libc.so.6"]) == (2, 36)


def test_a_missing_soname_fails_naming_it_the_file_and_the_target(apt_sysroot: Path, staged: tuple[Path, list[Path]]) -> None:
    target, _ = staged
    dynload = target / "python" / "lib" / "python3.11" / "lib-dynload"
    original = next(dynload.glob("_uuid.cpython-311-*.so"))
    fake = target / "site-packages" / "pkg" / "_fake.so"
    fake.parent.mkdir(parents=True)
    data = original.read_bytes()
    assert b"libuuid.so.1\0" in data
    fake.write_bytes(data.replace(b"libuuid.so.1\0", b"libnone.so.1\0"))  # same length: .dynstr stays valid
    assert "libnone.so.1" in elf.read_elf(fake).needed
    with pytest.raises(UnresolvedSonameError) as info:
        elf.closure([fake], arch="aarch64", interpreter=target / "python" / "bin" / "python3.11",
                    sysroot=apt_sysroot, bundle=target, label=lambda p: p.relative_to(target.parent).as_posix())
    err = info.value
    assert (err.soname, err.needed_by, err.target) == ("libnone.so.1", "app-aarch64/site-packages/pkg/_fake.so",
                                                       "aarch64")
    assert "libnone.so.1, needed by app-aarch64/site-packages/pkg/_fake.so, was not found for target aarch64" in str(err)


def test_origin_runpath_finds_vendored_libraries_in_place(apt_sysroot: Path, staged: tuple[Path, list[Path]]) -> None:
    """A library found through the file's RUNPATH $ORIGIN (a wheel's vendored .libs) stays where it is."""
    target, _ = staged
    gconv = apt_sysroot / "usr" / "lib" / "aarch64-linux-gnu" / "gconv"
    pkg = target / "site-packages" / "pkg"
    pkg.mkdir(parents=True)
    for name in ("EUC-KR.so", "libKSC.so"):  # glibc's gconv modules carry RUNPATH $ORIGIN
        shutil.copyfile(gconv / name, pkg / name)
    assert elf.read_elf(pkg / "EUC-KR.so").search == ("$ORIGIN",)
    assert "libKSC.so" in elf.read_elf(pkg / "EUC-KR.so").needed
    result = elf.closure([pkg / "EUC-KR.so"], arch="aarch64", interpreter=target / "python" / "bin" / "python3.11",
                         sysroot=apt_sysroot, bundle=target)
    assert "libKSC.so" not in result.libraries  # found inside the bundle: checked, not copied
    assert "libc.so.6" in result.libraries


def test_wrong_machine_is_refused(apt_sysroot: Path, staged: tuple[Path, list[Path]], tmp_path: Path) -> None:
    target, _ = staged
    x86 = tmp_path / "x86.so"
    shutil.copyfile(next(Path(p) for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1")
                         if Path(p).exists()), x86)
    with pytest.raises(BundleError, match="EM_X86_64, not for target aarch64"):
        elf.closure([x86], arch="aarch64", interpreter=target / "python" / "bin" / "python3.11",
                    sysroot=apt_sysroot, bundle=target)


def test_resolve_in_root_keeps_absolute_links_inside(apt_sysroot: Path) -> None:
    link = apt_sysroot / "lib" / "ld-linux-aarch64.so.1"
    assert link.is_symlink()
    real = elf.resolve_in_root(apt_sysroot, "/lib/ld-linux-aarch64.so.1")
    assert real is not None and apt_sysroot in real.parents
    assert elf.resolve_in_root(apt_sysroot, "/lib/no-such-file") is None


def test_stdlib_copy_rules(staged: tuple[Path, list[Path]]) -> None:
    target, elves = staged
    lib = target / "python" / "lib" / "python3.11"
    assert (lib / "os.py").is_file() and (lib / "json" / "__init__.py").is_file()
    for gone in ("test", "idlelib", "tkinter", "ensurepip", "lib2to3", "pydoc_data", "turtle.py",
                 "sitecustomize.py", "unittest/test"):
        assert not (lib / gone).exists(), gone
    dynload = {p.name.split(".")[0] for p in (lib / "lib-dynload").iterdir()}
    assert "_ssl" in dynload and "_json" in dynload
    assert not dynload & {"_curses", "readline", "_dbm", "nis", "_testcapi", "xxlimited", "_ctypes_test"}
    assert not [p for p in target.rglob("*") if p.is_symlink()]
    assert elves[0] == target / "python" / "bin" / "python3.11"
