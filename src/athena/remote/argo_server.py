"""The Argo Server's REST API (``argo server``, port 2746) as ``athena submit``, ``get`` and ``logs`` use it.

One job: the :class:`~athena.remote.transport.Transport` operations over Argo's HTTP/JSON gateway, with httpx2
(the HTTP client lightkube already brings). The paths and bodies are those of Argo's OpenAPI spec
(``api/openapi-spec/swagger.json``): ``/api/v1/workflow-templates/{ns}[/{name}|/lint]``,
``/api/v1/cron-workflows/...``, ``/api/v1/workflows/{ns}[/{name}[/log]]``, each object wrapped in its request
message (``{"namespace", "template"}``, ``{"namespace", "cronWorkflow"}``, ``{"namespace", "workflow"}``).

Two facts of the server shape what this does (read in ``server/workflowtemplate/workflow_template_server.go``):
its create ignores ``createOptions`` (no server-side dry run of a template), and it validates every template,
``templateRef`` included, on create, update and lint. So the dry run here is the server's *lint*: the same
validation and the same labels as a create, nothing written; and a caller cannot be checked before its new
callee exists (:attr:`ArgoServer.validates_references`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

from athena.remote.kube import API_VERSION, KubeError

__all__ = ["ArgoServer"]

#: kind -> (path segment, field of the request message that holds the object)
_ROUTES = {"WorkflowTemplate": ("workflow-templates", "template"), "CronWorkflow": ("cron-workflows", "cronWorkflow"),
           "Workflow": ("workflows", "workflow")}
_TRANSIENT = frozenset({429, 502, 503, 504})
#: seconds to wait for the server's template cache to show a write (see ArgoServer._await_visible)
_VISIBLE_WITHIN = 10.0
#: a templateRef or workflowTemplateRef the server could not resolve, as its lister and its validation word it
_MISSING_TEMPLATE = re.compile(r'(?:workflowtemplates?\.argoproj\.io "([^"]+)"|workflow template (\S+)) not found')


@dataclass
class ArgoServer:
    client: httpx2.Client
    server: str
    retries: int = 4
    backoff: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    validates_references: bool = True
    #: (namespace, name) of every WorkflowTemplate written through this transport
    _written: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)

    @classmethod
    def connect(cls, url: str, *, token: str | None = None, insecure: bool = False, retries: int = 4,
                backoff: float = 0.5, transport: httpx2.BaseTransport | None = None) -> ArgoServer:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = token
        client = httpx2.Client(base_url=url.rstrip("/"), headers=headers, verify=not insecure, trust_env=False,
                               timeout=httpx2.Timeout(30.0, read=60.0), transport=transport)
        return cls(client=client, server=url, retries=retries, backoff=backoff)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------------------------------ Argo objects

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        path, _ = _ROUTES[kind]
        found = self._json("GET", f"/api/v1/{path}/{namespace}/{name}", None, "get", kind, name, namespace,
                           idempotent=True, missing_ok=True)
        return None if found is None else _typed(found, kind)

    def create(self, doc: dict[str, Any], namespace: str, *, dry_run: bool = False) -> dict[str, Any]:
        kind, name = doc["kind"], _name(doc)
        path, key = _ROUTES[kind]
        body: dict[str, Any] = {"namespace": namespace, key: _clean(doc, namespace)}
        if dry_run and kind == "Workflow":
            body["serverDryRun"] = True
            return self._write("POST", f"/api/v1/{path}/{namespace}", body, "create", kind, name, namespace, True)
        if dry_run:  # the server's create ignores dry-run options: its lint is the same check without the write
            return self._write("POST", f"/api/v1/{path}/{namespace}/lint", body, "create", kind, name, namespace,
                               True)
        return self._write("POST", f"/api/v1/{path}/{namespace}", body, "create", kind, name, namespace, False)

    def replace(self, doc: dict[str, Any], namespace: str, *, dry_run: bool = False) -> dict[str, Any]:
        """PUT ``doc``; with ``metadata.resourceVersion`` set, a concurrent change is a 409 (KubeError)."""
        kind, name = doc["kind"], _name(doc)
        path, key = _ROUTES[kind]
        body = {"namespace": namespace, key: _clean(doc, namespace)}
        if dry_run:
            return self._write("POST", f"/api/v1/{path}/{namespace}/lint", body, "update", kind, name, namespace,
                               True)
        body["name"] = name
        return self._write("PUT", f"/api/v1/{path}/{namespace}/{name}", body, "update", kind, name, namespace,
                           False)

    def running_workflows(self, namespace: str) -> list[dict[str, Any]]:
        found = self._json("GET", f"/api/v1/workflows/{namespace}", None, "list", "Workflow", "(running)", namespace,
                           idempotent=True, params={"listOptions.labelSelector": "workflows.argoproj.io/phase=Running",
                                                    "fields": "items.metadata.name,items.spec.workflowTemplateRef"})
        return list((found or {}).get("items") or [])

    def template_referencing(self, namespace: str) -> str | None:
        return None  # the server does not expose the controller's configuration

    # ------------------------------------------------------------------------------------------ logs

    def pod_logs(self, workflow: str, namespace: str) -> Iterator[tuple[str, list[str]]]:
        by_pod: dict[str, list[str]] = {}
        for pod, line in self._log_lines(workflow, namespace, follow=False):
            by_pod.setdefault(pod, []).append(line)
        yield from by_pod.items()

    def follow_logs(self, workflow: str, namespace: str, on_line: Callable[[str, str], None],
                    stop: threading.Event) -> None:
        # Not stopped by `stop`: the server ends the stream once the Workflow is done, after its last line.
        for pod, line in self._log_lines(workflow, namespace, follow=True):
            on_line(pod, line)

    def _log_lines(self, workflow: str, namespace: str, *, follow: bool) -> Iterator[tuple[str, str]]:
        """The server's log stream: one JSON object per line, ``{"result": {"content", "podName"}}``."""
        params = {"logOptions.container": "main"}
        if follow:
            params["logOptions.follow"] = "true"
        url = f"/api/v1/workflows/{namespace}/{workflow}/log"
        timeout = httpx2.Timeout(30.0, read=None) if follow else httpx2.Timeout(30.0, read=120.0)
        try:
            with self.client.stream("GET", url, params=params, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._refusal(response, "read the logs of", "Workflow", workflow, namespace)
                for raw in response.iter_lines():
                    if not raw.strip():
                        continue
                    entry = json.loads(raw)
                    if "error" in entry:  # an error after the stream started arrives as a message of its own
                        err = entry["error"]
                        raise KubeError(f"the Argo Server stopped the log stream of Workflow {workflow}: "
                                        f"{err.get('message', err)}", status=int(err.get("http_code") or 0) or None)
                    result = entry.get("result") or {}
                    yield str(result.get("podName", "")), str(result.get("content", ""))
        except httpx2.TransportError as exc:
            raise self._unreachable(exc, 1) from None

    # ------------------------------------------------------------------------------------------ requests

    def _write(self, method: str, url: str, body: dict[str, Any], verb: str, kind: str, name: str, namespace: str,
               idempotent: bool) -> dict[str, Any]:
        out = self._json(method, url, body, verb, kind, name, namespace, idempotent=idempotent)
        assert out is not None
        written = _typed(out, kind)
        if kind == "WorkflowTemplate" and not url.endswith("/lint"):
            self._written.add((namespace, name))
            self._await_visible(name, namespace, (written.get("metadata") or {}).get("resourceVersion"))
        return written

    def _await_visible(self, name: str, namespace: str, version: str | None) -> None:
        """Wait until the server's own reads show the template just written.

        The server reads WorkflowTemplates from an informer cache (``server/workflowtemplate/informer.go``): its
        GET, and the resolution of every ``templateRef`` and ``workflowTemplateRef`` it validates. A template
        written a moment ago can be missing there, or old, so the next request (the caller's create, the
        Workflow's) would be refused with "not found" or checked against the old inputs. Waiting here gives
        each later request of this submit the state it wrote. The cache usually catches up within milliseconds;
        if it does not within the wait, the next request's own answer says what is wrong.
        """
        if not version:
            return
        delay, waited = 0.02, 0.0
        while waited < _VISIBLE_WITHIN:
            seen = self.get("WorkflowTemplate", name, namespace)
            if seen is not None and (seen.get("metadata") or {}).get("resourceVersion") == version:
                return
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)

    def _misses_own_write(self, response: httpx2.Response, namespace: str) -> bool:
        """Whether a refusal says a template this transport wrote does not exist: a server with several replicas
        (each with its own cache) can answer the wait of :meth:`_await_visible` from one and the next request
        from another that has not seen the write yet."""
        if response.status_code not in (400, 404) or _grpc_code(response) is None:
            return False
        missing = _MISSING_TEMPLATE.search(_message(response))
        return missing is not None and (namespace, missing.group(1) or missing.group(2)) in self._written

    def _json(self, method: str, url: str, body: dict[str, Any] | None, verb: str, kind: str, name: str,
              namespace: str, *, idempotent: bool, missing_ok: bool = False,
              params: dict[str, str] | None = None) -> dict[str, Any] | None:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.client.request(method, url, json=body, params=params)
            except httpx2.TransportError as exc:
                # A refused connection never reached the server: safe to retry even a create. A certificate that
                # does not verify will not verify next time either.
                retry = (idempotent or isinstance(exc, httpx2.ConnectError)) and not _tls(exc)
                if retry and not last:
                    self.sleep(delay)
                    delay *= 2
                    continue
                raise self._unreachable(exc, attempt + 1) from None
            code = response.status_code
            if code < 300:
                return _object(response, self.server)
            if code == 404 and missing_ok and _grpc_code(response) == 5:  # NotFound from Argo, not a wrong URL
                return None
            if code in _TRANSIENT and (idempotent or code in (429, 503)) and not last:
                self.sleep(delay)
                delay *= 2
                continue
            if method != "GET" and not last and self._misses_own_write(response, namespace):
                # Another replica of the server, whose cache has not caught up yet: nothing was written (the
                # refusal is its validation's), so sending it again is safe, even a create.
                self.sleep(delay)
                delay *= 2
                continue
            raise self._refusal(response, verb, kind, name, namespace)
        raise AssertionError("unreachable")

    def _unreachable(self, exc: Exception, attempts: int) -> KubeError:
        if _tls(exc):
            return KubeError(f"the certificate of the Argo Server at {self.server} does not verify ({exc}); for a "
                             "server with a self-signed certificate (argo server's default) pass "
                             "--insecure-skip-tls-verify or set ARGO_INSECURE_SKIP_VERIFY=true, else set "
                             "SSL_CERT_FILE to the CA that signed it", detail=str(exc))
        return KubeError(f"cannot reach the Argo Server at {self.server} ({type(exc).__name__}: {exc}) after "
                         f"{attempts} attempt(s); check --argo-server / ARGO_SERVER (host:port or URL; plain HTTP "
                         "needs ARGO_SECURE=false or an http:// URL) and that the server is up", detail=str(exc))

    def _refusal(self, response: httpx2.Response, verb: str, kind: str, name: str, namespace: str) -> KubeError:
        code = response.status_code
        message = _message(response)
        what = f"{kind} {name} in namespace {namespace}"
        if _grpc_code(response) is None:
            text = (f"{self.server} answered {code} to {response.request.method} {response.request.url.path}, not "
                    "like an Argo Server: check --argo-server / ARGO_SERVER and ARGO_BASE_HREF")
        elif code == 401:
            text = (f"the Argo Server at {self.server} did not accept the credentials (401 Unauthorized: {message}); "
                    "set ARGO_TOKEN to a valid token ('Bearer <token>', e.g. from `kubectl create token`), or "
                    "log in again if it expired")
        elif code == 403:
            text = (f"not allowed to {verb} {what} (403 Forbidden: {message}); the token's service account needs "
                    "RBAC permission for it, or pick another namespace with -n")
        elif code == 404:
            text = (f"cannot {verb} {what} (404 Not Found: {message}); check the name and the namespace (-n, "
                    "$ARGO_NAMESPACE)")
        elif code == 409:
            text = (f"{what} was changed by someone else while athena was writing it, or already exists (409 "
                    f"Conflict: {message}); nothing was overwritten: run the command again to see the new "
                    "difference")
        elif code in (400, 422):
            text = (f"the Argo Server rejected {what} ({code}: {message}); it validates every template and every "
                    "templateRef: check that [defaults].argo_version matches the server's Argo and that the "
                    "templates it references exist")
        else:
            text = f"cannot {verb} {what} at the Argo Server {self.server}: {code} {message}"
        return KubeError(text, status=code, detail=message)


def _typed(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    """The server answers with Go's typed objects, whose apiVersion and kind are left empty: put them back, as
    the Kubernetes API returns them (the drift check compares them)."""
    return {"apiVersion": API_VERSION, "kind": kind, **{k: v for k, v in obj.items() if v not in (None, "")
                                                         or k not in ("apiVersion", "kind")}}


def _name(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    return str(meta.get("name") or str(meta.get("generateName", "")) + "…")


def _clean(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    out = dict(doc)
    out["metadata"] = {**(doc.get("metadata") or {}), "namespace": namespace}
    return out


def _object(response: httpx2.Response, server: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise KubeError(f"{server} answered {response.request.url.path} with something that is not JSON: check "
                        "--argo-server / ARGO_SERVER and ARGO_BASE_HREF") from None
    if not isinstance(data, dict):
        raise KubeError(f"{server} answered {response.request.url.path} with {type(data).__name__}, not an object")
    return data


def _grpc_code(response: httpx2.Response) -> int | None:
    """The gRPC status code of an Argo Server error body (``{"code": 5, "message": ...}``), None when the body
    is not one (a proxy's page, another service)."""
    try:
        data = response.json()
    except ValueError:
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, int) else None


def _message(response: httpx2.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    return str(data.get("message", data)) if isinstance(data, dict) else str(data)[:300]


def _tls(exc: Exception) -> bool:
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text
