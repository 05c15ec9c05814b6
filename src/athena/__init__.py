"""athena: write a normal Python program, get an Argo Workflow.

This module is imported in every pod, so it loads only the decorators and the value types; the compiler
side (``athena.api``) is loaded on first use.
"""

from __future__ import annotations

import os

from athena.runtime.protocol import ENV_RUNTIME

TYPE_CHECKING = False
if TYPE_CHECKING or os.environ.get(ENV_RUNTIME) != "1":
    from athena.decorators import Fragment, Template, container, external, fragment, workflow
else:  # in a pod: the same names, recording only, without importing `typing`
    from athena._inert import (  # type: ignore[assignment]
        Fragment,
        Template,
        container,
        external,
        fragment,
        workflow,
    )

if TYPE_CHECKING:
    from typing import Any

    from athena.errors import AthenaError, CompileError, ConfigError, WorkflowFailed
    from athena.option_types import (
        TTL,
        Cache,
        ConfigMapEnv,
        ConfigMapValue,
        ConfigMapVolume,
        Counter,
        EmptyDir,
        ExistingClaim,
        Gauge,
        Histogram,
        HuggingFaceCache,
        Resources,
        Retry,
        SecretEnv,
        SecretFile,
        SecretValue,
        SecretVolume,
        SemaphoreRef,
        Sidecar,
        Toleration,
        WorkflowClaim,
    )
    from athena.ordering import parallel
    from athena.outcome import Artifact, Outcome
    from athena.pause import approval, approvals, suspend
    from athena.ports import host, load_artifact, load_artifact_str, save_artifact, save_artifact_str
    from athena.runtime.settings import Secret, Settings, settings

# Loaded on first use: a pod imports this package on every start, and most steps need none of these.
_LAZY = {
    "AthenaError": "athena.errors", "CompileError": "athena.errors", "ConfigError": "athena.errors",
    "WorkflowFailed": "athena.errors",
    "TTL": "athena.option_types", "Retry": "athena.option_types",
    "Cache": "athena.option_types", "ConfigMapVolume": "athena.option_types", "EmptyDir": "athena.option_types",
    "ExistingClaim": "athena.option_types", "HuggingFaceCache": "athena.option_types",
    "SecretVolume": "athena.option_types", "SemaphoreRef": "athena.option_types",
    "WorkflowClaim": "athena.option_types",
    "Resources": "athena.option_types",
    "SecretValue": "athena.option_types", "ConfigMapValue": "athena.option_types",
    "SecretEnv": "athena.option_types", "ConfigMapEnv": "athena.option_types",
    "SecretFile": "athena.option_types", "Toleration": "athena.option_types",
    "Counter": "athena.option_types", "Gauge": "athena.option_types", "Histogram": "athena.option_types",
    "Sidecar": "athena.option_types",
    "Artifact": "athena.outcome", "Outcome": "athena.outcome",
    "host": "athena.ports", "load_artifact": "athena.ports", "load_artifact_str": "athena.ports",
    "save_artifact": "athena.ports", "save_artifact_str": "athena.ports",
    # settings (issue 9): loaded only by code that uses them, so a pod without settings never imports them
    "Settings": "athena.runtime.settings", "Secret": "athena.runtime.settings", "settings": "athena.runtime.settings",
    # issue 13 (ordering): the parallel steps group
    "parallel": "athena.ordering",
    # issue 13: suspend and approval
    "suspend": "athena.pause", "approval": "athena.pause", "approvals": "athena.pause",
}

__all__ = [
    "TTL",
    "Artifact",
    "AthenaError",
    "Cache",
    "CompileError",
    "ConfigError",
    "ConfigMapEnv",
    "ConfigMapValue",
    "ConfigMapVolume",
    "Counter",
    "EmptyDir",
    "ExistingClaim",
    "Fragment",
    "Gauge",
    "Histogram",
    "HuggingFaceCache",
    "Outcome",
    "Resources",
    "Retry",
    "Secret",
    "SecretEnv",
    "SecretFile",
    "SecretValue",
    "SecretVolume",
    "SemaphoreRef",
    "Settings",
    "Sidecar",
    "Template",
    "Toleration",
    "WorkflowClaim",
    "WorkflowFailed",
    "approval",
    "approvals",
    "container",
    "external",
    "fragment",
    "host",
    "load_artifact",
    "load_artifact_str",
    "parallel",
    "save_artifact",
    "save_artifact_str",
    "settings",
    "suspend",
    "workflow",
]

__version__ = "0.1.0"


def __dir__() -> list[str]:
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name == "api":
        return importlib.import_module("athena.api")
    if name == "wf":  # issue 13: workflow facts (pod-safe)
        return importlib.import_module("athena.wf")
    raise AttributeError(f"module 'athena' has no attribute {name!r}")
