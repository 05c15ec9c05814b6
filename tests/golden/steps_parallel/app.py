"""steps=True with `with athena.parallel():`: the calls of the block form one inner list of `steps`."""

import athena
from athena import container, workflow


@container
def prepare() -> None:
    print("prepare")


@container
def left(value: int) -> str:
    return f"left {value}"


@container
def right(value: int) -> str:
    return f"right {value}"


@container
def report(a: str, b: str) -> str:
    return f"{a}+{b}"


@workflow(steps=True)
def fan_in(count: int) -> str:
    prepare()
    with athena.parallel():
        a = left(count)
        b = right(count)
    return report(a, b)
