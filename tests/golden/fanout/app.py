"""Fan-out over a binding (with fields of the loop variable), over an input and over a literal list."""

from dataclasses import dataclass

from athena import container, workflow


@dataclass
class Shard:
    name: str
    size: int


@container
def plan(prefix: str) -> list[Shard]:
    return [Shard(name=prefix, size=1)]


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
    counts = [process(p.name, p.size, region="eu") for p in parts]
    hellos = [greet(r) for r in regions]  # noqa: F841 (a fan-out is always bound)
    fixed = [greet(who) for who in ["ann", "bob"]]  # noqa: F841
    return total(counts)
