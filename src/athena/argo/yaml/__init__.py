"""Deterministic YAML for Argo documents: :func:`dump_yaml` writes, :func:`load_yaml_documents` reads.

Modules: ``scalars`` (how each string is quoted; the PyYAML classes), ``fast`` (the writer), ``frozen``
(constant sub-documents the writer renders once), ``io`` (the stream functions re-exported here).
"""

from __future__ import annotations

from athena.argo.yaml.frozen import FrozenDict, FrozenList, frozen
from athena.argo.yaml.io import dump_yaml, load_yaml_documents

__all__ = ["FrozenDict", "FrozenList", "dump_yaml", "frozen", "load_yaml_documents"]
