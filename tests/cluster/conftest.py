"""tests/cluster: athena's output on a real Kubernetes control plane, kubelet and Argo controller.

The cluster is `scripts/cluster up` (docs/cluster.md). Without one these tests skip, saying so. With
``ATHENA_CLUSTER=required`` (what CI will set once it runs them) a missing cluster is started here and a failed
start-up is a test failure with `scripts/cluster up`'s own error, never a skip.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("ATHENA_CLUSTER") == "required"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster: needs `scripts/cluster up` (a real Kubernetes + Argo on loopback)")


def _cluster_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("athena_cluster", REPO / "scripts" / "athena_cluster.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["athena_cluster"] = mod
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Cluster:
    env: dict[str, str]
    kube: Any
    mod: ModuleType

    @property
    def namespace(self) -> str:
        return self.env["ATHENA_CLUSTER_NAMESPACE"]

    @property
    def argo_line(self) -> str:
        return ".".join(self.env["ATHENA_CLUSTER_ARGO"].lstrip("v").split(".")[:2])

    def athena_toml(self, name: str, app: str) -> str:
        e = self.env
        return (f'[project]\nname = "{name}"\napp = ["{app}"]\n\n'
                f'[artifact_repository.s3]\nendpoint = "{e["ATHENA_CLUSTER_S3_ENDPOINT"]}"\n'
                f'bucket = "{e["ATHENA_CLUSTER_S3_BUCKET"]}"\ninsecure = true\n'
                f'access_key_secret = {{ name = "{e["ATHENA_CLUSTER_S3_SECRET"]}", key = "accessKey" }}\n'
                f'secret_key_secret = {{ name = "{e["ATHENA_CLUSTER_S3_SECRET"]}", key = "secretKey" }}\n\n'
                '[bootstrap]\ninterpreter = "apt"\ntargets = ["x86_64"]\n'
                'default_image = "localhost/athena-bb:1"\n\n'
                f'[defaults]\nargo_version = "{self.argo_line}"\n')

    def athena(self, project: Path, *args: str, timeout: float = 900) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATHENA_CONFIG"))}
        env.update({k: v for k, v in self.env.items() if k.startswith("AWS_")})
        r = subprocess.run([sys.executable, "-m", "athena.cli", *args], cwd=project, env=env, capture_output=True,
                           text=True, timeout=timeout)
        assert r.returncode == 0, f"athena {' '.join(args)} failed ({r.returncode}):\n{r.stderr}"
        return r.stdout

    def submit(self, stream: str) -> str:
        """Apply every WorkflowTemplate of an `athena emit --with-workflow` stream, create its one Workflow."""
        docs = [d for d in yaml.safe_load_all(stream) if d]
        workflows = [d for d in docs if d["kind"] == "Workflow"]
        assert len(workflows) == 1, [d["kind"] for d in docs]
        changed = False
        for d in docs:
            if d["kind"] != "Workflow":
                before = self._resource_version(d)
                after = self.kube.apply(d, self.namespace)["metadata"]["resourceVersion"]
                changed = changed or before != after
        if changed:
            # The controller resolves workflowTemplateRef/templateRef from its informer's cache: a Workflow created
            # the same instant as its new WorkflowTemplate can fail "workflowtemplates ... not found" (seen on 3.7).
            time.sleep(2)
        created = self.kube.create(workflows[0], self.namespace)
        return str(created["metadata"]["name"])

    def _resource_version(self, doc: dict[str, Any]) -> str | None:
        try:
            return str(self.kube.get(self.kube.path_of(doc, self.namespace))["metadata"]["resourceVersion"])
        except self.mod.KubeError as e:
            if e.status == 404:
                return None
            raise

    def wait(self, name: str, timeout: float = 300) -> dict[str, Any]:
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{self.namespace}/workflows/{name}"
        deadline = time.monotonic() + timeout
        while True:
            wf = self.kube.get(path)
            if wf.get("status", {}).get("phase") in ("Succeeded", "Failed", "Error"):
                return dict(wf)
            if time.monotonic() > deadline:
                pytest.fail(f"workflow {name} not finished after {timeout:.0f}s:\n{self.describe(wf)}")
            time.sleep(1)

    def describe(self, wf: dict[str, Any]) -> str:
        """Phase, node messages and the pods' container logs (read from the kubelet's log directory)."""
        st = wf.get("status", {})
        lines = [f"phase={st.get('phase')} message={st.get('message')!r}"]
        for node in st.get("nodes", {}).values():
            lines.append(f"  {node.get('displayName')} [{node.get('type')}] {node.get('phase')}: "
                         f"{node.get('message', '')} outputs={json.dumps(node.get('outputs', {}))[:300]}")
        logs = Path(self.mod.STATE) / "pod-logs"
        for f in sorted(logs.glob(f"{self.namespace}_{wf['metadata']['name']}*/*/*.log")):
            lines.append(f"--- {f.relative_to(logs)}")
            lines.extend(f.read_text(errors="replace").splitlines()[-15:])
        return "\n".join(lines)

    def run(self, stream: str, timeout: float = 300) -> dict[str, Any]:
        return self.wait(self.submit(stream), timeout)

    @staticmethod
    def node_outputs(wf: dict[str, Any], template_suffix: str) -> list[dict[str, Any]]:
        """The output parameters of each Pod node whose template name ends with `template_suffix`."""
        out = []
        for node in wf["status"]["nodes"].values():
            ref = (node.get("templateRef") or {}).get("template") or node.get("templateName") or ""
            if node.get("type") == "Pod" and ref.endswith(template_suffix):
                out.append({p["name"]: p.get("value") for p in node.get("outputs", {}).get("parameters", [])})
        return out


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    mod = _cluster_module()
    env = mod.load_env()
    if not env:
        if not REQUIRED:
            pytest.skip("no cluster is up: run scripts/cluster up (ATHENA_CLUSTER=required starts one and fails "
                        "if it cannot)")
        line = os.environ.get("ATHENA_CLUSTER_ARGO_LINE", "3.7")
        # With Argo's real `argo server` too: test_submit_watch.py goes through it as well as the Kubernetes API.
        r = subprocess.run([str(REPO / "scripts" / "cluster"), "up", "--argo", line, "--argo-server"],
                           capture_output=True, text=True, timeout=5000)
        if r.returncode != 0:
            pytest.fail(f"scripts/cluster up --argo {line} --argo-server failed (exit {r.returncode}):\n"
                        f"{r.stderr[-6000:]}")
        env = mod.load_env()
    return Cluster(env, mod.Kube(env["KUBECONFIG"]), mod)



APPS = Path(__file__).resolve().parent / "apps"


@pytest.fixture(scope="module")
def project(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/cluster/apps/cluster_app.py as a project pointed at the cluster, its bundle built and published once
    per test module."""
    import shutil

    project = tmp_path_factory.mktemp("cluster_app")
    shutil.copy(APPS / "cluster_app.py", project)
    (project / "athena.toml").write_text(cluster.athena_toml("capp", "cluster_app"))
    cluster.athena(project, "build", "--out", "bundle.tar.gz")
    cluster.athena(project, "publish", "--tarball", "bundle.tar.gz")
    return project
