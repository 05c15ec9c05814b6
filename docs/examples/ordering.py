# docs/examples/ordering.py
"""Ordering without data: handles and `after=`, `after_any=`, and a parallel group of a steps workflow."""

import athena
from athena import container, workflow


@container
def create_bucket(name: str) -> None:
    print(f"created {name}")


@container
def load(bucket: str) -> int:
    return len(bucket)


@container
def train(rows: int) -> str:
    return f"model-{rows}"


@container
def mirror(url: str) -> None:
    print(f"mirrored to {url}")


@container
def announce(text: str) -> None:
    print(text)


@workflow
def pipeline(bucket: str) -> str:
    ready = create_bucket(bucket)            # returns None: `ready` is a handle
    rows = load.options(after=[ready])(bucket)
    return train(rows)


@workflow
def publish(primary: str, backup: str) -> None:
    a = mirror.options(continue_on=["failed"])(primary)
    b = mirror.options(continue_on=["failed"])(backup)
    announce.options(after_any=[a, b])("a mirror is up")


@workflow(steps=True)
def staged(bucket: str) -> str:
    create_bucket(bucket)
    with athena.parallel():                  # one steps group: both run side by side
        rows = load(bucket)
        mirror(bucket)
    return train(rows)
