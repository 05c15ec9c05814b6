# docs/examples/containers.py
"""Container signatures: annotated JSON boundary types, defaults, and async code inside a plain def."""

import asyncio
import datetime
import enum
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict

import msgspec

from athena import container, workflow


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Box:
    width: int
    height: int


class Labels(TypedDict):
    owner: str
    team: str


class Point(NamedTuple):
    x: float
    y: float


class Event(msgspec.Struct):
    kind: str
    at: datetime.datetime


@container(image="python:3.12-slim")
def paint(
    box: Box,
    color: Color = Color.RED,
    finish: Literal["matte", "gloss"] = "matte",
    labels: Labels | None = None,
    origin: Point = Point(0.0, 0.0),
    tags: frozenset[str] = frozenset(),  # a set travels as a sorted JSON list
) -> list[Event]:
    """Paint a box; the docstring is just a docstring."""
    return [Event(kind=f"{color.value}-{finish}", at=datetime.datetime(2024, 1, 1))]


async def _download(url: str) -> bytes:
    await asyncio.sleep(0)
    return url.encode()


@container
def download(url: str) -> int:
    # `async def` containers are rejected (ATH128): keep the container a plain def and run the
    # coroutine yourself.
    return len(asyncio.run(_download(url)))


@workflow
def workshop(url: str, box: Box) -> list[Event]:
    download(url)
    return paint(box, color=Color.BLUE, finish="gloss", labels={"owner": "ann", "team": "paint"})
