# docs/examples/computed.py
"""Values built in the body: records, f-strings, range fan-outs, filters and workflow facts."""

from dataclasses import dataclass
from datetime import datetime

import athena
from athena import container, workflow


@dataclass
class Query:
    limit: int
    prefix: str = "parts"


@container
def fetch(q: Query) -> list[int]:
    return list(range(q.limit))


@container
def store(key: str, value: int) -> str:
    return key


@container
def render(i: int, started: datetime) -> int:
    return i


@container
def notify(status: str, failures: list[athena.wf.Failure]) -> None:
    print(status, [f["displayName"] for f in failures])


@workflow
def on_done() -> None:
    notify(athena.wf.status, athena.wf.failures)  # only in the exit handler


@workflow(on_exit_if_root=on_done)
def report(run_id: str, n: int) -> list[str]:
    sizes = fetch(Query(limit=n))  # a record value; Query(limit=3) would be a JSON literal
    frames = [render(i, athena.wf.scheduled_time) for i in range(n)]  # withSequence
    return [store(f"{athena.wf.name}/{run_id}/part-{s}", s) for s in sizes if s > 0]  # per-element when
