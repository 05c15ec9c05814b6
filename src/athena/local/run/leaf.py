"""What one pod (a container or script template) did, whichever runtime ran it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RESULT_LIMIT", "LeafResult", "stdout_result"]

#: Argo keeps only the last 256 KiB of the main container's stdout as ``outputs.result``
#: (``argo@v4.1.2:workflow/executor/executor.go:929-966``).
RESULT_LIMIT = 256 * 1024


@dataclass
class LeafResult:
    exit_code: int
    stdout: str
    parameters: dict[str, str] = field(default_factory=dict)  # output parameters read back
    errors: list[str] = field(default_factory=list)  # what the wait container would report (missing outputs)
    timed_out: bool = False
    artifacts: dict[str, str] = field(default_factory=dict)  # output artifact name -> store key
    deadline_message: str | None = None


def stdout_result(text: str) -> str:
    """``outputs.result``: the last 256 KiB of stdout with one trailing newline trimmed."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) > RESULT_LIMIT:
        text = data[-RESULT_LIMIT:].decode("utf-8", "replace")
    return text.removesuffix("\n")


def read_param_file(path: Path) -> str | None:
    """An output parameter file's text with exactly one trailing newline trimmed, or None when missing."""
    if not path.is_file():
        return None
    return path.read_bytes().decode("utf-8", "replace").removesuffix("\n")


def missing_output(name: str, path: str) -> str:
    return f"failed to save outputs: output parameter {name}: open {path}: no such file or directory"


def declared_outputs(tmpl: Mapping[str, object]) -> list[Mapping[str, object]]:
    outs = tmpl.get("outputs")
    if not isinstance(outs, Mapping):
        return []
    params = outs.get("parameters")
    return list(params) if isinstance(params, list) else []
