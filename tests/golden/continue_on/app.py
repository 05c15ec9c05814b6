"""continue_on on one task: dependents run anyway and receive an Outcome."""

from athena import Outcome, container, workflow


@container
def fetch(url: str) -> str:
    return url


@container
def summarize(result: Outcome[str]) -> str:
    return "ok" if result.ok else "failed"


@workflow
def guarded(url: str) -> str:
    maybe = fetch.options(continue_on=["failed", "error"])(url)
    return summarize(maybe)
