"""--with-workflow: a Workflow document per root workflow, after the templates."""

from athena import container, workflow


@container
def work(count: int) -> int:
    return count


@workflow
def submitted(count: int = 1) -> int:
    return work(count)
