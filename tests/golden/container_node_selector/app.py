"""A container's node selector."""

from athena import container


@container(node_selector={"disktype": "ssd", "zone": "eu-1"})
def crunch(count: int) -> int:
    return count
