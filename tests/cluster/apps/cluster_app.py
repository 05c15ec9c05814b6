"""Small workflows for tests/cluster: one Argo behaviour each, with outputs the tests can check."""

from __future__ import annotations

import time

import athena
from athena import Outcome, Retry, container, workflow

MARKER = "retry-marker/{workflow_uid}/seen"


@container
def square(x: int) -> int:
    if x == 3:
        raise ValueError("three always fails")
    return x * x


@container
def survivors(results: list[Outcome[int]]) -> list[int]:
    return [r.value for r in results if r.ok and r.value is not None]


@workflow
def fan_out(xs: list[int]) -> list[int]:
    """A fan-out whose failing element is tolerated (continue_on) and collected as an Outcome."""
    outcomes = [square.options(continue_on=["failed"])(x) for x in xs]
    return survivors(outcomes)


@container
def record(what: str, value: int) -> str:
    return f"{what} {value}"


@workflow
def branches(n: int) -> None:
    """if/elif/else: one arm runs, the others are Skipped."""
    if n > 10:
        record("big", n)
    elif n > 5:
        record("medium", n)
    else:
        record("small", n)


@container
def echo(text: str) -> str:
    return text


@container
def length(text: str) -> int:
    return len(text)


@workflow
def values(text: str) -> int:
    """A value travels through a parameter, a step and back, unchanged."""
    return length(echo(text))


@workflow
def measured(text: str) -> int:
    return length(text)


@container
def cleanup() -> str:
    return "cleaned"


@container
def heartbeat() -> str:
    return "beat"


@container
def slow_ok(seconds: int) -> str:
    time.sleep(seconds)
    return "done"


@workflow
def hooked(seconds: int) -> str:
    """An exit hook and an expression hook on one task."""
    return slow_ok.options(on_exit=cleanup, hooks={"{self}.status == 'Running'": heartbeat})(seconds)


@container(retry=Retry(limit=2, backoff="1s"))
def second_time() -> str:
    """Fails on the first attempt, succeeds on the second: the marker is an artifact port in S3."""
    if athena.load_artifact(MARKER, optional=True) is None:
        athena.save_artifact(MARKER, "seen")
        raise RuntimeError("first attempt fails on purpose")
    return "second attempt"


@workflow
def retried() -> str:
    return second_time()


@container(timeout="5s")
def too_slow() -> str:
    time.sleep(120)
    return "never"


@workflow
def timed_out() -> str:
    return too_slow()


@container
def machine() -> str:
    import platform

    return platform.machine()


@workflow
def which_machine() -> str:
    return machine()
