"""A container returning None has no outputs; parameters keep their defaults and enum values."""

import enum
from typing import Literal

from athena import container


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


@container
def record(text: str, mode: Mode = Mode.FAST, level: Literal["info", "warn"] = "info", count: int = 3) -> None:
    print(text, mode, level, count)
