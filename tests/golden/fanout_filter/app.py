"""A filtered fan-out: a per-element `when`; the result holds the elements that ran."""

from dataclasses import dataclass

from athena import container, workflow


@dataclass
class Shard:
    name: str
    size: int


@container
def plan() -> list[Shard]:
    return [Shard("a", 0), Shard("b", 2)]


@container
def process(name: str) -> str:
    return name


@workflow
def nonempty(minimum: int) -> list[str]:
    shards = plan()
    return [process(s.name) for s in shards if s.size > minimum and s.name != "skip"]
