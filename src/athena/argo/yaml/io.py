"""Deterministic YAML in and out (DESIGN §3): the stream writer and reader athena uses everywhere.

The quoting rules live in :mod:`athena.argo.yaml.scalars`; :mod:`athena.argo.yaml.fast` writes the text and
PyYAML (with the same rules) writes whatever the fast writer declines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from yaml.representer import SafeRepresenter

from athena.argo.yaml import fast
from athena.argo.yaml.scalars import WIDTH, Dumper, Loader

__all__ = ["dump_with", "dump_yaml", "dump_yaml_reference", "load_yaml_documents"]


def dump_yaml(docs: Sequence[Mapping[str, Any]]) -> str:
    """One multi-document YAML stream (``---`` between documents), byte-for-byte deterministic.

    Keys keep insertion order, strings are never folded, tuples are written as lists, and shared
    sub-objects are written out in full (no anchors).
    """
    try:
        return fast.dump_documents(docs)
    except fast.Unsupported:
        return dump_with(docs, Dumper)


def dump_yaml_reference(docs: Sequence[Mapping[str, Any]]) -> str:
    """The same stream written by PyYAML's representer (slower); tests hold the fast writer to it."""
    return dump_with(docs, Dumper)


def dump_with(docs: Sequence[Mapping[str, Any]], dumper: type[SafeRepresenter]) -> str:
    """The stream written by PyYAML with ``dumper`` (:class:`~.scalars.Dumper` or :class:`~.scalars.PyDumper`)."""
    text: str = yaml.dump_all(
        [dict(doc) for doc in docs],
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=WIDTH,
        indent=2,
    )
    return text


def load_yaml_documents(text: str) -> list[dict[str, Any]]:
    """Parse a YAML stream into its mapping documents; empty documents are skipped.

    Timestamps stay strings. Raises :class:`yaml.YAMLError` on a parse error or a document that
    is not a mapping.
    """
    out: list[dict[str, Any]] = []
    for index, doc in enumerate(yaml.load_all(text, Loader=Loader)):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise yaml.YAMLError(f"document {index} is a {type(doc).__name__}, expected a mapping")
        out.append(doc)
    return out
