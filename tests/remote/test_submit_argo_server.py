"""``athena submit``, ``get`` and ``logs`` through the Argo Server's REST API: Argo's real ``argo server``
(v3.7, built from its Go module by scripts/cluster, TLS with its self-signed certificate, auth modes ``server``
and ``client``) in front of the real kube-apiserver of tests/remote/controlplane.py.

With no Authorization header the server acts with its own (admin) credentials; with ``ARGO_TOKEN`` it acts as the
token's Kubernetes identity (client mode), which is how the 401 and 403 cases are made. Objects are inspected
through the Kubernetes API, so each test sees what the server really wrote.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from tests.remote.controlplane import ControlPlane, make_project, submit_docs, version_of, workflows, wt

from athena.remote import drift
from athena.remote.argo_server import ArgoServer
from athena.remote.kube import KubeError
from athena.remote.submit import plan_changes
from athena.remote.transport import argo_server_settings


def test_create_callees_first_then_unchanged_writes_nothing(control_plane: ControlPlane) -> None:
    api, kube, ns = control_plane.argo_server(), control_plane.kube(), control_plane.namespace()
    docs = [wt("a-leaf"), wt("a-root", refs=("a-leaf",))]
    notes: list[str] = []
    # The server resolves every templateRef, so the root cannot be checked before its leaf exists: it is checked
    # when created, after the leaf (callees first); a Kubernetes-API-style dry run of both would fail here.
    first = submit_docs(api, docs, "a-root", ns, notes=notes)
    assert notes == ["created WorkflowTemplate a-leaf", "created WorkflowTemplate a-root"]
    live = kube.get("WorkflowTemplate", "a-root", ns)
    assert live is not None and live["metadata"]["annotations"][drift.ANNOTATION] == drift.content_hash(docs[1])
    assert live["metadata"]["labels"].get("workflows.argoproj.io/creator")  # set by the server, not declared
    wf = kube.get("Workflow", first, ns)
    assert wf is not None and wf["spec"]["workflowTemplateRef"] == {"name": "a-root"}
    before = {n: version_of(kube, "WorkflowTemplate", n, ns) for n in ("a-leaf", "a-root")}
    notes.clear()
    second = submit_docs(api, docs, "a-root", ns, notes=notes)  # no prompt (never), no write
    # What the server adds (Go's zero values: `inputs: {}`, `container.name: ""`, …) is server defaulting.
    assert [n.split(" (")[0] for n in notes] == ["unchanged WorkflowTemplate a-leaf",
                                                 "unchanged WorkflowTemplate a-root"], notes
    assert {n: version_of(kube, "WorkflowTemplate", n, ns) for n in before} == before
    assert sorted(workflows(kube, ns)) == sorted([first, second])


def test_cli_changed_by_compile_diff_prompt_and_update(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    project = make_project(tmp_path, cp)
    flags = ("--argo-server", cp.argo_server_url, "--insecure-skip-tls-verify", "--skip-bundle-check", "-n", ns)
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", *flags)
    assert r.returncode == 0, r.stderr
    name = r.stdout.strip()
    kube = cp.kube()
    wf = kube.get("Workflow", name, ns)
    assert wf is not None and wf["spec"]["arguments"] == {"parameters": [{"name": "x", "value": "3"}]}
    before = version_of(kube, "WorkflowTemplate", "sub-pipeline", ns)

    make_project(tmp_path, cp, b=5)  # a new compile
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", *flags, stdin="")
    assert r.returncode == 1, r.stderr
    assert f"WorkflowTemplate sub-pipeline in {ns}: changed by a new compile" in r.stderr
    assert "-            value: '2'" in r.stderr and "+            value: '5'" in r.stderr
    assert "nothing changed in namespace" in r.stderr
    assert version_of(kube, "WorkflowTemplate", "sub-pipeline", ns) == before and workflows(kube, ns) == [name]

    # The same server through Argo's own environment variables: host:port, HTTPS by default.
    host = cp.argo_server_url.removeprefix("https://")
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "--skip-bundle-check", "-n", ns, "-y",
               env_extra={"ARGO_SERVER": host, "ARGO_INSECURE_SKIP_VERIFY": "true"})
    assert r.returncode == 0, r.stderr
    assert "updated WorkflowTemplate sub-pipeline" in r.stderr
    assert version_of(kube, "WorkflowTemplate", "sub-pipeline", ns) != before
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", *flags, "--update")
    assert r.returncode == 0 and "unchanged WorkflowTemplate sub-pipeline" in r.stderr, r.stderr

    r = cp.cli(project, "get", name, "-n", ns, "--argo-server", cp.argo_server_url, "--insecure-skip-tls-verify")
    assert r.returncode == 3 and f"{name}: Pending" in r.stderr, r.stderr  # no controller here


def test_changed_outside_athena(control_plane: ControlPlane) -> None:
    api, kube, ns = control_plane.argo_server(), control_plane.kube(), control_plane.namespace()
    docs = [wt("o-root")]
    submit_docs(api, docs, "o-root", ns)
    live = kube.get("WorkflowTemplate", "o-root", ns)
    assert live is not None
    live["spec"]["templates"][0]["container"]["args"] = ["edited by hand"]
    api.replace(live, ns)  # someone edits it through the server (the UI, `argo template update`)
    [change] = plan_changes(api, docs, ns)
    assert change.action == "update" and change.drift is not None
    assert change.drift.outside and not change.drift.compile
    assert "- edited by hand" in change.drift.diff
    submit_docs(api, docs, "o-root", ns, confirm=lambda q: True)
    live = kube.get("WorkflowTemplate", "o-root", ns)
    assert live is not None and live["spec"]["templates"][0]["container"]["args"] == ["2"]


def test_a_concurrent_update_is_a_409_and_overwrites_nothing(control_plane: ControlPlane) -> None:
    api, kube, ns = control_plane.argo_server(), control_plane.kube(), control_plane.namespace()
    submit_docs(api, [wt("c-root")], "c-root", ns)

    def someone_else_writes(question: str) -> bool:
        live = kube.get("WorkflowTemplate", "c-root", ns)
        assert live is not None
        live["spec"]["templates"][0]["container"]["args"] = ["theirs"]
        kube.replace(live, ns)
        return True

    with pytest.raises(KubeError) as info:
        submit_docs(api, [wt("c-root", value="mine")], "c-root", ns, confirm=someone_else_writes)
    assert info.value.status == 409 and "nothing was overwritten" in str(info.value)
    live = kube.get("WorkflowTemplate", "c-root", ns)
    assert live is not None and live["spec"]["templates"][0]["container"]["args"] == ["theirs"]
    assert len(workflows(kube, ns)) == 1


def test_a_token_without_rbac_gets_403_and_nothing_is_created(control_plane: ControlPlane) -> None:
    cp, ns = control_plane, control_plane.namespace()
    api = cp.argo_server(token="Bearer " + cp.sa_token(ns, "nobody"))
    with pytest.raises(KubeError) as info:
        submit_docs(api, [wt("r-root")], "r-root", ns)
    assert info.value.status == 403
    assert "403 Forbidden" in str(info.value) and "needs RBAC permission" in str(info.value)
    assert cp.kube().get("WorkflowTemplate", "r-root", ns) is None


def test_an_invalid_token_is_a_401_through_the_cli(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    r = cp.cli(make_project(tmp_path, cp), "submit", "pipeline", "-a", "x=1", "-n", ns, "--skip-bundle-check",
               env_extra={"ARGO_SERVER": cp.argo_server_url, "ARGO_INSECURE_SKIP_VERIFY": "true",
                          "ARGO_TOKEN": "eyJhbGciOiJSUzI1NiJ9.e30.expired"})  # a bare token: Bearer is added
    assert r.returncode == 1 and r.stdout == "", r.stderr
    assert "401 Unauthorized" in r.stderr and "set ARGO_TOKEN to a valid token" in r.stderr
    assert r.stderr.count("athena:") == 1 and "Traceback" not in r.stderr
    assert cp.kube().get("WorkflowTemplate", "sub-pipeline", ns) is None


def test_a_template_the_server_rejects_is_refused_before_anything_is_written(control_plane: ControlPlane) -> None:
    api, kube, ns = control_plane.argo_server(), control_plane.kube(), control_plane.namespace()
    bad = wt("v-root", value="{{inputs.parameters.nope}}")  # the server's validation: an unresolvable reference
    with pytest.raises(KubeError) as info:
        submit_docs(api, [wt("v-leaf"), wt("v-mid", refs=("v-leaf",)), bad], "v-root", ns)
    assert info.value.status == 400
    assert "the Argo Server rejected WorkflowTemplate v-root" in str(info.value)
    assert "failed to resolve {{inputs.parameters.nope}}" in str(info.value)
    assert kube.get("WorkflowTemplate", "v-leaf", ns) is None and workflows(kube, ns) == []


def test_a_self_signed_certificate_needs_the_flag(control_plane: ControlPlane) -> None:
    api = ArgoServer.connect(control_plane.argo_server_url, retries=3, backoff=0.01)
    control_plane.clients.append(api)
    with pytest.raises(KubeError, match=r"does not verify .*--insecure-skip-tls-verify"):
        api.get("WorkflowTemplate", "x", "default")


def test_something_that_is_not_an_argo_server(control_plane: ControlPlane) -> None:
    s3 = control_plane.env["AWS_ENDPOINT_URL"]  # moto's S3: HTTP, but not Argo's API
    api = ArgoServer.connect(s3, retries=0)
    control_plane.clients.append(api)
    with pytest.raises(KubeError, match=r"not like an Argo Server: check --argo-server / ARGO_SERVER"):
        api.get("WorkflowTemplate", "x", "default")


def test_an_unreachable_server_is_named_with_the_attempts(control_plane: ControlPlane, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = control_plane.cli(tmp_path, "get", "w-1", "--argo-server", f"127.0.0.1:{port}")
    assert r.returncode == 1 and r.stdout == ""
    assert f"cannot reach the Argo Server at https://127.0.0.1:{port}" in r.stderr and "after 5 attempt(s)" in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr


def test_get_and_logs_of_an_unknown_workflow(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    for command in ("get", "logs"):
        r = cp.cli(tmp_path, command, "nope-123", "-n", ns, "--argo-server", cp.argo_server_url,
                   "--insecure-skip-tls-verify")
        assert r.returncode == 1, r.stderr
        assert f"no Workflow nope-123 in namespace {ns}" in r.stderr


def test_secure_template_referencing_warns_and_names_running_workflows(control_plane: ControlPlane) -> None:
    """The controller's configmap is read through the Kubernetes API (a namespaced install keeps it in the
    workflows' namespace); the Argo Server does not expose it."""
    cp, kube, ns = control_plane, control_plane.kube(), control_plane.namespace()
    submit_docs(kube, [wt("s-root")], "s-root", ns)
    cp.admin.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "workflow-controller-configmap"},
                     "data": {"workflowRestrictions": "templateReferencing: Secure\n"}}, ns)
    running: dict[str, Any] = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                               "metadata": {"name": "s-root-live", "labels": {"workflows.argoproj.io/phase": "Running"}},
                               "spec": {"workflowTemplateRef": {"name": "s-root"}}}
    kube.create(running, ns)
    assert kube.template_referencing(ns) == "Secure"
    notes: list[str] = []
    submit_docs(kube, [wt("s-root", value="3")], "s-root", ns, notes=notes, update=True)
    [warning] = [n for n in notes if n.startswith("warning: the controller runs with templateReferencing: Secure")]
    assert "WorkflowSpec may not change during execution" in warning and "running now: s-root-live" in warning
    notes.clear()
    submit_docs(kube, [wt("s-root", value="3")], "s-root", ns, notes=notes)  # unchanged: nothing to warn about
    assert not any("Secure" in n for n in notes)


def test_argo_server_settings_follow_the_argo_cli() -> None:
    env = {"ARGO_SERVER": "argo.example:2746", "ARGO_TOKEN": "abc", "ARGO_BASE_HREF": "/argo/"}
    s = argo_server_settings(None, False, env)
    assert s is not None and (s.url, s.token, s.insecure) == ("https://argo.example:2746/argo", "Bearer abc", False)
    s = argo_server_settings(None, False, {"ARGO_SERVER": "h:1", "ARGO_SECURE": "false",
                                           "ARGO_INSECURE_SKIP_VERIFY": "true", "ARGO_TOKEN": "Bearer x"})
    assert s is not None and (s.url, s.token, s.insecure) == ("http://h:1", "Bearer x", True)
    s = argo_server_settings("https://flag:1", True, env)  # the flag wins
    assert s is not None and s.url == "https://flag:1/argo" and s.insecure
    assert argo_server_settings(None, False, {}) is None  # the Kubernetes API
