# docs/examples/volumes.py
"""Volumes, a shared per-run claim, a Hugging Face cache, a lock and a memoized step."""

from athena import (
    Cache,
    EmptyDir,
    ExistingClaim,
    HuggingFaceCache,
    SecretVolume,
    WorkflowClaim,
    container,
    workflow,
)

# Created by Argo once per run (on the root) and shared by every step that mounts it.
SCRATCH = WorkflowClaim("scratch", mount="/scratch", size="20Gi")


@container(volumes=[
    ExistingClaim("datasets", mount="/data", read_only=True),
    SecretVolume("api-tls", mount="/etc/tls"),
    SCRATCH,
])
def fetch(day: str) -> str:
    return f"/scratch/{day}.parquet"


@container(
    volumes=[HuggingFaceCache(claim="hf-models"), EmptyDir("work", mount="/work", size_limit="5Gi"), SCRATCH],
    mutex="gpu-node",  # at most one embed pod at a time, across every workflow of the namespace
    cache=Cache(max_age="1d"),  # same code and same inputs within a day: Argo reuses the result
)
def embed(path: str) -> int:
    return len(path)


@workflow
def nightly(day: str) -> int:
    return embed(fetch(day))
