"""The Kubernetes API as ``athena submit``, ``get`` and ``logs`` use it, through lightkube.

One job: read, create and replace Argo's resources (WorkflowTemplate, CronWorkflow, Workflow) and read pod
logs, as plain dicts. Configuration is lightkube's: ``$KUBECONFIG`` / ``~/.kube/config`` (current context,
client certificates, tokens, exec credential plugins), else the in-cluster service account. Transient
failures (connection refused, timeouts, 429, 5xx) are retried with exponential backoff; every other failure
becomes a :class:`KubeError` whose message says what was refused and what to do (401/403/404/409/422).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from athena.errors import AthenaError

__all__ = ["ARGO_KINDS", "Kube", "KubeError", "connect"]

GROUP, VERSION = "argoproj.io", "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
#: kind -> plural of the Argo resources athena writes and reads.
ARGO_KINDS = {"WorkflowTemplate": "workflowtemplates", "CronWorkflow": "cronworkflows", "Workflow": "workflows"}
FIELD_MANAGER = "athena"

# Retried: the server did not process the request, or asks to come back (429 also covers "storage is
# (re)initializing" right after CRDs are installed).
_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")


class KubeError(AthenaError):
    """A Kubernetes API request failed; ``status`` is the HTTP status (None when the server was not reached)."""

    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def _resource(kind: str) -> Any:
    from lightkube.generic_resource import create_namespaced_resource

    return create_namespaced_resource(GROUP, VERSION, kind, ARGO_KINDS[kind])


def connect(namespace: str | None = None, *, kubeconfig: str | None = None, context: str | None = None,
            retries: int = 4, backoff: float = 0.5) -> Kube:
    """A :class:`Kube` for the current context of the kubeconfig (``kubeconfig`` or ``$KUBECONFIG`` or
    ``~/.kube/config``), else the in-cluster service account; ``namespace`` defaults to the context's."""
    from lightkube import Client, ConfigError, KubeConfig

    try:
        if kubeconfig is not None:
            config = KubeConfig.from_file(kubeconfig)
            single = config.get(context_name=context)
        else:
            config = KubeConfig.from_env()
            single = config.get(context_name=context)
    except ConfigError as exc:
        raise KubeError(f"no usable Kubernetes configuration ({exc}): set KUBECONFIG to a kubeconfig file, "
                        "or run inside a pod with a service account") from None
    except (OSError, ValueError) as exc:
        raise KubeError(f"cannot read the Kubernetes configuration: {exc}") from None
    if single is None:
        raise KubeError("the Kubernetes configuration has no current context: set one (kubectl config use-context)")
    client = Client(config=single, namespace=namespace, field_manager=FIELD_MANAGER, trust_env=False)
    return Kube(client=client, server=str(single.cluster.server), context=single.context_name,
                retries=retries, backoff=backoff)


@dataclass
class Kube:
    """A connected client; every method returns plain dicts and raises only :class:`KubeError`."""

    client: Any
    server: str
    context: str = ""
    validates_references: bool = False  # the API server has no Argo webhook: templateRefs are checked at run time
    retries: int = 4
    backoff: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def namespace(self) -> str:
        """The namespace of the kubeconfig context (``default`` when it names none)."""
        return str(self.client.namespace or "default")

    # ------------------------------------------------------------------------------------------ Argo objects

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        """The live object, or None when there is none."""
        res = _resource(kind)
        try:
            obj = self._call(lambda: self.client.get(res, name, namespace=namespace), "get", kind, name, namespace,
                             idempotent=True, missing_ok=True)
        except _Missing:
            return None
        return _as_dict(obj)

    def create(self, doc: dict[str, Any], namespace: str, *, dry_run: bool = False) -> dict[str, Any]:
        res = _resource(doc["kind"])
        obj = res.from_dict(doc)
        name = doc["metadata"].get("name") or doc["metadata"].get("generateName", "") + "…"
        return _as_dict(self._call(lambda: self.client.create(obj, namespace=namespace, dry_run=dry_run),
                                   "create", doc["kind"], name, namespace, idempotent=dry_run))

    def replace(self, doc: dict[str, Any], namespace: str, *, dry_run: bool = False) -> dict[str, Any]:
        """PUT ``doc``; with ``metadata.resourceVersion`` set, a concurrent change is a 409 (KubeError)."""
        res = _resource(doc["kind"])
        obj = res.from_dict(doc)
        return _as_dict(self._call(lambda: self.client.replace(obj, namespace=namespace, dry_run=dry_run),
                                   "update", doc["kind"], doc["metadata"]["name"], namespace, idempotent=dry_run))

    def running_workflows(self, namespace: str) -> list[dict[str, Any]]:
        res = _resource("Workflow")
        items = self._call(lambda: list(self.client.list(res, namespace=namespace,
                                                         labels={"workflows.argoproj.io/phase": "Running"})),
                           "list", "Workflow", "(running)", namespace, idempotent=True)
        return [_as_dict(i) for i in items]

    def template_referencing(self, namespace: str) -> str | None:
        """From ``workflow-controller-configmap`` in Argo's usual namespace (``argo``) or, for a namespaced
        install, in ``namespace``; None when neither can be read (absent, or no RBAC to read it)."""
        from lightkube.resources.core_v1 import ConfigMap

        for ns in dict.fromkeys(("argo", namespace)):
            def read(ns: str = ns) -> Any:
                return self.client.get(ConfigMap, "workflow-controller-configmap", namespace=ns)

            try:
                cm = self._call(read, "get", "ConfigMap", "workflow-controller-configmap", ns, idempotent=True,
                                missing_ok=True)
            except (_Missing, KubeError):
                continue
            mode = _referencing(_as_dict(cm).get("data") or {})
            if mode is not None:
                return mode
        return None

    # ------------------------------------------------------------------------------------------ pods

    def pods(self, namespace: str, labels: dict[str, str]) -> list[dict[str, Any]]:
        from lightkube.resources.core_v1 import Pod

        items = self._call(lambda: list(self.client.list(Pod, namespace=namespace, labels=labels)), "list",
                           "Pod", ",".join(f"{k}={v}" for k, v in labels.items()), namespace, idempotent=True)
        return [_as_dict(p) for p in items]

    def log(self, pod: str, namespace: str, container: str = "main") -> Iterator[str]:
        def lines() -> list[str]:
            return list(self.client.log(pod, namespace=namespace, container=container))

        yield from self._call(lines, "read the log of", "Pod", pod, namespace, idempotent=True)

    def pod_logs(self, workflow: str, namespace: str) -> Iterator[tuple[str, list[str]]]:
        for pod in self._workflow_pods(workflow, namespace):
            name = pod["metadata"]["name"]
            yield name, [line.rstrip("\n") for line in self.log(name, namespace)]

    def follow_logs(self, workflow: str, namespace: str, on_line: Callable[[str, str], None],
                    stop: threading.Event, interval: float = 1.0) -> None:
        """One thread per pod, each following its ``main`` container's log from the moment it starts; new pods
        are found by listing the Workflow's pods every ``interval`` seconds until ``stop`` is set."""
        followed: dict[str, threading.Thread] = {}
        while not stop.is_set():
            try:
                pods = self._workflow_pods(workflow, namespace)
            except KubeError:
                pods = []  # a blip while listing: the next round sees them
            for pod in pods:
                name = pod["metadata"]["name"]
                if name not in followed and _main_started(pod):
                    t = threading.Thread(target=self._follow_pod, args=(name, namespace, on_line, stop),
                                         name=f"athena-log-{name}", daemon=True)
                    followed[name] = t
                    t.start()
            stop.wait(interval)
        for t in followed.values():
            t.join(timeout=5)

    def _follow_pod(self, pod: str, namespace: str, on_line: Callable[[str, str], None],
                    stop: threading.Event) -> None:
        import httpx2
        from lightkube import ApiError

        try:
            # Not stopped by `stop`: the stream ends with the container, so the last lines still arrive.
            for line in self.client.log(pod, namespace=namespace, container="main", follow=True):
                on_line(pod, line.rstrip("\n"))
        except (ApiError, httpx2.HTTPError, httpx2.StreamError, OSError):
            return  # the pod went away or the connection dropped: `athena logs` reads what is left

    def _workflow_pods(self, workflow: str, namespace: str) -> list[dict[str, Any]]:
        pods = self.pods(namespace, {"workflows.argoproj.io/workflow": workflow})
        pods.sort(key=lambda p: ((p.get("metadata") or {}).get("creationTimestamp") or "",
                                 (p.get("metadata") or {}).get("name", "")))
        return pods

    # ------------------------------------------------------------------------------------------ errors

    def _call(self, fn: Callable[[], T], verb: str, kind: str, name: str, namespace: str, *,
              idempotent: bool, missing_ok: bool = False) -> T:
        import httpx2
        from lightkube import ApiError

        delay = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                return fn()
            except ApiError as exc:
                code = int(exc.status.code or exc.response.status_code)
                if code == 404 and missing_ok:
                    raise _Missing from None
                if code in _TRANSIENT_STATUS and (idempotent or code in (429, 503)) and not last:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise self._api_error(code, str(exc.status.message or exc), verb, kind, name, namespace) from None
            except httpx2.TransportError as exc:
                # A refused connection never reached the server: safe to retry even a create.
                if (idempotent or isinstance(exc, httpx2.ConnectError)) and not last:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise KubeError(f"cannot reach the Kubernetes API server at {self.server} "
                                f"({type(exc).__name__}: {exc}) after {attempt + 1} attempt(s); check that the "
                                f"cluster is up and that the kubeconfig context `{self.context}` points at it",
                                detail=str(exc)) from None
        raise AssertionError("unreachable")

    def _api_error(self, code: int, message: str, verb: str, kind: str, name: str, namespace: str) -> KubeError:
        what = f"{kind} {name} in namespace {namespace}"
        if code == 401:
            text = (f"the API server at {self.server} did not accept the credentials of context `{self.context}` "
                    f"(401 Unauthorized: {message}); the token or certificate is missing or expired: log in "
                    "again or refresh the kubeconfig")
        elif code == 403:
            text = (f"not allowed to {verb} {what} (403 Forbidden: {message}); ask for RBAC permission to {verb} "
                    f"{ARGO_KINDS.get(kind, kind.lower() + 's')} there, or pick another namespace with -n")
        elif code == 404 and "could not find the requested resource" in message and kind in ARGO_KINDS:
            text = (f"the cluster at {self.server} has no {kind} resource type (404): Argo Workflows' CRDs are "
                    "not installed there; install Argo, or point KUBECONFIG at a cluster that has it")
        elif code == 404:
            text = (f"cannot {verb} {what} (404 Not Found: {message}); check the name and the namespace "
                    "(-n, or the kubeconfig context's)")
        elif code == 409:
            text = (f"{what} was changed by someone else while athena was writing it (409 Conflict: {message}); "
                    "nothing was overwritten: run the command again to see the new difference")
        elif code == 422:
            text = (f"the API server rejected {what} (422 Invalid: {message}); the emitted document does not "
                    "fit this cluster's Argo CRDs: check that [defaults].argo_version matches the cluster's Argo")
        else:
            text = f"cannot {verb} {what}: {code} {message}"
        return KubeError(text, status=code, detail=message)


class _Missing(Exception):
    """A 404 that the caller asked to receive as None."""


def _main_started(pod: dict[str, Any]) -> bool:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == "main":
            state = status.get("state") or {}
            return "running" in state or "terminated" in state
    return False


def _referencing(data: dict[str, Any]) -> str | None:
    """``templateReferencing`` from the configmap's data: either the key ``workflowRestrictions`` (one key per
    field, the usual form) or the whole configuration under ``config`` (the older form)."""
    import yaml

    for key, path in (("workflowRestrictions", ("templateReferencing",)),
                      ("config", ("workflowRestrictions", "templateReferencing"))):
        text = data.get(key)
        if not isinstance(text, str):
            continue
        try:
            node: Any = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            return node
    return None


def _as_dict(obj: Any) -> dict[str, Any]:
    import json

    # lightkube's objects hold lazily decoded mappings; plain JSON types from here on (YAML, hashing, diffs).
    data = json.loads(json.dumps(obj if isinstance(obj, dict) else obj.to_dict()))
    if not isinstance(data, dict):
        raise TypeError(f"expected an object, got {type(data).__name__}")
    return data
