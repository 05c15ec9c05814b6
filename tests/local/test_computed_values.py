"""Issue 13 (record values, f-strings, range fan-outs, filters, workflow facts): in-process runs give what Argo
gives, through the very expressions the emitter writes."""

from __future__ import annotations

import itertools
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from athena import api
from athena.argo import expr
from athena.compile.model import Format, FormatPart, Input, Lit, Record, WfFact
from athena.errors import WorkflowFailed
from athena.local.argo.evaluate import evaluate
from athena.local.argo.render import expand, render

_n = itertools.count()

FLOW = '''
from __future__ import annotations
from dataclasses import dataclass
from typing import NamedTuple
import athena
from athena import container, workflow

@dataclass
class Config:
    limit: int
    name: str = "all"
    tags: list[str] | None = None

class Window(NamedTuple):
    start: int
    middle: int = 5
    end: int = 9

@container
def show(cfg: Config) -> str:
    return f"{cfg.limit}:{cfg.name}:{cfg.tags}"

@container
def width(w: Window) -> list[int]:
    return [w.start, w.middle, w.end]

@container
def num(k: int) -> int:
    return k

@container
def echo(s: str) -> str:
    return s

@container
def sizes() -> list[int]:
    return [0, 3, 0, 5, 1]

@container
def square(i: int) -> int:
    return i * i

@container
def facts_in_body() -> str:
    return athena.wf.name + "|" + athena.wf.uid

@workflow
def records(n: int) -> list[str]:
    a = show(Config(limit=3))
    b = show(Config(limit=n, name=f"n{n}", tags=["x", "$HOME {{a}}"]))
    cfg = Config(limit=num(n))
    c = show(cfg)
    return join3(a, b, c)

@container
def join3(a: str, b: str, c: str) -> list[str]:
    return [a, b, c]

@workflow
def window(n: int) -> list[int]:
    return width(Window(num(n), end=n))

@workflow
def text(run: str, n: int, flag: bool) -> str:
    return echo(f"{run}/part-{n}?{flag}&{num(n)}")

@workflow
def ranged(a: int, b: int) -> list[list[int]]:
    one = [square(i) for i in range(b)]
    two = [square(i) for i in range(a, b)]
    return pack(one, two)

@container
def pack(x: list[int], y: list[int]) -> list[list[int]]:
    return [x, y]

@workflow
def filtered(minimum: int) -> list[int]:
    xs = sizes()
    return [square(x) for x in xs if x > minimum]

@workflow
def facts() -> str:
    return echo(f"{athena.wf.name}|{athena.wf.uid}")

@workflow
def facts_container() -> str:
    return facts_in_body()

@container
def report(status: str, failures: list[athena.wf.Failure]) -> None:
    SEEN.append((status, [f["displayName"] for f in failures]))

SEEN: list = []

@workflow
def finished() -> None:
    report(athena.wf.status, athena.wf.failures)

@container
def maybe_fail(k: int) -> int:
    if k < 0:
        raise ValueError("negative")
    return k

@workflow(on_exit_if_root=finished)
def guarded(k: int) -> int:
    return maybe_fail(k)
'''


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("computed") / f"computed_{next(_n)}.py"
    path.write_text(FLOW, encoding="utf-8")
    from athena.config import Config

    api.load_app(str(path), Config())
    return sys.modules[path.stem]


def test_record_values_literal_and_computed(flow: Any) -> None:
    assert flow.records(4) == ["3:all:None", "4:n4:['x', '$HOME {{a}}']", "4:all:None"]


def test_named_tuple_gap_takes_the_default(flow: Any) -> None:
    assert flow.window(7) == [7, 5, 7]


@pytest.mark.parametrize("n", [0, 7, -3, 1234567, 2**53 - 1])
@pytest.mark.parametrize("flag", [True, False])
def test_fstring_prints_like_python(flow: Any, n: int, flag: bool) -> None:
    run = "r-{{x}}$(HOME)}}"
    assert flow.text(run, n, flag) == f"{run}/part-{n}?{flag}&{n}"


@pytest.mark.parametrize(("a", "b"), [(0, 4), (2, 5), (5, 2), (0, 0), (-2, 1)])
def test_range_fanout_matches_python(flow: Any, a: int, b: int) -> None:
    assert flow.ranged(a, b) == [[i * i for i in range(b)], [i * i for i in range(a, b)]]


@pytest.mark.parametrize("minimum", [-1, 0, 2, 10])
def test_filter_keeps_the_elements_that_ran(flow: Any, minimum: int) -> None:
    assert flow.filtered(minimum) == [x * x for x in [0, 3, 0, 5, 1] if x > minimum]


def test_workflow_facts_in_body_and_container(flow: Any) -> None:
    name, uid = flow.facts().split("|")
    assert name.startswith(flow.facts.fn.__module__.replace("_", "-")) or name
    assert uid
    name2, uid2 = flow.facts_container().split("|")
    assert name2 and uid2 and name2 != name  # each run has its own name


def test_exit_handler_sees_status_and_failures(flow: Any) -> None:
    flow.SEEN.clear()
    assert flow.guarded(3) == 3
    with pytest.raises(WorkflowFailed):
        flow.guarded(-1)
    assert flow.SEEN == [("Succeeded", []), ("Failed", ["maybe-fail"])]


def test_status_is_only_known_in_an_exit_handler(flow: Any) -> None:
    import athena.wf
    from athena.errors import AthenaError

    with pytest.raises(AthenaError, match="not known here"):
        _ = athena.wf.status


# ------------------------------------------------------------------------- the expressions themselves

def _eval(text: str, params: dict[str, str]) -> str:
    return render(text, params)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1), st.booleans())
def test_format_expression_is_byte_exact(s: str, i: int, b: bool) -> None:
    """The f-string expression's JSON decodes to exactly Python's f-string, whatever the text holds."""
    import json

    fmt = Format(("<", FormatPart(Input("s"), "str"), "{{$}}", FormatPart(Input("i"), "int"), "}",
                  FormatPart(Input("b"), "bool")))
    params = {"inputs.parameters.s": json.dumps(s), "inputs.parameters.i": str(i),
              "inputs.parameters.b": json.dumps(b)}
    text = _eval(expr.param_value(fmt, "tasks"), params)
    assert json.loads(text) == f"<{s}{{{{$}}}}{i}}}{b}"
    assert "$" not in text and "{{" not in text


def test_record_expression_builds_the_object() -> None:
    import json

    rec = Record((("limit", Input("n")), ("name", Lit("a}}b")), ("tags", Lit(["x", {"k": "}}"}]))))
    text = _eval(expr.param_value(rec, "tasks"), {"inputs.parameters.n": "5"})
    assert json.loads(text) == {"limit": 5, "name": "a}}b", "tags": ["x", {"k": "}}"}]}


def test_facts_read_argo_globals() -> None:
    """scheduledTime is set only on cron runs: the creation time stands in, read as creationTimestamp.RFC3339 since
    Argo also sets creationTimestamp.<fmt> and expand then makes creationTimestamp a map (util/expand
    removeConflicts); failures is strconv.Quote'd JSON."""
    env = expand({"workflow.creationTimestamp": "2024-01-02T03:04:05Z",
                  "workflow.creationTimestamp.RFC3339": "2024-01-02T03:04:05Z",
                  "workflow.creationTimestamp.Y": "2024", "workflow.failures": '"null"'})
    assert evaluate(expr.computed_expr(WfFact("scheduled_time"), "tasks"), env) == "2024-01-02T03:04:05Z"
    assert evaluate(expr.computed_expr(WfFact("failures"), "tasks"), env) == []
    env = expand({"workflow.scheduledTime": "2024-05-05T00:00:00Z", "workflow.creationTimestamp.RFC3339": "x",
                  "workflow.failures": '"[{\\"displayName\\":\\"a\\"}]"'})
    assert evaluate(expr.computed_expr(WfFact("scheduled_time"), "tasks"), env) == "2024-05-05T00:00:00Z"
    assert evaluate(expr.computed_expr(WfFact("failures"), "tasks"), env) == [{"displayName": "a"}]
