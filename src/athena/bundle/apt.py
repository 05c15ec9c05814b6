"""Debian packages for any architecture through a private apt configuration (packaging.md §12.3).

Nothing of the system's apt or dpkg state is touched: lists, downloads and extracted sysroots live under
``<cache>/apt/<suite>/``; the architecture list is set in the private ``apt.conf`` only. The mirror is the
system's Debian mirror (read from its sources), or ``$ATHENA_APT_MIRROR`` / ``$ATHENA_APT_SECURITY_MIRROR``;
``$ATHENA_APT_KEYRING`` names the archive keyring when it is not Debian's usual file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from athena.bundle.errors import InterpreterError, use_interpreter
from athena.runtime import protocol

__all__ = ["DEB_ARCH", "PYTHON_PACKAGES", "RUNTIME_PACKAGES", "SUITES", "PrivateApt", "deb_names", "suite_for"]

DEB_ARCH = protocol.PLATFORM_ARCH  # Debian's names are the OCI ones for both targets
#: Debian release per Python minor version (the release's only python3.X).
SUITES = {"3.11": "bookworm", "3.13": "trixie"}
_COMMON = ("libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libexpat1", "libffi8", "libbz2-1.0", "liblzma5",
           "libsqlite3-0", "libuuid1", "libcrypt1")
#: Everything a trimmed CPython of the release needs (curses, readline, dbm and nis are not shipped).
PYTHON_PACKAGES: Mapping[str, tuple[str, ...]] = {
    "bookworm": ("python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "libssl3", *_COMMON),
    "trixie": ("python3.13-minimal", "libpython3.13-minimal", "libpython3.13-stdlib", "libssl3t64", "libmpdec4",
               "libzstd1", *_COMMON),
}
#: glibc and friends only: for interpreters that bring their own libraries (python-build-standalone).
RUNTIME_PACKAGES = ("libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libcrypt1")
_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
_MAX_AGE = 24 * 3600  # refresh package lists older than this


_DEB_LIST = ".athena-debs"


def deb_names(sysroot: Path) -> list[str]:
    """The ``.deb`` file names a sysroot made by :meth:`PrivateApt.sysroot` was unpacked from."""
    try:
        return (sysroot / _DEB_LIST).read_text().split()
    except OSError:
        return []


def suite_for(python: str) -> str:
    try:
        return SUITES[python]
    except KeyError:
        known = ", ".join(f"{s} has {p}" for p, s in SUITES.items())
        raise InterpreterError(
            f"the apt provider has no Debian release with Python {python} ({known}); set [bootstrap].python "
            f"to one of those, or {use_interpreter('pbs', 'local')}") from None


class PrivateApt:
    """apt-get with its own configuration, lists and archives under ``root``."""

    def __init__(self, root: Path, suite: str, env: Mapping[str, str]) -> None:
        self.root = root
        self.suite = suite
        self.env = env
        self.conf = root / "apt.conf"

    # -- public ------------------------------------------------------------------------------------------

    def sysroot(self, arch: str, packages: Sequence[str]) -> Path:
        """A directory with ``packages`` for ``arch`` extracted into it (cached; refreshed with the lists)."""
        deb_arch = DEB_ARCH[arch]
        with self._locked():
            self._configure()
            self._update(force=False)
            try:
                debs = self._download(deb_arch, packages)
            except InterpreterError:
                self._update(force=True)  # a superseded version 404s until the lists are refreshed
                debs = self._download(deb_arch, packages)
            key = hashlib.sha256("\n".join(sorted(d.name for d in debs)).encode()).hexdigest()[:16]
            dest = self.root / "sysroot" / f"{deb_arch}-{key}"
            if not dest.is_dir():
                partial = dest.with_name(dest.name + ".partial")
                shutil.rmtree(partial, ignore_errors=True)
                partial.mkdir(parents=True)
                for deb in debs:
                    self._run(["dpkg-deb", "-x", str(deb), str(partial)], f"unpacking {deb.name}")
                (partial / _DEB_LIST).write_text("".join(f"{d.name}\n" for d in debs))
                partial.rename(dest)
            return dest

    # -- steps -------------------------------------------------------------------------------------------

    def _configure(self) -> None:
        for d in ("etc/apt/sources.list.d", "etc/apt/apt.conf.d", "etc/apt/preferences.d",
                  "etc/apt/trusted.gpg.d", "var/lib/apt/lists/partial", "var/cache/apt/archives/partial",
                  "var/lib/dpkg"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        status = self.root / "var/lib/dpkg/status"
        if not status.exists():
            status.touch()
        archs = " ".join(DEB_ARCH.values())
        sandbox = 'APT::Sandbox::User "root";\n' if os.geteuid() == 0 else ""
        conf = (
            f'Dir "{self.root}/";\n'
            f'Dir::State "{self.root}/var/lib/apt/";\n'
            f'Dir::State::status "{self.root}/var/lib/dpkg/status";\n'
            f'Dir::Cache "{self.root}/var/cache/apt/";\n'
            f'Dir::Etc "{self.root}/etc/apt/";\n'
            'APT::Architecture "amd64";\n'
            f'APT::Architectures {{ {" ".join(f"{chr(34)}{a}{chr(34)};" for a in archs.split())} }};\n'
            'Acquire::Languages "none";\n'
            'Acquire::Retries "3";\n'
            f"{sandbox}"
        )
        sources = self._sources(archs)
        for path, text in ((self.conf, conf), (self.root / "etc/apt/sources.list.d/athena.sources", sources)):
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                stamp = self.root / "var/lib/apt/athena-updated"
                stamp.unlink(missing_ok=True)

    def _sources(self, archs: str) -> str:
        mirror, security, keyring = _system_mirrors(self.suite)
        mirror = self.env.get("ATHENA_APT_MIRROR") or mirror
        security = self.env.get("ATHENA_APT_SECURITY_MIRROR") or security
        keyring = self.env.get("ATHENA_APT_KEYRING") or keyring
        if not Path(keyring).is_file():
            raise InterpreterError(
                f"the apt provider needs Debian's archive keyring at {keyring} (apt-get install "
                "debian-archive-keyring, or point $ATHENA_APT_KEYRING at it)")
        stanza = "Types: deb\nURIs: {uri}\nSuites: {suites}\nComponents: main\nArchitectures: {archs}\nSigned-By: {key}\n"
        text = stanza.format(uri=mirror, suites=f"{self.suite} {self.suite}-updates", archs=archs, key=keyring)
        if security:
            text += "\n" + stanza.format(uri=security, suites=f"{self.suite}-security", archs=archs, key=keyring)
        return text

    def _update(self, *, force: bool) -> None:
        stamp = self.root / "var/lib/apt/athena-updated"
        if not force and stamp.exists() and time.time() - stamp.stat().st_mtime < _MAX_AGE:
            return
        self._apt(["apt-get", "-q", "update"], "apt-get update", cwd=self.root)
        stamp.touch()

    def _download(self, deb_arch: str, packages: Sequence[str]) -> list[Path]:
        names = [f"{p}:{deb_arch}" for p in packages]
        out = self._apt(["apt-get", "download", "--print-uris", *names], "apt-get download --print-uris",
                        cwd=self.root)
        files = [m[1] for m in re.finditer(r"^'[^']+' (\S+) \d+ ", out, re.MULTILINE)]
        if len(files) != len(names):
            raise InterpreterError(f"apt-get download --print-uris listed {len(files)} files for {len(names)} "
                                   f"packages ({' '.join(names)}):\n{out.strip()}")
        dest = self.root / "debs" / deb_arch
        dest.mkdir(parents=True, exist_ok=True)
        missing = [n for n, f in zip(names, files, strict=True) if not (dest / f).is_file()]
        if missing:
            self._apt(["apt-get", "-q", "download", *missing], f"apt-get download ({deb_arch})", cwd=dest)
        return [dest / f for f in files]

    # -- plumbing ----------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _apt(self, cmd: list[str], what: str, *, cwd: Path) -> str:
        env = {k: v for k, v in self.env.items() if not k.startswith("APT_")}
        env["APT_CONFIG"] = str(self.conf)
        env["DEBIAN_FRONTEND"] = "noninteractive"
        env["LC_ALL"] = "C"
        return self._run(cmd, what, cwd=cwd, env=env)

    def _run(self, cmd: list[str], what: str, *, cwd: Path | None = None,
             env: Mapping[str, str] | None = None) -> str:
        if shutil.which(cmd[0]) is None:
            raise InterpreterError(f"the apt provider needs {cmd[0]} (a Debian or Ubuntu machine); elsewhere, "
                                   f"{use_interpreter('pbs', 'local')}")
        try:
            proc = subprocess.run(cmd, cwd=cwd, env=dict(env) if env is not None else None, text=True,
                                  capture_output=True, check=False)
        except OSError as exc:
            raise InterpreterError(f"{what} failed: {exc}") from exc
        if proc.returncode != 0:
            detail = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
            raise InterpreterError(
                f"{what} failed (exit {proc.returncode}) with the private apt configuration {self.conf}:\n"
                f"{detail}\nhint: check that the Debian mirror is reachable (or set $ATHENA_APT_MIRROR)")
        return proc.stdout


def _system_mirrors(suite: str) -> tuple[str, str, str]:
    """The Debian mirror, security mirror and keyring this machine's apt uses (deb.debian.org if none)."""
    mirror, security, keyring = "http://deb.debian.org/debian", "http://deb.debian.org/debian-security", _KEYRING
    found_main = found_sec = False
    for entry in _system_sources():
        uri, suites, key = entry
        for s in suites:
            if s.endswith("-security") and s.split("-")[0] in _DEBIAN_CODENAMES and not found_sec:
                security, found_sec = uri, True
                keyring = key or keyring
            elif s in _DEBIAN_CODENAMES and not found_main:
                mirror, found_main = uri, True
                keyring = key or keyring
    return mirror, security, keyring


_DEBIAN_CODENAMES = {"buster", "bullseye", "bookworm", "trixie", "forky", "sid"}


def _system_sources() -> list[tuple[str, list[str], str | None]]:
    """``(uri, suites, signed_by)`` of the system's enabled ``deb`` sources (deb822 and one-line)."""
    entries: list[tuple[str, list[str], str | None]] = []
    d = Path("/etc/apt/sources.list.d")
    files = sorted(d.glob("*.sources")) if d.is_dir() else []
    for f in files:
        for stanza in re.split(r"\n\s*\n", _read(f)):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                k, _, v = line.partition(":")
                fields[k.strip().lower()] = v.strip()
            if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
                continue
            for uri in fields.get("uris", "").split():
                entries.append((uri, fields.get("suites", "").split(), fields.get("signed-by")))
    one_line = [Path("/etc/apt/sources.list"), *(sorted(d.glob("*.list")) if d.is_dir() else [])]
    for f in one_line:
        for line in _read(f).splitlines():
            m = re.match(r"^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)", line)
            if m:
                opts = dict(o.split("=", 1) for o in (m[1] or "").split() if "=" in o)
                entries.append((m[2], [m[3]], opts.get("signed-by")))
    return entries


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
