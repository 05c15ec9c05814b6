# docs/examples/fanout.py
"""Fan-out: one task per element of a list, results gathered into a list."""

from dataclasses import dataclass

from athena import container, workflow


@dataclass
class Shard:
    name: str
    size: int


@container
def plan(prefix: str) -> list[Shard]:
    return [Shard(name=f"{prefix}-{i}", size=i * 10) for i in range(3)]


@container
def process(name: str, size: int, region: str) -> int:
    return size


@container
def greet(who: str) -> str:
    return f"hello {who}"


@container
def total(counts: list[int]) -> int:
    return sum(counts)


@workflow
def shards(prefix: str, regions: list[str]) -> int:
    parts = plan(prefix)
    # over a binding, using fields of the loop variable and a workflow input
    counts = [process(p.name, p.size, region="eu") for p in parts]
    # over a workflow input
    hellos = [greet(r) for r in regions]
    # over a literal list
    fixed = [greet(who) for who in ["ann", "bob"]]  # a fan-out is always bound
    return total(counts)
