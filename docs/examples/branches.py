# docs/examples/branches.py
"""Value-if, elif chains, statement if/elif/else and the condition forms."""

import enum

from athena import container, workflow


class Mode(enum.Enum):
    FAST = "fast"
    FULL = "full"


@container
def measure(path: str) -> int:
    return len(path)


@container
def is_weekend() -> bool:
    return False


@container
def small(count: int) -> str:
    return f"small {count}"


@container
def medium(count: int) -> str:
    return f"medium {count}"


@container
def large(count: int) -> str:
    return f"large {count}"


@container
def notify(text: str) -> None:
    print(text)


@container
def archive(path: str) -> None:
    print(f"archiving {path}")


@workflow
def triage(path: str, mode: Mode = Mode.FAST, owner: str | None = None, dry_run: bool = False) -> str:
    size = measure(path)
    # A value-if: exactly one arm runs and `label` is its result. Nested for elif chains.
    label = small(size) if size < 10 else medium(size) if size < 1000 else large(size)
    # A statement if/elif/else: at most one arm runs.
    if mode == Mode.FULL and not dry_run:
        archive(path)
    elif owner is not None and owner in ("ops", "data"):
        notify(label)
    elif is_weekend():  # a template call in a condition becomes its own task
        notify("weekend")
    else:
        pass
    return label
