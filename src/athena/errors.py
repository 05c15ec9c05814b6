"""athena's errors.

    AthenaError
     ├── CompileError      one or more located Diagnostics (grammar, types, options, names, limits)
     ├── ConfigError       athena.toml / pyproject [tool.athena] problems, naming the file and key
     ├── UsageError        a CLI/API argument that makes no sense (unknown app, unknown template…)
     ├── AppImportError    the user's module raised while being imported (carries the user's traceback)
     └── WorkflowFailed    an in-process run whose task failed with nothing to let it go on

A Diagnostic carries a stable code from ``athena.codes``; its rendering is rustc-like:

    flows/pipeline.py:12:30: error[ATH203]: `summarize` parameter `top_n` expects int, got str
       12 |     summary = summarize(raw, top_n="3")
          |                              ^^^^^^^^^
    hint: pass an int literal, e.g. top_n=3
"""

from __future__ import annotations

import linecache
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source file. Lines are 1-based, columns 0-based (as in ``ast``)."""

    path: str
    line: int
    col: int
    end_line: int | None = None
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col + 1}"


@dataclass(frozen=True, slots=True)
class Note:
    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    notes: tuple[Note, ...] = field(default_factory=tuple)

    def render(self) -> str:
        head = f"error[{self.code}]: {self.message}"
        lines = [f"{self.span}: {head}" if self.span else head]
        if self.span is not None:
            lines.extend(_excerpt(self.span))
        for note in self.notes:
            where = f" ({note.span})" if note.span else ""
            lines.append(f"note: {note.message}{where}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def _excerpt(span: Span) -> list[str]:
    text = linecache.getline(span.path, span.line).rstrip("\n")
    if not text:
        return []
    start = span.col
    if span.end_col is not None and (span.end_line in (None, span.line)):
        end = max(span.end_col, start + 1)
    else:
        end = max(len(text), start + 1)
    gutter = str(span.line)
    pad = " " * len(gutter)
    # Blank every non-space character before the column so tabs still line up (pyflakes' trick).
    lead = "".join(c if c.isspace() else " " for c in text[:start])
    return [f" {gutter} | {text}", f" {pad} | {lead}{'^' * (end - start)}"]


class AthenaError(Exception):
    """Root of every error athena raises on purpose."""


class CompileError(AthenaError):
    """One or more located diagnostics. ``str()`` is the full rendered report."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        unique: dict[tuple[str, str, Span | None], Diagnostic] = {}
        for d in diagnostics:  # a template reached twice reports its problems once
            unique.setdefault((d.code, d.message, d.span), d)
        diags = sorted(
            unique.values(),
            key=lambda d: (d.span.path, d.span.line, d.span.col) if d.span else ("", 0, 0),
        )
        if not diags:
            raise ValueError("CompileError needs at least one diagnostic")
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diags)
        super().__init__(self.render())

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]

    def render(self) -> str:
        return "\n\n".join(d.render() for d in self.diagnostics)


class ConfigError(AthenaError):
    """A configuration problem; the message names the file and the key."""


class UsageError(AthenaError):
    """A request that cannot be served (unknown app, unknown template name, bad flag value)."""


class AppImportError(AthenaError):
    """Importing the user's app raised: ``user_traceback`` holds the user's frames only (not athena's or
    importlib's), so the report points at their code; the original exception is ``__cause__``."""

    def __init__(self, spec: str, user_traceback: str) -> None:
        super().__init__(f"importing the app failed:\n{user_traceback.rstrip()}")
        self.spec = spec
        self.user_traceback = user_traceback


class WorkflowFailed(AthenaError):
    """A task failed and nothing let the workflow go on (no ``continue_on``)."""

    def __init__(self, task: str, template: str, cause: BaseException) -> None:
        super().__init__(f"task `{task}` ({template}) failed: {type(cause).__name__}: {cause}")
        self.task = task
        self.template = template
        self.cause = cause
