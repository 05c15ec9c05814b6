"""examples/getting_started.py built, published to the cluster's S3 and run by a real Argo controller."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.cluster


def test_getting_started_succeeds_with_its_outputs(cluster: Any, tmp_path: Path) -> None:
    project = tmp_path / "gs"
    project.mkdir()
    shutil.copy(REPO / "examples" / "getting_started.py", project)
    (project / "athena.toml").write_text(cluster.athena_toml("gs", "getting_started"))
    # fetch's own image (ghcr.io/acme/app:latest) cannot be pulled here: a values file points it at the test image.
    (project / "values.yaml").write_text("containers:\n  fetch:\n    image: localhost/athena-bb:1\n")
    cluster.athena(project, "build", "--out", "bundle.tar.gz")
    cluster.athena(project, "publish", "--tarball", "bundle.tar.gz")
    stream = cluster.athena(project, "emit", "--with-workflow", "-n", cluster.namespace, "-f", "values.yaml")

    wf = cluster.run(stream)

    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    url = "https://example.com/data"
    assert [o["return"] for o in cluster.node_outputs(wf, "-fetch")] == [json.dumps(f"data-from:{url}")]
    assert [o["return"] for o in cluster.node_outputs(wf, "-summarize")] == [json.dumps(f"data-from:{url}"[:30])]
