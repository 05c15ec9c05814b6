"""mutex= and semaphore= on a container and on a workflow: synchronization.mutexes / semaphores (list forms)."""

from athena import SemaphoreRef, container, workflow


@container(mutex="gpu-node", semaphore=SemaphoreRef(config_map="sync", key="trainers"))
def train(count: int) -> int:
    return count


@workflow(mutex="nightly", semaphore=SemaphoreRef(config_map="sync", key="workflow"))
def pipeline(count: int) -> int:
    return train(count)
