"""Option types users pass to the decorators (``Retry``, ``TTL``) and their validation.

The classes only hold what the user wrote; ``validate_options`` checks everything at decoration time and
reports each problem at the keyword in the decorator call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import re


@dataclass(frozen=True)
class Retry:
    """``retryStrategy``. ``limit`` counts retries (so at most limit+1 attempts)."""

    limit: int | Literal["unlimited"] = 3
    policy: str | None = None  # Argo's default: OnFailure, or Always with on_exit_codes
    backoff: int | str | None = None
    factor: int | None = None
    cap: int | str | None = None
    max_duration: int | str | None = None
    on_exit_codes: Sequence[int] = ()


@dataclass(frozen=True)
class TTL:
    """``ttlStrategy`` of a submitted root: seconds (or durations) after the workflow finished."""

    after_completion: int | str | None = None
    after_success: int | str | None = None
    after_failure: int | str | None = None


RETRY_POLICIES = ("Always", "OnFailure", "OnError", "OnTransientError")
POD_GC_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")


@dataclass(frozen=True, slots=True)
class RetrySpec:
    limit: int | None  # None = unlimited
    policy: str | None
    backoff_seconds: int | None
    factor: int | None
    cap_seconds: int | None
    max_duration_seconds: int | None
    on_exit_codes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TTLSpec:
    after_completion: int | None
    after_success: int | None
    after_failure: int | None


@dataclass(frozen=True, slots=True)
class TemplateOptions:
    """Validated decorator arguments, normalized (durations in seconds). New fields default to empty."""

    name: str | None = None
    image: str | None = None
    service_account: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    node_selector: tuple[tuple[str, str], ...] = ()
    retry: RetrySpec | None = None
    timeout_seconds: int | None = None
    pod_running_timeout_seconds: int | None = None
    steps: bool = False
    parallelism: int | None = None
    parallelism_if_root: int | None = None
    annotations: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    on_exit_if_root: Any = None  # a Template; resolved to a name at compile time
    ttl_if_root: TTLSpec | None = None
    pod_gc_if_root: str | None = None
    active_deadline_if_root_seconds: int | None = None
    tmp_volume: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)


_ALL_KEYS = ("name", "image", "service_account", "image_pull_secrets", "node_selector", "retry", "timeout",
             "pod_running_timeout", "steps", "parallelism", "parallelism_if_root", "annotations", "labels",
             "on_exit_if_root", "ttl_if_root", "pod_gc_if_root", "active_deadline_if_root", "tmp_volume")
CONTAINER_ONLY = ("image", "service_account", "image_pull_secrets", "timeout", "pod_running_timeout", "tmp_volume")
WORKFLOW_ONLY = ("steps", "parallelism", "parallelism_if_root")

_LABEL_KEY = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
              r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"


def validate_options(kind: str, raw: Mapping[str, Any], fn: Callable[..., Any]) -> TemplateOptions:
    # Imported here: pods import this module (decorators are inert there) and never validate.
    import re

    from athena import codes
    from athena.compile.lower.source import decorator_keyword_span
    from athena.durations import parse_duration
    from athena.errors import CompileError, Diagnostic

    diags: list[Diagnostic] = []
    out: dict[str, Any] = {}

    def bad(key: str, message: str, code: str = codes.BAD_OPTION, hint: str | None = None) -> None:
        diags.append(codes.diag(code, message, decorator_keyword_span(fn, key), hint=hint))

    def duration(key: str, value: Any, what: str | None = None) -> int | None:
        try:
            return parse_duration(value, what=what or key)
        except (ValueError, TypeError) as exc:
            bad(key, str(exc), codes.BAD_DURATION)
            return None

    def mapping(key: str, value: Any, check_key: re.Pattern[str] | None = None,
                check_value: re.Pattern[str] | None = None) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            bad(key, f"`{key}` must be a dict of str to str, got {value!r}")
            return ()
        for k, v in value.items():
            if check_key is not None and not check_key.match(k):
                bad(key, f"`{key}` key {k!r} is not a valid Kubernetes label/annotation key")
            if check_value is not None and (len(v) > 63 or not check_value.match(v)):
                bad(key, f"`{key}` value {v!r} is not a valid Kubernetes label value "
                         "(≤ 63 characters: letters, digits, '-', '_', '.')")
        return tuple(sorted(value.items()))

    for key, value in raw.items():
        if value is None:
            continue
        if kind == "workflow" and key in CONTAINER_ONLY:
            bad(key, f"`{key}=` applies to @container only", codes.OPTION_WRONG_KIND)
            continue
        if kind == "container" and key in WORKFLOW_ONLY:
            bad(key, f"`{key}=` applies to @workflow only", codes.OPTION_WRONG_KIND)
            continue
        if key == "name":
            _check_name(value, bad)
            out[key] = value
        elif key in ("image", "service_account"):
            if not isinstance(value, str) or not value:
                bad(key, f"`{key}` must be a non-empty string, got {value!r}")
            out[key] = value
        elif key == "image_pull_secrets":
            if isinstance(value, str) or not all(isinstance(s, str) and s for s in value):
                bad(key, f"`{key}` must be a list of secret names, got {value!r}")
            else:
                out[key] = tuple(value)
        elif key == "node_selector":
            out[key] = mapping(key, value)
        elif key in ("annotations",):
            out[key] = mapping(key, value, re.compile(_LABEL_KEY))
        elif key == "labels":
            out[key] = mapping(key, value, re.compile(_LABEL_KEY), re.compile(_LABEL_VALUE))
        elif key == "retry":
            out[key] = _retry(value, bad, duration)
        elif key == "timeout":
            out["timeout_seconds"] = duration(key, value)
        elif key == "pod_running_timeout":
            out["pod_running_timeout_seconds"] = duration(key, value)
        elif key == "active_deadline_if_root":
            out["active_deadline_if_root_seconds"] = duration(key, value)
        elif key in ("steps", "tmp_volume"):
            if not isinstance(value, bool):
                bad(key, f"`{key}` must be True or False, got {value!r}")
            out[key] = bool(value)
        elif key in ("parallelism", "parallelism_if_root"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                bad(key, f"`{key}` must be an int ≥ 1 (Argo's CRD enforces minimum 1), got {value!r}")
            else:
                out[key] = value
        elif key == "pod_gc_if_root":
            if value not in POD_GC_STRATEGIES:
                bad(key, f"`pod_gc_if_root` must be one of {', '.join(POD_GC_STRATEGIES)}, got {value!r}",
                    codes.BAD_ENUM)
            out[key] = value
        elif key == "ttl_if_root":
            out[key] = _ttl(value, bad, duration)
        elif key == "on_exit_if_root":
            from athena.decorators import Template

            if not isinstance(value, Template):
                bad(key, f"`on_exit_if_root` must be a @container or @workflow, got {value!r}",
                    codes.BAD_HOOK_TARGET)
            out[key] = value
        else:
            import difflib

            known = sorted(k for k in _ALL_KEYS if not (kind == "workflow" and k in CONTAINER_ONLY)
                           and not (kind == "container" and k in WORKFLOW_ONLY))
            close = difflib.get_close_matches(key, known, n=1)
            bad(key, f"@{kind} has no argument `{key}`",
                hint=f"did you mean `{close[0]}`?" if close else f"arguments: {', '.join(known)}")
    if diags:
        raise CompileError(diags) from None
    return TemplateOptions(**out)


def _check_name(value: Any, bad: Callable[..., None]) -> None:
    from athena import codes, names

    if not isinstance(value, str):
        bad("name", f"`name` must be a string, got {value!r}")
        return
    if names.is_yaml11_special(value):
        bad("name", f"name {value!r} reads as a bool or null in YAML 1.1", codes.YAML_SPECIAL)
        return
    problem = names.check_dns_name(value, names.WORKFLOW_TEMPLATE_MAX)
    if problem:
        bad("name", f"name {value!r}: {problem}", codes.BAD_NAME)


def _retry(value: Any, bad: Callable[..., None], duration: Callable[..., int | None]) -> RetrySpec | None:
    from athena import codes

    if not isinstance(value, Retry):
        bad("retry", f"`retry` must be athena.Retry(...), got {value!r}")
        return None
    limit: int | None
    if value.limit == "unlimited":
        limit = None
    elif isinstance(value.limit, int) and not isinstance(value.limit, bool) and value.limit >= 0:
        limit = value.limit
    else:
        bad("retry", f"Retry(limit=...) must be an int ≥ 0 or \"unlimited\", got {value.limit!r}")
        limit = 0
    if value.policy is not None and value.policy not in RETRY_POLICIES:
        bad("retry", f"Retry(policy=...) must be one of {', '.join(RETRY_POLICIES)}, got {value.policy!r}",
            codes.BAD_ENUM)
    if value.factor is not None and (not isinstance(value.factor, int) or value.factor < 1):
        bad("retry", f"Retry(factor=...) must be an int ≥ 1, got {value.factor!r}")
    if (value.cap is not None or value.factor is not None or value.max_duration is not None) and value.backoff is None:
        bad("retry", "Retry(factor=/cap=/max_duration=) need backoff= as well")
    codes_ok = all(isinstance(c, int) and not isinstance(c, bool) for c in value.on_exit_codes)
    if not codes_ok or isinstance(value.on_exit_codes, str):
        bad("retry", f"Retry(on_exit_codes=...) must be a list of ints, got {value.on_exit_codes!r}")
    return RetrySpec(
        limit=limit,
        policy=value.policy,
        backoff_seconds=duration("retry", value.backoff, "Retry(backoff=...)") if value.backoff is not None else None,
        factor=value.factor,
        cap_seconds=duration("retry", value.cap, "Retry(cap=...)") if value.cap is not None else None,
        max_duration_seconds=(duration("retry", value.max_duration, "Retry(max_duration=...)")
                              if value.max_duration is not None else None),
        on_exit_codes=tuple(value.on_exit_codes) if codes_ok else (),
    )


def _ttl(value: Any, bad: Callable[..., None], duration: Callable[..., int | None]) -> TTLSpec | None:
    if not isinstance(value, TTL):
        bad("ttl_if_root", f"`ttl_if_root` must be athena.TTL(...), got {value!r}")
        return None
    if value.after_completion is None and value.after_success is None and value.after_failure is None:
        bad("ttl_if_root", "TTL() needs at least one of after_completion=, after_success=, after_failure=")
        return None

    def d(v: int | str | None, what: str) -> int | None:
        return None if v is None else duration("ttl_if_root", v, what)

    return TTLSpec(
        d(value.after_completion, "TTL(after_completion=...)"),
        d(value.after_success, "TTL(after_success=...)"),
        d(value.after_failure, "TTL(after_failure=...)"),
    )
