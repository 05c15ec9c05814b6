"""Output shared by the commands: tables, a progress bar, and files written or read for the user."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import click

from athena.errors import UsageError

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from athena.compile.model import Param
    from athena.compile.options import TemplateOptions


def table(rows: Sequence[Mapping[str, str]], as_json: bool) -> None:
    """Rows as aligned columns under upper-case headers, or as JSON."""
    if as_json:
        import json

        click.echo(json.dumps(list(map(dict, rows)), indent=2))
        return
    if not rows:
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in cols).rstrip())
    for r in rows:
        click.echo("  ".join(str(r[c]).ljust(widths[c]) for c in cols).rstrip())


def checked_summary(docs: Sequence[Mapping[str, object]], lines: Sequence[object]) -> str:
    """What ``check`` validated, in emit's words: "4 WorkflowTemplates and 1 Workflow validated against Argo
    4.0 and 4.1"."""
    from collections import Counter

    kinds = Counter(str(d.get("kind")) for d in docs)
    parts = [f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in kinds.items()]
    what = " and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + f" and {parts[-1]}"
    shown = [str(v) for v in lines]
    versions = " and ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + f" and {shown[-1]}"
    return f"{what or 'nothing'} validated against Argo {versions}"


def describe_json(info: Mapping[str, object]) -> None:
    """What ``describe`` prints: indented JSON."""
    import json

    click.echo(json.dumps(info, indent=2))


def params_info(params: Sequence[Param]) -> list[dict[str, object]]:
    """Parameters as ``describe`` shows them: name, type, and the default when there is one."""
    return [{"name": p.name, "type": str(p.type), **({"default": p.default} if p.has_default else {})}
            for p in params]


def run_options_info(options: TemplateOptions) -> dict[str, object]:
    """Retry and timeouts as ``describe`` shows them: Argo's duration spelling, null when not set."""
    from athena.durations import format_seconds

    def duration(n: int | None) -> str | None:
        return format_seconds(n) if n else None

    retry: dict[str, object] | None = None
    r = options.retry
    if r is not None:
        retry = {"limit": r.limit, "policy": r.policy, "backoff": duration(r.backoff_seconds), "factor": r.factor,
                 "cap": duration(r.cap_seconds), "max_duration": duration(r.max_duration_seconds),
                 "on_exit_codes": list(r.on_exit_codes)}
        retry = {k: v for k, v in retry.items() if v not in (None, [])} | {"limit": r.limit}
    return {"retry": retry, "timeout": duration(options.timeout_seconds),
            "pod_running_timeout": duration(options.pod_running_timeout_seconds)}


def write_file(path: str, text: str) -> None:
    """Write ``text`` to the user's ``path``; a failure is a user error naming the path, not a traceback."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def emit_text(text: str, out: str | None) -> None:
    """A command's data: to ``out`` (with a note on stderr) when given, else to stdout."""
    if out:
        write_file(out, text)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


def read_file(path: str) -> str:
    """Read the user's ``path``; a failure is a user error naming the path."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read {path}: {why}") from exc


class Bar:
    """A progress bar on stderr for long builds and transfers (hidden when stderr is not a terminal).

    A context manager: leaving it closes the bar, whatever happened inside.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: ProgressBar[int] | None = None
        self.done = 0

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def stage(self, stage: str, fraction: float) -> None:
        self._to(self._ensure(1000, stage), int(fraction * 1000))

    def bytes(self, done: int, total: int) -> None:
        self._to(self._ensure(max(total, 1), self.label), done)

    def _ensure(self, total: int, label: str) -> ProgressBar[int]:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=False)
            self.bar.__enter__()
        self.bar.label = label
        return self.bar

    def _to(self, bar: ProgressBar[int], n: int) -> None:
        if n > self.done:
            bar.update(n - self.done)
            self.done = n
