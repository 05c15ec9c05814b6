"""Every golden document, created with a server-side dry run (strict field validation) against the cluster's CRDs.

On Argo 4.x the CRDs are the full ones with their CEL rules, so this is admission as a real cluster does it; on 3.x
the default install's CRDs have no schema and only the object metadata is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
DOCS = [(f"{p.parent.name}#{i}", d) for p in sorted(GOLDEN.glob("*/expected.yaml"))
        for i, d in enumerate(yaml.safe_load_all(p.read_text())) if d]
pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("doc", [d for _, d in DOCS], ids=[i for i, _ in DOCS])
def test_golden_document_is_admitted(cluster: Any, doc: dict[str, Any]) -> None:
    doc = {**doc, "metadata": {k: v for k, v in doc["metadata"].items() if k != "namespace"}}  # ours, not team-a
    try:
        cluster.kube.create(doc, cluster.namespace, dry_run=True)
    except cluster.mod.KubeError as e:
        pytest.fail(f"{doc['kind']} {doc['metadata'].get('name') or doc['metadata'].get('generateName')}: {e}")
