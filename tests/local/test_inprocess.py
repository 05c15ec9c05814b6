"""Calling a @workflow runs its compiled IR in-process with Argo's meaning."""

from __future__ import annotations

import itertools
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from athena import api
from athena.local.inprocess import WorkflowFailed

ROOT = Path(__file__).resolve().parents[2]
_n = itertools.count()


def load(tmp_path: Path, source: str) -> Any:
    path = tmp_path / f"inproc_{next(_n)}.py"
    path.write_text(source, encoding="utf-8")
    from athena.config import Config

    try:
        app = api.load_app(str(path), Config())
    finally:
        pass
    return sys.modules[path.stem], app


FLOW = '''
from __future__ import annotations
from dataclasses import dataclass
import athena
from athena import Artifact, Outcome, container, workflow

CALLS: list[str] = []

@dataclass
class Point:
    x: int
    y: int

@container
def make(k: int) -> Point:
    CALLS.append(f"make {k}")
    return Point(k, k * 2)

@container
def add(a: int, b: int = 1) -> int:
    CALLS.append(f"add {a} {b}")
    return a + b

@container
def fail(x: int) -> int:
    CALLS.append("fail")
    raise RuntimeError("boom")

@container
def describe(o: Outcome[int]) -> str:
    return f"{o.phase}:{o.value}:{o.exit_code}"

@container
def total(xs: list[int]) -> int:
    return sum(xs)

@container
def upto(k: int) -> list[int]:
    return list(range(k))

@container
def note(msg: str) -> None:
    CALLS.append(f"note {msg}")

@container
def bad_int() -> int:
    return 2**60

@container
def write(text: str) -> Artifact[str]:
    athena.save_artifact("side/{workflow_uid}.txt", text)
    return Artifact.of(text.upper())

@container
def read(doc: Artifact[str]) -> str:
    return doc.load()

@workflow
def fields(k: int) -> int:
    p = make(k)
    return add(p.x, b=p.y)

@workflow
def fanout(k: int) -> int:
    xs = upto(k)
    ys = [add(x, b=10) for x in xs]
    return total(ys)

@workflow
def branches(k: int) -> int:
    v = add(k, b=100) if k > 2 else add(k, b=200)
    if v > 150:
        note("big")
    elif v == 102:
        note("exactly")
    else:
        note("small")
    return v

@workflow
def tolerant(k: int) -> str:
    r = fail.options(continue_on=["failed"])(k)
    return describe(r)

@workflow
def tolerant_fan(k: int) -> int:
    outs = [fail.options(continue_on=["failed"])(x) for x in upto(k)]
    return total(upto(k))

@workflow
def hooked(k: int) -> int:
    return fail.options(on_exit=lambda: note("exit"), on_failure=[lambda: note("failed")])(k)

@workflow
def overflow() -> int:
    return bad_int()

@workflow
def artifacts(text: str) -> str:
    doc = write(text)
    return read(doc)
'''


@pytest.fixture
def flow(tmp_path: Path) -> Any:
    module, _ = load(tmp_path, FLOW)
    module.CALLS.clear()
    yield module
    sys.modules.pop(module.__name__, None)


def test_fields_and_defaults(flow: Any) -> None:
    assert flow.fields(3) == 9
    assert flow.CALLS == ["make 3", "add 3 6"]


def test_fanout_and_empty_fanout(flow: Any) -> None:
    assert flow.fanout(3) == 10 + 11 + 12
    assert flow.fanout(0) == 0  # an empty fan-out is Skipped; its aggregate is []


@pytest.mark.parametrize(("n", "value", "note"), [(5, 105, "small"), (2, 202, "big"), (1, 201, "big")])
def test_value_if_and_statement_if(flow: Any, n: int, value: int, note: str) -> None:
    assert flow.branches(n) == value
    assert flow.CALLS[-1] == f"note {note}"


def test_continue_on_gives_an_outcome(flow: Any) -> None:
    assert flow.tolerant(1) == "Failed:None:1"


def test_hooks_run_and_failure_raises(flow: Any) -> None:
    with pytest.raises(WorkflowFailed, match="task `fail` ") as info:
        flow.hooked(1)
    assert isinstance(info.value.cause, RuntimeError)
    assert "note exit" in flow.CALLS and "note failed" in flow.CALLS


def test_values_that_would_not_survive_the_wire_fail_here_too(flow: Any) -> None:
    with pytest.raises(WorkflowFailed, match=r"outside ±\(2\*\*53-1\)"):
        flow.overflow()


def test_artifacts_use_a_local_store(flow: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATHENA_LOCAL_STORE", str(tmp_path / "store"))
    assert flow.artifacts("hi") == "HI"
    # `{workflow_uid}` stands for the run, as on Argo: one key per run.
    (saved,) = (tmp_path / "store" / "side").glob("*.txt")
    assert saved.read_text() == "hi" and saved.stem != "{workflow_uid}"


def test_examples_run_in_process() -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import artifacts
        import features
        import getting_started

        assert getting_started.pipeline() is None
        assert features.tolerant([1, 2, 3]) == 3
        assert features.tolerant([1, -2, 3]) == 2  # flaky refuses -2; continue_on keeps the other two
        assert features.in_steps(3) == "left 3:3"
        assert features.everything("v1", features.Profile("ssd", 2), threshold=7) == "left 7"
        packed = artifacts.report(3, small=True).load()
        assert zlib.decompress(packed) == b"page 1 of 3\npage 2 of 3\npage 3 of 3\n"
    finally:
        sys.path.remove(str(ROOT / "examples"))


# ------------------------------------------------------------------------------ property


HEADER = '''
from athena import container, workflow

@container
def one(a: int) -> int:
    return a * 3 + 1

@container
def two(a: int, b: int) -> int:
    return a - b

@container
def fan(a: int) -> list[int]:
    return list(range(a % 4))

@container
def many(xs: list[int]) -> int:
    return sum(xs) + len(xs)
'''

PY = {"one": lambda a: a * 3 + 1, "two": lambda a, b: a - b, "fan": lambda a: list(range(a % 4)),
      "many": lambda xs: sum(xs) + len(xs)}


@st.composite
def programs(draw: st.DrawFn) -> tuple[str, int, int]:
    inp = draw(st.integers(-20, 20))
    env: dict[str, Any] = {"inp": inp}
    scalars, lists = ["inp"], []
    lines = []
    for i in range(draw(st.integers(1, 10))):
        b = f"v{i}"
        kind = draw(st.sampled_from(["one", "two", "fan", "many", "each"] if lists else ["one", "two", "fan"]))
        if kind == "one":
            x = draw(st.sampled_from(scalars))
            lines.append(f"{b} = one({x})")
            env[b] = PY["one"](env[x])
        elif kind == "two":
            x, y = draw(st.sampled_from(scalars)), draw(st.sampled_from(scalars))
            lines.append(f"{b} = two({x}, b={y})")
            env[b] = PY["two"](env[x], env[y])
        elif kind == "fan":
            x = draw(st.sampled_from(scalars))
            lines.append(f"{b} = fan({x})")
            env[b] = PY["fan"](env[x])
        elif kind == "many":
            x = draw(st.sampled_from(lists))
            lines.append(f"{b} = many({x})")
            env[b] = PY["many"](env[x])
        else:
            x = draw(st.sampled_from(lists))
            lines.append(f"{b} = [one(e) for e in {x}]")
            env[b] = [PY["one"](e) for e in env[x]]
        (lists if isinstance(env[b], list) else scalars).append(b)
    last = scalars[-1]
    source = HEADER + "\n@workflow\ndef w(inp: int) -> int:\n" + "".join(f"    {line}\n" for line in lines)
    source += f"    return one({last})\n"
    return source, inp, PY["one"](env[last])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs())
def test_in_process_equals_calling_the_functions_by_hand(tmp_path: Path, case: tuple[str, int, int]) -> None:
    source, inp, expected = case
    module, _ = load(tmp_path, source)
    try:
        assert module.w(inp) == expected
    finally:
        sys.modules.pop(module.__name__, None)


MORE = '''
from athena import Artifact, container, workflow

SEEN: list[int] = []

@container
def maybe(v: int) -> int:
    SEEN.append(v)
    if v == 1:
        raise RuntimeError("one")
    return v

@container
def total(xs: list[int]) -> int:
    return sum(xs)

@container
def quits() -> int:
    import sys
    sys.exit(0)

@container
def huge() -> str:
    return "x" * (200 * 1024)

@container
def sized(count: int) -> str:
    return "x" * count

@workflow
def of_size(count: int) -> str:
    return sized(count)

@container
def blob(text: str) -> Artifact[str]:
    return Artifact.of(text * 2)

@workflow
def each(vs: list[int]) -> int:
    outs = [maybe(v) for v in vs]
    return total(outs)

@workflow
def exits() -> int:
    return quits()

@workflow
def too_big() -> str:
    return huge()

@workflow
def produce(text: str) -> Artifact[str]:
    return blob(text)
'''


@pytest.fixture
def more(tmp_path: Path) -> Any:
    module, _ = load(tmp_path, MORE)
    yield module
    sys.modules.pop(module.__name__, None)


def test_every_fan_out_element_runs_before_the_group_fails(more: Any) -> None:
    with pytest.raises(WorkflowFailed, match="RuntimeError: one"):
        more.each([0, 1, 2])
    assert more.SEEN == [0, 1, 2]


def test_exit_zero_without_a_result_fails_as_on_argo(more: Any) -> None:
    with pytest.raises(WorkflowFailed, match=r"sys\.exit\(0\)"):
        more.exits()


def test_value_size_limit_as_in_a_pod(more: Any) -> None:
    with pytest.raises(WorkflowFailed, match="above the 131071-byte limit"):
        more.too_big()


def test_value_size_limit_counts_the_terminating_nul(more: Any) -> None:
    assert len(more.of_size(131_071 - 2)) == 131_069  # "x" * n is n + 2 bytes of JSON
    with pytest.raises(WorkflowFailed, match=r"131072 bytes of JSON, above the 131071-byte limit.*Artifact\[T\]"):
        more.of_size(131_072 - 2)


def test_a_workflow_can_return_an_artifact(more: Any) -> None:
    art = more.produce("ab")
    assert art.load() == "abab"


WRONG = '''
from typing import Optional
from athena import container, workflow

@container
def wrong(k: int) -> int:
    return "x"

@container
def maybe(s: Optional[str]) -> int:
    return 1

@workflow
def w(k: int) -> int:
    return wrong(k)

@workflow
def m(s: Optional[str]) -> int:
    return maybe(s)
'''


def test_a_result_of_the_wrong_type_fails_its_task(tmp_path: Path) -> None:
    """Issue 7 item 17: `-> int` returning "x" fails in-process as in a pod, naming task, template and type."""
    mod, _ = load(tmp_path, WRONG)
    with pytest.raises(WorkflowFailed) as info:
        mod.w(1)
    text = str(info.value)
    assert "task `wrong`" in text and "-wrong" in text and "declared return type int" in text, text


def test_decode_errors_name_the_inner_type(tmp_path: Path) -> None:
    from athena.errors import AthenaError

    mod, _ = load(tmp_path, WRONG)
    with pytest.raises(AthenaError) as info:
        mod.m(5)
    assert "argument `s` cannot be passed as Optional[str]" in str(info.value), str(info.value)
