"""``athena submit`` against a real kube-apiserver with Argo's CRDs (``scripts/cluster up --control-plane-only``).

Only etcd, kube-apiserver, Argo's CRDs and moto's S3 run (no kubelet, no controller): everything here is about
what submit writes, so no Workflow has to run. The instance is this file's own (port base
``$ATHENA_SUBMIT_CLUSTER_PORT_BASE``, 32400, and state ``$ATHENA_SUBMIT_CLUSTER_STATE``,
/tmp/athena-cluster-submit), so it never touches a full cluster on the default ports. It is started here when
it is not up (about 10 s with the builds cached in ~/.cache/athena-cluster) and stopped at the end.
Without the builds it skips, saying so; with ``ATHENA_CLUSTER=required`` or ``CI`` set, a control plane that
cannot start is a failure, never a skip. ``--watch`` needs the controller: tests/cluster/test_submit_watch.py.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from athena.remote import drift
from athena.remote.kube import Kube, KubeError, connect
from athena.remote.submit import SubmitRequest, plan_changes, submit

REPO = Path(__file__).resolve().parents[2]
PORT_BASE = os.environ.get("ATHENA_SUBMIT_CLUSTER_PORT_BASE", "32400")
STATE = Path(os.environ.get("ATHENA_SUBMIT_CLUSTER_STATE", "/tmp/athena-cluster-submit"))
REQUIRED = os.environ.get("ATHENA_CLUSTER") == "required" or bool(os.environ.get("CI"))
CACHE = Path(os.environ.get("ATHENA_CLUSTER_CACHE") or Path.home() / ".cache" / "athena-cluster")

@dataclass
class ControlPlane:
    env: dict[str, str]  # env.json of the instance: KUBECONFIG, AWS_*, S3 endpoint and bucket
    admin: Any  # scripts/athena_cluster.py's Kube (stdlib HTTP) with the admin credentials
    mod: ModuleType
    clients: list[Kube] = field(default_factory=list)  # closed at the end (an unclosed one warns)

    @property
    def kubeconfig(self) -> str:
        return self.env["KUBECONFIG"]

    def kube(self, kubeconfig: str | None = None, **kw: Any) -> Kube:
        kube = connect(kubeconfig=kubeconfig or self.kubeconfig, **kw)
        self.clients.append(kube)
        return kube

    def namespace(self) -> str:
        ns = f"t-{uuid.uuid4().hex[:8]}"
        self.admin.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        return ns

    def cli(self, project: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATHENA_CONFIG", "KUBECONFIG"))}
        env.update({k: v for k, v in self.env.items() if k.startswith("AWS_")})
        env["KUBECONFIG"] = self.kubeconfig
        env["PYTHONPATH"] = str(REPO / "src")
        return subprocess.run([sys.executable, "-m", "athena.cli", *args], cwd=project, env=env, text=True,
                              capture_output=True, timeout=120, input=stdin)


def _load_module() -> ModuleType:
    old = {k: os.environ.get(k) for k in ("ATHENA_CLUSTER_PORT_BASE", "ATHENA_CLUSTER_STATE")}
    os.environ.update(ATHENA_CLUSTER_PORT_BASE=PORT_BASE, ATHENA_CLUSTER_STATE=str(STATE))
    try:  # the module reads both at import
        spec = importlib.util.spec_from_file_location("athena_cluster_submit", REPO / "scripts" / "athena_cluster.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ATHENA_CLUSTER_PORT_BASE=PORT_BASE, ATHENA_CLUSTER_STATE=str(STATE))
    return subprocess.run([str(REPO / "scripts" / "cluster"), *args], env=env, capture_output=True, text=True,
                          timeout=7200)


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    mod = _load_module()
    started = False
    procs = mod.read_state()["procs"]
    if not mod.load_env() or not procs or not all(mod._ours(p) for p in procs):
        built = any(CACHE.glob("bin/k8s-*")) and any(CACHE.glob("bin/etcd-*"))
        if not built and not REQUIRED:
            pytest.skip("no control plane and no cached build: scripts/cluster build (or ATHENA_CLUSTER=required "
                        "to build and start one here)")
        t0 = time.monotonic()
        r = _script("up", "--control-plane-only")
        if r.returncode != 0:
            message = f"scripts/cluster up --control-plane-only failed (exit {r.returncode}):\n{r.stderr[-4000:]}"
            if REQUIRED:
                pytest.fail(message)
            pytest.skip(message)
        started = True
        print(f"control plane up in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    env = mod.load_env()
    cp = ControlPlane(env, mod.Kube(env["KUBECONFIG"]), mod)
    _wait_ready(cp)
    try:
        yield cp
    finally:
        for kube in cp.clients:
            kube.close()
        if started:
            _script("down")


def _wait_ready(cp: ControlPlane) -> None:
    """Right after the CRDs are installed the API answers 429 "storage is (re)initializing" for a while."""
    kube = cp.kube()
    deadline = time.monotonic() + 60
    while True:
        try:
            kube.get("WorkflowTemplate", "absent", "default")
            return
        except KubeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


# ---------------------------------------------------------------------------------------------------- helpers


def _wt(name: str, value: str = "2", refs: tuple[str, ...] = ()) -> dict[str, Any]:
    tasks = [{"name": r, "templateRef": {"name": r, "template": r}} for r in refs]
    template: dict[str, Any] = ({"name": name, "dag": {"tasks": tasks}} if refs else
                                {"name": name, "container": {"image": "busybox:1.36", "args": [value]}})
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": name},
            "spec": {"entrypoint": name, "templates": [template]}}


def _never(question: str) -> bool:
    raise AssertionError(f"asked {question!r}, expected no prompt")


def _submit(kube: Kube, docs: list[dict[str, Any]], root: str, ns: str, **kw: Any) -> str:
    notes: list[str] = kw.pop("notes", [])
    confirm = kw.pop("confirm", _never)
    return submit(kube, docs, SubmitRequest(root=root, arguments={}, namespace=ns, **kw), notify=notes.append,
                  confirm=confirm, settle=0)


def _rv(kube: Kube, kind: str, name: str, ns: str) -> str:
    live = kube.get(kind, name, ns)
    assert live is not None, f"{kind} {name} missing in {ns}"
    return str(live["metadata"]["resourceVersion"])


def _workflows(kube: Kube, ns: str) -> list[str]:
    items = kube.client.list(_res("Workflow"), namespace=ns)
    return [i.metadata.name for i in items]


def _res(kind: str) -> Any:
    from athena.remote.kube import _resource

    return _resource(kind)


APP = '''
from athena import container, workflow


@container
def add(a: int, b: int) -> int:
    return a + b


@workflow
def pipeline(x: int, label: str = "n") -> int:
    return add(x, {B})
'''


def _project(tmp_path: Path, cp: ControlPlane, b: int = 2) -> Path:
    (tmp_path / "pipeline.py").write_text(APP.replace("{B}", str(b)))
    (tmp_path / "athena.toml").write_text(
        f'[project]\nname = "sub"\napp = "pipeline"\n\n[artifact_repository.s3]\n'
        f'endpoint = "{cp.env["ATHENA_CLUSTER_S3_ENDPOINT"]}"\nbucket = "{cp.env["ATHENA_CLUSTER_S3_BUCKET"]}"\n'
        'insecure = true\n')
    return tmp_path


# ---------------------------------------------------------------------------------------------------- tests


def test_create_then_unchanged_writes_nothing(control_plane: ControlPlane) -> None:
    kube, ns = control_plane.kube(), control_plane.namespace()
    docs = [_wt("s-leaf"), _wt("s-root", refs=("s-leaf",))]
    notes: list[str] = []
    first = _submit(kube, docs, "s-root", ns, notes=notes)
    assert notes == ["created WorkflowTemplate s-leaf", "created WorkflowTemplate s-root"]  # callees first
    live = kube.get("WorkflowTemplate", "s-root", ns)
    assert live is not None
    assert live["metadata"]["annotations"][drift.ANNOTATION] == drift.content_hash(docs[1])
    wf = kube.get("Workflow", first, ns)
    assert wf is not None and first.startswith("s-root-")
    assert wf["spec"] == {"workflowTemplateRef": {"name": "s-root"}}
    before = {n: _rv(kube, "WorkflowTemplate", n, ns) for n in ("s-leaf", "s-root")}
    notes.clear()
    second = _submit(kube, docs, "s-root", ns, notes=notes)  # _never: no prompt
    assert notes == ["unchanged WorkflowTemplate s-leaf", "unchanged WorkflowTemplate s-root"]
    assert {n: _rv(kube, "WorkflowTemplate", n, ns) for n in before} == before  # no write at all
    assert second != first and sorted(_workflows(kube, ns)) == sorted([first, second])


def test_cli_changed_by_compile_shows_a_diff_and_refuses_without_yes(control_plane: ControlPlane,
                                                                      tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    project = _project(tmp_path, cp)
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 0, r.stderr
    name = r.stdout.strip()
    assert name.startswith("sub-pipeline-") and "\n" not in name  # only the name on stdout
    kube = cp.kube()
    wf = kube.get("Workflow", name, ns)
    assert wf is not None
    assert wf["spec"]["arguments"] == {"parameters": [{"name": "x", "value": "3"}]}
    rv = _rv(kube, "WorkflowTemplate", "sub-pipeline", ns)

    _project(tmp_path, cp, b=5)  # a new compile
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check", stdin="")
    assert r.returncode == 1, r.stderr
    assert "WorkflowTemplate sub-pipeline in " + ns + ": changed by a new compile" in r.stderr
    assert "-            value: '2'" in r.stderr and "+            value: '5'" in r.stderr
    assert "nothing changed in namespace" in r.stderr and "--update" in r.stderr
    assert _rv(kube, "WorkflowTemplate", "sub-pipeline", ns) == rv
    assert _workflows(kube, ns) == [name]  # no Workflow either

    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check", "-y")
    assert r.returncode == 0, r.stderr
    assert "updated WorkflowTemplate sub-pipeline" in r.stderr
    assert _rv(kube, "WorkflowTemplate", "sub-pipeline", ns) != rv
    r = cp.cli(project, "submit", "pipeline", "-a", "x=3", "-n", ns, "--skip-bundle-check", "--update")
    assert r.returncode == 0 and "unchanged WorkflowTemplate sub-pipeline" in r.stderr, r.stderr


def test_changed_outside_athena(control_plane: ControlPlane) -> None:
    kube, ns = control_plane.kube(), control_plane.namespace()
    docs = [_wt("o-root")]
    _submit(kube, docs, "o-root", ns)
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
        _submit(kube, docs, "o-root", ns, notes=notes, confirm=lambda q: asked.append(q) is not None)
    assert asked and any("changed outside athena" in n for n in notes)
    assert any("overwrites that edit" in n for n in notes)
    _submit(kube, docs, "o-root", ns, confirm=lambda q: True)
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
    docs = [_wt("d-root"), cron]
    _submit(kube, docs, "d-root", ns)
    live = kube.get("CronWorkflow", "d-root", ns)
    assert live is not None and live["spec"]["successfulJobsHistoryLimit"] == 3  # defaulted by the server
    assert drift.content(live) != drift.content(cron)  # a naive comparison would call this drift
    changes = plan_changes(kube, docs, ns)
    assert [c.action for c in changes] == ["unchanged", "unchanged"]
    assert changes[1].drift is not None
    assert set(changes[1].drift.defaulted) == {"spec.failedJobsHistoryLimit", "spec.successfulJobsHistoryLimit"}
    rv = _rv(kube, "CronWorkflow", "d-root", ns)
    _submit(kube, docs, "d-root", ns)
    assert _rv(kube, "CronWorkflow", "d-root", ns) == rv


def test_a_concurrent_update_is_a_409_and_overwrites_nothing(control_plane: ControlPlane) -> None:
    kube, ns = control_plane.kube(), control_plane.namespace()
    _submit(kube, [_wt("c-root")], "c-root", ns)

    def someone_else_writes(question: str) -> bool:  # between athena's read and its write
        live = kube.get("WorkflowTemplate", "c-root", ns)
        assert live is not None
        live["spec"]["templates"][0]["container"]["args"] = ["theirs"]
        kube.replace(live, ns)
        return True

    with pytest.raises(KubeError) as info:
        _submit(kube, [_wt("c-root", value="mine")], "c-root", ns, confirm=someone_else_writes)
    assert info.value.status == 409
    assert "409 Conflict" in str(info.value) and "nothing was overwritten" in str(info.value)
    live = kube.get("WorkflowTemplate", "c-root", ns)
    assert live is not None and live["spec"]["templates"][0]["container"]["args"] == ["theirs"]
    assert _workflows(kube, ns) == [next(iter(_workflows(kube, ns)))]  # only the first submit's Workflow


def _token_kubeconfig(cp: ControlPlane, tmp_path: Path, token: str) -> str:
    kc = yaml.safe_load(Path(cp.kubeconfig).read_text())
    kc["users"] = [{"name": "sa", "user": {"token": token}}]
    kc["contexts"][0]["context"]["user"] = "sa"
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kc))
    return str(path)


def test_a_service_account_without_rbac_gets_403_and_nothing_is_created(control_plane: ControlPlane,
                                                                         tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    cp.admin.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}}, ns)
    token = cp.admin.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/nobody/token",
                             {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                              "spec": {"expirationSeconds": 600}})["status"]["token"]
    kube = cp.kube(_token_kubeconfig(cp, tmp_path, token))
    with pytest.raises(KubeError) as info:
        _submit(kube, [_wt("r-root")], "r-root", ns)
    assert info.value.status == 403
    text = str(info.value)
    assert "403 Forbidden" in text and "system:serviceaccount:" + ns + ":nobody" in text
    assert "ask for RBAC permission" in text
    assert cp.kube().get("WorkflowTemplate", "r-root", ns) is None


def test_an_invalid_or_expired_token_is_a_401(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    kube = cp.kube(_token_kubeconfig(cp, tmp_path, "eyJhbGciOiJSUzI1NiJ9.e30.expired"))
    with pytest.raises(KubeError) as info:
        _submit(kube, [_wt("e-root")], "e-root", ns)
    assert info.value.status == 401
    assert "401 Unauthorized" in str(info.value) and "log in again" in str(info.value)
    assert cp.kube().get("WorkflowTemplate", "e-root", ns) is None


def test_namespaces_are_separate_and_a_missing_one_is_named(control_plane: ControlPlane) -> None:
    kube = control_plane.kube()
    a, b = control_plane.namespace(), control_plane.namespace()
    _submit(kube, [_wt("n-root", value="a")], "n-root", a)
    notes: list[str] = []
    _submit(kube, [_wt("n-root", value="b")], "n-root", b, notes=notes)  # a create in b, no drift against a
    assert notes == ["created WorkflowTemplate n-root"]
    for ns, value in ((a, "a"), (b, "b")):
        live = kube.get("WorkflowTemplate", "n-root", ns)
        assert live is not None and live["spec"]["templates"][0]["container"]["args"] == [value]
    with pytest.raises(KubeError, match=r"namespace no-such-ns .*404 Not Found: namespaces \"no-such-ns\" not found"):
        _submit(kube, [_wt("n-root")], "n-root", "no-such-ns")


# ------------------------------------------------------------------------------------ bad input, through the CLI


def test_unknown_workflow(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    r = cp.cli(_project(tmp_path, cp), "submit", "pipelin", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("athena:") == 1 and "pipelin" in r.stderr, r.stderr
    assert cp.kube().get("WorkflowTemplate", "sub-pipeline", ns) is None


def test_wrong_argument_type(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()
    r = cp.cli(_project(tmp_path, cp), "submit", "pipeline", "-a", "x=three", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 1 and r.stdout == ""
    assert "-a x: parameter `x` of `pipeline` expects int, got 'three'" in r.stderr, r.stderr
    r = cp.cli(tmp_path, "submit", "pipeline", "-n", ns, "--skip-bundle-check")
    assert r.returncode == 1 and "needs `x`" in r.stderr, r.stderr
    assert cp.kube().get("WorkflowTemplate", "sub-pipeline", ns) is None
    assert _workflows(cp.kube(), ns) == []


def test_missing_bundle(control_plane: ControlPlane, tmp_path: Path) -> None:
    cp, ns = control_plane, control_plane.namespace()  # the instance's S3 is moto's server
    r = cp.cli(_project(tmp_path, cp), "submit", "pipeline", "-a", "x=1", "-n", ns)
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
    project = _project(tmp_path, cp)
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
    name = _submit(cp.kube(), [_wt("g-root")], "g-root", ns)
    r = cp.cli(tmp_path, "get", name, "-n", ns)
    assert r.returncode == 3 and f"{name}: Pending" in r.stderr, r.stderr

