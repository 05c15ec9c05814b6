"""Scheduling: tolerations, affinity, a priority class and a podSpecPatch; on a workflow, its DAG and root spec."""

from athena import Toleration, container, workflow

GPU_NODES = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "gpu", "operator": "In", "values": ["a100"]}]}]}}}


@container(
    tolerations=[Toleration(key="gpu", value="true", effect="NoSchedule"),
                 Toleration(key="node.kubernetes.io/unreachable", operator="Exists", effect="NoExecute", seconds=60)],
    affinity=GPU_NODES,
    priority_class="high-priority",
    pod_spec_patch={"terminationGracePeriodSeconds": 120},
)
def train(epochs: int) -> int:
    return epochs


@workflow(tolerations=[Toleration(operator="Exists")], affinity=GPU_NODES)
def pipeline(epochs: int) -> int:
    return train(epochs)
