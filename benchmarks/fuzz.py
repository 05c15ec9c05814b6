"""Long-running fuzz targets: generated modules, hostile tarballs and odd values through athena.

    python benchmarks/fuzz.py                          # every target, 2000 examples each
    python benchmarks/fuzz.py --examples 20000 modules # one target, a large budget
    python benchmarks/fuzz.py --minutes 10 tarballs    # run a target for a wall-clock budget

The bar (docs/reliability.md): zero internal crashes, zero invalid emitted documents, every error located.

* ``modules``: a generated module (containers, module constants, Enums, parameter defaults, if/else arms,
  fan-outs, odd identifiers and string literals) is compiled and emitted. Every outcome must be either YAML
  that ``lint_text`` accepts on all four Argo lines (it is written by athena's YAML writer and read back),
  or a ``CompileError`` whose every diagnostic has a span. Anything else is a crash.
* ``tarballs``: a generated member list (files, directories, symlinks and hard links with hostile names)
  is packed into a ``.tar.gz`` and unpacked by ``local/pod/unpack.py``. It must either unpack with every
  written path inside the destination, or raise ``UnpackError``; no other exception, nothing outside.
* ``values``: a generated JSON-ish value is encoded by the codec and decoded back (typed as ``Any``); it
  must round-trip exactly, or the encoder must raise ``CodecError``.

Each target counts its examples and outcomes and prints a summary line; failures print the offending
input (hypothesis shrinks it) and the script exits 1. ``tests/test_fuzz.py`` runs every target with a
small budget in CI.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import itertools
import keyword
import os
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

COUNTS: collections.Counter[str] = collections.Counter()
FINDINGS: dict[str, str] = {}
"""A distinct failure (target, kind, exception, first line) → the first input that showed it."""

# ---------------------------------------------------------------------------------------------------------
# modules

HEADER = '''\
import dataclasses
import enum
from typing import Optional

from athena import container, workflow

@container
def one(a: int) -> int:
    return a

@container
def two(a: int, b: int) -> int:
    return a + b

@container
def many(xs: list[int]) -> int:
    return sum(xs)

@container
def fan(a: int) -> list[int]:
    return [a]

@container
def text(s: str) -> str:
    return s

@container
def anything(v: Optional[str]) -> str:
    return str(v)
'''

_IDENT_START = st.characters(categories=("Lu", "Ll", "Lo", "Lt", "Nl"), include_characters="_")
_IDENT_REST = st.characters(categories=("Lu", "Ll", "Lo", "Lt", "Nl", "Nd", "Mn", "Mc", "Pc"))


@st.composite
def identifiers(draw: st.DrawFn) -> str:
    """A Python identifier, often non-ASCII (``é``, ``数据``), never a keyword or a header name."""
    name = draw(st.one_of(
        st.sampled_from(["x", "y_1", "café", "数据", "ñ", "_tmp", "A", "naïve", "Ω", "value", "yes", "on"]),
        st.builds(lambda a, b: a + b, _IDENT_START, st.text(_IDENT_REST, max_size=6)),
    ))
    name = unicodedata.normalize("NFKC", name)  # what the parser does to identifiers
    if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
        return "v_" + str(abs(hash(name)) % 1000)
    return name


_RESERVED = {"one", "two", "many", "fan", "text", "anything", "container", "workflow", "dataclasses", "enum",
             "Optional", "w", "inp", "E", "d", "print", "True", "False", "None"}

# Every code point, surrogates included: literals reach the YAML writer through `repr`.
_ANY_CHAR = st.characters(codec=None, categories=None)
_plain = st.text(st.characters(codec="ascii", categories=("L", "N")), max_size=8)
strings = st.one_of(  # mostly ordinary text, so a module gets far enough to be emitted
    _plain, _plain, _plain,
    st.text(_ANY_CHAR, max_size=12),
    st.sampled_from(["{{workflow.name}}", "a{{b", "}}", "$(HOME)", "$$5", "\ud800", "x\udfffy", "yes", "~",
                     "null", "", " ", "\n", "\x00", "é", "\u2028"]),
)
ints = st.one_of(st.integers(-10, 10), st.integers(-(2**64), 2**64),
                 st.sampled_from([2**53 - 1, 2**53, -(2**53 - 1), -(2**53)]))
scalars = st.one_of(strings, ints, st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())
literals = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(strings, ints), inner, max_size=3)), max_leaves=6)


def _src(value: Any) -> str:
    """Python source for a literal value (``repr`` spells NaN and infinities as names)."""
    text = repr(value)
    return text.replace("nan", "float('nan')").replace("inf", "float('inf')")


@st.composite
def modules(draw: st.DrawFn) -> str:
    """A whole module: the header's containers, extra constants/Enums/containers, and one workflow body."""
    top: list[str] = []
    consts: list[str] = []
    for i in range(draw(st.integers(0, 2))):
        name = f"C{i}"
        top.append(f"{name} = {_src(draw(literals))}")
        consts.append(name)
    enum_members: list[str] = []
    if draw(st.booleans()):
        members = draw(st.lists(st.one_of(strings, ints, literals), min_size=1, max_size=3))
        base = draw(st.sampled_from(["enum.Enum", "str, enum.Enum", "enum.IntEnum"]))
        body = [f"    M{j} = {_src(v)}" for j, v in enumerate(members)]
        top.append(f"class E({base}):\n" + "\n".join(body))
        top.append("@container\ndef takes_enum(e: E) -> str:\n    return str(e)")
        enum_members = [f"E.M{j}" for j in range(len(members))]
    if draw(st.booleans()):
        default = _src(draw(literals))
        ann = draw(st.sampled_from(["str", "int", "float", "Optional[str]", "list[int]", "dict[str, int]"]))
        top.append(f"@container\ndef d(a: {ann} = {default}) -> str:\n    return str(a)")
    if draw(st.integers(0, 3)) == 0:
        # decorator options with free text: image, service account, node selector, annotations, labels
        option = draw(st.sampled_from(["image", "service_account", "node_selector", "annotations", "labels",
                                       "timeout", "pod_gc_if_root", "name"]))
        value = draw(strings)
        arg = _src({value: draw(strings)} if option in ("node_selector", "annotations", "labels") else value)
        top.append(f"@container({option}={arg})\ndef opt(a: int) -> int:\n    return a")
    nests = draw(st.sampled_from(["", "", "", "", "", "list[Artifact[str]]", "dict[str, Artifact[bytes]]", "Optional[Artifact]"]))
    if nests:
        top.append(f"from athena import Artifact\n@container\ndef gather(xs: {nests}) -> None:\n    pass")
    lines = _body(draw, consts, enum_members, "d" if "def d(" in "\n".join(top) else None)
    if "def opt(" in "\n".join(top):
        lines.append("    opt(inp)")
    wf = "@workflow\ndef w(inp: int) -> None:\n" + "\n".join(lines) + "\n"
    return HEADER + "\n" + "\n\n".join(top) + "\n\n" + wf


def _body(draw: st.DrawFn, consts: list[str], enum_members: list[str], default_fn: str | None
          ) -> list[str]:
    names: list[str] = []
    lists: list[str] = []
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        b = draw(identifiers())
        scalars_ = ["inp", *names]
        kinds = ["one", "two", "fan", "text", "const", "if", "ifexp"]
        if lists:
            kinds += ["many", "each"]
        if enum_members:
            kinds.append("enum")
        if default_fn:
            kinds.append("default")
        kind = draw(st.sampled_from(kinds))
        if kind == "one":
            lines.append(f"    {b} = one({draw(st.sampled_from([*scalars_, '7', _src(draw(ints))]))})")
        elif kind == "two":
            lines.append(f"    {b} = two({draw(st.sampled_from(scalars_))}, b={draw(st.sampled_from(scalars_))})")
        elif kind == "fan":
            lines.append(f"    {b} = fan({draw(st.sampled_from(scalars_))})")
            lists.append(b)
            continue
        elif kind == "text":
            lines.append(f"    text({_src(draw(strings))})")
            continue
        elif kind == "const" and consts:
            lines.append(f"    anything({draw(st.sampled_from(consts))})")
            continue
        elif kind == "enum":
            lines.append(f"    takes_enum({draw(st.sampled_from(enum_members))})")
            continue
        elif kind == "default":
            lines.append("    d()")
            continue
        elif kind == "if":
            # a binding made before the `if` and used inside an arm becomes a wrapper parameter
            x = draw(st.sampled_from(scalars_))
            lines.append(f"    if inp > {draw(st.integers(-3, 3))}:\n        one({x})\n    else:\n        two({x}, b=1)")
            continue
        elif kind == "ifexp":
            x = draw(st.sampled_from(scalars_))
            lines.append(f"    {b} = one({x}) if {x} == 1 else two({x}, b={draw(st.sampled_from(scalars_))})")
        elif kind == "many":
            lines.append(f"    {b} = many({draw(st.sampled_from(lists))})")
        elif kind == "each":
            lines.append(f"    {b} = [one(item) for item in {draw(st.sampled_from(lists))}]")
            lists.append(b)
            continue
        else:
            continue
        if b not in names:
            names.append(b)
    if not lines:
        lines.append("    one(inp)")
    return lines


_n = itertools.count()
_ATHENA_SRC = str(Path(__import__("athena").__file__).parent)


def check_module(workdir: Path, source: str) -> str:
    """Compile and emit ``source``; the outcome's name, or AssertionError for a crash/invalid/unlocated."""
    from athena import api
    from athena.argo.lint import lint_text
    from athena.argo.yaml.io import dump_yaml
    from athena.config import Config
    from athena.errors import AppImportError, CompileError

    path = workdir / f"fuzz_mod_{os.getpid()}_{next(_n)}.py"
    path.write_text(source, encoding="utf-8")
    config = Config()
    try:
        try:
            app = api.load_app(str(path), config)
            docs = api.emit_documents(app, config)
            text = dump_yaml(docs)
        except CompileError as exc:
            for d in exc.diagnostics:
                assert d.code.startswith("ATH"), d.render()
                assert d.span is not None and d.span.line > 0, f"unlocated: {d.render()}"
            return "compile-error " + ",".join(sorted({d.code for d in exc.diagnostics}))
        except AppImportError as exc:
            # the module itself may fail (an IntEnum of a dict): fine, unless athena's code raised it
            # (athena's loader frames come first; athena frames *below* the module's own are its fault)
            tb = exc.__cause__.__traceback__ if exc.__cause__ is not None else None
            in_module = False
            while tb is not None:
                filename = tb.tb_frame.f_code.co_filename
                in_module = in_module or filename == str(path)
                if in_module and filename.startswith(_ATHENA_SRC):
                    raise AssertionError(f"athena failed while importing: {exc}") from exc
                tb = tb.tb_next
            return "user-import-error"
        issues = lint_text(text)
        assert issues == [], "invalid document: " + "; ".join(map(str, issues[:5]))
        return "valid-yaml"
    finally:
        sys.modules.pop(path.stem, None)
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------------------
# tarballs

_member_names = st.one_of(
    st.sampled_from(["d", "d/", "d/a", "d/a/b", "d/b", "../escape", "/abs", "a/../../x", ".", "./", "", "..",
                     "d/./e", "x" * 120, "d//f", "é/ü"]),
    st.lists(st.sampled_from(["d", "a", "b", "..", ".", "é", ""]), min_size=1, max_size=4).map("/".join),
)
_link_targets = st.one_of(st.sampled_from(["..", "../d", "../../escape", "/", "/etc", "d", "a", ".", "d/a",
                                           "../../../../tmp"]), _member_names)


@st.composite
def tar_members(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """(kind, name, link-or-content) for each member, in archive order."""
    kinds = st.sampled_from(["file", "dir", "symlink", "hardlink", "fifo"])
    return draw(st.lists(st.tuples(kinds, _member_names, _link_targets), min_size=1, max_size=6))


def _tarball(members: list[tuple[str, str, str]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for kind, name, extra in members:
            info = tarfile.TarInfo(name)
            info.mode = 0o644 if kind == "file" else 0o755
            data = b""
            if kind == "file":
                data = extra.encode("utf-8", "surrogatepass")
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, extra
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, extra
            else:
                info.type = tarfile.FIFOTYPE
            tf.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([os.path.realpath(path), root]) == root


def check_tarball(workdir: Path, members: list[tuple[str, str, str]]) -> str:
    from athena.local.pod.unpack import UnpackError, untar

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        root = os.path.realpath(tmp)
        sandbox = Path(root, "sandbox")
        sandbox.mkdir()
        archive = Path(root, "in.tar.gz")
        archive.write_bytes(_tarball(members))
        before = set(os.listdir(root))
        outcome = "unpacked"
        try:
            untar(archive, sandbox / "dest")
        except UnpackError:
            outcome = "unpack-error"
        # nothing may appear next to the destination (an escape writes to ../escape, ../../x, …)
        assert set(os.listdir(root)) == before, f"escape: wrote {set(os.listdir(root)) - before} outside"
        beside = set(os.listdir(sandbox)) - {"dest"}
        assert beside <= {"dest.tmpdir"}, f"escape: wrote {beside} beside the destination"
        assert not beside, f"leftover: {outcome} left dest.tmpdir behind"
        dest = str(sandbox / "dest")
        for dirpath, dirnames, filenames in os.walk(sandbox):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                if not os.path.islink(p):
                    assert _inside(p, dest), f"escape: {p}"
    return outcome


# ---------------------------------------------------------------------------------------------------------
# values

_json_scalars = st.one_of(st.none(), st.booleans(), ints, st.floats(allow_nan=True, allow_infinity=True),
                          strings)
values = st.recursive(_json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(strings, inner, max_size=4)), max_leaves=12)


def check_value(value: Any) -> str:
    from typing import Any as AnyT

    from athena.runtime import codec

    try:
        text = codec.encode(value)
    except codec.CodecError:
        return "rejected"
    back = codec.decode(text, AnyT)
    assert _same(back, value), f"round trip changed {value!r} into {back!r} (via {text!r})"
    return "round-trip"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------------------------------------------------
# the runner

TARGETS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Path, Any], str]]] = {
    "modules": (modules(), check_module),
    "tarballs": (tar_members(), check_tarball),
    "values": (values, lambda _w, v: check_value(v)),
}


KNOWN: dict[str, list[Any]] = {
    # issue 7 item 10: a symlink chain that makes `d/b` a link to ../../escape, then a file written through it
    "tarballs": [[("dir", "d/", ""), ("symlink", "d/a", "../d"), ("symlink", "d/a/b", "../../escape"),
                  ("file", "d/b", "hi")]],
}


def _shape(message: str) -> str:
    """A failure's first line with names, numbers and positions blanked, so one bug is one finding."""
    import re

    first = message.splitlines()[0] if message else ""
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", first)
    first = re.sub(r"\\u[0-9a-f]{4}|\d+", "N", first)
    return re.sub(r"fuzz-mod-[-\w]*", "fuzz-mod-…", first)[:200]


def run_target(name: str, examples: int, workdir: Path, deadline: float | None = None) -> None:
    """Run one target for ``examples`` examples (or until ``deadline``, a time.monotonic() value)."""
    strategy, check = TARGETS[name]

    @settings(max_examples=examples, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def prop(case: Any) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise _TimeUp
        COUNTS[name] += 1
        try:
            COUNTS[f"{name}:{check(workdir, case)}"] += 1
        except Exception as exc:  # recorded, not raised: a long run reports every distinct failure
            kind = next((k for k in ("invalid", "unlocated", "escape", "leftover")
                         if str(exc).startswith(k)), "crash")
            COUNTS[f"{name}:{kind}"] += 1
            key = f"{name}: {kind}: {type(exc).__name__}: {_shape(str(exc))}"
            FINDINGS.setdefault(key, repr(case)[:2000])

    for case in KNOWN.get(name, []):  # inputs that broke before are always run
        prop = example(case)(prop)
    with contextlib.suppress(_TimeUp):
        prop()


class _TimeUp(BaseException):
    """Ends a timed run: a BaseException, so hypothesis neither records nor shrinks it."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help=f"any of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--examples", type=int, default=2000, help="examples per target (default 2000)")
    parser.add_argument("--minutes", type=float, default=None, help="stop each target after this many minutes")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(10_000)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    with tempfile.TemporaryDirectory(prefix="athena-fuzz-") as tmp:
        workdir = Path(tmp)
        sys.path.insert(0, str(workdir))
        for name in args.targets or list(TARGETS):
            start = time.monotonic()
            deadline = start + args.minutes * 60 if args.minutes else None
            run_target(name, args.examples, workdir, deadline)
            outcomes = {k.split(":", 1)[1]: v for k, v in COUNTS.items() if k.startswith(f"{name}:")}
            print(f"{name}: {COUNTS[name]} examples in {time.monotonic() - start:.0f}s, outcomes {outcomes}",
                  flush=True)
    for key, first in FINDINGS.items():
        print(f"\n{key}\n  first input: {first}")
    return 1 if FINDINGS else 0


if __name__ == "__main__":
    raise SystemExit(main())
