"""Calling templates that live outside Python: a WorkflowTemplate and a ClusterWorkflowTemplate (templateRef)."""

import athena
from athena import container, workflow


@athena.external(template_ref="tools", template="notify")
def notify(channel: str, message: str = "done") -> str:
    """Posts a message; returns the message id."""
    ...


@athena.external(template_ref="cluster-tools", template="audit", cluster_scope=True)
def audit(event: str) -> None: ...


@container
def build(repo: str) -> str:
    return f"built {repo}"


@workflow
def release(repo: str) -> str:
    report = build(repo)
    audit(report)
    return notify("#releases", message=report)
