"""volumes=[...]: an existing claim (twice, at two sub-paths), a workflow claim shared by two containers,
an emptyDir, ConfigMap and Secret volumes, and the Hugging Face cache preset."""

from athena import (
    ConfigMapVolume,
    EmptyDir,
    ExistingClaim,
    HuggingFaceCache,
    SecretVolume,
    WorkflowClaim,
    container,
    workflow,
)

SCRATCH = WorkflowClaim("scratch", mount="/scratch", size="10Gi", storage_class="fast")


@container(volumes=[
    ExistingClaim("datasets", mount="/data", read_only=True, sub_path="v1"),
    ExistingClaim("datasets", mount="/data-v2", sub_path="v2"),
    SCRATCH,
    EmptyDir("cache", mount="/cache", size_limit="2Gi", medium="Memory"),
    ConfigMapVolume("app-config", mount="/etc/app", items={"settings.toml": "settings.toml"}),
    SecretVolume("tls", mount="/etc/tls"),
    HuggingFaceCache(claim="hf-models"),
])
def prepare(count: int) -> int:
    return count


@container(volumes=[SCRATCH])
def train(count: int) -> int:
    return count


@workflow
def pipeline(count: int) -> int:
    return train(prepare(count))
