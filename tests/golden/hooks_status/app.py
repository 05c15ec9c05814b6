"""Lifecycle hooks by status: on_exit, on_success, on_failure (a list) and on_error."""

from athena import container, workflow


@container
def work(count: int) -> int:
    return count


@container
def alarm() -> None:
    print("alarm")


@container
def page_oncall() -> None:
    print("paging")


@container
def cleanup() -> None:
    print("cleanup")


@workflow
def guarded(count: int) -> None:
    work.options(on_failure=[alarm, page_oncall], on_exit=cleanup)(count)
    work.options(on_success=cleanup, on_error=alarm)(count)
