"""Progress of a run as ``argo get`` shows it, and each step's log lines as they arrive.

Two renderings behind one small surface (:meth:`Progress.node`, :meth:`Progress.log`, :meth:`Progress.close`; an
instance is also an ``on_event`` callback taking :class:`NodeEvent`):

* off a terminal (CI, pipes, tests): one line per finished node and one line per log line, written as they come;
* on a terminal: a live tree redrawn on events and four times a second (rich, imported only then), running nodes
  with their elapsed time, log lines printed above it; the tree is transient, the caller prints the final one
  (:func:`tree_lines`).

Nothing here knows where the nodes come from: ``athena run`` feeds it the engine's events, and a poller of a
cluster's ``status.nodes`` can call :meth:`Progress.node` for every node on every poll (a node reported again
unchanged prints nothing). Template names of athena's own templates are shown with the Python function they came
from.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from athena.local.run.model import NodeEvent, NodeRecord

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

__all__ = ["Progress", "tree_lines"]

SYMBOLS = {"Succeeded": "✔", "Failed": "✖", "Error": "⚠", "Skipped": "○", "Omitted": "○", "Running": "●"}
_HIDDEN = ("StepGroup",)
_QUIET = ("Succeeded", "Skipped", "Omitted")  # finished nodes the live tree may hide when it is too tall
TICK = 0.25  # the live tree's redraw period: elapsed times move, log lines are flushed above it
_MIN_GAP = 0.05  # at most 20 redraws a second however many events arrive (a 200-step fan-out sends 400)
_PREFIX_MAX = 32  # log prefixes are padded to the longest step name seen, up to this


@dataclass
class _Entry:
    name: str
    display: str
    template: str
    kind: str
    parent: str | None
    phase: str
    message: str | None
    started: float  # epoch seconds
    depth: int
    printed: tuple[str, str | None] | None = None  # the last (phase, message) printed off a terminal


class Progress:
    """Renders nodes and log lines on ``out`` (default stderr).

    ``live``: draw the live tree (default: when ``out`` is a terminal, or when ``console`` is given — a
    ``rich.console.Console``, for tests). ``logs=False`` drops log lines. Thread-safe: the engine reports from
    many threads; off a terminal each line is one write, so lines of parallel steps never mix.
    """

    def __init__(self, functions: Mapping[str, str] | None = None, out: IO[str] | None = None, *,
                 live: bool | None = None, logs: bool = True, console: Console | None = None) -> None:
        self.functions = dict(functions or {})
        self.out = out or sys.stderr
        self.logs = logs
        self.lock = threading.Lock()  # guards the state below; never held while writing to a rich console
        self.entries: dict[str, _Entry] = {}
        self.width = 0
        self._pending: list[str] = []  # live: log lines waiting for the next redraw
        self._live: Live | None = None
        self._console: Console | None = None
        self._draw_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._closed = False
        if live is None:
            live = console is not None or _is_terminal(self.out)
        if live:
            self._start_live(console)

    # ---------------------------------------------------------------------------------------- the surface

    def __call__(self, event: NodeEvent) -> None:
        self.node(event.name, event.display_name, event.template, event.phase, event.parent, event.kind,
                  event.message)

    def node(self, name: str, display_name: str, template: str, phase: str, parent: str | None = None,
             kind: str = "Pod", message: str | None = None, started: float | None = None) -> None:
        """A node's state: ``phase`` Running or one of Argo's finished phases; ``parent`` is the parent node's
        ``name`` (None for the root); ``kind`` Argo's node type; ``started`` epoch seconds (default: now)."""
        with self.lock:
            e = self.entries.get(name)
            if e is None:
                depth = 0 if parent is None else (self.entries[parent].depth + 1 if parent in self.entries else 1)
                e = _Entry(name, display_name, template, kind, parent, phase, message,
                           time.time() if started is None else started, depth)
                self.entries[name] = e
                if kind == "Pod":
                    self.width = max(self.width, min(len(display_name), _PREFIX_MAX))
            else:
                e.phase, e.message = phase, message
            if self._live is not None:
                self._wake.set()
                return
            if phase == "Running" or kind in _HIDDEN or e.printed == (phase, message):
                return
            e.printed = (phase, message)
            label = _label(display_name, template, self.functions)
            msg = f"  {message}" if message and phase != "Succeeded" else ""
            print(f"{SYMBOLS.get(phase, '?')} {phase:<9} {'  ' * e.depth}{label}{msg}", file=self.out, flush=True)

    def log(self, node: str, line: str) -> None:
        """One line (without its newline) that the step ``node`` (a node name given to :meth:`node`, or any
        label) printed on stdout or stderr."""
        if not self.logs:
            return
        with self.lock:
            e = self.entries.get(node)
            text = f"{(e.display if e else node):<{self.width}} │ {line}"
            if self._live is not None:
                self._pending.append(text)
                return
            self.out.write(text + "\n")
            self.out.flush()

    def refresh(self) -> None:
        """Redraw the live tree now (and flush the log lines waiting for it); nothing off a terminal."""
        if self._live is None or self._console is None or self._closed:
            return
        from rich.text import Text

        with self._draw_lock:
            with self.lock:
                pending, self._pending = self._pending, []
            if pending:
                self._console.print(Text("\n".join(pending)), soft_wrap=True, highlight=False)
            self._live.refresh()

    def close(self) -> None:
        """Stop the live tree (it disappears; the log lines printed above it stay). Idempotent; what is
        reported after it is dropped on a terminal."""
        if self._live is None or self._closed:
            return
        self._stop.set()
        self._wake.set()
        if self._ticker is not None:
            self._ticker.join()
        self.refresh()
        self._closed = True
        self._live.stop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --------------------------------------------------------------------------------------- the live tree

    def render_lines(self, height: int | None = None) -> list[str]:
        """The live tree's lines; taller than ``height`` - 1, finished quiet nodes give way to one count line."""
        now = time.time()
        with self.lock:
            entries = list(self.entries.values())
        lines = _walk([(e.name, e.parent, self._text(e, now)) for e in entries])
        limit = None if height is None else max(height - 1, 3)
        if limit is None or len(lines) <= limit:
            return [text for _, text in lines]
        parents = {e.parent for e in entries}
        quiet = {e.name for e in entries if e.phase in _QUIET and e.name not in parents}
        kept = [text for name, text in lines if name not in quiet]
        hidden = len(lines) - len(kept)
        tail = [f"… {hidden} finished steps hidden"] if hidden else []
        room = limit - len(tail)
        if len(kept) > room:  # still too tall: the first ones, and how many more
            kept = [*kept[:room - 1], f"… {len(kept) - room + 1} more"]
        return [*kept, *tail]

    def _text(self, e: _Entry, now: float) -> str:
        label = _label(e.display, e.template, self.functions)
        if e.phase == "Running":
            return f"{SYMBOLS['Running']} {label}  {_elapsed(now - e.started)}"
        msg = f"  {e.message}" if e.message and e.phase != "Succeeded" else ""
        return f"{SYMBOLS.get(e.phase, '?')} {label}{msg}"

    def _start_live(self, console: Console | None) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = console or Console(file=self.out)
        self._live = Live(console=self._console, auto_refresh=False, transient=True, redirect_stdout=False,
                          redirect_stderr=False, get_renderable=self._renderable)
        self._live.start()
        self._ticker = threading.Thread(target=self._tick, name="athena-progress", daemon=True)
        self._ticker.start()

    def _renderable(self) -> Any:
        from rich.text import Text

        assert self._console is not None
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, line in enumerate(self.render_lines(self._console.size.height)):
            style = "red" if line.lstrip("│├└─ ").startswith(("✖", "⚠")) else ""
            text.append(("\n" if i else "") + line, style=style)
        return text

    def _tick(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(TICK)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.refresh()
            self._stop.wait(_MIN_GAP)


def _is_terminal(out: IO[str]) -> bool:
    try:
        return out.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def _elapsed(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def _label(display: str, template: str, functions: Mapping[str, str]) -> str:
    fn = functions.get(template)
    return f"{display} ({fn})" if fn and fn != display else display


def _walk(items: Sequence[tuple[str, str | None, str]]) -> list[tuple[str, str]]:
    """(name, parent, text) in start order -> (name, line) with children under their parents, ``argo get``'s
    branches drawn in front."""
    kids: dict[str | None, list[tuple[str, str]]] = {}
    for name, parent, text in items:
        kids.setdefault(parent, []).append((name, text))
    lines: list[tuple[str, str]] = []

    def walk(parent: str | None, prefix: str) -> None:
        children = kids.get(parent, [])
        for i, (name, text) in enumerate(children):
            last = i == len(children) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            lines.append((name, f"{prefix}{branch}{text}"))
            walk(name, prefix + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    return lines


def tree_lines(nodes: Sequence[NodeRecord], parents: Mapping[str, str | None],
               functions: Mapping[str, str]) -> list[str]:
    """The final tree, children under their parents in start order."""
    items = []
    for n in nodes:
        tries = f" ×{n.attempts}" if n.attempts > 1 else ""
        msg = f"  {n.message}" if n.message and n.phase != "Succeeded" else ""
        items.append((n.name, parents.get(n.name),
                      f"{SYMBOLS.get(n.phase, '?')} {_label(n.display_name, n.template, functions)}{tries}{msg}"))
    return [text for _, text in _walk(items)]
