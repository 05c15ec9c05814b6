"""Status dependencies: `after_any=[a, b]` runs when any of them Succeeded; the DAG is written with `depends`
(continue_on moves into the dependents' `depends`, since Argo forbids continueOn next to depends)."""

from athena import Outcome, container, workflow


@container
def mirror(url: str) -> None:
    print(f"mirror {url}")


@container
def announce(text: str) -> None:
    print(text)


@container
def report(primary: Outcome[None]) -> None:
    print("primary ok" if primary.ok else "primary failed")


@workflow
def mirrored(primary: str, backup: str) -> None:
    a = mirror.options(continue_on=["failed"])(primary)
    b = mirror.options(continue_on=["failed", "error"])(backup)
    announce.options(after_any=[a, b])("a mirror is up")
    report(a)
