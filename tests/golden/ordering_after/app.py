"""Ordering without data: `h = setup()` is a handle; `after=[h]` waits for it (and for value tasks too)."""

from athena import container, workflow


@container
def create_bucket(name: str) -> None:
    print(f"bucket {name}")


@container
def seed(name: str) -> None:
    print(f"seed {name}")


@container
def load(name: str) -> int:
    return len(name)


@container
def train(rows: int) -> str:
    return f"model-{rows}"


@workflow
def ordered(name: str) -> str:
    bucket = create_bucket(name)
    seeded = seed.options(after=[bucket])(name)
    rows = load.options(after=[bucket, seeded])(name)
    return train(rows)
