# docs/examples/in_process.py
"""Calling a @workflow runs it in this process: a unit test of the whole DAG, without a cluster."""

import pytest

from athena import AthenaError, Outcome, container, workflow


@container
def parse(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


@container
def total(values: list[int]) -> int:
    return sum(values)


@container
def describe(values: Outcome[list[int]]) -> str:
    if values.value is not None:
        return f"total {sum(values.value)}"
    return f"parse ended {values.phase} with exit code {values.exit_code}"


@workflow
def add_up(text: str) -> int:
    values = parse(text)
    return total(values)


@workflow
def add_up_or_explain(text: str) -> str:
    values = parse.options(continue_on=["failed"])(text)
    return describe(values)


def test_add_up() -> None:
    assert add_up("1,2,3") == 6  # parse, then total, each through the pod's JSON codec
    assert parse("4,5") == [4, 5]  # a container called directly is a plain function call
    assert add_up_or_explain("1,x") == "parse ended Failed with exit code 1"
    with pytest.raises(AthenaError, match="task `values`"):  # a WorkflowFailed naming the task
        add_up("1,x")
