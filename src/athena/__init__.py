"""athena: write a normal Python program, get an Argo Workflow.

This module is imported in every pod, so it loads only the decorators and the value types; the compiler
side (``athena.api``) is loaded on first use.
"""

from __future__ import annotations

from typing import Any

from athena.decorators import Fragment, Template, container, fragment, workflow
from athena.errors import AthenaError, CompileError, ConfigError
from athena.options import TTL, Retry
from athena.outcome import Artifact, Outcome
from athena.ports import host, load_artifact, load_artifact_str, save_artifact, save_artifact_str

__all__ = [
    "TTL",
    "Artifact",
    "AthenaError",
    "CompileError",
    "ConfigError",
    "Fragment",
    "Outcome",
    "Retry",
    "Template",
    "container",
    "fragment",
    "host",
    "load_artifact",
    "load_artifact_str",
    "save_artifact",
    "save_artifact_str",
    "workflow",
]

__version__ = "0.1.0"


def __dir__() -> list[str]:
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    if name == "api":
        import importlib

        return importlib.import_module("athena.api")
    raise AttributeError(f"module 'athena' has no attribute {name!r}")
