"""``athena submit --watch``, ``athena get`` and ``athena logs`` on the full cluster (a real controller runs the
pods): the exit code follows the phase, ``return: <json>`` on stdout when it Succeeded. Needs `scripts/cluster up`
(see conftest.py); the drift and apply tests that need only the API server are tests/remote/test_submit_cluster.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.cluster

APP = '''
from athena import container, workflow


@container
def add(a: int, b: int) -> int:
    if a < 0:
        raise ValueError("negative input")
    print(f"adding {a} and {b}")
    return a + b


@workflow
def pipeline(x: int) -> int:
    return add(x, 2)
'''


def _athena(cluster: Any, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATHENA_CONFIG", "ARGO_"))}
    env.update({k: v for k, v in cluster.env.items() if k.startswith("AWS_")})
    env["KUBECONFIG"] = cluster.env["KUBECONFIG"]
    env["PYTHONPATH"] = str(REPO / "src")
    return subprocess.run([sys.executable, "-m", "athena.cli", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def project(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("submit")
    (p / "pipeline.py").write_text(APP)
    (p / "athena.toml").write_text(cluster.athena_toml("sub", "pipeline"))
    cluster.athena(p, "publish")
    return p


@pytest.fixture(params=["kubernetes-api", "argo-server"])
def via(request: pytest.FixtureRequest, cluster: Any) -> tuple[str, ...]:
    """The transport: the kubeconfig's API server, or Argo's real `argo server` in front of it."""
    if request.param == "kubernetes-api":
        return ()
    url = cluster.env.get("ATHENA_CLUSTER_ARGO_SERVER")
    if not url:
        pytest.fail("the cluster runs no Argo Server: scripts/cluster up --argo-server")
    return ("--argo-server", url, "--insecure-skip-tls-verify")


def test_watch_succeeded_streams_the_log_prints_the_return_value_and_exits_0(cluster: Any, project: Path,
                                                                            via: tuple[str, ...],
                                                                            tmp_path: Path) -> None:
    r = _athena(cluster, project, "submit", "pipeline", "-a", "x=3", "-n", cluster.namespace, "-y", "--watch", *via)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "return: 5\n"
    assert "✔ Succeeded" in r.stderr
    assert "add (add, pipeline.py:" in r.stderr, r.stderr  # the step with its function and source line
    # The step's output, streamed while it ran, before the final tree.
    streamed = [line for line in r.stderr.splitlines() if line.endswith("│ adding 3 and 2")]
    assert len(streamed) == 1 and streamed[0].startswith("add"), r.stderr
    assert r.stderr.index("adding 3 and 2") < r.stderr.index(": Succeeded")
    name = r.stderr.split("submitted ", 1)[1].split()[0]
    g = _athena(cluster, project, "get", name, "-n", cluster.namespace, *via)
    assert g.returncode == 0 and g.stdout == "return: 5\n", g.stderr
    # In the project: the steps' functions and the result as the root's return type, as --watch shows them.
    assert "returned int: 5" in g.stderr and "add (add, pipeline.py:" in g.stderr, g.stderr
    elsewhere = _athena(cluster, tmp_path, "get", name, "-n", cluster.namespace, *via)
    assert elsewhere.returncode == 0 and elsewhere.stdout == "return: 5\n", elsewhere.stderr
    assert "returned" not in elsewhere.stderr and "pipeline.py" not in elsewhere.stderr
    logs = _athena(cluster, project, "logs", name, "-n", cluster.namespace, *via)
    assert logs.returncode == 0 and "adding 3 and 2" in logs.stdout, logs.stderr
    assert f"--- {name}.add" in logs.stdout, logs.stdout  # under the node's name, not the pod's


def test_watch_failed_exits_1(cluster: Any, project: Path, via: tuple[str, ...]) -> None:
    r = _athena(cluster, project, "submit", "pipeline", "-a", "x=-1", "-n", cluster.namespace, "-y", "--watch",
                "--no-logs", *via)
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""
    assert "Failed" in r.stderr
    assert "│ Traceback" not in r.stderr and "│ ValueError" not in r.stderr  # --no-logs
