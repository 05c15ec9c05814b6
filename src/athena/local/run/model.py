"""The public shapes of ``athena run``: options in, node records and the run's result out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

__all__ = ["NodeEvent", "NodeRecord", "RunOptions", "RunResult"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class NodeEvent:
    """A node started (``phase == "Running"``) or finished (any other phase). ``parent`` is the parent node's
    name (None for the workflow's own node); ``kind`` is Argo's node type (DAG, Steps, StepGroup, TaskGroup,
    Retry, Pod, Suspend, Skipped)."""

    name: str
    display_name: str
    template: str
    phase: str
    parent: str | None
    kind: str
    message: str | None = None


@dataclass(frozen=True)
class NodeRecord:
    name: str  # Argo's node name: "pipeline-x7k2p.fetch", "pipeline-x7k2p.work(0:1)", retries "….fetch(0)"
    display_name: str  # "fetch", "work(0:1)", "onExit"
    template: str
    phase: str  # Succeeded | Failed | Error | Skipped | Omitted
    message: str | None
    outputs: Mapping[str, str]  # output parameter name -> text (incl. "result" when Argo sets it, "exitCode")
    attempts: int


@dataclass(frozen=True)
class RunOptions:
    runtime: Literal["process", "podman", "docker"] = "process"
    argo_version: str = "4.1"  # "3.6" | "3.7" | "4.0" | "4.1", or X.Y.Z (3.7.16+/4.0.7+ rules)
    time_scale: float = 1.0  # multiplies retry backoff, suspend durations and timeouts
    store: Path | None = None  # local artifact directory (default: a temp dir)
    answers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)  # suspend: node or parameter name -> value
    workdir: Path | None = None  # where run records go (default .athena/runs/<name>/)
    on_event: Callable[[NodeEvent], None] | None = None  # progress
    # Each line a container step prints on stdout or stderr, as it arrives: (node name, line without its newline).
    # The run record has the logs either way; this is for watching them.
    on_log: Callable[[str, str], None] | None = None
    bundle: Path | None = None  # --runtime podman|docker: the bundle tarball athena's containers unpack


@dataclass(frozen=True)
class RunResult:
    name: str  # generated workflow name
    phase: str  # Succeeded | Failed | Error
    message: str | None
    outputs: Mapping[str, str]  # the entry template's output parameters
    nodes: Sequence[NodeRecord]  # every node, in start order
    record: Path | None = None  # the run record's directory
