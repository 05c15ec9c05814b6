"""Fields of bindings and inputs: dataclass attributes, nested fields and TypedDict keys."""

from dataclasses import dataclass
from typing import TypedDict

from athena import container, workflow


@dataclass
class Source:
    url: str
    retries: int


@dataclass
class Batch:
    source: Source
    rows: list[str]


class Stats(TypedDict):
    count: int
    label: str


@container
def load(source: Source) -> Batch:
    return Batch(source=source, rows=["a"])


@container
def stats(rows: list[str]) -> Stats:
    return Stats(count=len(rows), label="rows")


@container
def describe(label: str, count: int, url: str, retries: int) -> str:
    return f"{label} {count} {url} {retries}"


@workflow
def report(source: Source) -> str:
    batch = load(source)
    s = stats(batch.rows)
    return describe(s["label"], s["count"], url=batch.source.url, retries=source.retries)
