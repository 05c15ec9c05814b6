"""A workflow returning a fan-out's results: an aggregate output with an empty-list default."""

from athena import container, workflow


@container
def double(x: int) -> int:
    return 2 * x


@workflow
def doubled(xs: list[int]) -> list[int]:
    return [double(x) for x in xs]
