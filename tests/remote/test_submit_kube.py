"""remote/kube.py's retries and messages, with a stand-in for lightkube's client (no server)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from lightkube import ApiError

from athena.remote.kube import Kube, KubeError


def _api_error(code: int, message: str) -> ApiError:
    request = httpx2.Request("GET", "https://k8s.test/apis/argoproj.io/v1alpha1/namespaces/ns/workflowtemplates/x")
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code}
    return ApiError(request=request, response=httpx2.Response(code, json=body, request=request))


class Flaky:
    """Fails with each of ``errors`` in turn, then answers ``result``."""

    def __init__(self, *errors: Exception, result: Any = None) -> None:
        self.errors, self.result, self.calls = list(errors), result, 0

    def get(self, *args: Any, **kw: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result


def _kube(client: Any, sleeps: list[float]) -> Kube:
    return Kube(client=client, server="https://k8s.test", context="ctx", retries=3, backoff=0.5, sleep=sleeps.append)


def test_transient_errors_are_retried_with_backoff() -> None:
    sleeps: list[float] = []
    client = Flaky(_api_error(429, "storage is (re)initializing"),
                   httpx2.ConnectError("refused"), _api_error(503, "unavailable"),
                   result={"metadata": {"name": "x"}})
    assert _kube(client, sleeps).get("WorkflowTemplate", "x", "ns") == {"metadata": {"name": "x"}}
    assert client.calls == 4 and sleeps == [0.5, 1.0, 2.0]


def test_giving_up_says_where_and_how_often() -> None:
    sleeps: list[float] = []
    client = Flaky(*[httpx2.ConnectError("refused")] * 4)
    with pytest.raises(KubeError, match=r"cannot reach the Kubernetes API server at https://k8s.test .*after 4 "
                                        r"attempt\(s\).*context `ctx`"):
        _kube(client, sleeps).get("WorkflowTemplate", "x", "ns")


@pytest.mark.parametrize(("code", "message", "expected"), [
    (401, "Unauthorized", "401 Unauthorized: Unauthorized); the token or certificate is missing or expired"),
    (403, 'User "u" cannot get resource', "not allowed to get WorkflowTemplate x in namespace ns (403 Forbidden"),
    (404, "the server could not find the requested resource", "Argo Workflows' CRDs are not installed"),
    (409, "the object has been modified", "nothing was overwritten"),
    (422, "spec.templates: Required value", "422 Invalid: spec.templates: Required value"),
])
def test_each_refusal_says_what_to_do(code: int, message: str, expected: str) -> None:
    sleeps: list[float] = []
    client = Flaky(_api_error(code, message))
    kube = _kube(client, sleeps)
    with pytest.raises(KubeError) as info:
        kube._call(lambda: client.get(), "get", "WorkflowTemplate", "x", "ns", idempotent=True)
    assert expected in str(info.value) and info.value.status == code
    assert client.calls == 1 and sleeps == []  # not retried
