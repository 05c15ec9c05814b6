"""In-process runs read values and conditions exactly as Argo does: through the texts the emitter writes.

Each case below is one where Python's meaning and expr-lang's differ; the in-process result follows Argo.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest

from athena import api
from athena.config import Config

ROOT = Path(__file__).resolve().parents[2]
_n = itertools.count()

SOURCE = '''
from __future__ import annotations
from typing import Any
from athena import container, workflow

@container
def say(msg: str) -> str:
    return msg

@container
def echo(d: dict[str, Any]) -> dict[str, Any]:
    return d

@workflow
def flagged(d: dict[str, Any]) -> str:
    # Python: True == 1. expr-lang: a bool never equals a number.
    return say("one") if d["flag"] == 1 else say("other")

@workflow
def missing(d: dict[str, Any]) -> str:
    # Python: KeyError. expr-lang: a missing map key reads nil.
    return say("absent") if d["k"] is None else say("present")

@workflow
def member(d: dict[str, Any]) -> str:
    # Python: True in (1, 2). expr-lang: `in` uses ==, and true != 1.
    return say("in") if d["v"] in (1, 2) else say("out")

@workflow
def ordered(d: dict[str, Any]) -> str:
    # Python: None < 1 raises TypeError. expr-lang: ordering nil and a number is an error too, so the task errors.
    return say("less") if d["v"] < 1 else say("not less")

@workflow
def field(d: dict[str, Any]) -> dict[str, Any]:
    # A field goes through fromJSON/toJSON on Argo: keys come back sorted, whole floats as integers.
    return echo(d["inner"])

@container
def pair(a: str, b: str) -> list[str]:
    return [a, b]

@workflow
def hostile(d: dict[str, Any], xs: list[str], s: str = "cost $$5 $(HOME) {{workflow.name}}") -> list[list[str]]:
    # Field access, a default, fan-out items and the aggregate all carry `$` and `{{` through Argo's texts.
    k = say(d["k"])
    items = [pair(x, k) for x in xs]
    return combine(items, pair(s, d["k"]))

@container
def combine(items: list[list[str]], extra: list[str]) -> list[list[str]]:
    return [*items, extra]
'''


@pytest.fixture
def flow(tmp_path: Path) -> Any:
    path = tmp_path / f"inproc_argo_{next(_n)}.py"
    path.write_text(SOURCE, encoding="utf-8")
    api.load_app(str(path), Config())
    module = sys.modules[path.stem]
    yield module
    sys.modules.pop(module.__name__, None)


def test_bool_is_not_equal_to_an_int(flow: Any) -> None:
    assert flow.flagged({"flag": True}) == "other"
    assert flow.flagged({"flag": 1}) == "one"
    assert flow.flagged({"flag": 1.0}) == "one"  # int and float compare by value


def test_a_missing_key_is_none(flow: Any) -> None:
    assert flow.missing({}) == "absent"
    assert flow.missing({"k": 0}) == "present"


def test_membership_uses_expr_equality(flow: Any) -> None:
    assert flow.member({"v": True}) == "out"
    assert flow.member({"v": 2.0}) == "in"


def test_ordering_nil_against_a_number_fails_the_workflow(flow: Any) -> None:
    from athena import WorkflowFailed

    assert flow.ordered({"v": 0}) == "less"
    with pytest.raises(WorkflowFailed, match="invalid operation"):
        flow.ordered({"v": None})


def test_fields_cross_the_wire_as_argo_rewrites_them(flow: Any) -> None:
    got = flow.field({"inner": {"b": 2.0, "a": 1}})
    assert got == {"a": 1, "b": 2} and list(got) == ["a", "b"]


HOSTILE = "cost $$5 $(HOME) {{workflow.name}} {{inputs.parameters.x}}"


def test_values_with_dollars_and_tags_come_back_byte_exact(flow: Any) -> None:
    got = flow.hostile({"k": HOSTILE}, [HOSTILE, "$", "{{", "\x7f"])
    default = "cost $$5 $(HOME) {{workflow.name}}"
    assert got == [[HOSTILE, HOSTILE], ["$", HOSTILE], ["{{", HOSTILE], ["\x7f", HOSTILE], [default, HOSTILE]]
