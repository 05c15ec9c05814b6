"""A fan-out that goes on when some elements fail: one Outcome per element, in order."""

from athena import Outcome, container, workflow


@container
def flaky(x: int) -> int:
    return x


@container
def survivors(results: list[Outcome[int]]) -> int:
    return sum(1 for r in results if r.ok)


@workflow
def tolerant(values: list[int]) -> int:
    attempts = [flaky.options(continue_on=["failed"])(v) for v in values]
    return survivors(attempts)
