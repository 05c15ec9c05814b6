"""The smallest template: one container, no workflow."""

from athena import container


@container
def greet(name: str) -> str:
    return f"hello {name}"
