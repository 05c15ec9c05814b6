"""Record values: a literal record (JSON literal), a record built from values (one expression), a NamedTuple."""

from dataclasses import dataclass
from typing import NamedTuple

from athena import container, workflow


@dataclass
class Config:
    limit: int
    name: str = "all"


class Window(NamedTuple):
    start: int
    end: int


@container
def fetch(cfg: Config) -> int:
    return cfg.limit


@container
def span(w: Window) -> int:
    return w.end - w.start


@workflow
def records(n: int) -> int:
    first = fetch(Config(limit=3))
    cfg = Config(limit=n, name="part")
    second = fetch(cfg)
    return span(Window(first, end=second))
