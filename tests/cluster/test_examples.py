"""examples/features.py and examples/artifacts.py built, published to the cluster's S3 and run by a real Argo
controller. The expected values are not written down here: each workflow is first run in-process (calling the
@workflow, docs/guide.md "Running workflows in-process") and the cluster must give the same decoded result.

features.py asks for what a real cluster has to provide: nodes labelled for its node selectors (`disktype` from the
profile, `pool: batch`), a ServiceAccount `uploader` and an image pull secret `regcred`. The test provides them the
way a user would, through the API, in the test namespace. Only the image of `load` (ghcr.io/acme/app:{tag}, which
cannot be pulled here) is overridden, by a values file.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from athena.runtime import codec

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
pytestmark = pytest.mark.cluster

PROFILE = {"disk": "ssd", "cores": 2}
NODE_LABELS = {"disktype": PROFILE["disk"], "pool": "batch"}
VALUES = """\
# ghcr.io/acme/app:{tag} is not pullable here (no registry access): the same container in the local test image.
containers:
  load:
    image: localhost/athena-bb:1
"""


def _example(name: str) -> ModuleType:
    """Import examples/<name>.py under its own module name (template names derive from it)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _in_process(mod: ModuleType, root: str, store: Path, **arguments: Any) -> Any:
    """The root's result in-process, as the JSON value a pod's `return` parameter carries."""
    old = os.environ.get("ATHENA_LOCAL_STORE")
    os.environ["ATHENA_LOCAL_STORE"] = str(store)
    try:
        return json.loads(codec.encode(getattr(mod, root)(**arguments)))
    finally:
        if old is None:
            del os.environ["ATHENA_LOCAL_STORE"]
        else:
            os.environ["ATHENA_LOCAL_STORE"] = old


def _workflow_return(wf: dict[str, Any]) -> Any:
    """The decoded `return` output of the workflow's root node."""
    root = wf["status"]["nodes"][wf["metadata"]["name"]]
    params = {p["name"]: p.get("value") for p in root.get("outputs", {}).get("parameters", [])}
    assert "return" in params, json.dumps(root.get("outputs"))
    return json.loads(params["return"])


def _pods(wf: dict[str, Any], template: str) -> list[dict[str, Any]]:
    return [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"
            and ((n.get("templateRef") or {}).get("template") or n.get("templateName")) == template]


def _s3_object(cluster: Any, key: str) -> bytes:
    import boto3

    e = cluster.env
    s3 = boto3.client("s3", endpoint_url=e["AWS_ENDPOINT_URL"], aws_access_key_id=e["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"], region_name=e.get("AWS_REGION", "us-east-1"))
    return bytes(s3.get_object(Bucket=e["ATHENA_CLUSTER_S3_BUCKET"], Key=key)["Body"].read())


# ------------------------------------------------------------------------------ what features.py needs


@pytest.fixture(scope="module")
def features_cluster(cluster: Any) -> Iterator[Any]:
    """Label the node and create the ServiceAccount (bound to Argo's executor Role, as `scripts/cluster up` binds
    `default`) and the docker-registry Secret that features.py's decorators name; undo it afterwards."""
    kube, ns = cluster.kube, cluster.namespace
    # Every node (one here, more on kind) gets the labels, as a user labels the nodes of the pool.
    nodes = {f"/api/v1/nodes/{n['metadata']['name']}": dict(n["metadata"].get("labels") or {})
             for n in kube.get("/api/v1/nodes")["items"]}
    for node in nodes:
        kube.request("PATCH", node, {"metadata": {"labels": NODE_LABELS}},
                     content_type="application/merge-patch+json")
    # The Role the cluster's set-up bound to `default` (Argo's executor Role: create/patch workflowtaskresults).
    bindings = kube.get(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings")["items"]
    (role,) = [b["roleRef"] for b in bindings for s in b.get("subjects") or []
               if (s["kind"], s["name"], s.get("namespace")) == ("ServiceAccount", "default", ns)]
    auth = base64.b64encode(b"acme-bot:not-a-real-token").decode()
    docs = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "uploader", "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "executor-uploader", "namespace": ns}, "roleRef": role,
         "subjects": [{"kind": "ServiceAccount", "name": "uploader", "namespace": ns}]},
        # Never used for a pull here (the image is present and not :latest, so IfNotPresent), but it must exist
        # and be well-formed, as on a cluster pulling from ghcr.io.
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
         "metadata": {"name": "regcred", "namespace": ns},
         "stringData": {".dockerconfigjson": json.dumps({"auths": {"ghcr.io": {"auth": auth}}})}},
    ]  # fmt: skip
    for d in docs:
        kube.apply(d, ns)
    yield cluster
    for d in reversed(docs):
        kube.delete(d, ns)
    for node, before in nodes.items():
        restore: dict[str, Any] = {k: before.get(k) for k in NODE_LABELS}  # None deletes a label that was not there
        kube.request("PATCH", node, {"metadata": {"labels": restore}}, content_type="application/merge-patch+json")


@pytest.fixture(scope="module")
def features_project(features_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("features")
    shutil.copy(EXAMPLES / "features.py", project)
    (project / "athena.toml").write_text(features_cluster.athena_toml("features", "features"))
    (project / "values.yaml").write_text(VALUES)
    features_cluster.athena(project, "build", "--out", "bundle.tar.gz")
    features_cluster.athena(project, "publish", "--tarball", "bundle.tar.gz")
    return project


# (root, arguments): everything takes the `upload` arm (threshold > 100: service account, pull secret, hostPath,
# save_artifact); tolerant gets a negative value, which `flaky` refuses, so one element fails under continue_on.
RUNS: dict[str, dict[str, Any]] = {
    "everything": {"tag": "v1", "profile": PROFILE, "threshold": 101},
    "orders": {"tag": "v1", "profile": PROFILE},
    "in_steps": {"count": 3},
    "tolerant": {"values": [1, -2, 3]},
}


@pytest.fixture(scope="module")
def features_runs(features_cluster: Any, features_project: Path) -> dict[str, str]:
    """Submit the four workflows at once (the machine is slow; they run side by side): root -> Workflow name."""
    names = {}
    for root, arguments in RUNS.items():
        argv = ["emit", f"features:{root}", "--with-workflow", "-n", features_cluster.namespace]
        if "tag" in arguments:  # only the roots that reach `load` (a values file naming another template is an error)
            argv += ["-f", "values.yaml"]
        for k, v in arguments.items():
            argv += ["-a", f"{k}={json.dumps(v)}"]
        names[root] = features_cluster.submit(features_cluster.athena(features_project, *argv))
    return names


@pytest.fixture(scope="module")
def features_module() -> ModuleType:
    return _example("features")


def _expected(features_module: ModuleType, root: str, store: Path) -> Any:
    arguments = dict(RUNS[root])
    if "profile" in arguments:
        arguments["profile"] = features_module.Profile(**arguments["profile"])
    return _in_process(features_module, root, store, **arguments)


def test_features_everything(features_cluster: Any, features_runs: dict[str, str], features_module: ModuleType,
                             tmp_path: Path) -> None:
    expected = _expected(features_module, "everything", tmp_path)
    (saved,) = (tmp_path / "reports").glob("*/summary.txt")  # upload's save_artifact, in-process
    wf = features_cluster.wait(features_runs["everything"], timeout=900)
    log = features_cluster.describe(wf)
    assert wf["status"]["phase"] == "Succeeded", log
    assert _workflow_return(wf) == expected == "left 101", log
    nodes = list(wf["status"]["nodes"].values())
    # upload ran under its ServiceAccount and wrote reports/<workflow uid>/summary.txt to the cluster's S3.
    (upload,) = _pods(wf, "features-upload")
    assert upload["phase"] == "Succeeded", log
    uid = wf["metadata"]["uid"]
    assert _s3_object(features_cluster, f"reports/{uid}/summary.txt") == saved.read_bytes(), log
    # the arms not taken (right_path; record "small"/"other") are Skipped; the exit handler ran.
    assert any(n["phase"] == "Skipped" for n in nodes), log
    assert [n["phase"] for n in _pods(wf, "features-cleanup")] == ["Succeeded"], log
    assert [n["phase"] for n in _pods(wf, "features-load")] == ["Succeeded", "Succeeded"], log


def test_features_orders(features_cluster: Any, features_runs: dict[str, str], features_module: ModuleType,
                         tmp_path: Path) -> None:
    expected = _expected(features_module, "orders", tmp_path)
    wf = features_cluster.wait(features_runs["orders"], timeout=900)
    assert wf["status"]["phase"] == "Succeeded", features_cluster.describe(wf)
    assert _workflow_return(wf) == expected == {"count": 1, "label": "weekly"}, features_cluster.describe(wf)


def test_features_in_steps(features_cluster: Any, features_runs: dict[str, str], features_module: ModuleType,
                           tmp_path: Path) -> None:
    expected = _expected(features_module, "in_steps", tmp_path)
    wf = features_cluster.wait(features_runs["in_steps"], timeout=900)
    assert wf["status"]["phase"] == "Succeeded", features_cluster.describe(wf)
    assert wf["status"]["nodes"][wf["metadata"]["name"]]["type"] == "Steps", features_cluster.describe(wf)
    assert _workflow_return(wf) == expected == "left 3:3", features_cluster.describe(wf)


def test_features_tolerant(features_cluster: Any, features_runs: dict[str, str], features_module: ModuleType,
                           tmp_path: Path) -> None:
    expected = _expected(features_module, "tolerant", tmp_path)
    wf = features_cluster.wait(features_runs["tolerant"], timeout=900)
    log = features_cluster.describe(wf)
    assert wf["status"]["phase"] == "Succeeded", log
    assert _workflow_return(wf) == expected == 2, log
    assert sorted(n["phase"] for n in _pods(wf, "features-flaky")) == ["Failed", "Succeeded", "Succeeded"], log
    assert "flaky: -2 is negative" in log, log


# ------------------------------------------------------------------------------ artifacts.py


ARTIFACT_PAGES = 40
ZLIB_HEADER = {True: b"\x78\xda", False: b"\x78\x01"}  # zlib's FLEVEL bits: level 9 vs level 1


@pytest.fixture(scope="module")
def artifacts_runs(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[bool, str]:
    """Build and publish examples/artifacts.py once, submit `report` for both arms at once: small -> Workflow."""
    project = tmp_path_factory.mktemp("artifacts")
    shutil.copy(EXAMPLES / "artifacts.py", project)
    (project / "athena.toml").write_text(cluster.athena_toml("artifacts", "artifacts"))
    cluster.athena(project, "build", "--out", "bundle.tar.gz")
    cluster.athena(project, "publish", "--tarball", "bundle.tar.gz")
    names = {}
    for small in (True, False):
        stream = cluster.athena(project, "emit", "artifacts:report", "--with-workflow", "-n", cluster.namespace,
                                "-a", f"pages={ARTIFACT_PAGES}", "-a", f"small={json.dumps(small)}")
        names[small] = cluster.submit(stream)
    return names


@pytest.mark.parametrize("small", [True, False])
def test_artifacts_report(cluster: Any, artifacts_runs: dict[bool, str], small: bool) -> None:
    """render -> compress -> size_of, every value an S3 artifact in the cluster's bucket (moto); the workflow's
    result is the compressed document."""
    import zlib

    expected = _example("artifacts").report(ARTIFACT_PAGES, small=small).load()

    wf = cluster.wait(artifacts_runs[small], timeout=600)

    log = cluster.describe(wf)
    assert wf["status"]["phase"] == "Succeeded", log
    root = wf["status"]["nodes"][wf["metadata"]["name"]]
    (artifact,) = root["outputs"]["artifacts"]
    packed = _s3_object(cluster, artifact["s3"]["key"])
    assert zlib.decompress(packed) == zlib.decompress(expected), log
    # the arm taken chose the level: compare zlib headers, not bytes (the pod's zlib may be another build)
    assert packed[:2] == expected[:2] == ZLIB_HEADER[small], log
    (size,) = [json.loads(o["return"]) for o in cluster.node_outputs(wf, "-size-of")]
    assert size == len(packed), log
