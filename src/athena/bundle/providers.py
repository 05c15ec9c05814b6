"""Interpreter providers: where each target's CPython (and the libraries under it) comes from.

==========  ===================================================================  =====================
provider    source                                                               targets
==========  ===================================================================  =====================
``local``   an interpreter prefix on disk: ``$ATHENA_PYTHON_PREFIX``, else       the host's arch only
            the running interpreter's ``sys.base_prefix``; system libs from ``/``
``apt``     Debian's ``python3.X`` packages through a private apt configuration  any
            (:mod:`athena.bundle.apt`); bookworm for 3.11, trixie for 3.13
``pbs``     python-build-standalone ``install_only_stripped``: a file or URL in  any
            ``$ATHENA_PBS_TARBALL_<ARCH>``, else the release pbs-installer names
            (``$ATHENA_PBS_MIRROR`` replaces the GitHub download base); glibc
            from Debian's ``libc6`` (``$ATHENA_SYSROOT_<ARCH>`` overrides)
``image``   none: the image's own ``python3.X`` (manylinux wheels up to         any
            ``$ATHENA_IMAGE_GLIBC``, default 2.28)
==========  ===================================================================  =====================
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from athena.bundle import apt, elf
from athena.bundle.errors import BundleError, InterpreterError, use_interpreter
from athena.config import cache_dir
from athena.filehash import sha256_file
from athena.runtime import protocol

__all__ = ["PROVIDERS", "Interpreter", "cache_dir", "host_arch", "provide"]

PROVIDERS = ("pbs", "apt", "local", "image")
_GITHUB = "https://github.com/astral-sh/python-build-standalone/releases/download"
_PBS_TRIPLE = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}


@dataclass(frozen=True, slots=True)
class Interpreter:
    """What a provider supplies for one target. ``prefix`` is None for ``image`` (nothing shipped)."""

    provider: str
    arch: str
    python: str  # "3.11"
    version: str  # the full version when known, e.g. "3.11.2"
    glibc: tuple[int, int]  # the newest manylinux tag its libc allows
    prefix: Path | None = None  # holds bin/python3.X, lib/python3.X/ and maybe lib/libpython3.X.so.1.0
    sysroot: Path | None = None  # where libc and the other system libraries are looked up

    @property
    def bundled(self) -> bool:
        return self.prefix is not None

    @property
    def executable(self) -> Path:
        assert self.prefix is not None
        return self.prefix / "bin" / f"python{self.python}"

    @property
    def stdlib(self) -> Path:
        assert self.prefix is not None
        return self.prefix / "lib" / f"python{self.python}"


def host_arch() -> str:
    """This machine's bundle target (``x86_64``, ``aarch64``), else its own ``uname -m``."""
    m = platform.machine().lower()
    return protocol.normalize_arch(m) or m


def provide(provider: str, arch: str, python: str, *, env: Mapping[str, str]) -> Interpreter:
    """The interpreter of ``provider`` for ``arch`` (downloads and unpacks into the cache as needed)."""
    if provider == "local":
        return _local(arch, python, env)
    if provider == "apt":
        return _apt(arch, python, env)
    if provider == "pbs":
        return _pbs(arch, python, env)
    if provider == "image":
        return _image(arch, python, env)
    raise InterpreterError(f"unknown interpreter provider {provider!r} (expected one of {', '.join(PROVIDERS)})")


# ---------------------------------------------------------------------------------------------------------
# local


def _local(arch: str, python: str, env: Mapping[str, str]) -> Interpreter:
    host = host_arch()
    if arch != host:
        raise InterpreterError(
            f'interpreter = "local" builds for this machine\'s architecture ({host}) only, not for {arch}; '
            f"narrow the build with --target {host}, or for {arch} {use_interpreter('apt', 'pbs')}")
    prefix = Path(env.get("ATHENA_PYTHON_PREFIX") or sys.base_prefix)
    exe = prefix / "bin" / f"python{python}"
    if not exe.is_file():
        found = sorted(p.name for p in (prefix / "bin").glob("python3.*") if re.fullmatch(r"python3\.\d+", p.name))
        raise InterpreterError(
            f"the local interpreter prefix {prefix} has no bin/python{python} (it has: "
            f"{', '.join(found) or 'none'}); [bootstrap].python is {python}: run athena with a Python "
            f"{python}, or point $ATHENA_PYTHON_PREFIX at a Python {python} prefix")
    try:
        out = subprocess.run([str(exe), "-I", "-S", "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise InterpreterError(f"cannot run the local interpreter {exe}: {exc}") from exc
    if ".".join(out.split(".")[:2]) != python:
        raise InterpreterError(f"the local interpreter {exe} is Python {out}, but [bootstrap].python is {python}")
    root = Path("/")
    return Interpreter("local", arch, python, out, _glibc(root, arch), prefix=prefix, sysroot=root)


def _glibc(sysroot: Path, arch: str) -> tuple[int, int]:
    for d in elf.sysroot_dirs(arch):
        libc = elf.resolve_in_root(sysroot, f"{d}/libc.so.6")
        if libc is not None and elf.read_elf(libc).machine == elf.MACHINES[arch]:
            return elf.glibc_version(libc)
    raise InterpreterError(f"no libc.so.6 for {arch} under {sysroot}")


# ---------------------------------------------------------------------------------------------------------
# apt


def _apt(arch: str, python: str, env: Mapping[str, str]) -> Interpreter:
    suite = apt.suite_for(python)
    root = apt.PrivateApt(cache_dir(env) / "apt" / suite, suite, env).sysroot(arch, apt.PYTHON_PACKAGES[suite])
    prefix = root / "usr"
    if not (prefix / "bin" / f"python{python}").is_file():
        raise InterpreterError(f"the {suite} packages for {arch} hold no usr/bin/python{python} ({root})")
    version = python
    for deb in apt.deb_names(root):
        m = re.match(rf"python{re.escape(python)}-minimal_(?:\d+%3a)?({re.escape(python)}\.\d+)", deb)
        if m:
            version = m[1]
    return Interpreter("apt", arch, python, version, _glibc(root, arch), prefix=prefix, sysroot=root)


# ---------------------------------------------------------------------------------------------------------
# pbs


def _pbs(arch: str, python: str, env: Mapping[str, str]) -> Interpreter:
    cache = cache_dir(env) / "pbs"
    source = env.get(f"ATHENA_PBS_TARBALL_{arch.upper()}")
    sha256: str | None = None
    if not source:
        source, sha256 = _pbs_release(arch, python, env)
    tarball = _fetch(source, sha256, cache, arch) if re.match(r"^[a-z]+://", source) else Path(source)
    if not tarball.is_file():
        raise InterpreterError(f"the python-build-standalone archive for {arch} does not exist: {tarball} "
                               f"($ATHENA_PBS_TARBALL_{arch.upper()})")
    digest = sha256_file(tarball)
    if sha256 is not None and digest != sha256:
        raise InterpreterError(f"{tarball}: sha256 {digest} does not match the published {sha256}; delete it "
                               "and build again")
    dest = cache / "unpacked" / digest[:24]
    if not dest.is_dir():
        _unpack_pbs(tarball, dest, arch)
    prefix = dest / "python"
    if not (prefix / "bin" / f"python{python}").is_file():
        have = sorted(p.name for p in (prefix / "bin").glob("python3.*")) if (prefix / "bin").is_dir() else []
        raise InterpreterError(
            f"{tarball} (target {arch}) is not a python-build-standalone install_only archive of Python {python}: "
            f"it has no python/bin/python{python} (found: {', '.join(have) or 'nothing'})")
    exe_info = elf.read_elf(prefix / "bin" / f"python{python}")
    if exe_info.machine != elf.MACHINES[arch]:
        raise InterpreterError(f"{tarball} holds a {exe_info.machine} interpreter, not one for {arch}")
    version = _pbs_version(tarball.name) or python
    override = env.get(f"ATHENA_SYSROOT_{arch.upper()}")
    if override:
        sysroot = Path(override)
    else:
        suite = env.get("ATHENA_APT_SUITE") or "bookworm"
        sysroot = apt.PrivateApt(cache_dir(env) / "apt" / suite, suite, env).sysroot(arch, apt.RUNTIME_PACKAGES)
    return Interpreter("pbs", arch, python, version, _glibc(sysroot, arch), prefix=prefix, sysroot=sysroot)


def _pbs_release(arch: str, python: str, env: Mapping[str, str]) -> tuple[str, str | None]:
    try:
        from pbs_installer import get_download_link
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InterpreterError("the pbs provider needs the pbs-installer package") from exc
    try:
        _version, (url, sha256) = get_download_link(python, arch=arch, platform="linux")
    except ValueError as exc:
        raise InterpreterError(f"python-build-standalone has no Python {python} for {arch}: {exc}") from exc
    mirror = env.get("ATHENA_PBS_MIRROR")
    if mirror and url.startswith(_GITHUB):
        url = mirror.rstrip("/") + url[len(_GITHUB):]
    return url, sha256


def _pbs_version(name: str) -> str | None:
    m = re.match(r"cpython-(\d+\.\d+\.\d+)", urllib.parse.unquote(name))
    return m[1] if m else None


def _fetch(url: str, sha256: str | None, cache: Path, arch: str) -> Path:
    name = urllib.parse.unquote(url.rsplit("/", 1)[-1]) or f"pbs-{arch}.tar.gz"
    dest = cache / "downloads" / name
    if dest.is_file() and (sha256 is None or sha256_file(dest) == sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, partial.open("wb") as f:
            shutil.copyfileobj(resp, f, 1 << 20)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InterpreterError(
            f"cannot download python-build-standalone for {arch} from {url}: {exc}\nhint: offline, "
            f"{use_interpreter('apt')} to take Python from Debian packages through this machine's apt mirror; "
            f"or set $ATHENA_PBS_MIRROR to a mirror of the GitHub releases, or put a downloaded archive in "
            f"$ATHENA_PBS_TARBALL_{arch.upper()}") from exc
    partial.rename(dest)
    return dest


def _unpack_pbs(tarball: Path, dest: Path, arch: str) -> None:
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with tarfile.open(tarball, "r:*") as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(partial, filter="data")
            else:  # pragma: no cover - Python < 3.11.4
                tf.extractall(partial)
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise InterpreterError(
            f"{tarball} (target {arch}) is not a readable python-build-standalone archive: {exc}; "
            "download it again (an install_only_stripped .tar.gz)") from exc
    partial.rename(dest)


# ---------------------------------------------------------------------------------------------------------
# image


def _image(arch: str, python: str, env: Mapping[str, str]) -> Interpreter:
    raw = env.get("ATHENA_IMAGE_GLIBC", "2.28")
    m = re.fullmatch(r"2\.(\d+)", raw)
    if m is None:
        raise BundleError(f'$ATHENA_IMAGE_GLIBC must look like "2.31", got {raw!r}')
    return Interpreter("image", arch, python, python, (2, int(m[1])))
