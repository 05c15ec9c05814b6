"""A value-if with an elif chain: exactly one arm runs and the binding is its result."""

from athena import container, workflow


@container
def measure(path: str) -> int:
    return len(path)


@container
def small(count: int) -> str:
    return f"small {count}"


@container
def medium(count: int) -> str:
    return f"medium {count}"


@container
def large(count: int) -> str:
    return f"large {count}"


@workflow
def triage(path: str) -> str:
    size = measure(path)
    label = small(size) if size < 10 else medium(size) if size < 1000 else large(size)
    return label
