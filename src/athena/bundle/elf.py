"""The ELF side of a bundle: what each binary needs, and the closure of shared libraries to ship.

pyelftools is pure Python, so an aarch64 bundle is inspected on an x86_64 host the same way. Resolution
order for every ``DT_NEEDED`` (packaging.md §5.3): the file's own ``RUNPATH`` (else ``RPATH``) entries that
use ``$ORIGIN`` (vendored libraries of wheels), the bundle's ``libc/``, the bundle's ``python/lib/``, then
the sysroot's ``lib/<multiarch> usr/lib/<multiarch> lib64 usr/lib64 lib usr/lib``. A candidate for another
machine or ELF class is skipped, as ``ld.so`` does. Absolute symlinks in a sysroot are resolved inside it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection
from elftools.elf.segments import InterpSegment

from athena.bundle.errors import BundleError, UnresolvedSonameError
from athena.runtime import protocol

__all__ = [
    "ALWAYS",
    "MACHINES",
    "MULTIARCH",
    "Closure",
    "ElfInfo",
    "closure",
    "glibc_version",
    "is_elf",
    "read_elf",
    "resolve_in_root",
    "sysroot_dirs",
]

#: ``e_machine`` per bundle target.
MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
#: Debian multiarch tuple per bundle target.
MULTIARCH = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}
#: Libraries glibc dlopens itself (``pthread_cancel``, unwinding): shipped even though nothing needs them.
ALWAYS = ("libgcc_s.so.1",)

_MAGIC = b"\x7fELF"


@dataclass(frozen=True, slots=True)
class ElfInfo:
    path: Path
    machine: str
    elfclass: int
    interp: str | None
    needed: tuple[str, ...]
    search: tuple[str, ...]  # RUNPATH entries, else RPATH entries
    soname: str | None
    has_symtab: bool


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == _MAGIC
    except OSError:
        return False


def read_elf(path: Path) -> ElfInfo:
    """The dynamic-linking facts of one ELF file (raises BundleError for a damaged file)."""
    try:
        with path.open("rb") as f:
            elf = ELFFile(f)
            interp: str | None = None
            for seg in elf.iter_segments():
                if isinstance(seg, InterpSegment):
                    interp = str(seg.get_interp_name())
            needed: list[str] = []
            runpath: list[str] = []
            rpath: list[str] = []
            soname: str | None = None
            for section in elf.iter_sections():
                if not isinstance(section, DynamicSection):
                    continue
                for tag in section.iter_tags():
                    kind = tag.entry.d_tag
                    if kind == "DT_NEEDED":
                        needed.append(_tag_text(tag, "needed"))
                    elif kind == "DT_RUNPATH":
                        runpath.extend(_tag_text(tag, "runpath").split(":"))
                    elif kind == "DT_RPATH":
                        rpath.extend(_tag_text(tag, "rpath").split(":"))
                    elif kind == "DT_SONAME":
                        soname = _tag_text(tag, "soname")
            return ElfInfo(
                path=path,
                machine=str(elf["e_machine"]),
                elfclass=int(elf.elfclass),
                interp=interp,
                needed=tuple(needed),
                search=tuple(p for p in (runpath or rpath) if p),
                soname=soname,
                has_symtab=elf.get_section_by_name(".symtab") is not None,
            )
    except (ELFError, OSError, ValueError) as exc:
        raise BundleError(f"{path}: not a readable ELF file ({exc})") from exc


def _tag_text(tag: object, attr: str) -> str:
    """pyelftools sets the decoded string of a dynamic tag as an attribute named after it."""
    return str(getattr(tag, attr))


def glibc_version(libc: Path) -> tuple[int, int]:
    """The newest ``GLIBC_2.N`` version a ``libc.so.6`` defines: the cap for manylinux wheel tags."""
    best = (0, 0)
    try:
        with libc.open("rb") as f:
            elf = ELFFile(f)
            section = elf.get_section_by_name(".gnu.version_d")
            if isinstance(section, GNUVerDefSection):
                for _verdef, aux in section.iter_versions():
                    for entry in aux:
                        m = re.fullmatch(r"GLIBC_(\d+)\.(\d+)", str(entry.name))
                        if m:
                            best = max(best, (int(m[1]), int(m[2])))
    except (ELFError, OSError) as exc:
        raise BundleError(f"{libc}: cannot read the glibc version ({exc})") from exc
    if best == (0, 0):
        raise BundleError(f"{libc}: defines no GLIBC_2.* symbol versions; is it glibc's libc.so.6?")
    return best


def resolve_in_root(root: Path, path: str) -> Path | None:
    """``path`` (absolute or relative to ``root``) with every symlink followed as if ``root`` were ``/``.

    Returns the real file, or None when it does not exist (or a link loops). For ``root == /`` this is
    ``realpath``.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        here = root.joinpath(*done, part)
        if here.is_symlink():
            hops += 1
            if hops > 40:
                return None
            target = os.readlink(here)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        if not here.exists():
            return None
        done.append(part)
    result = root.joinpath(*done)
    return result if result.is_file() else None


def sysroot_dirs(arch: str) -> tuple[str, ...]:
    """Library directories of a sysroot, relative to it, in search order."""
    tuple_ = MULTIARCH[arch]
    return (f"lib/{tuple_}", f"usr/lib/{tuple_}", "lib64", "usr/lib64", "lib", "usr/lib")


@dataclass
class Closure:
    """What the bundle's ``libc/`` must hold for one target."""

    loader: Path  # the real file of the ELF interpreter named by PT_INTERP
    loader_name: str  # its basename, e.g. ld-linux-x86-64.so.2
    libraries: dict[str, Path] = field(default_factory=dict)  # soname -> real file in the sysroot


def closure(
    roots: Iterable[Path],
    *,
    arch: str,
    interpreter: Path,
    sysroot: Path,
    bundle: Path,
    extra_dirs: Sequence[Path] = (),
    label: Callable[[Path], str] = str,
) -> Closure:
    """Every shared library ``roots`` need, found for ``arch`` (fails naming any soname it cannot find).

    ``interpreter`` is the python ELF whose ``PT_INTERP`` names the loader; ``bundle`` is the target's
    staged ``app-<arch>/`` (its ``libc/`` and ``python/lib/`` are searched before the sysroot, and what is
    found inside it is checked but not copied); ``extra_dirs`` (e.g. the interpreter prefix's ``lib/``)
    come next, before the sysroot; ``label`` turns a path into the name errors show.
    """
    machine = MACHINES[arch]
    head = read_elf(interpreter)
    _check_machine(head, machine, arch, label(interpreter))
    if head.interp is None:
        raise BundleError(f"{label(interpreter)} (target {arch}) has no PT_INTERP: a static interpreter "
                          "cannot load C extensions; use a dynamically linked CPython")
    loader = resolve_in_root(sysroot, head.interp)
    if loader is None and not head.interp.startswith("/usr/"):
        loader = resolve_in_root(sysroot, "/usr" + head.interp)  # merged-/usr sysroots (trixie)
    if loader is None:
        raise UnresolvedSonameError(
            f"the ELF loader {head.interp} of {label(interpreter)} (target {arch}) is not in {sysroot}",
            soname=head.interp, needed_by=label(interpreter), target=arch)
    result = Closure(loader=loader, loader_name=Path(head.interp).name)
    rooted = sysroot.resolve() != Path("/")
    fixed: list[tuple[Path, str | None]] = [(bundle / "libc", None), (bundle / "python" / "lib", None)]
    fixed += [(d, None) for d in extra_dirs]
    fixed += [(sysroot / d, d if rooted else None) for d in sysroot_dirs(arch)]
    seen: set[Path] = set()
    queue: list[tuple[Path, str]] = [(p, label(p)) for p in roots]

    def take(name: str, found: Path) -> None:
        if inside(found, bundle):
            queue.append((found, label(found)))
        else:
            result.libraries[name] = found
            queue.append((found, f"{name} ({found})"))

    while queue:
        path, shown = queue.pop(0)
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        info = read_elf(path)
        _check_machine(info, machine, arch, shown)
        for name in info.needed:
            if name == result.loader_name or name in result.libraries:
                continue
            origin = [(_expand_origin(s, path.parent), None) for s in info.search if "ORIGIN" in s]
            found = _search(name, [*origin, *fixed], sysroot, machine, info.elfclass)
            if found is None:
                raise UnresolvedSonameError(
                    f"{name}, needed by {shown}, was not found for target {arch} (searched its RUNPATH, "
                    f"libc/, python/lib/ and {', '.join(sysroot_dirs(arch))} under {sysroot}); "
                    "install the package that provides it into the sysroot, or use a wheel that vendors it",
                    soname=name, needed_by=shown, target=arch)
            take(name, found)
        if not queue:
            for name in ALWAYS:
                if name in result.libraries:
                    continue
                found = _search(name, fixed, sysroot, machine, head.elfclass)
                if found is None:
                    raise UnresolvedSonameError(
                        f"{name} (glibc loads it at run time) was not found for target {arch} under "
                        f"{sysroot}; provide libgcc_s (Debian: libgcc-s1:{protocol.PLATFORM_ARCH[arch]}) there",
                        soname=name, needed_by=result.loader_name, target=arch)
                take(name, found)
    return result


def inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _expand_origin(entry: str, origin: Path) -> Path:
    return Path(entry.replace("${ORIGIN}", str(origin)).replace("$ORIGIN", str(origin)))


def _search(name: str, dirs: Sequence[tuple[Path, str | None]], sysroot: Path, machine: str,
            elfclass: int) -> Path | None:
    """The first ``dir/name`` that is an ELF for ``machine`` and ``elfclass``.

    A directory given with a sysroot-relative name is searched with symlinks resolved inside the sysroot.
    """
    for d, rel in dirs:
        if rel is not None:
            candidate = resolve_in_root(sysroot, f"{rel}/{name}")
        else:
            candidate = (d / name).resolve() if (d / name).is_file() else None
        if candidate is None:
            continue
        try:
            info = read_elf(candidate)
        except BundleError:
            continue
        if info.machine == machine and info.elfclass == elfclass:
            return candidate
    return None


def _check_machine(info: ElfInfo, machine: str, arch: str, shown: str) -> None:
    if info.machine != machine:
        raise BundleError(f"{shown} is built for {info.machine}, not for target {arch} ({machine}); "
                          "a wheel or library for the wrong architecture reached this target")
