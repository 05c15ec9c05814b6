"""Issue 13 in-process: `after=`, `after_any=`, parallel steps groups and guarded recursion run as on Argo."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest

from athena import api
from athena.errors import WorkflowFailed

_n = itertools.count()

FLOW = '''
from __future__ import annotations
import athena
from athena import container, workflow

CALLS: list[str] = []

@container
def step(name: str) -> None:
    CALLS.append(name)

@container
def flaky(name: str, ok: bool) -> None:
    CALLS.append(name)
    if not ok:
        raise RuntimeError(f"{name} failed")

@container
def value(k: int) -> int:
    CALLS.append(f"value {k}")
    return k

@container
def dec(n: int) -> int:
    CALLS.append(f"dec {n}")
    return n - 1

@workflow
def ordered() -> int:
    h = step("setup")
    g = step.options(after=[h])("seed")
    return value.options(after=[h, g])(3)

@workflow
def any_of(a_ok: bool, b_ok: bool) -> None:
    a = flaky.options(continue_on=["failed"])("a", a_ok)
    b = flaky.options(continue_on=["failed"])("b", b_ok)
    c = step.options(after_any=[a, b])("announce")
    step.options(after=[c])("after announce")

@workflow
def arm_waits(go: bool) -> None:
    h = step("setup")
    if go:
        step.options(after=[h])("in arm")

@workflow(steps=True)
def grouped() -> int:
    step("first")
    with athena.parallel():
        a = value(1)
        b = value(2)
    return value(b)

@workflow
def countdown(n: int) -> None:
    if n > 0:
        countdown(dec(n))
    else:
        step("liftoff")

@workflow
def ping(n: int) -> None:
    if n > 0:
        pong(dec(n))

@workflow
def pong(n: int) -> None:
    ping(n)

@workflow
def forever(n: int) -> None:
    if n >= 0:
        forever(value(n))
'''


@pytest.fixture
def flow(tmp_path: Path) -> Any:
    path = tmp_path / f"ordering_{next(_n)}.py"
    path.write_text(FLOW, encoding="utf-8")
    from athena.config import Config

    api.load_app(str(path), Config())
    module = sys.modules[path.stem]
    yield module
    sys.modules.pop(path.stem, None)


def test_after_runs_handles_first(flow: Any) -> None:
    assert flow.ordered() == 3
    assert flow.CALLS == ["setup", "seed", "value 3"]


@pytest.mark.parametrize(("a_ok", "b_ok"), [(True, False), (False, True), (True, True)])
def test_after_any_runs_when_any_succeeded(flow: Any, a_ok: bool, b_ok: bool) -> None:
    flow.any_of(a_ok, b_ok)
    assert flow.CALLS == ["a", "b", "announce", "after announce"]


def test_after_any_with_none_succeeded_omits_and_fails(flow: Any) -> None:
    with pytest.raises(WorkflowFailed, match=r"none of after_any=\[a, b\] succeeded") as info:
        flow.any_of(False, False)
    assert flow.CALLS == ["a", "b"]  # `announce` and the task after it are omitted (Argo's cascade)
    assert info.value.task == "c"  # the task whose after_any= failed, not the last of the cascade


def test_after_inside_an_arm_orders_the_wrapper(flow: Any) -> None:
    flow.arm_waits(True)
    assert flow.CALLS == ["setup", "in arm"]
    program = api.compile_templates([flow.arm_waits])
    root = program.templates[program.roots[0]]
    wrapper = next(t for t in root.tasks if t.name == "if")
    assert wrapper.deps == ("h",)


def test_parallel_group_runs(flow: Any) -> None:
    assert flow.grouped() == 2
    assert flow.CALLS == ["first", "value 1", "value 2", "value 2"]


def test_guarded_recursion_runs_until_the_condition_fails(flow: Any) -> None:
    flow.countdown(3)
    assert flow.CALLS == ["dec 3", "dec 2", "dec 1", "liftoff"]


def test_mutual_recursion_inside_an_if(flow: Any) -> None:
    flow.ping(2)
    assert flow.CALLS == ["dec 2", "dec 1"]


def test_endless_recursion_stops_at_argos_depth_with_a_clear_error(flow: Any) -> None:
    with pytest.raises(WorkflowFailed, match="more than 100 nested templates") as info:
        flow.forever(1)
    assert "eventually stops holding" in str(info.value)
