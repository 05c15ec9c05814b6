"""range(...) as a fan-out source: withSequence with a literal count, a value count, and a start."""

from athena import container, workflow


@container
def square(i: int) -> int:
    return i * i


@workflow
def squares(n: int) -> list[int]:
    fixed = [square(i) for i in range(3)]  # noqa: F841 (a fan-out is always bound)
    shifted = [square(i) for i in range(1, n)]  # noqa: F841
    return [square(i) for i in range(n)]
