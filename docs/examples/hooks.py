# docs/examples/hooks.py
"""Per-task options: continue_on with Outcome, and lifecycle hooks."""

from athena import Outcome, container, workflow


@container
def fetch(url: str) -> str:
    return f"data-from:{url}"


@container
def transform(data: str, level: int) -> str:
    return data.upper() * level


@container
def summarize(result: Outcome[str]) -> str:
    if result.ok:
        return f"got {result.value}"
    return f"fetch ended {result.phase} with exit code {result.exit_code}"


@container
def tally(results: list[Outcome[str]]) -> int:
    return sum(1 for r in results if r.ok)


@container
def alarm() -> None:
    print("something failed")


@container
def page_oncall() -> None:
    print("paging")


@container
def cleanup() -> None:
    print("cleaning up")


@container
def record(event: str, url: str) -> None:
    print(event, url)


@container
def heartbeat() -> None:
    print("still running")


@workflow
def guarded(url: str, mirrors: list[str]) -> str:
    # continue_on: dependents run even when this task fails; the binding is an Outcome[str]
    maybe = fetch.options(continue_on=["failed", "error"])(url)
    summary = summarize(maybe)
    # on a fan-out: every element runs, and the binding is a list[Outcome[str]] aligned with `mirrors`
    tries = [fetch.options(continue_on=["failed"])(m) for m in mirrors]
    tally(tries)
    data = fetch(url)
    # on_failure takes one template or a list; on_exit runs however the task ends
    transform.options(on_failure=[alarm, page_oncall], on_exit=cleanup)(data, 1)
    # a lambda passes arguments to the hook template (literals, inputs, ancestors of the task)
    transform.options(on_success=lambda: record("transformed", url), on_error=alarm)(data, 2)
    # a raw Argo expression; {self} becomes tasks['<this task>']
    transform.options(hooks={"{self}.status == 'Running'": heartbeat})(data, 3)
    return summary
