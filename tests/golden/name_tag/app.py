"""[project].name_tag: every template name and templateRef carries the tag."""

from athena import container, workflow


@container
def work(count: int) -> int:
    return count


@workflow
def tagged(count: int) -> int:
    return work(count)
