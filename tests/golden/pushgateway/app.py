"""Pod-side metrics: with [metrics].pushgateway configured, every step pushes its duration and outcome."""

from athena import container, workflow


@container
def square(x: int) -> int:
    return x * x


@workflow
def squares(xs: list[int]) -> list[int]:
    return [square(x) for x in xs]
