"""Drift between what athena is about to apply and the live object in the cluster. Pure: no I/O.

Three inputs, three signals (issue 12):

1. ``desired``: the document athena compiled now;
2. ``reference``: the server's dry run of ``desired`` (``dryRun=All``), i.e. ``desired`` as the server would
   store it: with its defaults filled in and the fields its schema prunes removed;
3. ``live``: the stored object, whose annotation ``athena.dev/applied-hash`` holds the hash of what athena
   last applied (:func:`content_hash` of the compiled document).

The live object is first normalised for what the server does by itself: a field the server added to
``desired`` (present in ``reference`` only) is dropped from ``live`` when it holds the server's value; a
field the server drops from ``desired`` is taken as equal. Such differences are *server defaulting*, never
shown. What remains is drift, classified as *changed outside athena* (the live object no longer hashes to
the annotation, or has none) and/or *changed by a new compile* (the annotation is not the new compile's hash).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ANNOTATION", "Drift", "compare", "content", "content_hash", "stamp", "unified_diff"]

#: Holds :func:`content_hash` of the document athena last applied.
ANNOTATION = "athena.dev/applied-hash"

# Annotations written by tools, not part of what anyone declared.
_TOOL_ANNOTATIONS = frozenset({ANNOTATION, "kubectl.kubernetes.io/last-applied-configuration"})
# Labels the Argo Server sets from the caller's identity on every create and update (workflow/creator/creator.go):
# who applied last, not what was declared.
_SERVER_LABELS = frozenset(f"workflows.argoproj.io/{k}" for k in (
    "creator", "creator-email", "creator-preferred-username", "actor", "actor-email", "actor-preferred-username",
    "action"))
_MISSING = object()

Path = tuple[str | int, ...]


def content(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What a user declares about an object: kind, name, labels, annotations (without tools' own) and the
    spec. Everything else in ``metadata`` (uid, resourceVersion, managedFields, …) and ``status`` is the
    server's."""
    meta = doc.get("metadata") or {}
    out: dict[str, Any] = {"apiVersion": doc.get("apiVersion"), "kind": doc.get("kind"),
                           "metadata": {"name": meta.get("name")}}
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in _SERVER_LABELS}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _TOOL_ANNOTATIONS}
    if labels:
        out["metadata"]["labels"] = labels
    if annotations:
        out["metadata"]["annotations"] = annotations
    for key, value in doc.items():
        if key not in ("apiVersion", "kind", "metadata", "status"):
            out[key] = value
    # Plain JSON types (emit builds some mappings of its own kind), and a copy the caller may change.
    result: dict[str, Any] = json.loads(json.dumps(out))
    return result


def content_hash(doc: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of :func:`content`, as canonical JSON (sorted keys), so key order never matters."""
    text = json.dumps(content(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` carrying the annotation with its own hash: what athena applies."""
    out = copy.deepcopy(dict(doc))
    meta = out.setdefault("metadata", {})
    meta["annotations"] = {**(meta.get("annotations") or {}), ANNOTATION: content_hash(doc)}
    return out


@dataclass(frozen=True)
class Drift:
    """The comparison of one object. ``changed`` is False when the only differences are the server's."""

    changed: bool
    outside: bool  # the live object was edited since athena applied it (or athena never applied it)
    compile: bool  # the new compile differs from what athena last applied
    diff: str  # unified diff, live (normalised) → new compile; empty when unchanged
    defaulted: tuple[str, ...] = field(default=())  # paths the server defaulted or pruned (ignored)

    @property
    def reasons(self) -> str:
        parts = (["changed by a new compile"] if self.compile else []) + (
            ["changed outside athena"] if self.outside else [])
        return " and ".join(parts) or "unchanged"


def compare(desired: Mapping[str, Any], reference: Mapping[str, Any], live: Mapping[str, Any],
            *, name: str = "") -> Drift:
    """Compare the compiled ``desired`` with ``live``, using the server's dry run ``reference`` of ``desired``
    to recognise server defaulting (see the module docstring)."""
    want = content(desired)
    ref = content(reference)
    have, defaulted = _normalise(content(live), want, ref)
    applied = ((live.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if have == want:
        return Drift(changed=False, outside=False, compile=False, diff="", defaulted=defaulted)
    outside = applied is None or _hash_content(have) != applied
    by_compile = applied is not None and applied != content_hash(desired)
    label = name or f"{want.get('kind')}/{want['metadata'].get('name')}"
    return Drift(changed=True, outside=outside, compile=by_compile, defaulted=defaulted,
                 diff=unified_diff(have, want, f"live {label}", f"new compile {label}"))


def _hash_content(c: Mapping[str, Any]) -> str:
    return content_hash(c)  # content() of a content() is itself


def _normalise(live: dict[str, Any], desired: Mapping[str, Any],
               reference: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``live`` without the server's own additions and with the server's prunings undone."""
    out = copy.deepcopy(live)
    paths: list[str] = []
    for path, ref_value in _added(desired, reference):  # the server filled these in
        if _get(out, path) == ref_value:
            _delete(out, path)
            paths.append(_show(path))
    for path, want_value in _added(reference, desired):  # the server pruned (or cleared) these
        if _get(out, path) is _MISSING:
            _set(out, path, copy.deepcopy(want_value))
            paths.append(_show(path))
    return out, tuple(paths)


def _added(base: Any, other: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Paths present in ``other`` but not in ``base`` (walking maps, and lists of equal length)."""
    if isinstance(base, Mapping) and isinstance(other, Mapping):
        for key, value in other.items():
            if key not in base:
                yield (*path, key), value
            else:
                yield from _added(base[key], value, (*path, key))
    elif isinstance(base, list) and isinstance(other, list) and len(base) == len(other):
        for i, (a, b) in enumerate(zip(base, other, strict=True)):
            yield from _added(a, b, (*path, i))


def _get(doc: Any, path: Path) -> Any:
    for key in path:
        in_map = isinstance(doc, Mapping) and isinstance(key, str) and key in doc
        in_list = isinstance(doc, list) and isinstance(key, int) and key < len(doc)
        if in_map or in_list:
            doc = doc[key]
        else:
            return _MISSING
    return doc


def _delete(doc: Any, path: Path) -> None:
    parent = _get(doc, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def _set(doc: Any, path: Path, value: Any) -> None:
    parent = _get(doc, path[:-1])
    if isinstance(parent, dict):
        parent[path[-1]] = value


def _show(path: Path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def unified_diff(old: Mapping[str, Any], new: Mapping[str, Any], old_label: str, new_label: str) -> str:
    """A unified diff of the two as block YAML, keys sorted (the server stores them sorted, emit does not)."""
    import yaml

    def text(d: Mapping[str, Any]) -> list[str]:
        return yaml.safe_dump(dict(d), sort_keys=True, default_flow_style=False, width=1000).splitlines(keepends=True)

    return "".join(difflib.unified_diff(text(old), text(new), old_label, new_label, n=3))
