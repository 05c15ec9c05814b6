"""The pod runtime as a pod runs it: a fresh interpreter, env and argv slots in, /athena/result out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from athena.bundle.identity import POD_MODULES

POD_MODULE_NAMES = {m.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for m in POD_MODULES}

STEPS = '''
from __future__ import annotations
import datetime, enum, sys
from typing import Optional
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict
from athena import Artifact, Outcome, container

class Color(enum.Enum):
    RED = "red"

@dataclass
class Point:
    x: int
    y: int

class Row(TypedDict):
    name: str

class Pair(NamedTuple):
    a: str
    b: int

@container
def add(p: Point, scale: int = 1) -> dict[str, int]:
    return {"sum": (p.x + p.y) * scale}

@container
def echo(s: str) -> str:
    return s

@container
def kinds(c: Color, r: Row, pair: Pair, lit: Literal["a", "b"], tags: set[str], o: Outcome[int]) -> list[object]:
    return [c.value, r["name"], pair.b, lit, sorted(tags), o.phase, o.value]

@container
def boom(x: int) -> int:
    raise ValueError("nope")

@container
def leave(code: int) -> int:
    sys.exit(code)

@container
def huge(n: int) -> str:
    return "x" * n

@container
def big_int() -> int:
    return 2**60

@container
def nothing() -> None:
    print("side effect")

@container
def blob(text: str) -> Artifact[bytes]:
    return Artifact.of(text.encode())

@container
def size(doc: Artifact[bytes]) -> int:
    return len(doc.load())

@container
def wrong() -> int:
    return "x"

@container
def lone() -> str:
    return "a\\ud800"

@container
def maybe(s: Optional[str]) -> Optional[str]:
    return s

@container
def odd_offset() -> datetime.datetime:
    return datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(seconds=30)))

@container
def as_float() -> float:
    return 1
'''


@pytest.fixture
def pod(tmp_path: Path):
    (tmp_path / "steps.py").write_text(STEPS)

    def run(fn: str, *slots: str, env: dict[str, str] | None = None) -> tuple[int, str | None, str]:
        result = tmp_path / "athena" / "result"
        if result.exists():
            result.unlink()
        e = {k: v for k, v in os.environ.items() if not k.startswith(("ATHENA_", "ARGO_"))}
        e.update({"ATHENA_RUNTIME": "1", "ATHENA_ENTRY": f"steps:{fn}", "ATHENA_TEMPLATE": f"t-{fn}",
                  "ATHENA_RESULT": str(result), "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path(__file__).parents[2] / 'src'}",
                  "ATHENA_ARTIFACT_RETURN": str(tmp_path / "athena" / "out" / "return")})
        e.update(env or {})
        p = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path[:0] = sys.argv[1].split(':'); "
                            "from athena.runtime.main import main; raise SystemExit(main(sys.argv[2:]))",
                            e["PYTHONPATH"], "--", *slots], capture_output=True, text=True, env=e, cwd=tmp_path)
        return p.returncode, result.read_text() if result.exists() else None, p.stderr

    run.dir = tmp_path  # type: ignore[attr-defined]
    return run


def test_typed_decode_and_result(pod) -> None:
    rc, out, err = pod("add", '{"x": 2, "y": 3}', "10")
    assert (rc, out) == (0, '{"sum":50}'), err
    assert oct(os.stat(pod.dir / "athena" / "result").st_mode & 0o777) == "0o644"


def test_every_boundary_kind(pod) -> None:
    rc, out, err = pod("kinds", '"red"', '{"name": "n"}', '["a", 2]', '"b"', '["z", "a"]',
                       '{"value": 3, "phase": "Succeeded", "exit_code": null}')
    assert rc == 0, err
    assert json.loads(out) == ["red", "n", 2, "b", ["a", "z"], "Succeeded", 3]


def test_str_falls_back_to_raw_text_only_for_str(pod) -> None:
    assert pod("echo", "hello")[:2] == (0, '"hello"')
    assert pod("echo", '"12"')[:2] == (0, '"12"')
    assert pod("echo", "12")[:2] == (0, '"12"')  # typed decode of 12 as str fails: raw text
    rc, _, err = pod("add", '{"x": "2", "y": 3}', "1")
    assert rc == 2 and "template t-add: parameter `p` cannot be decoded" in err


def test_offloaded_argument_rule(pod) -> None:
    big = pod.dir / "arg.txt"
    big.write_text('"from-file"')
    # A slot that looks like a file is a value unless Argo's exact offload form and env are both present.
    assert pod("echo", "@/etc/passwd")[:2] == (0, '"@/etc/passwd"')
    # The pod's /tmp is a directory of the test's own (never the machine's /tmp).
    tmp = pod.dir / "pod-tmp"
    tmp.mkdir()
    env = {"ARGO_CONTAINER_ARGS_FILE": "/argo/config/args", "ATHENA_TMP_DIR": str(tmp)}
    rc, _out, err = pod("echo", "@/tmp/argo_arg_3.txt", env=env)
    # argo_arg_3.txt does not exist: a protocol error naming the parameter, never a silent value.
    assert rc == 2 and "parameter `s`" in err
    (tmp / "argo_arg_3.txt").write_text('"from-file"')
    assert pod("echo", "@/tmp/argo_arg_3.txt", env=env)[:2] == (0, '"from-file"')
    assert pod("echo", "@/tmp/argo_arg_2.txt", env=env)[:2] == (0, '"@/tmp/argo_arg_2.txt"')  # not slot 0's


def test_exit_codes(pod) -> None:
    rc, out, err = pod("boom", "1")
    assert rc == 1 and out is None and "ValueError: nope" in err and "Traceback" in err
    assert pod("leave", "7")[:2] == (7, None)
    rc, out, err = pod("add", "{}")
    assert rc == 2 and "argv has 1 slot(s)" in err
    rc, out, err = pod("huge", str(200 * 1024))
    assert rc == 2 and "above the 131071-byte limit" in err and "Artifact" in err
    rc, out, err = pod("big_int")
    assert rc == 2 and "outside ±(2**53-1)" in err
    assert pod("nothing")[:2] == (0, "null")


def test_value_limit_counts_the_terminating_nul(pod) -> None:
    # Linux's MAX_ARG_STRLEN (131072) includes the NUL: 131071 bytes of JSON is the largest value that execs.
    rc, out, err = pod("huge", str(131_071 - 2))  # "x" * n is n + 2 bytes of JSON
    assert rc == 0 and out is not None and len(out.encode()) == 131_071, err
    rc, out, err = pod("huge", str(131_072 - 2))
    assert (rc, out) == (2, None)
    assert "131072 bytes of JSON, above the 131071-byte limit" in err and "athena.Artifact[T]" in err


def test_offloaded_file_is_read_byte_exact(pod) -> None:
    # The emissary writes the argument's bytes; text mode would turn \r\n into \n (and a lone \r too).
    tmp = pod.dir / "pod-tmp"
    tmp.mkdir()
    env = {"ARGO_CONTAINER_ARGS_FILE": "/argo/config/args", "ATHENA_TMP_DIR": str(tmp)}
    offloaded = tmp / "argo_arg_3.txt"
    offloaded.write_bytes("line 1\r\nline 2\r\u00fc".encode())
    rc, out, err = pod("echo", "@/tmp/argo_arg_3.txt", env=env)
    assert rc == 0, err
    assert json.loads(out or "") == "line 1\r\nline 2\r\u00fc"
    offloaded.write_bytes(b'"\xff"')
    rc, out, err = pod("echo", "@/tmp/argo_arg_3.txt", env=env)
    assert rc == 2 and "parameter `s`" in err and "not UTF-8" in err


def test_result_must_match_the_declared_return_type(pod) -> None:
    """Issue 7 item 17: `-> int` returning "x" is a protocol error (exit 2) naming template and type."""
    rc, out, err = pod("wrong")
    assert rc == 2 and out is None, err
    assert "template t-wrong" in err and "declared return type int" in err
    assert pod("as_float")[:2] == (0, "1")  # an int where a float is declared crosses the wire unchanged


def test_unencodable_result_exits_2(pod) -> None:
    """Item 13: a lone surrogate in a result is a protocol error with a message, not a traceback."""
    rc, out, err = pod("lone")
    assert rc == 2 and out is None and "Traceback" not in err, err
    assert "lone surrogate" in err and "template t-lone" in err


def test_decode_errors_name_the_whole_type(pod) -> None:
    rc, _, err = pod("maybe", "[1]")
    assert rc == 2 and "cannot be decoded as Optional[str]" in err, err


def test_sub_minute_utc_offset_is_refused_not_shifted(pod) -> None:
    rc, out, err = pod("odd_offset")
    assert rc == 2 and out is None, err
    assert "UTC offset 0:00:30" in err


def test_bundle_mismatch(pod) -> None:
    bundle = pod.dir / "bundle"
    bundle.mkdir()
    (bundle / "manifest.json").write_text(json.dumps({"digest": "aaaa", "python": "3.11"}))
    rc, _, err = pod("echo", "x", env={"ATHENA_BUNDLE": "bbbb", "ATHENA_BUNDLE_DIR": str(bundle)})
    assert rc == 2 and "expects bundle bbbb" in err


def test_artifacts(pod) -> None:
    rc, out, err = pod("blob", '"hello"', env={"ATHENA_RETURN_KEY": "athena-runs/u/p/return"})
    assert (rc, out) == (0, '{"key":"athena-runs/u/p/return"}'), err
    assert (pod.dir / "athena" / "out" / "return").read_bytes() == b"hello"


def test_pod_imports_only_what_it_needs(pod) -> None:
    probe = ("import sys, atexit; atexit.register(lambda: open(sys.argv[1], 'w').write('\\n'.join(sorted("
             "{m.split('.')[0] if not m.startswith('athena') else m for m in sys.modules}))))")
    listing = pod.dir / "modules.txt"
    (pod.dir / "sitecustomize.py").write_text("")
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ATHENA_", "ARGO_"))}
    e.update({"ATHENA_RUNTIME": "1", "ATHENA_ENTRY": "steps:add", "ATHENA_RESULT": str(pod.dir / "r")})
    src = str(Path(__file__).parents[2] / "src")
    subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(pod.dir)!r}, {src!r}]; {probe}; "
                    "from athena.runtime.main import main; main(['--', '{\"x\": 1, \"y\": 2}', '3'])", str(listing)],
                   check=True, env=e, cwd=pod.dir)
    mods = set(listing.read_text().split())
    athena_mods = {m for m in mods if m.startswith("athena")}
    assert athena_mods <= {"athena", "athena._inert", "athena.outcome", "athena.ports", "athena.errors",
                           "athena.runtime", "athena.runtime.main", "athena.runtime.codec",
                           "athena.runtime.protocol"}, athena_mods
    assert athena_mods <= POD_MODULE_NAMES  # the bundle digest covers every athena module a pod runs
    # (`ast`/`inspect` arrive with the stdlib's dataclasses, which user types need anyway.)
    assert "athena.decorators" not in mods  # inert stand-ins in pods
    assert "athena.runtime.settings" not in mods  # a step that reads no settings never loads them
    for heavy in ("yaml", "click", "jsonschema", "pydantic", "obstore", "elftools", "tomllib"):
        assert heavy not in mods, heavy
    # metrics (issue 9): without ATHENA_PUSHGATEWAY nothing of them is imported, not even the HTTP client
    assert "athena.runtime.metrics" not in mods
    for net in ("http", "socket", "base64", "ssl", "email"):  # (urllib.parse arrives with pathlib)
        assert net not in mods, net


def test_a_step_with_option_values_imports_no_compiler(tmp_path: Path) -> None:
    """`@container(retry=Retry(...), ttl_if_root=TTL(...))` is evaluated when a pod imports the module: the
    option values come from the pod-safe athena.option_types, never the compiler's option table (or msgspec)."""
    (tmp_path / "opt_steps.py").write_text(
        "from athena import TTL, Retry, container\n\n"
        "@container(retry=Retry(limit=2, backoff='5s'), ttl_if_root=TTL(after_completion='1h'))\n"
        "def one(x: int) -> int:\n    return x + 1\n")
    listing = tmp_path / "modules.txt"
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ATHENA_", "ARGO_"))}
    e.update({"ATHENA_RUNTIME": "1", "ATHENA_ENTRY": "opt_steps:one", "ATHENA_RESULT": str(tmp_path / "r")})
    src = str(Path(__file__).parents[2] / "src")
    probe = ("import sys, atexit; atexit.register(lambda: open(sys.argv[1], 'w').write('\\n'.join(sorted("
             "sys.modules))))")
    subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {src!r}]; {probe}; "
                    "from athena.runtime.main import main; raise SystemExit(main(['--', '41']))", str(listing)],
                   check=True, env=e, cwd=tmp_path)
    mods = set(listing.read_text().split())
    assert (tmp_path / "r").read_text() == "42"
    assert "athena.option_types" in mods and "athena.option_types" in POD_MODULE_NAMES
    assert not {m for m in mods if m.startswith(("athena.compile", "athena.decorators", "msgspec"))}, sorted(mods)


def test_every_public_name_loads_within_the_pod_modules() -> None:
    """A user's module may import any name of `athena` at its top; a bundle ships only POD_MODULES (the rest of
    athena is stripped), so each name must resolve, in a pod, without importing anything else of athena."""
    code = ("import sys, athena\n"
            "for name in [*athena.__all__, 'wf']:\n"
            "    getattr(athena, name)\n"
            "print('\\n'.join(m for m in sys.modules if m == 'athena' or m.startswith('athena.')))\n")
    env = {**os.environ, "ATHENA_RUNTIME": "1", "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    loaded = set(proc.stdout.split())
    assert loaded - POD_MODULE_NAMES - {"athena.bundle"} == set()
