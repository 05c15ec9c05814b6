"""A submitted Workflow read back: its node tree (Argo's ``status.nodes`` as the local runner's records, so one
tree printer serves ``athena run``, ``get`` and ``submit --watch``), its phase, its return value and its logs."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from athena.local.run.model import NodeRecord
from athena.remote.kube import KubeError
from athena.remote.transport import Transport

__all__ = ["FINAL", "NODE_FINAL", "Snapshot", "exit_code", "logs", "read", "snapshot", "watch"]

#: Phases a Workflow does not leave.
FINAL = frozenset({"Succeeded", "Failed", "Error"})
NODE_FINAL = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})


@dataclass(frozen=True)
class Snapshot:
    name: str
    phase: str  # "" while the controller has not seen it yet
    message: str | None
    nodes: list[NodeRecord]  # in start order
    parents: dict[str, str | None]  # node name -> parent node name
    result: str | None  # the root's `return` output (JSON text), when it has one
    pod_nodes: Mapping[str, str] = field(default_factory=dict)  # a pod-backed node's id suffix -> its name
    types: Mapping[str, str] = field(default_factory=dict)  # node name -> Argo's node type (Pod, DAG, …)
    started: Mapping[str, float] = field(default_factory=dict)  # node name -> startedAt, epoch seconds
    template_ref: str | None = None  # spec.workflowTemplateRef.name: the root's WorkflowTemplate

    def node_of_pod(self, pod: str) -> str:
        """The node a pod ran. Argo names a pod ``<workflow>-<template>-<n>`` for the node ``<workflow>-<n>``
        (POD_NAMES=v2, the default) or exactly as the node id (v1): both end in the node id's last segment."""
        return self.pod_nodes.get(pod.rsplit("-", 1)[-1], pod)

    @property
    def done(self) -> bool:
        return self.phase in FINAL


def exit_code(phase: str) -> int:
    """0 for Succeeded, 1 for Failed, 2 for Error (and anything else)."""
    return {"Succeeded": 0, "Failed": 1}.get(phase, 2)


def snapshot(wf: Mapping[str, Any]) -> Snapshot:
    """The tree of a Workflow object as the API returns it."""
    status = wf.get("status") or {}
    raw: Mapping[str, Mapping[str, Any]] = status.get("nodes") or {}
    by_id = {i: n for i, n in raw.items()}
    parent_id: dict[str, str] = {}
    for i, n in raw.items():
        for child in n.get("children") or []:
            parent_id.setdefault(child, i)
    ordered = sorted(raw.items(), key=lambda kv: (kv[1].get("startedAt") or "", kv[1].get("name") or ""))
    nodes: list[NodeRecord] = []
    parents: dict[str, str | None] = {}
    for i, n in ordered:
        ref = n.get("templateRef") or {}
        outputs = {p["name"]: str(p.get("value", "")) for p in (n.get("outputs") or {}).get("parameters") or []}
        nodes.append(NodeRecord(name=n.get("name", i), display_name=n.get("displayName", n.get("name", i)),
                                template=ref.get("name") or n.get("templateName") or "",
                                phase=n.get("phase", "Pending"), message=n.get("message") or None,
                                outputs=outputs, attempts=1))
        p = parent_id.get(i)
        parents[n.get("name", i)] = by_id[p].get("name", p) if p in by_id else None
    result = None
    for p in (status.get("outputs") or {}).get("parameters") or []:
        if p.get("name") == "return":
            result = p.get("value")
    name = (wf.get("metadata") or {}).get("name", "")
    if result is None and name in raw:
        for p in (raw[name].get("outputs") or {}).get("parameters") or []:
            if p.get("name") == "return":
                result = p.get("value")
    pod_nodes = {i.rsplit("-", 1)[-1]: n.get("name", i) for i, n in raw.items() if n.get("type") == "Pod"}
    types = {n.get("name", i): str(n.get("type") or "Pod") for i, n in raw.items()}
    started = {n.get("name", i): _epoch(n["startedAt"]) for i, n in raw.items() if n.get("startedAt")}
    ref = ((wf.get("spec") or {}).get("workflowTemplateRef") or {}).get("name")
    return Snapshot(name=name, phase=status.get("phase") or "", message=status.get("message") or None,
                    nodes=nodes, parents=parents, result=result, pod_nodes=pod_nodes, types=types, started=started,
                    template_ref=str(ref) if ref else None)


def _epoch(stamp: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()


def read(api: Transport, name: str, namespace: str) -> Snapshot:
    wf = api.get("Workflow", name, namespace)
    if wf is None:
        raise KubeError(f"no Workflow {name} in namespace {namespace}; check the name (printed by athena submit) "
                        "and the namespace (-n)", status=404)
    return snapshot(wf)


def watch(api: Transport, name: str, namespace: str, *, on_poll: Callable[[Snapshot], None] | None = None,
          on_log: Callable[[str, str], None] | None = None, interval: float = 1.0, timeout: float | None = None,
          sleep: Callable[[float], None] = time.sleep) -> Snapshot:
    """Poll until the Workflow's phase is final; ``on_poll(snapshot)`` after every poll and, with ``on_log``,
    ``on_log(node name, line)`` for each line a step prints, while it prints it."""
    deadline = None if timeout is None else time.monotonic() + timeout
    latest: list[Snapshot] = []
    stop, closed = threading.Event(), threading.Event()
    follower = None
    if on_log is not None:
        def line(pod: str, text: str) -> None:
            if not closed.is_set():  # nothing after the final tree
                on_log(latest[-1].node_of_pod(pod) if latest else pod, text)

        follower = threading.Thread(target=_follow, args=(api, name, namespace, line, stop), daemon=True,
                                    name="athena-logs")
    try:
        while True:
            snap = read(api, name, namespace)
            latest.append(snap)
            del latest[:-1]
            if on_poll is not None:
                on_poll(snap)
            if follower is not None and not follower.ident:  # after the first poll: the nodes are known
                follower.start()
            if snap.done:
                return snap
            if deadline is not None and time.monotonic() > deadline:
                raise KubeError(f"Workflow {name} is still {snap.phase or 'pending'} after {timeout:g}s; "
                                f"follow it with `athena get {name} -n {namespace}`")
            sleep(interval)
    finally:
        if follower is not None and follower.ident:
            # `stop` ends the search for new pods; the streams themselves end after their last line (the
            # Kubernetes API's with each container, the Argo Server's with the Workflow). Later lines are dropped.
            stop.set()
            follower.join(timeout=10)
        closed.set()


def _follow(api: Transport, name: str, namespace: str, on_line: Callable[[str, str], None],
            stop: threading.Event) -> None:
    # Logs are a courtesy while watching: the phase and the tree still come, and `athena logs` reads them later.
    with contextlib.suppress(KubeError):
        api.follow_logs(name, namespace, on_line, stop)


def logs(api: Transport, name: str, namespace: str) -> Iterator[tuple[str, list[str]]]:
    """(node, lines of its `main` container) for each pod of the Workflow, oldest first."""
    snap = read(api, name, namespace)  # also a clear message for an unknown Workflow
    for pod, lines in api.pod_logs(name, namespace):
        yield snap.node_of_pod(pod), lines
