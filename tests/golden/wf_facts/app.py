"""Workflow facts as values: name and uid in a task, status and failures in the exit handler."""

from datetime import datetime

import athena
from athena import container, workflow


@container
def work(key: str, started: datetime) -> str:
    return key


@container
def report(status: str, failures: list[athena.wf.Failure], seconds: float) -> None:
    print(status, len(failures), seconds)


@container
def alarm() -> None:
    print("failed")


@workflow
def finished() -> None:
    report(athena.wf.status, athena.wf.failures, athena.wf.duration)
    if athena.wf.status != "Succeeded":
        alarm()


@workflow(on_exit_if_root=finished)
def facts() -> str:
    return work(f"{athena.wf.name}/parts/{athena.wf.uid}", athena.wf.scheduled_time)
