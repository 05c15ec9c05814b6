"""A namespace (emit --namespace): on every template and on the Workflow."""

from athena import container, workflow


@container
def work(count: int) -> int:
    return count


@workflow
def placed(count: int = 1) -> int:
    return work(count)
