"""f-strings over values: str, int and bool values become one string expression; literals fold at compile time."""

from athena import container, workflow

PREFIX = "runs"


@container
def count() -> int:
    return 7


@container
def store(key: str) -> str:
    return key


@workflow
def keys(run_id: str, dry: bool) -> str:
    n = count()
    store(f"{PREFIX}/{3:03d}")
    return store(f"{run_id}/part-{n}?dry={dry}")
