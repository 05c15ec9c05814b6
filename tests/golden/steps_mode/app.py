"""steps=True: `steps:` groups instead of a `dag:`, outputs read through `steps.`."""

from athena import container, workflow


@container
def left(value: int) -> str:
    return f"left {value}"


@container
def report(text: str, count: int) -> str:
    return f"{text}:{count}"


@workflow(steps=True)
def in_steps(count: int) -> str:
    a = left(count)
    return report(a, count)
