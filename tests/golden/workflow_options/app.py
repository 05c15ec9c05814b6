"""Options of a workflow template: parallelism, node selector, retry, labels and annotations."""

from athena import Retry, container, workflow


@container
def work(count: int) -> int:
    return count


@workflow(parallelism=2, node_selector={"pool": "batch"}, retry=Retry(limit=1, policy="Always"),
          labels={"app": "trainer"}, annotations={"acme.io/owner": "ml"})
def batch(count: int) -> int:
    return work(count)
