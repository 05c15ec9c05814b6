"""Pausing a workflow (suspend with a duration, and until resumed) and asking a person (approval)."""

import athena
from athena import container, workflow


@container
def build() -> str:
    return "image:1"


@container
def deploy(image: str) -> None:
    print(image)


@container
def notify(text: str) -> None:
    print(text)


@workflow
def release() -> None:
    image = build()
    athena.suspend("1h")
    ok: bool = athena.approval("deploy to production?", default=False)
    if ok:
        deploy(image)
    else:
        notify("deploy skipped")
    athena.suspend()
    notify("done")
