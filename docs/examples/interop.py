# docs/examples/interop.py
"""Beside existing Argo: an external template, a sidecar, a pause and an approval."""

import athena
from athena import Sidecar, container, workflow


@athena.external(template_ref="tools", template="notify")
def notify(channel: str, text: str) -> None:
    """Lives in the WorkflowTemplate `tools`; receives JSON texts ('"#ops"'), returns nothing."""
    ...


@container(sidecars=[Sidecar("db", image="postgres:16", env={"POSTGRES_HOST_AUTH_METHOD": "trust"},
                             ports=[5432], readiness={"tcpSocket": {"port": 5432}})])
def migrate(version: str) -> str:
    # the sidecar is on localhost:5432; it may still be starting, so a real step retries its first connect
    return f"migrated to {version}"


@container
def deploy(report: str) -> None:
    print("deploying after", report)


@workflow
def release(version: str) -> None:
    report = migrate(version)
    athena.suspend("10m")  # let the migration settle; every task after this line waits
    ok: bool = athena.approval("deploy to production?", default=False)
    if ok:
        deploy(report)
    notify("#releases", report)
