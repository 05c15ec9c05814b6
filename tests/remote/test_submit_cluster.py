"""``athena submit`` through the Kubernetes API, against a real kube-apiserver with Argo's CRDs (the instance of
tests/remote/controlplane.py); the same behaviours through the Argo Server are in test_submit_argo_server.py."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import yaml
from tests.remote.controlplane import (
    ControlPlane,
    make_project,
    submit_docs,
    token_kubeconfig,
    version_of,
    workflows,
    wt,
)

from athena.remote import drift
from athena.remote.kube import KubeError
from athena.remote.submit import plan_changes

# ---------------------------------------------------------------------------------------------------- tests


def test_create_then_unchanged_writes_nothing(control_plane: ControlPlane) -> None:
    kube, ns = control_plane.kube(), control_plane.namespace()
    docs = [wt("s-leaf"), wt("s-root", refs=("s-leaf",))]
    notes: list[str] = []
    first = submit_docs(kube, docs, "s-root", ns, notes=notes)
    assert notes == ["created WorkflowTemplate s-leaf", "created WorkflowTemplate s-root"]  # callees first
    live = kube.get("WorkflowTemplate", "s-root", ns)
    assert live is not None
    assert live["metadata"]["annotations"][drift.ANNOTATION] == drift.content_hash(docs[1])
    wf = kube.get("Workflow", first, ns)
    assert wf is not None and first.startswith("s-root-")
    assert wf["spec"] == {"workflowTemplateRef": {"name": "s-root"}}
    before = {n: version_of(kube, "WorkflowTemplate", n, ns) for n in ("s-leaf", "s-root")}
    notes.clear()
    second = submit_docs(kube, docs, "s-root", ns, notes=notes)  # _never: no prompt
    assert notes == ["unchanged WorkflowTemplate s-leaf", "unchanged WorkflowTemplate s-root"]
    assert {n: version_of(kube, "WorkflowTemplate", n, ns) for n in before} == before  # no write at all
    assert second != first and sorted(workflows(kube, ns)) == sorted([first, second])


def test_cli_changed_by_compile_shows_a_diff_and_refuses_without_yes(control_plane: ControlPlane,
                                                                      tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    project = make_project(tmp_path, cp)
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 0, r.stderr
    name = r.stdout.strip()
    assert name.startswith("sub-pipeline-") and "\n" not in name  # only the name on stdout
    kube = cp.kube()
    wf = kube.get("Workflow", name, ns)
    assert wf is not None
    assert wf["spec"]["arguments"] == {"parameters": [{"name": "x", "value": "3"}]}
    rv = version_of(kube, "WorkflowTemplate", "sub-pipeline", ns)

    make_project(tmp_path, cp, b=5)  # a new compile
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check", stdin="")
    assert r.returncode == 1, r.stderr
    assert "WorkflowTemplate sub-pipeline in " + ns + ": changed by a new compile" in r.stderr
    assert "-            value: '2'" in r.stderr and "+            value: '5'" in r.stderr
    assert "nothing changed in namespace" in r.stderr and "--update" in r.stderr
    assert version_of(kube, "WorkflowTemplate", "sub-pipeline", ns) == rv
    assert workflows(kube, ns) == [name]  # no Workflow either

    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check", "-y")
    assert r.returncode == 0, r.stderr
    assert "updated WorkflowTemplate sub-pipeline" in r.stderr
    assert version_of(kube, "WorkflowTemplate", "sub-pipeline", ns) != rv
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check", "--update")
    assert r.returncode == 0 and "unchanged WorkflowTemplate sub-pipeline" in r.stderr, r.stderr


def test_changed_outside_athena(control_plane: ControlPlane) -> None:
    kube, ns = control_plane.kube(), control_plane.namespace()
    docs = [wt("o-root")]
    submit_docs(kube, docs, "o-root", ns)
    live = kube.get("WorkflowTemplate", "o-root", ns)
    assert live is not None
    live["spec"]["templates"][0]["container"]["args"] = ["edited by hand"]
    kube.replace(live, ns)  # someone edits the live object (kubectl edit)
    [change] = plan_changes(kube, docs, ns)
    assert change.action == "update" and change.drift is not None
    assert change.drift.outside and not change.drift.compile
    assert "- edited by hand" in change.drift.diff
    notes: list[str] = []
    asked: list[str] = []
    with pytest.raises(Exception, match="nothing changed"):
        submit_docs(kube, docs, "o-root", ns, notes=notes, confirm=lambda q: asked.append(q) is not None)
    assert asked and any("changed outside athena" in n for n in notes)
    assert any("overwrites that edit" in n for n in notes)
    submit_docs(kube, docs, "o-root", ns, confirm=lambda q: True)
    live = kube.get("WorkflowTemplate", "o-root", ns)
    assert live is not None and live["spec"]["templates"][0]["container"]["args"] == ["2"]


def test_server_defaulting_is_ignored(control_plane: ControlPlane) -> None:
    """A real server default: the CronWorkflow CRD is given Argo's own defaults for the history limits as schema
    defaults (what a full CRD or a mutating webhook does), so the API server fills them in."""
    admin = control_plane.admin
    crd = admin.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/cronworkflows.argoproj.io")
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"] = {"failedJobsHistoryLimit": {"type": "integer", "default": 1},
                          "successfulJobsHistoryLimit": {"type": "integer", "default": 3}}
    admin.request("PUT", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/cronworkflows.argoproj.io", crd)
    kube, ns = control_plane.kube(), control_plane.namespace()
    cron = {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "d-root"},
            "spec": {"schedules": ["0 * * * *"], "workflowSpec": {"workflowTemplateRef": {"name": "d-root"}}}}
    deadline = time.monotonic() + 30
    while True:  # the CRD change takes a moment to reach the handler
        dry = kube.create({**cron, "metadata": {"name": "probe", "namespace": ns}}, ns, dry_run=True)
        if dry["spec"].get("failedJobsHistoryLimit") == 1:
            break
        assert time.monotonic() < deadline, "the API server never applied the schema default"
        time.sleep(0.5)
    docs = [wt("d-root"), cron]
    submit_docs(kube, docs, "d-root", ns)
    live = kube.get("CronWorkflow", "d-root", ns)
    assert live is not None and live["spec"]["successfulJobsHistoryLimit"] == 3  # defaulted by the server
    assert drift.content(live) != drift.content(cron)  # a naive comparison would call this drift
    changes = plan_changes(kube, docs, ns)
    assert [c.action for c in changes] == ["unchanged", "unchanged"]
    assert changes[1].drift is not None
    assert set(changes[1].drift.defaulted) == {"spec.failedJobsHistoryLimit", "spec.successfulJobsHistoryLimit"}
    rv = version_of(kube, "CronWorkflow", "d-root", ns)
    submit_docs(kube, docs, "d-root", ns)
    assert version_of(kube, "CronWorkflow", "d-root", ns) == rv


def test_a_concurrent_update_is_a_409_and_overwrites_nothing(control_plane: ControlPlane) -> None:
    kube, ns = control_plane.kube(), control_plane.namespace()
    submit_docs(kube, [wt("c-root")], "c-root", ns)

    def someone_else_writes(question: str) -> bool:  # between athena's read and its write
        live = kube.get("WorkflowTemplate", "c-root", ns)
        assert live is not None
        live["spec"]["templates"][0]["container"]["args"] = ["theirs"]
        kube.replace(live, ns)
        return True

    with pytest.raises(KubeError) as info:
        submit_docs(kube, [wt("c-root", value="mine")], "c-root", ns, confirm=someone_else_writes)
    assert info.value.status == 409
    assert "409 Conflict" in str(info.value) and "nothing was overwritten" in str(info.value)
    live = kube.get("WorkflowTemplate", "c-root", ns)
    assert live is not None and live["spec"]["templates"][0]["container"]["args"] == ["theirs"]
    assert workflows(kube, ns) == [next(iter(workflows(kube, ns)))]  # only the first submit's Workflow


def test_a_service_account_without_rbac_gets_403_and_nothing_is_created(control_plane: ControlPlane,
                                                                         tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    cp.admin.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}}, ns)
    token = cp.admin.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/nobody/token",
                             {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                              "spec": {"expirationSeconds": 600}})["status"]["token"]
    kube = cp.kube(token_kubeconfig(cp, tmp_path, token))
    with pytest.raises(KubeError) as info:
        submit_docs(kube, [wt("r-root")], "r-root", ns)
    assert info.value.status == 403
    text = str(info.value)
    assert "403 Forbidden" in text and "system:serviceaccount:" + ns + ":nobody" in text
    assert "ask for RBAC permission" in text
    assert cp.kube().get("WorkflowTemplate", "r-root", ns) is None


def test_an_invalid_or_expired_token_is_a_401(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    kube = cp.kube(token_kubeconfig(cp, tmp_path, "eyJhbGciOiJSUzI1NiJ9.e30.expired"))
    with pytest.raises(KubeError) as info:
        submit_docs(kube, [wt("e-root")], "e-root", ns)
    assert info.value.status == 401
    assert "401 Unauthorized" in str(info.value) and "log in again" in str(info.value)
    assert cp.kube().get("WorkflowTemplate", "e-root", ns) is None


def test_namespaces_are_separate_and_a_missing_one_is_named(control_plane: ControlPlane) -> None:
    kube = control_plane.kube()
    a, b = control_plane.namespace(), control_plane.namespace()
    submit_docs(kube, [wt("n-root", value="a")], "n-root", a)
    notes: list[str] = []
    submit_docs(kube, [wt("n-root", value="b")], "n-root", b, notes=notes)  # a create in b, no drift against a
    assert notes == ["created WorkflowTemplate n-root"]
    for ns, value in ((a, "a"), (b, "b")):
        live = kube.get("WorkflowTemplate", "n-root", ns)
        assert live is not None and live["spec"]["templates"][0]["container"]["args"] == [value]
    with pytest.raises(KubeError, match=r"namespace no-such-ns .*404 Not Found: namespaces \"no-such-ns\" not found"):
        submit_docs(kube, [wt("n-root")], "n-root", "no-such-ns")


# ------------------------------------------------------------------------------------ bad input, through the CLI


def test_unknown_workflow(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    r = cp.cli(make_project(tmp_path, cp), "submit", "pipelin", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("athena:") == 1 and "pipelin" in r.stderr, r.stderr
    assert cp.kube().get("WorkflowTemplate", "sub-pipeline", ns) is None


def test_wrong_argument_type(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    r = cp.cli(make_project(tmp_path, cp), "submit", "pipeline", "-a", "x=three", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 1 and r.stdout == ""
    assert "-a x: parameter `x` of `pipeline` expects int, got 'three'" in r.stderr, r.stderr
    r = cp.cli(tmp_path, "submit", "pipeline", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 1 and "needs `x`" in r.stderr, r.stderr
    assert cp.kube().get("WorkflowTemplate", "sub-pipeline", ns) is None
    assert workflows(cp.kube(), ns) == []


def test_missing_bundle(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()  # the instance's S3 is moto's server
    r = cp.cli(make_project(tmp_path, cp), "submit", "pipeline", "-a", "x=1", "-n", ns)
    assert r.returncode == 1 and r.stdout == ""
    assert "the bundle s3://athena/athena/sub/" in r.stderr and "does not exist: run `athena publish`" in r.stderr
    assert "--skip-bundle-check" in r.stderr, r.stderr
    assert cp.kube().get("WorkflowTemplate", "sub-pipeline", ns) is None


def test_unreachable_server(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp = control_plane
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = yaml.safe_load(Path(cp.kubeconfig).read_text())
    kc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    path = tmp_path / "unreachable.kubeconfig"
    path.write_text(yaml.safe_dump(kc))
    project = make_project(tmp_path, cp)
    env_kc = cp.kubeconfig
    cp.env["KUBECONFIG"] = str(path)
    try:
        r = cp.cli(project, "submit", "pipeline", "-a", "x=1", "--skip-bundle-check")
    finally:
        cp.env["KUBECONFIG"] = env_kc
    assert r.returncode == 1 and r.stdout == ""
    assert f"cannot reach the Kubernetes API server at https://127.0.0.1:{port}" in r.stderr, r.stderr
    assert "after 5 attempt(s)" in r.stderr and r.stderr.count("\n") == 1


def test_get_and_logs_of_an_unknown_workflow(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    for command in ("get", "logs"):
        r = cp.cli(tmp_path, command, "nope-123", "-n", ns)
        assert r.returncode == 1, r.stderr
        assert f"no Workflow nope-123 in namespace {ns}" in r.stderr


def test_get_reads_a_workflow_the_api_holds(control_plane: ControlPlane, tmp_path: Path) -> None:
    """No controller here: the Workflow has no status yet, so get shows it Pending and exits 3."""
    cp, ns = control_plane, control_plane.namespace()
    name = submit_docs(cp.kube(), [wt("g-root")], "g-root", ns)
    r = cp.cli(tmp_path, "get", name, "-n", ns)
    assert r.returncode == 3 and f"{name}: Pending" in r.stderr, r.stderr

