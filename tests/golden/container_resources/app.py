"""A container's resources: requests, limits, a GPU and ephemeral storage (Kubernetes quantities)."""

from athena import Resources, container


@container(resources=Resources(cpu="500m", memory="1Gi", cpu_limit=2, memory_limit="2Gi", gpu=1,
                               ephemeral_storage="10Gi"))
def train(epochs: int) -> int:
    return epochs
