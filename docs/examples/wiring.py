# docs/examples/wiring.py
"""Inputs, literals, bindings, nested calls, fields, keyword arguments and the return value."""

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
    return Batch(source=source, rows=["a", "b"])


@container
def stats(rows: list[str], label: str = "rows") -> Stats:
    return Stats(count=len(rows), label=label)


@container
def describe(label: str, count: int, url: str) -> str:
    return f"{label}: {count} from {url}"


@container
def today() -> str:
    return "2024-01-01"


@container
def stamp(text: str, day: str) -> str:
    return f"{day} {text}"


@workflow
def report(source: Source, label: str = "orders") -> str:
    """Load a batch and describe it."""
    batch = load(source)  # a workflow input
    s = stats(batch.rows, label=label)  # a field by attribute, a keyword argument
    text = describe(s["label"], s["count"], url=batch.source.url)  # TypedDict keys, nested fields
    return stamp(text, today())  # a nested call becomes its own task
