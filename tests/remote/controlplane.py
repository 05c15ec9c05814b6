"""A real kube-apiserver with Argo's CRDs, and Argo's real `argo server` beside it, for the submit tests
(``scripts/cluster up --control-plane-only --argo-server``).

Only etcd, kube-apiserver, Argo's CRDs, moto's S3 and (as root) the Argo Server run (no kubelet, no controller):
everything here is about what submit writes, so no Workflow has to run. The instance is the submit tests' own
(port base ``$ATHENA_SUBMIT_CLUSTER_PORT_BASE``, 32400, and state ``$ATHENA_SUBMIT_CLUSTER_STATE``,
/tmp/athena-cluster-submit), so it never touches a full cluster on the default ports. It is started when it is
not up (about 12 s with the builds cached in ~/.cache/athena-cluster) and stopped at the end. Without the builds
it skips, saying so; with ``ATHENA_CLUSTER=required`` or ``CI`` set, a control plane that cannot start is a
failure, never a skip. ``--watch`` needs the controller: tests/cluster/test_submit_watch.py.
"""

from __future__ import annotations

import importlib.util
import os
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

from athena.remote.argo_server import ArgoServer
from athena.remote.kube import Kube, KubeError, connect
from athena.remote.submit import SubmitRequest, submit
from athena.remote.transport import Transport

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
    clients: list[Any] = field(default_factory=list)  # closed at the end (an unclosed one warns)

    @property
    def kubeconfig(self) -> str:
        return self.env["KUBECONFIG"]

    def kube(self, kubeconfig: str | None = None, **kw: Any) -> Kube:
        kube = connect(kubeconfig=kubeconfig or self.kubeconfig, **kw)
        self.clients.append(kube)
        return kube

    @property
    def argo_server_url(self) -> str:
        """Argo's real `argo server` of this instance (HTTPS with its self-signed certificate)."""
        url = self.env.get("ATHENA_CLUSTER_ARGO_SERVER")
        if not url:
            message = "this control plane runs no Argo Server (scripts/cluster up --argo-server needs root)"
            if REQUIRED:
                pytest.fail(message)
            pytest.skip(message)
        return url

    def argo_server(self, token: str | None = None, **kw: Any) -> ArgoServer:
        api = ArgoServer.connect(self.argo_server_url, token=token, insecure=True, **kw)
        self.clients.append(api)
        return api

    def sa_token(self, ns: str, name: str) -> str:
        """A token of a new ServiceAccount ``name`` in ``ns`` (which has no RBAC unless the caller grants it)."""
        self.admin.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}, ns)
        return str(self.admin.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/{name}/token",
                                      {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                       "spec": {"expirationSeconds": 600}})["status"]["token"])

    def namespace(self) -> str:
        ns = f"t-{uuid.uuid4().hex[:8]}"
        self.admin.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        return ns

    def cli(self, project: Path, *args: str, stdin: str | None = None,
            env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "ATHENA_CONFIG", "KUBECONFIG", "ARGO_"))}
        env.update({k: v for k, v in self.env.items() if k.startswith("AWS_")})
        env["KUBECONFIG"] = self.kubeconfig
        env.update(env_extra or {})
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


def start_control_plane() -> Iterator[ControlPlane]:
    mod = _load_module()
    started = False
    procs = mod.read_state()["procs"]
    # As root the instance also runs Argo's real `argo server` (it needs a network namespace of its own).
    flags = ["--control-plane-only"] + (["--argo-server"] if os.geteuid() == 0 else [])
    env = mod.load_env()
    usable = env and procs and all(mod._ours(p) for p in procs) and (
        "--argo-server" not in flags or "ATHENA_CLUSTER_ARGO_SERVER" in env)
    if not usable:
        if procs:
            _script("down")
        built = any(CACHE.glob("bin/k8s-*")) and any(CACHE.glob("bin/etcd-*"))
        if not built and not REQUIRED:
            pytest.skip("no control plane and no cached build: scripts/cluster build (or ATHENA_CLUSTER=required "
                        "to build and start one here)")
        t0 = time.monotonic()
        r = _script("up", *flags)
        if r.returncode != 0:
            message = f"scripts/cluster up {' '.join(flags)} failed (exit {r.returncode}):\n{r.stderr[-4000:]}"
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


def wt(name: str, value: str = "2", refs: tuple[str, ...] = ()) -> dict[str, Any]:
    tasks = [{"name": r, "templateRef": {"name": r, "template": r}} for r in refs]
    template: dict[str, Any] = ({"name": name, "dag": {"tasks": tasks}} if refs else
                                {"name": name, "container": {"image": "busybox:1.36", "args": [value]}})
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": name},
            "spec": {"entrypoint": name, "templates": [template]}}


def never(question: str) -> bool:
    raise AssertionError(f"asked {question!r}, expected no prompt")


def submit_docs(kube: Transport, docs: list[dict[str, Any]], root: str, ns: str, **kw: Any) -> str:
    notes: list[str] = kw.pop("notes", [])
    confirm = kw.pop("confirm", never)
    return submit(kube, docs, SubmitRequest(root=root, arguments={}, namespace=ns, **kw), notify=notes.append,
                  confirm=confirm, settle=0)


def version_of(kube: Transport, kind: str, name: str, ns: str) -> str:
    live = kube.get(kind, name, ns)
    assert live is not None, f"{kind} {name} missing in {ns}"
    return str(live["metadata"]["resourceVersion"])


def workflows(kube: Kube, ns: str) -> list[str]:
    items = kube.client.list(res("Workflow"), namespace=ns)
    return [i.metadata.name for i in items]


def res(kind: str) -> Any:
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


def make_project(tmp_path: Path, cp: ControlPlane, b: int = 2) -> Path:
    (tmp_path / "pipeline.py").write_text(APP.replace("{B}", str(b)))
    (tmp_path / "athena.toml").write_text(
        f'[project]\nname = "sub"\napp = "pipeline"\n\n[artifact_repository.s3]\n'
        f'endpoint = "{cp.env["ATHENA_CLUSTER_S3_ENDPOINT"]}"\nbucket = "{cp.env["ATHENA_CLUSTER_S3_BUCKET"]}"\n'
        'insecure = true\n')
    return tmp_path




def token_kubeconfig(cp: ControlPlane, tmp_path: Path, token: str) -> str:
    kc = yaml.safe_load(Path(cp.kubeconfig).read_text())
    kc["users"] = [{"name": "sa", "user": {"token": token}}]
    kc["contexts"][0]["context"]["user"] = "sa"
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kc))
    return str(path)


