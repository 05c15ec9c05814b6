"""remote/watch.py's plumbing: node lines, streamed logs mapped from pods to nodes, the last lines kept, nothing
after the end. A scripted transport stands in for the cluster here; the same paths run against Argo's real
controller and server in tests/cluster/test_submit_watch.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from athena.remote.watch import NODE_FINAL, Snapshot, snapshot, watch


def _wf(phase: str, nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"name": "w"}, "status": {"phase": phase, "nodes": nodes}}


ROOT = {"id": "w", "name": "w", "displayName": "w", "type": "DAG", "children": ["w-123"], "startedAt": "1"}


def _step(phase: str) -> dict[str, Any]:
    return {"id": "w-123", "name": "w.add", "displayName": "add", "type": "Pod", "phase": phase, "startedAt": "2",
            "templateName": "add"}


class Scripted:
    """Answers ``get`` with each Workflow state in turn (the last one forever); its log stream prints ``lines``
    once the step runs, the last one only after the Workflow is already done (a stream's tail)."""

    validates_references = False
    server = "scripted"

    def __init__(self, states: list[dict[str, Any]], lines: list[str]) -> None:
        self.states, self.lines = states, lines
        self.running = threading.Event()
        self.done = threading.Event()

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if state["status"]["phase"] == "Running":
            self.running.set()
        if state["status"]["phase"] == "Succeeded":
            self.done.set()
        return state

    def follow_logs(self, workflow: str, namespace: str, on_line: Callable[[str, str], None],
                    stop: threading.Event) -> None:
        self.running.wait(5)
        for text in self.lines[:-1]:
            on_line("w-add-123", text)  # Argo's v2 pod name of node w-123
        self.done.wait(5)
        on_line("w-add-123", self.lines[-1])

    def pod_logs(self, workflow: str, namespace: str) -> Iterator[tuple[str, list[str]]]:
        yield "w-add-123", self.lines


def test_lines_are_streamed_under_the_node_name_and_the_tail_is_kept() -> None:
    states = [_wf("Running", {"w": {**ROOT, "phase": "Running"}, "w-123": _step("Running")}),
              _wf("Running", {"w": {**ROOT, "phase": "Running"}, "w-123": _step("Running")}),
              _wf("Succeeded", {"w": {**ROOT, "phase": "Succeeded"}, "w-123": _step("Succeeded")})]
    api = Scripted(states, ["one", "two", "last"])
    events: list[str] = []

    def on_poll(snap: Snapshot) -> None:
        events.extend(f"node {n.display_name} {n.phase}" for n in snap.nodes if n.phase in NODE_FINAL)

    snap = watch(api, "w", "ns", on_poll=on_poll, on_log=lambda node, text: events.append(f"log {node} {text}"),
                 sleep=lambda s: None)
    assert snap.phase == "Succeeded"
    assert [e for e in events if e.startswith("log")] == ["log w.add one", "log w.add two", "log w.add last"]
    assert set(events) >= {"node add Succeeded", "node w Succeeded"}


def test_without_on_log_nothing_is_followed() -> None:
    api = Scripted([_wf("Succeeded", {"w": {**ROOT, "phase": "Succeeded"}, "w-123": _step("Succeeded")})], ["x"])
    before = threading.active_count()
    watch(api, "w", "ns", on_poll=lambda snap: None, sleep=lambda s: None)
    assert threading.active_count() == before


def test_pods_map_to_nodes_by_the_node_id_suffix() -> None:
    snap = snapshot(_wf("Running", {"w": ROOT, "w-123": _step("Running"),
                                    "w-456": {"id": "w-456", "name": "w.fan(0:a)", "type": "Pod"}}))
    assert snap.node_of_pod("w-add-123") == "w.add"  # POD_NAMES=v2: <workflow>-<template>-<suffix>
    assert snap.node_of_pod("w-456") == "w.fan(0:a)"  # v1: the node id itself
    assert snap.node_of_pod("other-pod") == "other-pod"  # not a node of this Workflow: the pod's own name


def test_submit_watch_renders_with_athena_runs_progress(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import athena.remote.watch as w
    from athena.cli.submit import _follow

    states = [_wf("Running", {"w": {**ROOT, "phase": "Running"}, "w-123": _step("Pending")}),
              _wf("Running", {"w": {**ROOT, "phase": "Running"}, "w-123": _step("Running")}),
              _wf("Succeeded", {"w": {**ROOT, "phase": "Succeeded"}, "w-123": _step("Succeeded")})]
    real = w.watch
    monkeypatch.setattr(w, "watch", lambda *a, **kw: real(*a, **{**kw, "sleep": lambda s: None}))
    assert _follow(Scripted(states, ["one", "last"]), "w", "ns", {"add": "add, app.py:3"}, logs=True) == 0
    lines = capsys.readouterr().err.splitlines()
    assert "add │ one" in lines and "add │ last" in lines  # streamed, under the step's display name
    assert "✔ Succeeded   add (add, app.py:3)" in lines  # its function and source line
    assert not any("Pending" in ln for ln in lines)  # not finished: no line of its own
    assert sum("Succeeded   add" in ln for ln in lines) == 1  # polled three times, printed once
