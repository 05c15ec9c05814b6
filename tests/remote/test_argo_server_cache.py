"""The Argo Server reads WorkflowTemplates from an informer cache, so a write is not at once visible to its
next request: CI caught a Workflow refused with ``workflowtemplates.argoproj.io "a-root" not found`` right after
``a-root`` was created through the same server. ``ArgoServer`` waits until its own GET shows each template it
wrote, and sends a request again when a replica that has not caught up says such a template does not exist.

The lag cannot be made to happen on demand with the real server (tests/remote/test_submit_argo_server.py runs the
same sequence against it), so these tests play the server's answers, in the exact shapes it sends
(``{"code": 5, "message": ...}`` for NotFound), through httpx2's MockTransport: what is tested is the sequence of
requests athena makes, which is what decides whether the next one can be refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2
import pytest

from athena.remote.argo_server import _VISIBLE_WITHIN, ArgoServer
from athena.remote.kube import KubeError

NS = "ns"


def template(name: str, version: str) -> dict[str, object]:
    # The server's typed objects carry no apiVersion/kind (see argo_server._typed).
    return {"metadata": {"name": name, "namespace": NS, "resourceVersion": version}, "spec": {"templates": []}}


def not_found(name: str) -> httpx2.Response:
    return httpx2.Response(404, json={"code": 5, "message": f'workflowtemplates.argoproj.io "{name}" not found'})


def server(answers: Callable[[httpx2.Request], httpx2.Response]) -> tuple[ArgoServer, list[str], list[float]]:
    seen: list[str] = []
    slept: list[float] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(f"{request.method} {request.url.path}")
        return answers(request)

    api = ArgoServer.connect("https://argo.test", transport=httpx2.MockTransport(handle))
    api.sleep = slept.append
    return api, seen, slept


def doc(name: str) -> dict[str, object]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": name},
            "spec": {"templates": []}}


def test_a_created_template_is_awaited_until_the_servers_reads_show_it() -> None:
    gets = iter([not_found("leaf"), httpx2.Response(200, json=template("leaf", "7"))])

    def answers(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            assert json.loads(request.content)["template"]["metadata"]["name"] == "leaf"
            return httpx2.Response(200, json=template("leaf", "7"))
        return next(gets)

    api, seen, slept = server(answers)
    created = api.create(doc("leaf"), NS)
    assert created["metadata"]["resourceVersion"] == "7" and created["kind"] == "WorkflowTemplate"
    assert seen == [f"POST /api/v1/workflow-templates/{NS}", f"GET /api/v1/workflow-templates/{NS}/leaf",
                    f"GET /api/v1/workflow-templates/{NS}/leaf"]
    assert len(slept) == 1


def test_an_update_is_awaited_until_the_old_version_is_gone() -> None:
    gets = iter([httpx2.Response(200, json=template("leaf", "7")), httpx2.Response(200, json=template("leaf", "7")),
                 httpx2.Response(200, json=template("leaf", "9"))])

    def answers(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=template("leaf", "9")) if request.method == "PUT" else next(gets)

    api, seen, slept = server(answers)
    api.replace({**doc("leaf"), "metadata": {"name": "leaf", "resourceVersion": "7"}}, NS)
    assert seen.count(f"GET /api/v1/workflow-templates/{NS}/leaf") == 3 and len(slept) == 2


def test_a_cache_that_never_catches_up_is_waited_for_a_bounded_time_then_left_to_the_next_answer() -> None:
    api, seen, slept = server(lambda r: httpx2.Response(200, json=template("leaf", "7")) if r.method == "POST"
                              else not_found("leaf"))
    api.create(doc("leaf"), NS)  # no error here: the next request's own answer says what is wrong
    assert sum(slept) >= _VISIBLE_WITHIN and sum(slept) < _VISIBLE_WITHIN + 1.5
    assert len(seen) == 1 + len(slept)


def test_a_lint_and_a_workflow_are_not_awaited() -> None:
    def answers(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/lint"):
            return httpx2.Response(200, json=template("leaf", ""))
        return httpx2.Response(200, json={"metadata": {"name": "leaf-x1", "namespace": NS}})

    api, seen, slept = server(answers)
    api.create(doc("leaf"), NS, dry_run=True)
    api.create({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "leaf-"},
                "spec": {"workflowTemplateRef": {"name": "leaf"}}}, NS)
    assert seen == [f"POST /api/v1/workflow-templates/{NS}/lint", f"POST /api/v1/workflows/{NS}"] and not slept


def test_a_replica_that_has_not_seen_a_template_written_here_is_asked_again() -> None:
    """Two replicas behind one address, each with its own cache: the wait was answered by the one that saw the
    write, the caller's create by the other, which refuses it with the validation's wording; it is sent again."""
    posts = iter([httpx2.Response(200, json=template("leaf", "7")),
                  httpx2.Response(400, json={"code": 3, "message": "templates.root.tasks.leaf: workflow template "
                                                                  "leaf not found"}),
                  httpx2.Response(200, json=template("root", "8"))])

    def answers(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            return next(posts)
        return httpx2.Response(200, json=template(request.url.path.rsplit("/", 1)[-1],
                                                  "7" if request.url.path.endswith("leaf") else "8"))

    api, seen, slept = server(answers)
    api.create(doc("leaf"), NS)
    api.create(doc("root"), NS)
    assert [s for s in seen if s.startswith("POST")] == [f"POST /api/v1/workflow-templates/{NS}"] * 3
    assert slept == [api.backoff]


def test_a_template_not_written_here_that_is_missing_is_reported_at_once() -> None:
    api, seen, slept = server(lambda r: not_found("elsewhere"))
    with pytest.raises(KubeError) as info:
        api.create({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "w-"},
                    "spec": {"workflowTemplateRef": {"name": "elsewhere"}}}, NS)
    assert info.value.status == 404 and 'workflowtemplates.argoproj.io "elsewhere" not found' in str(info.value)
    assert len(seen) == 1 and not slept
