"""A two-target bundle on the x86_64 node: the container bootstrap picks app-aarch64 in an arm64 image (qemu-user)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

APPS = Path(__file__).resolve().parent / "apps"
pytestmark = pytest.mark.cluster


def test_aarch64_image_runs_the_aarch64_build(cluster: Any, tmp_path: Path) -> None:
    project = tmp_path / "arch"
    project.mkdir()
    shutil.copy(APPS / "cluster_app.py", project)
    toml = cluster.athena_toml("carch", "cluster_app").replace('targets = ["x86_64"]', 'targets = ["x86_64", "aarch64"]')
    (project / "athena.toml").write_text(toml)
    (project / "values.yaml").write_text("containers:\n  machine:\n    image: localhost/athena-bb-arm64:1\n")
    cluster.athena(project, "build", "--out", "bundle.tar.gz")
    cluster.athena(project, "publish", "--tarball", "bundle.tar.gz")
    stream = cluster.athena(project, "emit", "cluster_app:which_machine", "--with-workflow", "-n", cluster.namespace,
                            "-f", "values.yaml")
    wf = cluster.run(stream, timeout=300)
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    assert [json.loads(o["return"]) for o in cluster.node_outputs(wf, "-machine")] == ["aarch64"]
