"""A container's pod labels and annotations."""

from athena import container


@container(labels={"team": "data"}, annotations={"acme.io/owner": "ops"})
def tagged(count: int) -> int:
    return count
