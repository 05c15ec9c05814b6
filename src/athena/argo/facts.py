"""Facts about Argo Workflows that athena depends on: supported lines, version parsing, limits.

A leaf (standard library only): the compiler, the linter, the configuration and the local pod executor all
read these, so a new Argo release or a changed limit is edited here once. Sources are cited per fact
(``argo-semantics.md`` in the team's reference, else the Argo source file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "HANG_REASON",
    "LINES",
    "MAX_CRON_WORKFLOW_NAME",
    "MAX_DAG_TASKS",
    "MAX_DEPTH",
    "MAX_ENV_VAR_LEN",
    "MAX_INPUT_PARAMS",
    "MAX_OBJECT_NAME",
    "MAX_TEMPLATES",
    "MAX_TEMPLATE_NAME",
    "MIN_PATCH",
    "SCHEMA_TAGS",
    "SUPPORTED_TEXT",
    "ArgoVersion",
    "hangs_on_skipped_outputs",
    "has_backoff_cap",
    "offloads_large_args",
    "parse_version",
]

#: Supported release lines and the first patch of each that athena accepts (DESIGN §0).
MIN_PATCH: Final[Mapping[str, int]] = MappingProxyType({"3.6": 19, "3.7": 16, "4.0": 7, "4.1": 0})
#: The supported lines, oldest first.
LINES: Final = tuple(MIN_PATCH)
#: The newest tag of each line; ``athena/argo/schemas/<tag>.json`` is its ``api/jsonschema/schema.json``.
SCHEMA_TAGS: Final[Mapping[str, str]] = MappingProxyType(
    {"3.6": "v3.6.19", "3.7": "v3.7.18", "4.0": "v4.0.10", "4.1": "v4.1.2"}
)
SUPPORTED_TEXT: Final = "athena supports Argo 3.6.19+, 3.7.16+, 4.0.7+, 4.1.x"
HANG_REASON: Final = (
    "3.7.11–3.7.15 and 4.0.2–4.0.6 hang forever on a reference to a Skipped task's output, "
    "which every if/else and empty fan-out produces"
)

#: ``metadata.name`` of a Workflow / WorkflowTemplate / ClusterWorkflowTemplate (a DNS label).
MAX_OBJECT_NAME: Final = 63
#: ``metadata.name`` of a CronWorkflow: the controller appends ``-<unix time>`` to each child's name.
MAX_CRON_WORKFLOW_NAME: Final = 52
#: Template, DAG task and step names (the v4 CRD's ``maxLength``).
MAX_TEMPLATE_NAME: Final = 128
#: Templates in one document (the v4 CRD's ``maxItems``).
MAX_TEMPLATES: Final = 200
#: Tasks in one DAG template (the controller's ``maxDAGTasks`` check).
MAX_DAG_TASKS: Final = 200
#: Input parameters of one template.
MAX_INPUT_PARAMS: Final = 500
#: Template nesting depth before the controller reports "maximum recursion depth exceeded".
MAX_DEPTH: Final = 100
#: ``common.MaxEnvVarLen`` (128 KiB): above it the controller offloads ARGO_TEMPLATE and (where supported) the
#: container args into a ConfigMap; it is also Linux's ``MAX_ARG_STRLEN``, the exec limit of one argument.
MAX_ENV_VAR_LEN: Final = 131_072

_VERSION: Final = re.compile(r"(v?)(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class ArgoVersion:
    """``"3.7"`` (the line's newest patch: ``patch`` is None) or ``"3.7.16"``, as written."""

    major: int
    minor: int
    patch: int | None
    line: str  # "X.Y" as written (``"3.07"`` stays ``"3.07"``: not a supported line)

    @property
    def canonical_line(self) -> str:
        """The line with numbers normalized: ``v03.7.1`` → ``"3.7"``."""
        return f"{self.major}.{self.minor}"


def parse_version(text: str, *, allow_v: bool = False) -> ArgoVersion | None:
    """``"X.Y"`` or ``"X.Y.Z"`` (and ``"vX.Y.Z"`` when ``allow_v``) → :class:`ArgoVersion`; None when malformed.

    Whether the line is supported is the caller's question (:data:`MIN_PATCH`).
    """
    m = _VERSION.fullmatch(text)
    if m is None or (m[1] and not allow_v):
        return None
    return ArgoVersion(int(m[2]), int(m[3]), int(m[4]) if m[4] is not None else None, f"{m[2]}.{m[3]}")


def hangs_on_skipped_outputs(version: ArgoVersion) -> bool:
    """3.7.11–3.7.15 and 4.0.2–4.0.6 hang on a reference to a Skipped task's output (:data:`HANG_REASON`)."""
    p = version.patch
    if p is None:
        return False
    line = version.canonical_line
    return (line == "3.7" and 11 <= p <= 15) or (line == "4.0" and 2 <= p <= 6)


def has_backoff_cap(version: ArgoVersion) -> bool:
    """``retryStrategy.backoff.cap`` exists since 3.7 (the 3.6 schema rejects it)."""
    return (version.major, version.minor) >= (3, 7)


def offloads_large_args(version: ArgoVersion) -> bool:
    """Whether container args whose JSON is above :data:`MAX_ENV_VAR_LEN` are offloaded to a ConfigMap
    (``ARGO_CONTAINER_ARGS_FILE``, ``@/tmp/argo_arg_<i>.txt``): since 3.7.10 and 4.0.1; a line without a patch
    means its newest."""
    key = (version.major, version.minor)
    if key == (3, 7):
        return version.patch is None or version.patch >= 10
    if key == (4, 0):
        return version.patch is None or version.patch >= 1
    return key > (4, 0)


# --- metrics= (issue 9): limits of Argo's template-level Prometheus metrics


def max_metrics_per_template(version: ArgoVersion) -> int | None:
    """``metrics.prometheus`` items per template: the v4 CRD says ``maxItems: 100``; 3.x has no limit."""
    return 100 if version.major >= 4 else None


def max_gauge_value_length(version: ArgoVersion) -> int | None:
    """``gauge.value`` length: the v4 CRD says ``maxLength: 256``; 3.x has no limit."""
    return 256 if version.major >= 4 else None
