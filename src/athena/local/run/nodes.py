"""The run's nodes as Argo's ``status.nodes`` holds them: names, phases, outputs, in start order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from athena.local.run.model import NodeEvent, NodeRecord

__all__ = ["Node", "NodeTable"]

FULFILLED = ("Succeeded", "Failed", "Error", "Skipped", "Omitted")


@dataclass
class Node:
    name: str
    display_name: str
    template: str
    kind: str  # DAG | Steps | StepGroup | TaskGroup | Retry | Pod | Suspend | Skipped
    parent: str | None
    phase: str = "Running"
    message: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)  # output parameters only
    # A container's stdout (when Argo captured it) and exit code: Argo keeps them apart from the parameters
    # (``outputs.result``, ``<t>.exitCode``), so an output parameter may itself be named ``result``.
    result: str | None = None
    exit_code: str | None = None
    artifacts: dict[str, str] = field(default_factory=dict)  # output artifact name -> store key
    attempts: int = 1
    started: float = field(default_factory=time.time)
    finished: float | None = None
    log: str | None = None  # the step's log file, relative to the run record
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def fulfilled(self) -> bool:
        return self.phase in FULFILLED

    def shown_outputs(self) -> dict[str, str]:
        """The outputs as the run record shows them: the parameters, plus ``result`` and ``exitCode``."""
        shown = dict(self.outputs)
        if self.result is not None:
            shown["result"] = self.result
        if self.exit_code is not None:
            shown["exitCode"] = self.exit_code
        return shown

    def record(self) -> NodeRecord:
        return NodeRecord(self.name, self.display_name, self.template, self.phase, self.message,
                          self.shown_outputs(), self.attempts)


class NodeTable:
    """Every node, in start order; each start and finish is reported to ``on_event``."""

    def __init__(self, on_event: Callable[[NodeEvent], None] | None) -> None:
        self.nodes: list[Node] = []
        self.by_name: dict[str, Node] = {}
        self.lock = threading.Lock()
        self.on_event = on_event
        self.listeners: list[Callable[[Node], None]] = []

    def start(self, name: str, display: str, template: str, kind: str, parent: str | None,
              phase: str = "Running", message: str | None = None) -> Node:
        node = Node(name, display, template, kind, parent, phase, message)
        with self.lock:
            if name in self.by_name:  # a name Argo would give twice (a duplicate task name): keep both visible
                node.name = name = f"{name}#{len(self.nodes)}"
            self.nodes.append(node)
            self.by_name[name] = node
        if node.fulfilled:
            node.finished = node.started
        self._emit(node, node.phase)
        return node

    def finish(self, node: Node, phase: str, message: str | None = None) -> Node:
        node.phase = phase
        if message is not None:
            node.message = message
        node.finished = time.time()
        self._emit(node, phase)
        for listener in list(self.listeners):
            listener(node)
        return node

    def _emit(self, node: Node, phase: str) -> None:
        if self.on_event is not None:
            self.on_event(NodeEvent(node.name, node.display_name, node.template, phase, node.parent, node.kind,
                                    node.message))
