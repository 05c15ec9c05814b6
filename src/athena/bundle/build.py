"""``athena build``: one ``.tar.gz`` with a self-contained ``bin/app-<arch>/`` per target (DESIGN §5.2).

Layout (see :mod:`athena.runtime.protocol`)::

    bin/manifest.json                       {"protocol", "digest", "project", "version", "python",
                                             "interpreter", "targets"}
    bin/app-<arch>/run                      sh launcher the bootstrap execs (launchers.py)
    bin/app-<arch>/app/__athena_main__.py   sys.path + TMPDIR, then athena.runtime.main
    bin/app-<arch>/app/...                  the app's loose modules (when the project is not a wheel)
    bin/app-<arch>/site-packages/           the project wheel, its dependencies, athena-workflows
    bin/app-<arch>/python/bin/python3.X     the interpreter ELF, unmodified (absent for "image")
    bin/app-<arch>/python/bin/python        sh wrapper through the loader (what sys.executable names)
    bin/app-<arch>/python/lib/python3.X/    sourceless stdlib, lib-dynload; libpython*.so for shared builds
    bin/app-<arch>/libc/                    the ELF loader and every shared library the closure needs
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from athena.bundle import elf, launchers, providers, select, stdlib, wheels
from athena.bundle.archive import write_tarball
from athena.bundle.bytecode import CompileJob, compile_trees
from athena.bundle.errors import BundleError
from athena.bundle.identity import bundle_digest
from athena.bundle.providers import Interpreter
from athena.config import Config
from athena.filehash import sha256_file
from athena.runtime import protocol

__all__ = ["KNOWN_TARGETS", "BuildResult", "TargetResult", "app_selection", "build_bundle", "default_output",
           "interpreter_command", "manifest_of"]

KNOWN_TARGETS = tuple(protocol.ARCH_ALIASES)

Progress = Callable[[str, float], None]



class AppModules(Protocol):
    """What the builder needs of a loaded app (``athena.app.App``): its modules. A protocol, so the bundle
    layer does not import the app loader above it."""

    @property
    def modules(self) -> Sequence[ModuleType]: ...

@dataclass(frozen=True, slots=True)
class TargetResult:
    """One ``app-<arch>/`` of a built bundle."""

    arch: str
    compressed_bytes: int  # this target's share of the .tar.gz (measured at the gzip stream)
    unpacked_bytes: int
    files: int
    python_version: str  # full version when known ("3.11.2"); the minor for "image"
    glibc: tuple[int, int]  # the manylinux cap its wheels were resolved for
    libraries: tuple[str, ...]  # the loader and the sonames shipped in libc/ (empty for "image")
    packages: tuple[str, ...]  # "name==version" of everything in site-packages


@dataclass(frozen=True, slots=True)
class BuildResult:
    path: Path  # the .tar.gz
    digest: str  # bundle_digest(app.modules, config), also in the manifest and the default file name
    targets: tuple[str, ...]
    size_bytes: int  # of the .tar.gz
    target_sizes: Mapping[str, int]  # arch -> compressed bytes of app-<arch>/ (sums to ~size_bytes)
    sha256: str  # of the .tar.gz
    manifest: Mapping[str, Any]  # what bin/manifest.json holds
    details: Mapping[str, TargetResult] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # e.g. third-party files left uncompiled
    excluded: tuple[select.Excluded, ...] = ()  # project files left out on purpose (secrets, VCS, links out)
    seconds: float = 0.0


def default_output(config: Config, digest: str, project: str | None = None,
                   targets: Sequence[str] | None = None) -> Path:
    """``<config.root>/.athena/dist/<project>-<digest>.tar.gz``; a build narrowed to fewer targets than
    ``[bootstrap].targets`` gets ``-<target>...`` before the suffix, so it never replaces the full bundle."""
    from athena import names

    name = names.normalize(project or _identity(config)[0]) or "app"
    narrowed = targets is not None and sorted(targets) != sorted(config.bootstrap.targets)
    suffix = "".join(f"-{t}" for t in sorted(targets or ())) if narrowed else ""
    return config.root / ".athena" / "dist" / f"{name}-{digest}{suffix}.tar.gz"


def manifest_of(tarball: Path) -> dict[str, Any]:
    """Read ``bin/manifest.json`` from a built bundle (for ``publish`` and ``emulate``)."""
    try:
        data = protocol.read_manifest(str(tarball)) if tarball.is_file() else None
    except protocol.ManifestError as exc:
        raise BundleError(f"{tarball} is not an athena bundle (no readable {protocol.MANIFEST_MEMBER}: {exc})") \
            from exc
    if data is None:
        raise BundleError(f"{tarball} is not an athena bundle (no such file)")
    return dict(data)


def build_bundle(
    app: AppModules,
    config: Config,
    *,
    targets: Sequence[str] | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
    allow_python_mismatch: bool = False,
) -> BuildResult:
    """Build the bundle of ``app`` for ``targets`` (default ``[bootstrap].targets``) into ``out``.

    ``progress(stage, fraction)`` gets a short stage label and the overall fraction done (0..1,
    non-decreasing). ``env`` replaces ``os.environ`` for the providers and pip (``ATHENA_CACHE``,
    ``ATHENA_PBS_TARBALL_<ARCH>``, ``PIP_*`` ...). The host Python's minor version must equal
    ``[bootstrap].python`` (DESIGN §5.2) unless ``allow_python_mismatch`` (never for ``local``).
    """
    started = time.monotonic()
    env = os.environ if env is None else env
    steps = _Steps(progress)
    chosen = _targets(config, targets)
    python = config.bootstrap.python
    provider = config.bootstrap.interpreter
    host = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if host != python and (provider == "local" or not allow_python_mismatch):
        raise BundleError(
            f"this Python is {host} but [bootstrap].python is {python}: the pods run {python}, and wheels, "
            f"environment markers and byte-code are resolved with this interpreter; run athena build with "
            f"Python {python} (or set [bootstrap].python = \"{host}\")")
    digest = bundle_digest(app.modules, config)
    project, version = _identity(config, app.modules)
    out = (out or default_output(config, digest, project, chosen)).absolute()
    cache = providers.cache_dir(env)
    steps.plan([*(f"python:{a}" for a in chosen), "athena", "project",
                *(f"{s}:{a}" for a in chosen for s in ("deps", "stage")), "compile", "archive"],
               weights={"athena": 2, "project": 3, "python": 3, "deps": 4, "stage": 2, "compile": 8,
                        "archive": 10})
    with tempfile.TemporaryDirectory(prefix="athena-build-") as tmp_name:
        tmp = Path(tmp_name)
        bin_dir = tmp / "stage" / protocol.BUNDLE_ROOT
        bin_dir.mkdir(parents=True)

        interpreters: dict[str, Interpreter] = {}
        for arch in chosen:  # first, so that a missing or broken interpreter fails fast
            steps.start(f"python:{arch}", f"{provider} interpreter for {arch}")
            interpreters[arch] = providers.provide(provider, arch, python, env=env)

        steps.start("athena", "athena-workflows wheel")
        athena = wheels.athena_wheel(cache, env)
        requirements = [str(athena.path)]
        steps.start("project", "project wheel")
        project_dist: str | None = None
        table = wheels.project_table(config.root)
        if table is not None and _canonical(str(table.get("name", ""))) != wheels.ATHENA_DIST:
            built = wheels.build_project_wheel(config.root, tmp / "wheels", env)
            requirements.append(str(built.path))
            project_dist = str(table.get("name"))

        details: dict[str, TargetResult] = {}
        strict_site: dict[str, tuple[str, ...]] = {}
        selection = app_selection(app, config)
        excluded: list[select.Excluded] = []
        for arch in chosen:
            interp = interpreters[arch]
            target = bin_dir / protocol.app_dir(arch)
            steps.start(f"deps:{arch}", f"dependencies for {arch}")
            site = target / "site-packages"
            packages = wheels.install(site_packages=site, python=python, arch=arch, glibc=interp.glibc,
                                      requirements=requirements, wheelhouse=cache / "wheels" / "built", env=env)
            strict_site[arch] = wheels.top_level_names(site, project_dist) if project_dist else ()
            for gone in select.strip_installed(site, strict_site[arch]):
                if gone not in excluded:
                    excluded.append(gone)
            for gone in select.strip_athena(site):
                if gone not in excluded:
                    excluded.append(gone)
            steps.start(f"stage:{arch}", f"interpreter and libraries for {arch}")
            copied = _write_app(target, python, selection)
            excluded.extend(e for e in selection.excluded if e.top in copied and e not in excluded)
            libraries = _stage_interpreter(target, interp, bin_dir) if interp.bundled else ()
            _write(target / protocol.RUN_SCRIPT, _run_script(target, interp), 0o755)
            details[arch] = TargetResult(arch, 0, 0, 0, interp.version, interp.glibc, libraries, tuple(packages))

        steps.start("compile", "byte-compiling")
        compiler = _compiler(python, bin_dir, interpreters)
        jobs: list[CompileJob] = []
        for arch, interp in interpreters.items():
            target = bin_dir / protocol.app_dir(arch)
            shown = f"{protocol.BUNDLE_DIR}/{protocol.app_dir(arch)}"
            if interp.bundled:
                jobs.append(CompileJob(target / "python" / "lib" / f"python{python}",
                                       f"{shown}/python/lib/python{python}", sourceless=True))
            jobs.append(CompileJob(target / "app", f"{shown}/app", strict=True))
            jobs.append(CompileJob(target / "site-packages", f"{shown}/site-packages", strict=True,
                                   only=strict_site[arch]))
        warnings = compile_trees(compiler, jobs, target=", ".join(chosen))

        manifest: dict[str, Any] = {
            "protocol": protocol.PROTOCOL_VERSION,
            "digest": digest,
            "project": project,
            "version": version,
            "python": python,
            "interpreter": provider,
            "targets": list(chosen),
        }
        _write(bin_dir / protocol.MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n", 0o644)
        unpacked = {arch: _tree_size(bin_dir / protocol.app_dir(arch)) for arch in chosen}

        steps.start("archive", "writing the tarball")
        sizes = write_tarball(bin_dir.parent, out, progress=lambda done, total: steps.within(done / max(total, 1)))
    steps.finish()
    final = {
        arch: TargetResult(arch, sizes.get(protocol.app_dir(arch), 0), unpacked[arch][0], unpacked[arch][1],
                           d.python_version, d.glibc, d.libraries, d.packages)
        for arch, d in details.items()
    }
    return BuildResult(
        path=out,
        digest=digest,
        targets=tuple(chosen),
        size_bytes=out.stat().st_size,
        target_sizes={arch: r.compressed_bytes for arch, r in final.items()},
        sha256=sha256_file(out),
        manifest=manifest,
        details=final,
        warnings=tuple(warnings),
        excluded=tuple(excluded),
        seconds=time.monotonic() - started,
    )


# ---------------------------------------------------------------------------------------------------------
# steps


def _targets(config: Config, targets: Sequence[str] | None) -> list[str]:
    configured: list[str] = list(config.bootstrap.targets)
    chosen = configured if not targets else list(dict.fromkeys(targets))
    for t in chosen:
        if t not in KNOWN_TARGETS:
            raise BundleError(f"unknown target {t!r}: athena builds for {', '.join(KNOWN_TARGETS)} "
                              "(the `uname -m` names)")
    return chosen


def app_selection(app: AppModules, config: Config) -> select.AppFiles:
    """The app's own files a build copies into ``app/`` and what it leaves out (``athena build --print``)."""
    return select.app_files(_app_sources(app.modules), config.root)


def _write_app(target: Path, python: str, files: select.AppFiles) -> set[str]:
    """Copy the selected app files the project wheel does not provide; returns the top-level names copied."""
    app_dir = target / "app"
    app_dir.mkdir(parents=True, exist_ok=True)
    _write(target / protocol.MAIN_SCRIPT, launchers.main_script(python=python), 0o644)
    site = target / "site-packages"
    copied: set[str] = set()
    for top, source, rel in files.files:
        if (site / top).is_dir() or (site / f"{top}.py").is_file():
            continue  # the project wheel provides it
        dest = app_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)  # content only: the bundle holds regular files
        dest.chmod(0o755 if source.stat().st_mode & 0o111 else 0o644)
        copied.add(top)
    return copied


def _app_sources(modules: Sequence[ModuleType]) -> list[tuple[str, Path]]:
    """(top-level name, package directory or module file) of each app module, deduplicated."""
    found: dict[str, Path] = {}
    for m in modules:
        top = m.__name__.split(".")[0]
        if top in found or top == "__main__":
            continue
        topmod = sys.modules.get(top, m)
        paths = list(getattr(topmod, "__path__", []) or [])
        if paths:
            found[top] = Path(paths[0])
        elif getattr(topmod, "__file__", None):
            found[top] = Path(str(topmod.__file__))
    return sorted(found.items())


def _stage_interpreter(target: Path, interp: Interpreter, bin_dir: Path) -> tuple[str, ...]:
    assert interp.prefix is not None and interp.sysroot is not None
    python = interp.python
    elves = stdlib.copy_interpreter(interp.prefix, python, target / "python")
    site = target / "site-packages"
    site_elves = sorted(p for p in site.rglob("*.so*") if p.is_file() and elf.is_elf(p))
    prefix_lib = interp.prefix / "lib"
    system_dirs = {(interp.sysroot / d).resolve() for d in elf.sysroot_dirs(interp.arch)}
    extra = [] if prefix_lib.resolve() in system_dirs else [prefix_lib]  # pyenv, PBS: the prefix's own libs
    closure = elf.closure(
        [*elves, *site_elves], arch=interp.arch, interpreter=target / "python" / "bin" / f"python{python}",
        sysroot=interp.sysroot, bundle=target, extra_dirs=extra,
        label=lambda p: _label(p, bin_dir))
    libc = target / "libc"
    libc.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(closure.loader, libc / closure.loader_name)
    (libc / closure.loader_name).chmod(0o755)
    shipped: list[str] = []
    for soname, source in sorted(closure.libraries.items()):
        dest = (target / "python" / "lib" if extra and elf.inside(source, prefix_lib) else libc) / soname
        shutil.copyfile(source, dest)
        dest.chmod(0o755)
        shipped.append(soname)
    if interp.arch == providers.host_arch():
        _strip([p for p in [*elves, *(libc / s for s in shipped)] if p.name != closure.loader_name])
    wrapper = launchers.python_wrapper(loader=closure.loader_name, python=python)
    _write(target / "python" / "bin" / "python", wrapper, 0o755)
    return (closure.loader_name, *shipped)


def interpreter_command(target: Path) -> list[str]:
    """The command line that starts the bundled interpreter of an unpacked ``app-<arch>/`` through its own
    loader, without the sh wrapper (``sys.executable`` is still the wrapper)."""
    loaders = sorted((target / "libc").glob("ld-linux*"))
    exes = sorted(p for p in (target / "python" / "bin").glob("python3.*") if p.name.count(".") == 1)
    if not loaders or not exes:
        raise BundleError(f"{target} holds no bundled interpreter (built with interpreter = \"image\"?)")
    return [str(loaders[0]), "--library-path", f"{target / 'libc'}:{target / 'python' / 'lib'}", "--argv0",
            str(target / "python" / "bin" / "python"), str(exes[0])]


def _run_script(target: Path, interp: Interpreter) -> str:
    if not interp.bundled:
        return launchers.image_run_script(python=interp.python)
    loaders = sorted(p.name for p in (target / "libc").glob("ld-linux*"))
    return launchers.bundled_run_script(loader=loaders[0], python=interp.python)


def _strip(files: Sequence[Path]) -> None:
    """``strip --strip-unneeded`` the host-arch ELFs that still carry a symbol table (pyenv's libpython)."""
    tool = shutil.which("strip")
    if tool is None:
        return
    todo = [str(p) for p in files if p.is_file() and elf.read_elf(p).has_symtab]
    if todo:
        subprocess.run([tool, "--strip-unneeded", *todo], check=False, capture_output=True)


def _compiler(python: str, bin_dir: Path, interpreters: Mapping[str, Interpreter]) -> list[str]:
    """An interpreter command line of the target's minor version that runs on this machine."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == python:
        return [sys.executable]
    host = providers.host_arch()
    interp = interpreters.get(host)
    if interp is not None and interp.bundled:
        return interpreter_command(bin_dir / protocol.app_dir(host))
    raise BundleError(f"no Python {python} to byte-compile with: this Python is "
                      f"{sys.version_info[0]}.{sys.version_info[1]} and the bundle has no {host} interpreter; "
                      f"run athena build with Python {python}")


# ---------------------------------------------------------------------------------------------------------
# helpers


class _Steps:
    """Turns named steps with weights into ``progress(stage, fraction)`` calls."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.order: list[str] = []
        self.weights: dict[str, float] = {}
        self.total = 1.0
        self.current: str | None = None
        self.label = ""
        self.base = 0.0
        self.last = 0.0

    def plan(self, names: list[str], *, weights: Mapping[str, float]) -> None:
        self.order = names
        self.weights = {n: weights.get(n.split(":")[0], 1.0) for n in names}
        self.total = sum(self.weights.values()) or 1.0

    def start(self, name: str, label: str) -> None:
        self.base = sum(self.weights[n] for n in self.order[: self.order.index(name)]) / self.total
        self.current, self.label = name, label
        self._emit(self.base)

    def within(self, fraction: float) -> None:
        if self.current is not None:
            self._emit(self.base + self.weights[self.current] / self.total * min(max(fraction, 0.0), 1.0))

    def finish(self) -> None:
        self.label = "done"
        self._emit(1.0)

    def _emit(self, value: float) -> None:
        value = max(value, self.last)
        self.last = value
        if self.progress is not None:
            self.progress(self.label, value)


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _label(path: Path, bin_dir: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.relative_to(bin_dir).as_posix()
    return str(path)


def _tree_size(root: Path) -> tuple[int, int]:
    total = count = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            total += os.stat(os.path.join(dirpath, name)).st_size
            count += 1
    return total, count


def _identity(config: Config, modules: Sequence[ModuleType] = ()) -> tuple[str, str]:
    """(normalized project name, version) exactly as emit and publish see them (so the keys agree)."""
    from athena.bundle.identity import project_identity

    return project_identity(config, modules)


def _canonical(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()
