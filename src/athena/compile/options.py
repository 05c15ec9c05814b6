"""Decorator options: the value types users pass (``Retry``, ``TTL``), their normalized forms, and THE table.

Every option is declared once, in :data:`OPTIONS`: its name, where it is allowed, the Python kinds it
accepts, a pure validator, whether it may inject parameters, and its target-version rule. The decorator
overloads, ``validate_options``, the compile checks and the emitter's rules (``argo/emit/options.py``)
are all checked against this table by ``tests/compile/test_option_table.py``.

Validators know nothing of decorators or spans: they return a normalized value or raise
:class:`OptionInvalid` with plain messages. The decorator path wraps them with the keyword's span; a
values file can wrap them with its file and key path.

Pods import this module only when user code names ``athena.Retry``/``athena.TTL``, so it stays light:
``re``, ``difflib`` and the compiler are imported inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from athena.option_types import (
    TTL,
    Cache,
    ConfigMapVolume,
    EmptyDir,
    ExistingClaim,
    HuggingFaceCache,
    Retry,
    SecretVolume,
    SemaphoreRef,
    WorkflowClaim,
)

if TYPE_CHECKING:
    from athena.argo.facts import ArgoVersion

# The user value types live in the pod-safe athena.option_types (a pod evaluates `Retry(...)` when it imports
# the user's module); re-exported here for the validators.


RETRY_POLICIES = ("Always", "OnFailure", "OnError", "OnTransientError")
POD_GC_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")

# ------------------------------------------------------------------------------------ normalized forms


class RetrySpec(msgspec.Struct, frozen=True):
    limit: int | None  # None = unlimited
    policy: str | None
    backoff_seconds: int | None
    factor: int | None
    cap_seconds: int | None
    max_duration_seconds: int | None
    on_exit_codes: tuple[int, ...]


class TTLSpec(msgspec.Struct, frozen=True):
    after_completion: int | None
    after_success: int | None
    after_failure: int | None


# volumes=, mutex=/semaphore=, cache= (issue 9)
class VolumeSpec(msgspec.Struct, frozen=True):
    """One ``volumes=`` entry. ``volume`` is the generated volume name; ``source`` the claim/ConfigMap/Secret
    name (the claim template's name for a workflow claim, "" for an emptyDir)."""

    kind: Literal["claim", "workflow_claim", "empty_dir", "config_map", "secret"]
    volume: str
    source: str
    mount: str
    read_only: bool = False
    sub_path: str | None = None
    size: str | None = None  # a workflow claim's storage request, an emptyDir's sizeLimit
    storage_class: str | None = None
    access_modes: tuple[str, ...] = ()
    medium: str | None = None
    items: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()  # set in the container (HuggingFaceCache: HF_HOME)


class SemaphoreSpec(msgspec.Struct, frozen=True):
    config_map: str
    key: str


class CacheSpec(msgspec.Struct, frozen=True):
    max_age_seconds: int
    config_map: str


class TemplateOptions(msgspec.Struct, frozen=True):
    """Validated decorator arguments, normalized (durations in seconds): plain data only.

    ``on_exit_if_root`` is the exit handler's template *name*; the decorator side keeps the template
    itself in ``Validated.references`` and the compiler fills the name in once names are known.
    """

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
    on_exit_if_root: str | None = None
    ttl_if_root: TTLSpec | None = None
    pod_gc_if_root: str | None = None
    active_deadline_if_root_seconds: int | None = None
    tmp_volume: bool = True
    volumes: tuple[VolumeSpec, ...] = ()
    mutex: str | None = None
    semaphore: SemaphoreSpec | None = None
    cache: CacheSpec | None = None
    # Schedules (a root @workflow's CronWorkflow); cron_arguments values are JSON texts.
    schedules: tuple[str, ...] = ()
    timezone: str | None = None
    concurrency_policy: str | None = None
    starting_deadline_seconds: int | None = None
    suspend: bool = False
    successful_jobs_history_limit: int | None = None
    failed_jobs_history_limit: int | None = None
    cron_arguments: tuple[tuple[str, str], ...] = ()


# ------------------------------------------------------------------------------------------- the table


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with an option's value. ``code`` None means ``codes.BAD_OPTION``."""

    message: str
    code: str | None = None
    hint: str | None = None


class OptionInvalid(ValueError):
    """Raised by a validator; carries every problem it found, in the order it found them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = tuple(problems)


Where = Literal["container", "workflow", "both"]
Validator = Callable[[Any], Any]
TargetRule = Callable[[Any, "ArgoVersion"], str | None]


class OptionSpec(msgspec.Struct, frozen=True):
    """One decorator option, declared once."""

    name: str
    where: Where
    kinds: tuple[str, ...]  # the accepted Python types, as the decorator overloads spell them
    validate: Validator  # raw value -> normalized value, or raises OptionInvalid
    field: str  # the TemplateOptions field the normalized value lands in
    injectable: bool = False  # `{param}` in its text is rendered from the container's inputs
    reference: bool = False  # names another template: kept by the decorator, resolved to a name at compile
    target: TargetRule | None = None  # (normalized, target version) -> why the target Argo lacks it, or None

    def allowed(self, kind: str) -> bool:
        return self.where == "both" or self.where == kind


def _fail(message: str, code: str | None = None) -> OptionInvalid:
    return OptionInvalid([Problem(message, code)])


def _name(value: Any) -> str:
    from athena import codes, names

    if not isinstance(value, str):
        raise _fail(f"`name` must be a string, got {value!r}")
    problem = names.check_dns_name(value, names.WORKFLOW_TEMPLATE_MAX)
    if problem:
        raise _fail(f"name {value!r}: {problem}", codes.BAD_NAME)
    return value


def _text(key: str) -> Validator:
    def validate(value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise _fail(f"`{key}` must be a non-empty string, got {value!r}")
        return value

    return validate


def _secret_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(s, str) and s for s in value):
        raise _fail(f"`image_pull_secrets` must be a list of secret names, got {value!r}")
    return tuple(value)


_LABEL_KEY = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
              r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"


def _mapping(key: str, *, label_keys: bool = False, label_values: bool = False) -> Validator:
    def validate(value: Any) -> tuple[tuple[str, str], ...]:
        import re

        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise _fail(f"`{key}` must be a dict of str to str, got {value!r}")
        problems: list[Problem] = []
        for k, v in value.items():
            if label_keys and not re.match(_LABEL_KEY, k):
                problems.append(Problem(f"`{key}` key {k!r} is not a valid Kubernetes label/annotation key"))
            if label_values and (len(v) > 63 or not re.match(_LABEL_VALUE, v)):
                problems.append(Problem(f"`{key}` value {v!r} is not a valid Kubernetes label value "
                                        "(≤ 63 characters: letters, digits, '-', '_', '.')"))
        if problems:
            raise OptionInvalid(problems)
        return tuple(sorted(value.items()))

    return validate


def _seconds(value: Any, what: str, problems: list[Problem]) -> int | None:
    """A duration in seconds; a bad one is added to ``problems`` (so one option can report several)."""
    from athena import codes
    from athena.durations import parse_duration

    try:
        return parse_duration(value, what=what)
    except (ValueError, TypeError) as exc:
        problems.append(Problem(str(exc), codes.BAD_DURATION))
        return None


def _duration(key: str) -> Validator:
    def validate(value: Any) -> int | None:
        problems: list[Problem] = []
        seconds = _seconds(value, key, problems)
        if problems:
            raise OptionInvalid(problems)
        return seconds

    return validate


def _flag(key: str) -> Validator:
    def validate(value: Any) -> bool:
        if not isinstance(value, bool):
            raise _fail(f"`{key}` must be True or False, got {value!r}")
        return value

    return validate


def _positive(key: str) -> Validator:
    def validate(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _fail(f"`{key}` must be an int ≥ 1 (Argo's CRD enforces minimum 1), got {value!r}")
        return value

    return validate


def _pod_gc(value: Any) -> str:
    from athena import codes

    if value not in POD_GC_STRATEGIES:
        raise _fail(f"`pod_gc_if_root` must be one of {', '.join(POD_GC_STRATEGIES)}, got {value!r}",
                    codes.BAD_ENUM)
    return str(value)


def _retry(value: Any) -> RetrySpec:
    from athena import codes

    if not isinstance(value, Retry):
        raise _fail(f"`retry` must be athena.Retry(...), got {value!r}")
    problems: list[Problem] = []
    limit: int | None
    if value.limit == "unlimited":
        limit = None
    elif isinstance(value.limit, int) and not isinstance(value.limit, bool) and value.limit >= 0:
        limit = value.limit
    else:
        problems.append(Problem(f"Retry(limit=...) must be an int ≥ 0 or \"unlimited\", got {value.limit!r}"))
        limit = 0
    if value.policy is not None and value.policy not in RETRY_POLICIES:
        problems.append(Problem(f"Retry(policy=...) must be one of {', '.join(RETRY_POLICIES)}, "
                                f"got {value.policy!r}", codes.BAD_ENUM))
    if value.factor is not None and (not isinstance(value.factor, int) or value.factor < 1):
        problems.append(Problem(f"Retry(factor=...) must be an int ≥ 1, got {value.factor!r}"))
    if (value.cap is not None or value.factor is not None or value.max_duration is not None) and value.backoff is None:
        problems.append(Problem("Retry(factor=/cap=/max_duration=) need backoff= as well"))
    codes_ok = all(isinstance(c, int) and not isinstance(c, bool) for c in value.on_exit_codes)
    if not codes_ok or isinstance(value.on_exit_codes, str):
        problems.append(Problem(f"Retry(on_exit_codes=...) must be a list of ints, got {value.on_exit_codes!r}"))

    if value.policy == "OnError" and codes_ok and value.on_exit_codes:
        # Argo's processNodeRetries applies the policy before the expression: a non-zero exit makes the node
        # Failed, OnError retries only Errored nodes, so the exit-code expression is never reached.
        problems.append(Problem(f"Retry(policy=\"OnError\", on_exit_codes={list(value.on_exit_codes)!r}) never "
                                "retries: a non-zero exit code fails the node (Failed), and OnError retries only "
                                "errors of Argo itself (Errored), so the exit codes are never checked",
                                codes.RETRY_NEVER_RETRIES))

    def d(v: int | str | None, what: str) -> int | None:
        return None if v is None else _seconds(v, what, problems)

    spec = RetrySpec(
        limit=limit,
        policy=value.policy,
        backoff_seconds=d(value.backoff, "Retry(backoff=...)"),
        factor=value.factor,
        cap_seconds=d(value.cap, "Retry(cap=...)"),
        max_duration_seconds=d(value.max_duration, "Retry(max_duration=...)"),
        on_exit_codes=tuple(value.on_exit_codes) if codes_ok else (),
    )
    if problems:
        raise OptionInvalid(problems)
    return spec


def _retry_target(spec: RetrySpec, version: ArgoVersion) -> str | None:
    from athena.argo import facts

    if spec.cap_seconds is not None and not facts.has_backoff_cap(version):
        return "Retry(cap=...) needs Argo 3.7 or later"
    return None


def _ttl(value: Any) -> TTLSpec:
    if not isinstance(value, TTL):
        raise _fail(f"`ttl_if_root` must be athena.TTL(...), got {value!r}")
    if value.after_completion is None and value.after_success is None and value.after_failure is None:
        raise _fail("TTL() needs at least one of after_completion=, after_success=, after_failure=")
    problems: list[Problem] = []

    def d(v: int | str | None, what: str) -> int | None:
        return None if v is None else _seconds(v, what, problems)

    spec = TTLSpec(
        d(value.after_completion, "TTL(after_completion=...)"),
        d(value.after_success, "TTL(after_success=...)"),
        d(value.after_failure, "TTL(after_failure=...)"),
    )
    if problems:
        raise OptionInvalid(problems)
    return spec


def _template(value: Any) -> Any:
    from athena import codes
    from athena.decorators import Template

    if not isinstance(value, Template):
        raise _fail(f"`on_exit_if_root` must be a @container or @workflow, got {value!r}", codes.BAD_HOOK_TARGET)
    return value



# --- volumes=, mutex=/semaphore=, cache= (issue 9)

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
_VOLUME_TYPES = (ExistingClaim, WorkflowClaim, EmptyDir, ConfigMapVolume, SecretVolume, HuggingFaceCache)
_CONFIGMAP_KEY = r"[-._a-zA-Z0-9]+"
_SYNC_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"


def _subdomain(value: Any, what: str, problems: list[Problem]) -> str:
    """A Kubernetes object name (DNS-1123 subdomain: ≤ 253, lowercase letters, digits, '-', '.')."""
    import re

    from athena import codes

    if not isinstance(value, str) or len(value) > 253 or not re.fullmatch(
            r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", value):
        problems.append(Problem(f"{what} {value!r} is not a name Kubernetes accepts (lowercase letters, digits, "
                                "'-' and '.', starting and ending with a letter or digit, ≤ 253 characters)",
                                codes.BAD_NAME))
        return ""
    return value


def _mount_path(value: Any, what: str, problems: list[Problem]) -> str:
    import posixpath

    from athena import codes
    from athena.runtime import protocol as proto

    if not isinstance(value, str) or not value.startswith("/"):
        problems.append(Problem(f"{what} must be an absolute path such as \"/data\", got {value!r}", codes.BAD_MOUNT))
        return ""
    path = posixpath.normpath(value)
    path = "/" + path.lstrip("/")
    if path == "/" or path == proto.WORK_DIR or path.startswith(proto.WORK_DIR + "/"):
        problems.append(Problem(f"{what} {value!r} is {'the root' if path == '/' else 'under ' + proto.WORK_DIR}, "
                                "where athena keeps the bundle and its work files", codes.BAD_MOUNT))
    return path


def _items(value: Any, what: str, problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    import posixpath
    import re

    if value is None:
        return ()
    if not isinstance(value, Mapping) or not value:
        problems.append(Problem(f"{what} must be a non-empty dict of key to relative file path, got {value!r}"))
        return ()
    for k, v in value.items():
        if not isinstance(k, str) or not re.fullmatch(_CONFIGMAP_KEY, k) or len(k) > 253:
            problems.append(Problem(f"{what} key {k!r} is not a valid ConfigMap/Secret key "
                                    "(letters, digits, '-', '_', '.')"))
        elif (not isinstance(v, str) or not v or v.startswith("/")
              or ".." in posixpath.normpath(v).split("/")):
            problems.append(Problem(f"{what}[{k!r}] must be a relative path without '..', got {v!r}"))
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def _size(value: Any, what: str, problems: list[Problem]) -> str | None:
    from athena import codes
    from athena.compile.quantities import check_quantity

    if value is None:
        return None
    try:
        return check_quantity(value, what)
    except ValueError as exc:
        problems.append(Problem(str(exc), codes.BAD_QUANTITY))
        return None


def _volume(v: Any, problems: list[Problem]) -> VolumeSpec | None:
    from athena import codes, names

    kind = type(v).__name__
    if isinstance(v, HuggingFaceCache):
        claim = _subdomain(v.claim, "HuggingFaceCache(claim=...)", problems)
        mount = _mount_path(v.mount, "HuggingFaceCache(mount=...)", problems)
        return VolumeSpec("claim", names.volume_name("claim", claim or "x"), claim, mount,
                          read_only=bool(v.read_only), env=(("HF_HOME", mount),))
    mount = _mount_path(v.mount, f"{kind}(mount=...)", problems)
    if isinstance(v, ExistingClaim):
        claim = _subdomain(v.claim, "ExistingClaim(claim=...)", problems)
        if v.sub_path is not None and (not isinstance(v.sub_path, str) or not v.sub_path
                                       or v.sub_path.startswith("/") or ".." in v.sub_path.split("/")):
            problems.append(Problem(f"ExistingClaim(sub_path=...) must be a relative path without '..', "
                                    f"got {v.sub_path!r}"))
        if not isinstance(v.read_only, bool):
            problems.append(Problem(f"ExistingClaim(read_only=...) must be True or False, got {v.read_only!r}"))
        return VolumeSpec("claim", names.volume_name("claim", claim or "x"), claim, mount,
                          read_only=v.read_only is True, sub_path=v.sub_path or None)
    if isinstance(v, WorkflowClaim):
        name = v.name if isinstance(v.name, str) else ""
        problem = names.check_dns_name(name, 63) if name else "must be a non-empty string"
        if problem:
            problems.append(Problem(f"WorkflowClaim name {v.name!r}: {problem}", codes.BAD_NAME))
        storage_class = (_subdomain(v.storage_class, "WorkflowClaim(storage_class=...)", problems)
                         if v.storage_class is not None else None)
        modes = v.access_modes
        if isinstance(modes, str) or not modes or any(m not in ACCESS_MODES for m in modes):
            problems.append(Problem(f"WorkflowClaim(access_modes=...) must be a non-empty list of "
                                    f"{', '.join(ACCESS_MODES)}, got {modes!r}", codes.BAD_ENUM))
            modes = ()
        return VolumeSpec("workflow_claim", names.volume_name("workflow_claim", name or "x"), name, mount,
                          size=_size(v.size, "WorkflowClaim(size=...)", problems) or "",
                          storage_class=storage_class or None, access_modes=tuple(modes))
    if isinstance(v, EmptyDir):
        name = v.name if isinstance(v.name, str) and v.name else ""
        if not name:
            problems.append(Problem(f"EmptyDir name must be a non-empty string, got {v.name!r}"))
        if v.medium not in (None, "", "Memory"):
            problems.append(Problem(f"EmptyDir(medium=...) must be None (the node's disk) or \"Memory\", "
                                    f"got {v.medium!r}", codes.BAD_ENUM))
        return VolumeSpec("empty_dir", names.volume_name("empty_dir", name or "x"), "", mount,
                          size=_size(v.size_limit, "EmptyDir(size_limit=...)", problems),
                          medium=v.medium or None)
    # ConfigMapVolume / SecretVolume
    volume_kind: Literal["config_map", "secret"] = "config_map" if isinstance(v, ConfigMapVolume) else "secret"
    source = _subdomain(v.name, f"{kind} name", problems)
    return VolumeSpec(volume_kind, names.volume_name(volume_kind, source or "x"), source, mount,
                      read_only=True, items=_items(v.items, f"{kind}(items=...)", problems))


def _volumes(value: Any) -> tuple[VolumeSpec, ...]:
    from athena import codes

    if isinstance(value, (str, Mapping, *_VOLUME_TYPES)) or not isinstance(value, Sequence):
        raise _fail(f"`volumes` must be a list of ExistingClaim, WorkflowClaim, EmptyDir, ConfigMapVolume, "
                    f"SecretVolume or HuggingFaceCache, got {value!r}")
    problems: list[Problem] = []
    specs: list[VolumeSpec] = []
    for v in value:
        if not isinstance(v, _VOLUME_TYPES):
            problems.append(Problem(f"`volumes` entry {v!r} is not a volume (ExistingClaim(...), "
                                    "WorkflowClaim(...), EmptyDir(...), ConfigMapVolume(...), SecretVolume(...), "
                                    "HuggingFaceCache(...))"))
            continue
        spec = _volume(v, problems)
        if spec is not None:
            specs.append(spec)
    by_mount: dict[str, VolumeSpec] = {}
    by_volume: dict[str, VolumeSpec] = {}
    for spec in specs:
        if spec.mount and spec.mount in by_mount:
            problems.append(Problem(f"two volumes are mounted at {spec.mount}", codes.BAD_MOUNT))
        by_mount[spec.mount] = spec
        other = by_volume.get(spec.volume)
        # one volume may be mounted twice (a claim at two sub-paths), but only with one definition
        if other is not None and _volume_source(other) != _volume_source(spec):
            problems.append(Problem(f"`volumes` declares {spec.source or spec.volume!r} twice with different "
                                    "settings", codes.CLAIM_CONFLICT if spec.kind == "workflow_claim" else None))
        by_volume[spec.volume] = spec
    if problems:
        raise OptionInvalid(problems)
    return tuple(specs)


def _volume_source(v: VolumeSpec) -> tuple[Any, ...]:
    """What the pod's ``volumes`` entry (or the claim template) is made of: equal ones are one volume."""
    return (v.kind, v.source, v.size, v.storage_class, v.access_modes, v.medium, v.items)


def _mutex(value: Any) -> str:
    import re

    if not isinstance(value, str) or len(value) > 253 or not re.fullmatch(_SYNC_NAME, value):
        from athena import codes

        raise _fail(f"`mutex` must be a name of letters, digits, '-', '_' and '.' (≤ 253 characters), "
                    f"got {value!r}", codes.BAD_NAME)
    return value


def _semaphore(value: Any) -> SemaphoreSpec:
    import re

    from athena import codes

    if not isinstance(value, SemaphoreRef):
        raise _fail(f"`semaphore` must be athena.SemaphoreRef(config_map=..., key=...), got {value!r}")
    problems: list[Problem] = []
    config_map = _subdomain(value.config_map, "SemaphoreRef(config_map=...)", problems)
    if not isinstance(value.key, str) or len(value.key) > 253 or not re.fullmatch(_CONFIGMAP_KEY, value.key):
        problems.append(Problem(f"SemaphoreRef(key=...) {value.key!r} is not a valid ConfigMap key "
                                "(letters, digits, '-', '_', '.')", codes.BAD_NAME))
    if problems:
        raise OptionInvalid(problems)
    return SemaphoreSpec(config_map, value.key)


def _cache(value: Any) -> CacheSpec:
    if not isinstance(value, Cache):
        raise _fail(f"`cache` must be athena.Cache(max_age=...), got {value!r}")
    problems: list[Problem] = []
    seconds = _seconds(value.max_age, "Cache(max_age=...)", problems)
    config_map = _subdomain(value.config_map, "Cache(config_map=...)", problems)
    if problems or seconds is None:
        raise OptionInvalid(problems)
    return CacheSpec(seconds, config_map)
# --- schedules (a CronWorkflow per scheduled root)


def _schedules(value: Any) -> tuple[str, ...]:
    from athena import codes
    from athena.compile.cron import cron_problem

    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not items or not all(isinstance(s, str) for s in items):
        raise _fail(f"`schedule` must be a cron string or a non-empty list of them, got {value!r}")
    problems = [Problem(p, codes.BAD_CRON) for p in map(cron_problem, items) if p]
    if problems:
        raise OptionInvalid(problems)
    return tuple(" ".join(s.split()) for s in items)


def _timezone(value: Any) -> str:
    import zoneinfo

    if not isinstance(value, str) or not value:
        raise _fail(f"`timezone` must be an IANA time zone name such as 'Europe/Berlin', got {value!r}")
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise _fail(f"`timezone` {value!r} is not an IANA time zone name (such as 'Europe/Berlin' or 'UTC')") from None
    return value


def _concurrency(value: Any) -> str:
    from athena import codes

    if value not in CONCURRENCY_POLICIES:
        raise _fail(f"`concurrency_policy` must be one of {', '.join(CONCURRENCY_POLICIES)}, got {value!r}",
                    codes.BAD_ENUM)
    return str(value)


def _history(key: str) -> Validator:
    def validate(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _fail(f"`{key}` must be an int ≥ 0, got {value!r}")
        return value

    return validate


def _cron_arguments(value: Any) -> tuple[tuple[str, str], ...]:
    """Each value as its JSON text; names and types are checked against the signature at compile time."""
    from athena.argo.expr import json_text
    from athena.runtime import codec

    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _fail(f"`cron_arguments` must be a dict of parameter name to value, got {value!r}")
    out: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for k, v in value.items():
        try:
            out.append((k, json_text(codec.to_builtins(v))))
        except (TypeError, ValueError):
            problems.append(Problem(f"`cron_arguments` value for {k!r} is not JSON data: {v!r}"))
    if problems:
        raise OptionInvalid(problems)
    return tuple(out)


def _row(name: str, where: Where, kinds: tuple[str, ...], validate: Validator, *, field: str | None = None,
         injectable: bool = False, reference: bool = False, target: TargetRule | None = None) -> OptionSpec:
    return OptionSpec(name, where, kinds, validate, field or name, injectable, reference, target)


_DURATION = ("int", "str")
_STR_MAP = ("Mapping[str, str]",)

# Row order is the order diagnostics of one decorator's checks are reported in (and the docs' order).
OPTIONS: dict[str, OptionSpec] = {s.name: s for s in (
    _row("name", "both", ("str",), _name),
    _row("image", "container", ("str",), _text("image"), injectable=True),
    _row("service_account", "container", ("str",), _text("service_account"), injectable=True),
    _row("image_pull_secrets", "container", ("Sequence[str]",), _secret_names),
    _row("node_selector", "both", _STR_MAP, _mapping("node_selector"), injectable=True),
    _row("retry", "both", ("Retry",), _retry, target=_retry_target),
    _row("timeout", "container", _DURATION, _duration("timeout"), field="timeout_seconds"),
    _row("pod_running_timeout", "container", _DURATION, _duration("pod_running_timeout"),
         field="pod_running_timeout_seconds"),
    _row("steps", "workflow", ("bool",), _flag("steps")),
    _row("parallelism", "workflow", ("int",), _positive("parallelism")),
    _row("parallelism_if_root", "workflow", ("int",), _positive("parallelism_if_root")),
    _row("annotations", "both", _STR_MAP, _mapping("annotations", label_keys=True)),
    _row("labels", "both", _STR_MAP, _mapping("labels", label_keys=True, label_values=True)),
    _row("on_exit_if_root", "both", ("Template[[], Any]",), _template, reference=True),
    _row("ttl_if_root", "both", ("TTL",), _ttl),
    _row("pod_gc_if_root", "both", ("str",), _pod_gc),
    _row("active_deadline_if_root", "both", _DURATION, _duration("active_deadline_if_root"),
         field="active_deadline_if_root_seconds"),
    _row("tmp_volume", "container", ("bool",), _flag("tmp_volume")),
    # issue 9: volumes, synchronization, memoize (one block)
    _row("volumes", "container", ("Sequence[Volume]",), _volumes),
    _row("mutex", "both", ("str",), _mutex),
    _row("semaphore", "both", ("SemaphoreRef",), _semaphore),
    _row("cache", "container", ("Cache",), _cache),
    # schedules: one CronWorkflow per scheduled root (keep these rows together)
    _row("schedule", "workflow", ("str", "Sequence[str]"), _schedules, field="schedules"),
    _row("timezone", "workflow", ("str",), _timezone),
    _row("concurrency_policy", "workflow", ("str",), _concurrency),
    _row("starting_deadline", "workflow", _DURATION, _duration("starting_deadline"),
         field="starting_deadline_seconds"),
    _row("suspend", "workflow", ("bool",), _flag("suspend")),
    _row("successful_jobs_history_limit", "workflow", ("int",), _history("successful_jobs_history_limit")),
    _row("failed_jobs_history_limit", "workflow", ("int",), _history("failed_jobs_history_limit")),
    _row("cron_arguments", "workflow", ("Mapping[str, Any]",), _cron_arguments),
)}


def options_for(kind: str) -> list[str]:
    """The option names a ``@container`` or ``@workflow`` accepts, in table order."""
    return [n for n, s in OPTIONS.items() if s.allowed(kind)]


# ---------------------------------------------------------------------------------- decorator wrapping


class Validated(msgspec.Struct, frozen=True):
    """A decorator's options: the data, and the templates some options name (by option name)."""

    options: TemplateOptions
    references: Mapping[str, Any]


def validate_options(kind: str, raw: Mapping[str, Any], fn: Callable[..., Any]) -> Validated:
    """Check a decorator's keywords against the table; report every problem at its keyword."""
    if not raw:
        return _NO_OPTIONS  # the common case (a bare decorator): nothing to check
    from athena import codes
    from athena.compile.lower.source import decorator_keyword_span
    from athena.errors import CompileError, Diagnostic

    diags: list[Diagnostic] = []
    out: dict[str, Any] = {}
    refs: dict[str, Any] = {}

    def bad(key: str, message: str, code: str = codes.BAD_OPTION, hint: str | None = None) -> None:
        diags.append(codes.diag(code, message, decorator_keyword_span(fn, key), hint=hint))

    for key, value in raw.items():
        if value is None:
            continue  # not given
        spec = OPTIONS.get(key)
        if spec is None:
            import difflib

            known = sorted(options_for(kind))
            close = difflib.get_close_matches(key, known, n=1)
            bad(key, f"@{kind} has no argument `{key}`",
                hint=f"did you mean `{close[0]}`?" if close else f"arguments: {', '.join(known)}")
            continue
        if not spec.allowed(kind):
            bad(key, f"`{key}=` applies to @{spec.where} only", codes.OPTION_WRONG_KIND)
            continue
        try:
            normalized = spec.validate(value)
        except OptionInvalid as exc:
            for p in exc.problems:
                bad(key, p.message, p.code or codes.BAD_OPTION, p.hint)
            continue
        if spec.reference:
            refs[key] = normalized
        else:
            out[spec.field] = normalized
    if diags:
        raise CompileError(diags) from None
    return Validated(TemplateOptions(**out), refs)


_NO_OPTIONS = Validated(TemplateOptions(), MappingProxyType({}))
