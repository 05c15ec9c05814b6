"""A raw hook expression ({self} is the task), and a hook with arguments through a lambda."""

from athena import container, workflow


@container
def work(count: int) -> int:
    return count


@container
def heartbeat() -> None:
    print("still running")


@container
def record(event: str, count: int) -> None:
    print(event, count)


@workflow
def watched(count: int) -> None:
    work.options(hooks={"{self}.status == 'Running'": heartbeat})(count)
    work.options(on_exit=lambda: record("done", count))(count)
