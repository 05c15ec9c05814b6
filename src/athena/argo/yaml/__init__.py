"""Deterministic YAML for Argo documents: :func:`dump_yaml` writes, :func:`load_yaml_documents` reads.

Modules: ``scalars`` (how each string is quoted; the PyYAML classes), ``fast`` (the writer), ``frozen``
(constant sub-documents the writer renders once), ``io`` (the stream functions re-exported here).

``frozen`` is imported eagerly (the emitter builds documents with it, and building documents needs no YAML
library); the writer and reader load PyYAML, part of the ``cli`` extra, so they load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from athena.argo.yaml.frozen import FrozenDict, FrozenList, frozen

if TYPE_CHECKING:
    from athena.argo.yaml.io import dump_yaml, load_yaml_documents

__all__ = ["FrozenDict", "FrozenList", "dump_yaml", "frozen", "load_yaml_documents"]


def __getattr__(name: str) -> Any:
    if name in ("dump_yaml", "load_yaml_documents"):
        from athena.argo.yaml import io

        return getattr(io, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
