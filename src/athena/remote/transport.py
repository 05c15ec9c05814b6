"""What ``athena submit``, ``get`` and ``logs`` need from a cluster, and the choice between the two ways to reach
one: the Kubernetes API (:mod:`athena.remote.kube`) or the Argo Server's REST API (:mod:`athena.remote.argo_server`).

Both speak plain dicts (the objects as the API returns them) and raise only
:class:`~athena.remote.kube.KubeError`, so the drift check, the submit sequence and the watcher are written once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ArgoServerSettings", "Transport", "argo_server_settings", "connect"]


class Transport(Protocol):
    #: Where requests go, for messages.
    server: str
    #: True when the server checks every ``templateRef`` on create/update and dry run (the Argo Server does; the
    #: Kubernetes API does not), so a caller cannot be dry-run before its new callee exists.
    validates_references: bool

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None: ...

    def create(self, doc: dict[str, Any], namespace: str, *, dry_run: bool = False) -> dict[str, Any]: ...

    def replace(self, doc: dict[str, Any], namespace: str, *, dry_run: bool = False) -> dict[str, Any]: ...

    def running_workflows(self, namespace: str) -> list[dict[str, Any]]:
        """The Workflows in ``namespace`` whose phase is Running."""
        ...

    def template_referencing(self, namespace: str) -> str | None:
        """The controller's ``workflowRestrictions.templateReferencing`` (``Strict``/``Secure``) when it can be
        read, else None."""
        ...

    def pod_logs(self, workflow: str, namespace: str) -> Iterator[tuple[str, list[str]]]:
        """(pod, lines of its ``main`` container) for each pod of the Workflow, oldest first."""
        ...

    def follow_logs(self, workflow: str, namespace: str, on_line: Callable[[str, str], None],
                    stop: threading.Event) -> None:
        """Call ``on_line(pod, line)`` for each line the Workflow's ``main`` containers print, as they print it,
        until the Workflow is done or ``stop`` is set. Blocks: run it in a thread."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ArgoServerSettings:
    """Where the Argo Server is and how to authenticate, from flags and Argo's own environment variables."""

    url: str
    token: str | None
    insecure: bool


def argo_server_settings(flag: str | None, insecure_flag: bool,
                         env: Mapping[str, str] = os.environ) -> ArgoServerSettings | None:
    """The Argo Server to use, or None for the Kubernetes API.

    ``--argo-server`` wins over ``$ARGO_SERVER``. Both take Argo's CLI forms: ``host:port`` (HTTPS unless
    ``$ARGO_SECURE=false``, as the ``argo`` command does) or a full ``http(s)://`` URL; ``$ARGO_BASE_HREF`` is
    the path prefix when the server is behind one. ``$ARGO_TOKEN`` is sent as the Authorization header (a bare
    token gets ``Bearer`` in front). ``--insecure-skip-tls-verify`` or ``$ARGO_INSECURE_SKIP_VERIFY=true`` accepts
    a certificate that does not verify (the server's self-signed default).
    """
    where = flag or env.get("ARGO_SERVER")
    if not where:
        return None
    if "://" not in where:
        secure = env.get("ARGO_SECURE", "true").lower() not in ("false", "0", "no")
        where = ("https://" if secure else "http://") + where
    base = env.get("ARGO_BASE_HREF", "").strip("/")
    url = where.rstrip("/") + (f"/{base}" if base else "")
    token = env.get("ARGO_TOKEN") or None
    if token and " " not in token.strip():
        token = f"Bearer {token.strip()}"
    insecure = insecure_flag or env.get("ARGO_INSECURE_SKIP_VERIFY", "").lower() in ("true", "1", "yes")
    return ArgoServerSettings(url, token, insecure)


def connect(namespace: str | None, *, argo_server: ArgoServerSettings | None = None) -> Transport:
    """The Argo Server when one is configured, else the Kubernetes API of the kubeconfig's current context."""
    if argo_server is not None:
        from athena.remote.argo_server import ArgoServer

        return ArgoServer.connect(argo_server.url, token=argo_server.token, insecure=argo_server.insecure)
    from athena.remote.kube import connect as kube_connect

    return kube_connect(namespace)
