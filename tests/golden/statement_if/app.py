"""A statement if/elif/else and the condition forms: comparisons, not, is None, in, a called condition."""

import enum

from athena import container, workflow


class Mode(enum.Enum):
    FAST = "fast"
    FULL = "full"


@container
def is_weekend() -> bool:
    return False


@container
def notify(text: str) -> None:
    print(text)


@container
def archive(path: str) -> None:
    print(path)


@workflow
def triage(path: str, mode: Mode = Mode.FAST, owner: str | None = None, dry_run: bool = False) -> None:
    if mode == Mode.FULL and not dry_run:
        archive(path)
    elif owner is not None and owner in ("ops", "data"):
        notify(path)
    elif is_weekend():
        notify("weekend")
    else:
        notify("other")
