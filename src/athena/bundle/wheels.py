"""Per-target dependency resolution: binary wheels only, cross-platform, with pip (packaging.md §7).

For each target pip installs into ``app-<arch>/site-packages`` with ``--only-binary=:all:`` and the
target's tags: ``--implementation cp --python-version X.Y --abi cpXY --abi abi3 --abi none`` and every
``manylinux_2_N_<arch>`` from the bundled glibc down to ``manylinux2014_<arch>`` (pip does not widen a
perennial tag to older ones). ``PIP_CONSTRAINT`` is cleared (a machine-wide constraint file must not
change a bundle). Environment markers are evaluated by pip against the host interpreter, which is why the
host's minor version must match the target's.

Resolution is a ``--dry-run --report`` first; what it reports is installed pinned with ``--no-deps``.
athena-workflows is requested without extras, so only its core requirements (what a pod imports) come
along; the command line's dependencies are its ``cli`` extra and stay out by construction (obstore alone
would add ~5.5 MB (gz) per target) unless the project itself requires them.

A requirement with no wheel for a target: its sdist is fetched; one that contains native code fails the
build naming package and target; a pure one is built into a ``py3-none-any`` wheel on the host (cached in
the wheelhouse) and the install is retried.

The project itself is built as a wheel with PEP 517 (``pip wheel --no-deps``) when ``config.root`` has a
``pyproject.toml`` with ``[project]``; athena-workflows is built from its source tree when it is installed
from a local directory (editable or not), else downloaded as the installed version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from athena.bundle.errors import BundleError, MissingWheelError

__all__ = [
    "ATHENA_DIST",
    "WheelFile",
    "athena_wheel",
    "build_project_wheel",
    "install",
    "pip_env",
    "pip_install_command",
    "platform_tags",
    "project_table",
    "select",
    "top_level_names",
]

ATHENA_DIST = "athena-workflows"
_JUNK = {".git", ".hg", ".svn", ".athena", "build", "dist", "__pycache__", ".mypy_cache", ".pytest_cache",
         ".ruff_cache", ".hypothesis", ".venv", "venv", ".tox", ".nox", "node_modules"}
_NATIVE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".pyx", ".pxd", ".rs", ".f", ".f90", ".f95", ".cu",
                    ".m", ".mm", ".go", ".zig")
_NATIVE_FILES = {"Cargo.toml", "CMakeLists.txt", "meson.build"}
_NATIVE_BACKENDS = ("maturin", "scikit_build", "mesonpy", "setuptools_rust", "enscons", "py_build_cmake")


@dataclass(frozen=True, slots=True)
class WheelFile:
    path: Path
    name: str  # as in the file name (underscores)
    version: str
    tags: str  # "py3-none-any"

    @property
    def pure(self) -> bool:
        py, abi, plat = self.tags.split("-")
        return abi == "none" and plat == "any" and all(p.startswith("py3") or p == "py2" for p in py.split("."))

    @classmethod
    def parse(cls, path: Path) -> WheelFile:
        parts = path.name.removesuffix(".whl").split("-")
        if len(parts) not in (5, 6) or not path.name.endswith(".whl"):
            raise BundleError(f"{path.name} is not a wheel file name")
        return cls(path, parts[0], parts[1], "-".join(parts[-3:]))


def platform_tags(arch: str, glibc: tuple[int, int]) -> list[str]:
    """``manylinux_2_<glibc>_<arch>`` down to ``manylinux_2_17_<arch>``, then ``manylinux2014_<arch>``."""
    major, minor = glibc
    if major != 2 or minor < 17:
        return []
    return [*(f"manylinux_2_{m}_{arch}" for m in range(minor, 16, -1)), f"manylinux2014_{arch}"]


def pip_install_command(
    *,
    target: Path,
    python: str,
    arch: str,
    glibc: tuple[int, int],
    requirements: Sequence[str],
    find_links: Sequence[Path] = (),
    interpreter: str = sys.executable,
) -> list[str]:
    """The ``pip install`` that puts ``requirements`` for the target into ``target``."""
    tags = platform_tags(arch, glibc)
    if not tags:
        raise BundleError(f"target {arch} has glibc {glibc[0]}.{glibc[1]}, older than manylinux2014 (2.17): "
                          "no binary wheel can be chosen for it")
    nodot = python.replace(".", "")
    cmd = [interpreter, "-m", "pip", "install", "--target", str(target), "--only-binary=:all:",
           "--implementation", "cp", "--python-version", python,
           "--abi", f"cp{nodot}", "--abi", "abi3", "--abi", "none"]
    for tag in tags:
        cmd += ["--platform", tag]
    for link in find_links:
        cmd += ["--find-links", str(link)]
    cmd += ["--no-compile", "--no-warn-script-location", "--disable-pip-version-check", "--no-input",
            "--progress-bar", "off", *requirements]
    return cmd


def pip_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for pip: no global constraint file, never interactive, no virtualenv requirement."""
    out = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PIP_TARGET", "PIP_PREFIX",
                                                      "PIP_USER", "PIP_REQUIREMENT", "PIP_EDITABLE")}
    out.update(PIP_CONSTRAINT="", PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_REQUIRE_VIRTUALENV="0", PIP_BREAK_SYSTEM_PACKAGES="1")
    return out


# ---------------------------------------------------------------------------------------------------------
# installing for a target


def install(
    *,
    site_packages: Path,
    python: str,
    arch: str,
    glibc: tuple[int, int],
    requirements: Sequence[str],
    wheelhouse: Path,
    env: Mapping[str, str],
) -> list[str]:
    """Install ``requirements`` for the target into ``site_packages``; returns the installed ``name==version``.

    Resolution runs first (``--dry-run --report``); what it chose is then installed pinned with
    ``--no-deps``.
    """
    built: set[str] = set()
    wheelhouse.mkdir(parents=True, exist_ok=True)

    def command(target: Path, reqs: Sequence[str]) -> list[str]:
        return pip_install_command(target=target, python=python, arch=arch, glibc=glibc, requirements=reqs,
                                   find_links=[wheelhouse])

    with tempfile.TemporaryDirectory(prefix="athena-resolve-") as tmp:
        report_path = Path(tmp) / "report.json"
        while True:
            cmd = command(Path(tmp) / "dry", requirements)
            cmd[cmd.index("--no-compile"):cmd.index("--no-compile")] = ["--dry-run", "--ignore-installed",
                                                                         "--report", str(report_path)]
            proc = _pip(cmd, env)
            if proc.returncode == 0:
                break
            output = proc.stdout + proc.stderr
            m = re.search(r"No matching distribution found for (\S+)", output)
            if m is None:
                raise BundleError(f"pip could not resolve the dependencies for target {arch} "
                                  f"(Python {python}, manylinux ≤ 2.{glibc[1]}):\n{_tail(output)}")
            requirement = m[1]
            name = _canonical(re.split(r"[<>=!~;\[ (@]", requirement, maxsplit=1)[0])
            if name in built:
                raise MissingWheelError(f"{name} has no wheel for target {arch} even after building one from "
                                        f"its sdist:\n{_tail(output)}", package=name, target=arch)
            _build_pure(requirement, name, arch=arch, python=python, glibc=glibc, wheelhouse=wheelhouse, env=env)
            built.add(name)
        report = json.loads(report_path.read_text(encoding="utf-8"))
    pinned = select(report.get("install", []))
    shutil.rmtree(site_packages, ignore_errors=True)
    cmd = command(site_packages, [r for _, r in pinned])
    cmd.insert(cmd.index("--no-compile"), "--no-deps")
    proc = _pip(cmd, env)
    if proc.returncode != 0:
        raise BundleError(f"pip could not install the resolved dependencies for target {arch}:\n"
                          f"{_tail(proc.stdout + proc.stderr)}")
    _tidy(site_packages)
    return [label for label, _ in pinned]


def select(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """From a pip ``--report``'s install items: ``(name==version, requirement to install)``, in name order.

    Kept: everything reachable from the requested items through requirements whose ``extra ==`` markers
    name an extra that was asked for (other markers pip already applied). athena-workflows is requested
    without extras, so its ``cli`` extra is reached only if the project asks for it.
    """
    by_name: dict[str, Mapping[str, Any]] = {}
    for item in items:
        by_name[_canonical(str(item["metadata"]["name"]))] = item
    # name -> [(dependency, extras it asks of the dependency, extras of name this edge needs)]
    edges: dict[str, list[tuple[str, set[str], set[str]]]] = {}
    for name, item in by_name.items():
        out_edges = []
        for req in item["metadata"].get("requires_dist") or []:
            text = str(req).strip()
            dep = _canonical(re.split(r"[<>=!~;\[ (@]", text, maxsplit=1)[0])
            if dep not in by_name:
                continue
            head, _, marker = text.partition(";")
            asks = re.search(r"\[([^\]]*)\]", head)
            wants = {_canonical(e) for e in asks[1].split(",") if e.strip()} if asks else set()
            needs = {_canonical(e) for e in re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)}
            out_edges.append((dep, wants, needs))
        edges[name] = out_edges
    extras: dict[str, set[str]] = {
        n: {_canonical(e) for e in item.get("requested_extras") or []} for n, item in by_name.items()}
    keep = {n for n, item in by_name.items() if item.get("requested")}
    changed = True
    while changed:  # a fixed point: an extra asked for late can open more edges
        changed = False
        for name in sorted(keep):
            for dep, wants, needs in edges[name]:
                if needs and not needs & extras[name]:
                    continue
                if dep not in keep or not wants <= extras[dep]:
                    keep.add(dep)
                    extras[dep] |= wants
                    changed = True
    out: list[tuple[str, str]] = []
    for name in sorted(keep):
        item = by_name[name]
        meta = item["metadata"]
        label = f"{meta['name']}=={meta['version']}"
        url = str(item.get("download_info", {}).get("url", ""))
        if item.get("is_direct") and url.startswith("file://"):
            out.append((label, urllib.request.url2pathname(urllib.parse.urlparse(url).path)))
        else:
            out.append((label, label))
    return out


def _build_pure(requirement: str, name: str, *, arch: str, python: str, glibc: tuple[int, int],
                wheelhouse: Path, env: Mapping[str, str]) -> None:
    where = f"Python {python}, manylinux ≤ 2.{glibc[1]}"
    with tempfile.TemporaryDirectory(prefix="athena-sdist-") as tmp:
        sdists = Path(tmp) / "sdist"
        proc = _pip([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:", "--dest",
                     str(sdists), "--find-links", str(wheelhouse), requirement], env)
        found = sorted(sdists.glob("*")) if sdists.is_dir() else []
        if proc.returncode != 0 or not found:
            raise MissingWheelError(
                f"{name} has no wheel for target {arch} ({where}) and no sdist could be found "
                f"({requirement}):\n{_tail(proc.stdout + proc.stderr)}\nhint: pin a version of {name} that "
                f"publishes wheels for {arch}, or drop the target", package=name, target=arch)
        sdist = found[0]
        evidence = native_evidence(sdist)
        if evidence:
            raise MissingWheelError(
                f"{name} has no wheel for target {arch} ({where}) and its sdist {sdist.name} builds native "
                f"code ({evidence}), which athena cannot cross-compile; pin a version of {name} that publishes "
                f"{arch} wheels, or drop {arch} from [bootstrap].targets", package=name, target=arch)
        out = Path(tmp) / "wheel"
        proc = _pip([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(sdist)], env)
        wheels = sorted(out.glob("*.whl")) if out.is_dir() else []
        if proc.returncode != 0 or not wheels:
            raise MissingWheelError(
                f"{name} has no wheel for target {arch} ({where}) and building its sdist {sdist.name} "
                f"failed:\n{_tail(proc.stdout + proc.stderr)}", package=name, target=arch)
        wheel = WheelFile.parse(wheels[0])
        if not wheel.pure:
            raise MissingWheelError(
                f"{name} has no wheel for target {arch} ({where}) and its sdist builds a platform wheel "
                f"({wheel.path.name}), which cannot run on {arch}; pin a version that publishes {arch} wheels",
                package=name, target=arch)
        shutil.copyfile(wheel.path, wheelhouse / wheel.path.name)


def native_evidence(sdist: Path) -> str | None:
    """Why an sdist looks like it builds native code (a C/Rust/... source, a native build backend), or None."""
    try:
        names, pyproject = _sdist_listing(sdist)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        return f"unreadable sdist: {exc}"
    for n in names:
        base = n.rsplit("/", 1)[-1]
        if base.lower().endswith(_NATIVE_SUFFIXES) or base in _NATIVE_FILES:
            return n.split("/", 1)[-1]
    if pyproject:
        try:
            backend = str(tomllib.loads(pyproject).get("build-system", {}).get("build-backend", ""))
        except tomllib.TOMLDecodeError:
            backend = ""
        if backend.startswith(_NATIVE_BACKENDS):
            return f"build backend {backend}"
    return None


def _sdist_listing(sdist: Path) -> tuple[list[str], str]:
    pyproject = ""
    if sdist.name.endswith(".zip"):
        with zipfile.ZipFile(sdist) as zf:
            names = zf.namelist()
            top = [n for n in names if n.count("/") == 1 and n.endswith("/pyproject.toml")]
            if top:
                pyproject = zf.read(top[0]).decode("utf-8", "replace")
        return names, pyproject
    with tarfile.open(sdist, "r:*") as tf:
        members = tf.getmembers()
        for m in members:
            if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml") and m.isfile():
                f = tf.extractfile(m)
                if f is not None:
                    pyproject = f.read().decode("utf-8", "replace")
        return [m.name for m in members if m.isfile()], pyproject


def _tidy(site_packages: Path) -> None:
    """Drop what pip leaves that a pod cannot use or that would make the bundle differ between builds."""
    shutil.rmtree(site_packages / "bin", ignore_errors=True)  # console scripts with the host's shebang
    for direct_url in sorted(site_packages.glob("*.dist-info/direct_url.json")):
        direct_url.unlink()
        record = direct_url.parent / "RECORD"
        if record.is_file():
            lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
            record.write_text("".join(ln for ln in lines if not ln.startswith(f"{direct_url.parent.name}/"
                                                                               "direct_url.json,")),
                              encoding="utf-8")


def top_level_names(site_packages: Path, dist: str) -> tuple[str, ...]:
    """The top-level modules and packages a distribution installed into ``site_packages``."""
    want = _canonical(dist)
    for info in site_packages.glob("*.dist-info"):
        if _canonical(info.name.removesuffix(".dist-info").rsplit("-", 1)[0]) != want:
            continue
        record = info / "RECORD"
        names: set[str] = set()
        if record.is_file():
            for line in record.read_text(encoding="utf-8").splitlines():
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first and not first.endswith((".dist-info", ".data")) and first != "..":
                    names.add(first.removesuffix(".py"))
        return tuple(sorted(names))
    return ()


# ---------------------------------------------------------------------------------------------------------
# building the project's and athena's wheels


def project_table(root: Path) -> dict[str, object] | None:
    """``[project]`` of ``root/pyproject.toml``, or None when there is none."""
    py = root / "pyproject.toml"
    if not py.is_file():
        return None
    try:
        table = tomllib.loads(py.read_text(encoding="utf-8")).get("project")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BundleError(f"{py}: cannot read: {exc}") from exc
    return table if isinstance(table, dict) else None


def build_project_wheel(root: Path, out: Path, env: Mapping[str, str]) -> WheelFile:
    """Build the project at ``root`` into a wheel in ``out`` (PEP 517 through pip).

    The build runs in place (so VCS-derived versions work), and what it leaves behind that was not there
    before (``build/``, ``*.egg-info``) is removed: an ``*.egg-info`` on ``sys.path`` would change the version
    ``emit`` sees for the project.
    """
    out.mkdir(parents=True, exist_ok=True)
    before = set(_build_leftovers(root))
    try:
        wheel = _build_wheel(root, out, env, what=f"the project at {root}")
    finally:
        for path in _build_leftovers(root):
            if path not in before:
                shutil.rmtree(path, ignore_errors=True)
    if not wheel.pure:
        raise BundleError(f"the project at {root} builds a platform wheel ({wheel.path.name}): athena bundles "
                          "pure-Python projects only; move native code into a dependency that publishes wheels")
    return wheel


def _build_leftovers(root: Path) -> list[Path]:
    found = [root / "build"] if (root / "build").is_dir() else []
    for pattern in ("*.egg-info", "*/*.egg-info"):
        found.extend(p for p in root.glob(pattern) if p.is_dir())
    return found


def athena_wheel(cache: Path, env: Mapping[str, str]) -> WheelFile:
    """A wheel of the athena-workflows that is running (built from its source tree, or downloaded)."""
    source, version = _athena_source()
    if source is not None:
        key = _tree_hash(source)
        dest = cache / "wheels" / "athena" / key
        found = sorted(dest.glob("*.whl")) if dest.is_dir() else []
        if found:
            return WheelFile.parse(found[0])
        with tempfile.TemporaryDirectory(prefix="athena-src-") as tmp:
            copy = Path(tmp) / "src"
            shutil.copytree(source, copy, ignore=lambda d, names: [n for n in names if _junk(n)])
            partial = dest.with_name(dest.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            wheel = _build_wheel(copy, partial, env, what=f"{ATHENA_DIST} from {source}")
            shutil.rmtree(dest, ignore_errors=True)
            partial.rename(dest)
            return WheelFile.parse(dest / wheel.path.name)
    dest = cache / "wheels" / "athena" / f"pypi-{version}"
    found = sorted(dest.glob("*.whl")) if dest.is_dir() else []
    if found:
        return WheelFile.parse(found[0])
    proc = _pip([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest",
                 str(dest), f"{ATHENA_DIST}=={version}"], env)
    found = sorted(dest.glob("*.whl")) if dest.is_dir() else []
    if proc.returncode != 0 or not found:
        raise BundleError(f"cannot download {ATHENA_DIST}=={version} to put into the bundle:\n"
                          f"{_tail(proc.stdout + proc.stderr)}")
    return WheelFile.parse(found[0])


def _athena_source() -> tuple[Path | None, str]:
    """(source directory when athena-workflows runs from a local tree, else None; the version).

    The tree of the running ``athena`` package wins (editable installs, ``PYTHONPATH=src``); then a local
    directory recorded in the distribution's ``direct_url.json``; else the installed version from an index.
    """
    import athena

    root = Path(athena.__file__).resolve().parents[2]
    table = project_table(root)
    if table is not None and table.get("name") == ATHENA_DIST:
        return root, str(table.get("version", "0"))
    try:
        dist = importlib.metadata.distribution(ATHENA_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise BundleError(f"cannot find the {ATHENA_DIST} distribution or source tree to put into the bundle") \
            from None
    raw = dist.read_text("direct_url.json")
    if raw:
        try:
            info = json.loads(raw)
        except ValueError:
            info = {}
        url = str(info.get("url", ""))
        if "dir_info" in info and url.startswith("file://"):
            path = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
            if (path / "pyproject.toml").is_file():
                return path, dist.version
    return None, dist.version


def _build_wheel(source: Path, out: Path, env: Mapping[str, str], *, what: str) -> WheelFile:
    out.mkdir(parents=True, exist_ok=True)
    proc = _pip([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)], env)
    wheels = sorted(out.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        raise BundleError(f"building {what} as a wheel (pip wheel, PEP 517) failed:\n"
                          f"{_tail(proc.stdout + proc.stderr)}")
    return WheelFile.parse(wheels[0])


def _junk(name: str) -> bool:
    return name in _JUNK or name.endswith((".egg-info", ".pyc"))


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(_files(root)):
        rel = path.relative_to(root).as_posix()
        h.update(rel.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:24]


def _files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not _junk(d)]
        for name in filenames:
            if not _junk(name):
                p = Path(dirpath) / name
                if p.is_file():
                    yield p


# ---------------------------------------------------------------------------------------------------------


def _pip(cmd: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, env=pip_env(env), text=True, capture_output=True, check=False)
    except OSError as exc:
        raise BundleError(f"cannot run pip ({cmd[0]}): {exc}") from exc


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _tail(text: str, lines: int = 25) -> str:
    kept = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("WARNING: Location ")]
    return "\n".join(kept[-lines:])
