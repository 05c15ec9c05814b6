"""Progress of a run as ``argo get`` shows it: one line per finished node while it runs, the whole tree at the
end. Template names of athena's own templates are shown with the Python function they came from."""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from typing import IO

from athena.local.run.model import NodeEvent, NodeRecord

__all__ = ["Progress", "tree_lines"]

SYMBOLS = {"Succeeded": "✔", "Failed": "✖", "Error": "⚠", "Skipped": "○", "Omitted": "○", "Running": "●"}
_HIDDEN = ("StepGroup",)


class Progress:
    """The ``on_event`` callback of the CLI: a line per finished node on ``out`` (stderr)."""

    def __init__(self, functions: Mapping[str, str] | None = None, out: IO[str] | None = None) -> None:
        self.functions = dict(functions or {})
        self.out = out or sys.stderr
        self.depth: dict[str, int] = {}
        self.kinds: dict[str, str] = {}
        self.lock = threading.Lock()

    def __call__(self, event: NodeEvent) -> None:
        with self.lock:
            if event.name not in self.depth:
                self.depth[event.name] = 0 if event.parent is None else self.depth.get(event.parent, 0) + 1
                self.kinds[event.name] = event.kind
            if event.phase == "Running" or event.kind in _HIDDEN:
                return
            label = _label(event.display_name, event.template, self.functions)
            msg = f"  {event.message}" if event.message and event.phase not in ("Succeeded",) else ""
            print(f"{SYMBOLS.get(event.phase, '?')} {event.phase:<9} {'  ' * self.depth[event.name]}{label}{msg}",
                  file=self.out, flush=True)


def _label(display: str, template: str, functions: Mapping[str, str]) -> str:
    fn = functions.get(template)
    return f"{display} ({fn})" if fn and fn != display else display


def tree_lines(nodes: Sequence[NodeRecord], parents: Mapping[str, str | None],
               functions: Mapping[str, str]) -> list[str]:
    """The final tree, children under their parents in start order."""
    kids: dict[str | None, list[NodeRecord]] = {}
    for n in nodes:
        kids.setdefault(parents.get(n.name), []).append(n)
    lines: list[str] = []

    def walk(parent: str | None, prefix: str) -> None:
        children = kids.get(parent, [])
        for i, n in enumerate(children):
            last = i == len(children) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            tries = f" ×{n.attempts}" if n.attempts > 1 else ""
            msg = f"  {n.message}" if n.message and n.phase != "Succeeded" else ""
            lines.append(f"{prefix}{branch}{SYMBOLS.get(n.phase, '?')} {_label(n.display_name, n.template, functions)}"
                         f"{tries}{msg}")
            walk(n.name, prefix + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    return lines
