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
# --- pod configuration (issue 9): normalized forms


class ResourcesSpec(msgspec.Struct, frozen=True):
    requests: tuple[tuple[str, str], ...]  # (resource name, quantity text), in Kubernetes' usual order
    limits: tuple[tuple[str, str], ...]


class EnvVarSpec(msgspec.Struct, frozen=True):
    name: str
    value: str | None = None  # a literal value, or
    source: Literal["secret", "configMap"] | None = None  # a key of a Secret / ConfigMap
    ref_name: str = ""
    ref_key: str = ""
    optional: bool = False


class EnvFromSpec(msgspec.Struct, frozen=True):
    source: Literal["secret", "configMap"]
    name: str
    prefix: str
    optional: bool


class SecretFileSpec(msgspec.Struct, frozen=True):
    secret: str
    files: tuple[tuple[str, str], ...]  # (key in the Secret, absolute path in the container)


class TolerationSpec(msgspec.Struct, frozen=True):
    key: str | None
    operator: str
    value: str | None
    effect: str | None
    seconds: int | None

# --- metrics= (issue 9): Argo's template-level Prometheus metrics


class MetricSpec(msgspec.Struct, frozen=True):
    """One ``metrics=`` entry; ``value`` is the text Argo reads (numbers written as text)."""

    kind: Literal["counter", "gauge", "histogram"]
    name: str
    help: str
    labels: tuple[tuple[str, str], ...]
    value: str
    when: str | None = None
    realtime: bool = False  # gauge only
    operation: str | None = None  # gauge only: Set, Add, Sub
    buckets: tuple[int | float, ...] = ()  # histogram only

# --- sidecars= (issue 13)


class SidecarSpec(msgspec.Struct, frozen=True):
    """One ``sidecars=`` entry, validated; ``readiness`` is the probe as canonical JSON text."""

    name: str
    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[EnvVarSpec, ...] = ()
    ports: tuple[int, ...] = ()
    readiness: str | None = None
    resources: ResourcesSpec | None = None


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
    # pod configuration; free-form Kubernetes objects are kept as canonical JSON text (hashable, plain data)
    resources: ResourcesSpec | None = None
    env: tuple[EnvVarSpec, ...] = ()
    env_from: tuple[EnvFromSpec, ...] = ()
    secret_files: tuple[SecretFileSpec, ...] = ()
    image_pull_policy: str | None = None
    priority_class: str | None = None
    pod_spec_patch: str | None = None
    tolerations: tuple[TolerationSpec, ...] = ()
    affinity: str | None = None
    security_context: str | None = None
    pod_security_context: str | None = None
    # run_as_user= (issue 9, pod security): None = not given ([defaults].run_as_user), a UID, or RUN_AS_IMAGE_USER
    run_as_user: int | Literal["image"] | None = None
    # metrics= (issue 9)
    metrics: tuple[MetricSpec, ...] = ()
    # sidecars= (issue 13)
    sidecars: tuple[SidecarSpec, ...] = ()


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
# A target rule says why the target Argo lacks the value: a message (reported as ATH307), or a Problem with its own code.
TargetRule = Callable[[Any, "ArgoVersion"], "str | Problem | None"]


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
    none_is_value: bool = False  # `key=None` given explicitly is validated (run_as_user=None), not "not given"

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

# ------------------------------------------------------------- pod configuration (issue 9): one block

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_RESERVED_ENV = ("ATHENA_", "ARGO_")
_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_CONFIG_KEY = r"^[-._a-zA-Z0-9]+$"
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TOLERATION_OPERATORS = ("Equal", "Exists")
TOLERATION_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
AFFINITY_KEYS = ("nodeAffinity", "podAffinity", "podAntiAffinity")
CONTAINER_SECURITY_KEYS = ("allowPrivilegeEscalation", "appArmorProfile", "capabilities", "privileged", "procMount",
                           "readOnlyRootFilesystem", "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxOptions",
                           "seccompProfile", "windowsOptions")
POD_SECURITY_KEYS = ("appArmorProfile", "fsGroup", "fsGroupChangePolicy", "runAsGroup", "runAsNonRoot", "runAsUser",
                     "seLinuxChangePolicy", "seLinuxOptions", "seccompProfile", "supplementalGroups",
                     "supplementalGroupsPolicy", "sysctls", "windowsOptions")
POD_SPEC_KEYS = ("activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "containers", "dnsConfig",
                 "dnsPolicy", "enableServiceLinks", "ephemeralContainers", "hostAliases", "hostIPC", "hostNetwork",
                 "hostPID", "hostUsers", "hostname", "imagePullSecrets", "initContainers", "nodeName",
                 "nodeSelector", "os", "overhead", "preemptionPolicy", "priority", "priorityClassName",
                 "readinessGates", "resourceClaims", "resources", "restartPolicy", "runtimeClassName",
                 "schedulerName", "schedulingGates", "securityContext", "serviceAccount", "serviceAccountName",
                 "setHostnameAsFQDN", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds",
                 "tolerations", "topologySpreadConstraints", "volumes")


def _quantity(value: Any, what: str, problems: list[Problem]) -> tuple[str, Any] | None:
    from athena import codes
    from athena.compile.quantities import check_quantity, quantity_value

    try:
        text = check_quantity(value, what, positive=False)
    except ValueError as e:
        problems.append(Problem(str(e), codes.BAD_QUANTITY))
        return None
    if text.startswith("-"):
        problems.append(Problem(f"{what} {text!r} is negative", codes.BAD_QUANTITY))
        return None
    return text, quantity_value(text)


def _resources(value: Any) -> ResourcesSpec:
    from athena import codes

    if not isinstance(value, Resources):
        raise _fail(f"`resources` must be athena.Resources(...), got {value!r}")
    problems: list[Problem] = []

    def q(v: Any, field: str) -> tuple[str, Any] | None:
        return None if v is None else _quantity(v, f"Resources({field}=...)", problems)

    cpu, memory, storage = q(value.cpu, "cpu"), q(value.memory, "memory"), q(value.ephemeral_storage,
                                                                             "ephemeral_storage")
    cpu_limit, memory_limit = q(value.cpu_limit, "cpu_limit"), q(value.memory_limit, "memory_limit")
    for request, limit, what in ((cpu, cpu_limit, "cpu"), (memory, memory_limit, "memory")):
        if request and limit and request[1] > limit[1]:
            problems.append(Problem(f"Resources({what}={request[0]!r}) is above {what}_limit={limit[0]!r}; "
                                    "Kubernetes rejects a request above its limit", codes.BAD_QUANTITY))
    gpu = value.gpu
    if gpu is not None and (not isinstance(gpu, int) or isinstance(gpu, bool) or gpu < 1):
        problems.append(Problem(f"Resources(gpu=...) must be an int ≥ 1 (a count of devices), got {gpu!r}"))
        gpu = None
    resource = value.gpu_resource
    if not isinstance(resource, str) or "/" not in resource or not _matches(_LABEL_KEY, resource):
        problems.append(Problem(f"Resources(gpu_resource=...) must be a domain-qualified resource name such as "
                                f"\"nvidia.com/gpu\", got {resource!r}"))
    if problems:
        raise OptionInvalid(problems)
    requests = [(k, v[0]) for k, v in (("cpu", cpu), ("memory", memory), ("ephemeral-storage", storage)) if v]
    limits = [(k, v[0]) for k, v in (("cpu", cpu_limit), ("memory", memory_limit)) if v]
    if gpu is not None:
        limits.append((resource, str(gpu)))  # extended resources: a limit only (the request defaults to it)
    if not requests and not limits:
        raise _fail("Resources() sets nothing: give cpu=, memory=, a limit, gpu= or ephemeral_storage=")
    return ResourcesSpec(tuple(requests), tuple(limits))


def _matches(pattern: str, text: str) -> bool:
    import re

    return re.match(pattern, text) is not None


def _env_name(name: Any, what: str, problems: list[Problem]) -> bool:
    from athena import codes

    if not isinstance(name, str) or not _matches(_ENV_NAME, name):
        problems.append(Problem(f"{what} {name!r} is not a valid environment variable name", codes.BAD_ENV_NAME))
        return False
    reserved = next((r for r in _RESERVED_ENV if name.startswith(r)), None)
    if reserved:
        problems.append(Problem(f"{what} {name!r} starts with {reserved}, which athena and Argo reserve for "
                                "their own variables", codes.RESERVED_ENV_NAME))
        return False
    return True


def _ref(kind: str, name: Any, key: Any, what: str, problems: list[Problem]) -> bool:
    ok = isinstance(name, str) and len(name) <= 253 and _matches(_DNS_SUBDOMAIN, name)
    if not ok:
        problems.append(Problem(f"{what}: {kind} name {name!r} is not a valid Kubernetes name"))
    if key is not None and not (isinstance(key, str) and _matches(_CONFIG_KEY, key)):
        problems.append(Problem(f"{what}: key {key!r} is not a valid {kind} key (letters, digits, '-', '_', '.')"))
        ok = False
    return ok


# Names that hold credentials by convention; *_FILE/_PATH/_ID/_URL… name where a credential is, not the credential.
_CREDENTIAL = r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|ACCESS_KEY)"
_NOT_CREDENTIAL = r"_(FILE|PATH|DIR|ID|URL|URI|ENDPOINT|NAME|HOST|PORT|TYPE)$"


def _looks_like_credential(name: str) -> bool:
    import re

    upper = name.upper()
    return re.search(_CREDENTIAL, upper) is not None and re.search(_NOT_CREDENTIAL, upper) is None


def _env(value: Any) -> tuple[EnvVarSpec, ...]:
    if not isinstance(value, Mapping):
        raise _fail(f"`env` must be a dict of names to str, SecretValue(...) or ConfigMapValue(...), got {value!r}")
    problems: list[Problem] = []
    out: list[EnvVarSpec] = []
    for name, v in value.items():
        if not _env_name(name, "`env` name", problems):
            continue
        if isinstance(v, str):
            if v and _looks_like_credential(name) and not v.startswith(("{", "$(")):
                from athena import codes

                problems.append(Problem(
                    f"`env` {name!r}: a credential written into the YAML (anyone who can read the "
                    "WorkflowTemplate can read it)", codes.CREDENTIAL_INLINE,
                    "put it in a Kubernetes Secret and write SecretValue(\"secret-name\", \"key\") (in a values file: "
                    "{secret_value: secret-name, key: key}); if it is not a credential, rename the variable"))
                continue
            out.append(EnvVarSpec(name, value=v))
        elif isinstance(v, SecretValue | ConfigMapValue):
            kind = "Secret" if isinstance(v, SecretValue) else "ConfigMap"
            if _ref(kind, v.name, v.key, f"`env` {name!r}", problems):
                out.append(EnvVarSpec(name, source="secret" if kind == "Secret" else "configMap", ref_name=v.name,
                                      ref_key=v.key, optional=bool(v.optional)))
        else:
            problems.append(Problem(f"`env` {name!r}: the value must be a str, SecretValue(...) or "
                                    f"ConfigMapValue(...), got {v!r} (write numbers as text: \"8080\")"))
    if problems:
        raise OptionInvalid(problems)
    return tuple(out)


def _env_from(value: Any) -> tuple[EnvFromSpec, ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise _fail(f"`env_from` must be a list of SecretEnv(...)/ConfigMapEnv(...), got {value!r}")
    problems: list[Problem] = []
    out: list[EnvFromSpec] = []
    for item in value:
        if not isinstance(item, SecretEnv | ConfigMapEnv):
            problems.append(Problem(f"`env_from` items must be SecretEnv(...) or ConfigMapEnv(...), got {item!r}"))
            continue
        kind = "Secret" if isinstance(item, SecretEnv) else "ConfigMap"
        ok = _ref(kind, item.name, None, "`env_from`", problems)
        if item.prefix and not _env_name(item.prefix, "`env_from` prefix", problems):
            ok = False
        if not isinstance(item.prefix, str) or not isinstance(item.optional, bool):
            problems.append(Problem(f"`env_from`: prefix must be a str and optional a bool, got {item!r}"))
            ok = False
        if ok:
            out.append(EnvFromSpec("secret" if kind == "Secret" else "configMap", item.name, item.prefix,
                                   item.optional))
    if problems:
        raise OptionInvalid(problems)
    return tuple(out)


def _secret_files(value: Any) -> tuple[SecretFileSpec, ...]:
    from athena.runtime import protocol as proto

    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise _fail(f"`secret_files` must be a list of SecretFile(...), got {value!r}")
    problems: list[Problem] = []
    out: list[SecretFileSpec] = []
    paths: set[str] = set()
    for item in value:
        if not isinstance(item, SecretFile) or not isinstance(item.files, Mapping) or not item.files:
            problems.append(Problem(f"`secret_files` items must be SecretFile(\"secret\", {{\"key\": \"/abs/path\"}}), "
                                    f"got {item!r}"))
            continue
        files: list[tuple[str, str]] = []
        for key, path in item.files.items():
            if not _ref("Secret", item.name, key, "`secret_files`", problems):
                continue
            if not isinstance(path, str) or not path.startswith("/") or path.endswith("/"):
                problems.append(Problem(f"`secret_files` {item.name}/{key}: the path must be an absolute file path, "
                                        f"got {path!r}"))
            elif path in paths:
                problems.append(Problem(f"`secret_files`: two files are mounted at {path}"))
            elif path == proto.WORK_DIR or path.startswith(proto.WORK_DIR + "/"):
                problems.append(Problem(f"`secret_files` {item.name}/{key}: {path} is inside {proto.WORK_DIR}, "
                                        "athena's own directory; mount it elsewhere"))
            else:
                paths.add(path)
                files.append((key, path))
        if files:
            out.append(SecretFileSpec(item.name, tuple(files)))
    if problems:
        raise OptionInvalid(problems)
    return tuple(out)


def _choice(key: str, choices: tuple[str, ...]) -> Validator:
    def validate(value: Any) -> str:
        from athena import codes

        if value not in choices:
            raise _fail(f"`{key}` must be one of {', '.join(choices)}, got {value!r}", codes.BAD_ENUM)
        return str(value)

    return validate


def _priority_class(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 253 or not _matches(_DNS_SUBDOMAIN, value):
        raise _fail(f"`priority_class` must be the name of a PriorityClass (lowercase letters, digits, '-', '.'), "
                    f"got {value!r}")
    return value


def _json_text(key: str, value: Any, *, nulls: bool = False) -> str:
    """``value`` as canonical JSON text; an error naming the first part that is not JSON data."""
    import json

    def check(v: Any, path: str) -> None:
        if v is None:
            if not nulls:
                raise _fail(f"`{key}`: {path} is None; give a value or leave the key out")
        elif isinstance(v, Mapping):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise _fail(f"`{key}`: key {k!r} at {path} must be a string")
                check(x, f"{path}.{k}")
        elif isinstance(v, list | tuple):
            for i, x in enumerate(v):
                check(x, f"{path}[{i}]")
        elif not isinstance(v, str | int | float | bool) or v != v or v in (float("inf"), float("-inf")):
            raise _fail(f"`{key}`: {path} = {v!r} is not JSON data (str, int, float, bool, list, dict)")

    check(value, key)
    return json.dumps(value, separators=(",", ":"))


def _known_keys(key: str, value: Any, known: tuple[str, ...], code: str | None = None) -> None:
    import difflib

    if not isinstance(value, Mapping):
        raise _fail(f"`{key}` must be a dict, got {value!r}", code)
    problems = []
    for k in value:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1)
            problems.append(Problem(f"`{key}` has no field {k!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                                     f" (fields: {', '.join(known)})"), code))
    if problems:
        raise OptionInvalid(problems)


def _object(key: str, known: tuple[str, ...], *, nulls: bool = False) -> Validator:
    def validate(value: Any) -> str:
        _known_keys(key, value, known)
        return _json_text(key, value, nulls=nulls)

    return validate


def _pod_spec_patch(value: Any) -> str:
    from athena import codes

    text: str | None = None
    if isinstance(value, str):
        import json

        text = value
        try:
            value = json.loads(text)
        except ValueError:
            try:
                import yaml
            except ImportError:
                raise _fail("`pod_spec_patch` is not JSON, and PyYAML (the `cli` extra) is needed to read YAML",
                            codes.BAD_POD_SPEC_PATCH) from None
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise _fail(f"`pod_spec_patch` is neither JSON nor YAML: {exc}".replace("\n", " "),
                            codes.BAD_POD_SPEC_PATCH) from None
    if not isinstance(value, Mapping) or not value:
        raise _fail(f"`pod_spec_patch` must be a mapping of PodSpec fields, got {value!r}", codes.BAD_POD_SPEC_PATCH)
    _known_keys("pod_spec_patch", value, POD_SPEC_KEYS, codes.BAD_POD_SPEC_PATCH)
    try:
        canonical = _json_text("pod_spec_patch", value, nulls=True)  # `null` is how a strategic merge deletes
    except OptionInvalid as exc:
        raise OptionInvalid([msgspec.structs.replace(p, code=codes.BAD_POD_SPEC_PATCH) for p in exc.problems]) from None
    return text if text is not None else canonical  # the user's own text, as written, when it was text


def _tolerations(value: Any) -> tuple[TolerationSpec, ...]:
    from athena import codes

    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise _fail(f"`tolerations` must be a list of Toleration(...), got {value!r}")
    problems: list[Problem] = []
    out: list[TolerationSpec] = []
    for t in value:
        if not isinstance(t, Toleration):
            problems.append(Problem(f"`tolerations` items must be Toleration(...), got {t!r}"))
            continue
        before = len(problems)
        if t.operator not in TOLERATION_OPERATORS:
            problems.append(Problem(f"Toleration(operator=...) must be one of {', '.join(TOLERATION_OPERATORS)}, "
                                    f"got {t.operator!r}", codes.BAD_ENUM))
        if t.effect is not None and t.effect not in TOLERATION_EFFECTS:
            problems.append(Problem(f"Toleration(effect=...) must be one of {', '.join(TOLERATION_EFFECTS)} (or "
                                    f"None for all), got {t.effect!r}", codes.BAD_ENUM))
        if t.key is not None and not (isinstance(t.key, str) and _matches(_LABEL_KEY, t.key)):
            problems.append(Problem(f"Toleration(key=...) {t.key!r} is not a valid taint key"))
        if t.key is None and t.operator != "Exists":
            problems.append(Problem("Toleration() without key= must use operator=\"Exists\" (it tolerates every "
                                    "taint)"))
        if t.operator == "Exists" and t.value is not None:
            problems.append(Problem("Toleration(operator=\"Exists\") takes no value="))
        if t.value is not None and not isinstance(t.value, str):
            problems.append(Problem(f"Toleration(value=...) must be a str, got {t.value!r}"))
        if t.seconds is not None:
            if not isinstance(t.seconds, int) or isinstance(t.seconds, bool) or t.seconds < 0:
                problems.append(Problem(f"Toleration(seconds=...) must be an int ≥ 0, got {t.seconds!r}"))
            elif t.effect != "NoExecute":
                problems.append(Problem("Toleration(seconds=...) needs effect=\"NoExecute\" (Kubernetes rejects it "
                                        "otherwise)"))
        if len(problems) == before:
            out.append(TolerationSpec(t.key, t.operator, t.value, t.effect, t.seconds))
    if problems:
        raise OptionInvalid(problems)
    return tuple(out)


_POD_ROWS = (
    ("resources", "container", ("Resources",), _resources),
    ("env", "container", ("Mapping[str, str | SecretValue | ConfigMapValue]",), _env),
    ("env_from", "container", ("Sequence[SecretEnv | ConfigMapEnv]",), _env_from),
    ("secret_files", "container", ("Sequence[SecretFile]",), _secret_files),
    ("image_pull_policy", "container", ("str",), _choice("image_pull_policy", PULL_POLICIES)),
    ("priority_class", "container", ("str",), _priority_class),
    ("pod_spec_patch", "container", ("Mapping[str, Any]", "str"), _pod_spec_patch),
    ("tolerations", "both", ("Sequence[Toleration]",), _tolerations),
    ("affinity", "both", ("Mapping[str, Any]",), _object("affinity", AFFINITY_KEYS)),
    ("security_context", "container", ("Mapping[str, Any]",),
     _object("security_context", CONTAINER_SECURITY_KEYS, nulls=True)),
    ("pod_security_context", "container", ("Mapping[str, Any]",),
     _object("pod_security_context", POD_SECURITY_KEYS, nulls=True)),
)



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

# --- metrics= (issue 9): Argo's template-level Prometheus metrics (the controller emits them)

_METRIC_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"  # Argo 3.6+: Prometheus' legacy names without ':' (names and label keys)
GAUGE_OPERATIONS = ("Set", "Add", "Sub")


def _metric_value(value: Any, what: str, problems: list[Problem]) -> str:
    from athena import codes

    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value and abs(value) != float("inf"):
        return str(value)
    if value is None:
        problems.append(Problem(f"{what} needs value= (a number or an Argo expression such as \"{{{{duration}}}}\")",
                                codes.BAD_METRIC_VALUE))
    else:
        problems.append(Problem(f"{what}: value= must be a non-empty string or a number, got {value!r}",
                                codes.BAD_METRIC_VALUE))
    return ""


def _metric(m: Counter | Gauge | Histogram, problems: list[Problem]) -> MetricSpec | None:
    import itertools
    import re

    from athena import codes

    kind = type(m).__name__
    before = len(problems)
    if not isinstance(m.name, str) or not re.fullmatch(_METRIC_NAME, m.name):
        problems.append(Problem(f"{kind} name {m.name!r} is not a metric name Argo accepts (letters, digits and '_', "
                                "not starting with a digit; no ':')", codes.BAD_METRIC_NAME))
    what = f"{kind}({m.name!r})"
    if not isinstance(m.help, str) or not m.help.strip():
        problems.append(Problem(f"{what} has no help= text; Argo requires one", codes.METRIC_HELP))
    labels: list[tuple[str, str]] = []
    if m.labels is not None:
        if not isinstance(m.labels, Mapping):
            problems.append(Problem(f"{what}: labels= must be a dict of label name to str, got {m.labels!r}",
                                    codes.BAD_METRIC_LABEL))
        else:
            for k, v in m.labels.items():
                if not isinstance(k, str) or not re.fullmatch(_METRIC_NAME, k):
                    problems.append(Problem(f"{what}: label name {k!r} is not one Argo accepts (letters, digits "
                                            "and '_', not starting with a digit)", codes.BAD_METRIC_LABEL))
                elif not isinstance(v, str):
                    problems.append(Problem(f"{what}: label {k!r} must have a str value, got {v!r}",
                                            codes.BAD_METRIC_LABEL))
                else:
                    labels.append((k, v))
    if m.when is not None and (not isinstance(m.when, str) or not m.when):
        problems.append(Problem(f"{what}: when= must be a non-empty Argo expression, got {m.when!r}"))
    value = _metric_value(m.value, what, problems)
    spec = MetricSpec(kind.lower(), m.name, m.help, tuple(labels), value, m.when)  # type: ignore[arg-type]
    if isinstance(m, Gauge):
        if not isinstance(m.realtime, bool):
            problems.append(Problem(f"{what}: realtime= must be True or False, got {m.realtime!r}"))
        elif m.realtime and value and value.removeprefix("{{").removesuffix("}}").strip() != "duration":
            # Argo's controller updates a template's realtime gauge from one variable only (its realTimeScope)
            problems.append(Problem(f"{what}: a realtime gauge's value must be \"{{{{duration}}}}\" (the only "
                                    f"value Argo updates while the template runs), got {value!r}",
                                    codes.BAD_METRIC_VALUE))
        if m.operation is not None and m.operation not in GAUGE_OPERATIONS:
            problems.append(Problem(f"{what}: operation= must be one of {', '.join(GAUGE_OPERATIONS)} (or None: "
                                    f"set), got {m.operation!r}", codes.BAD_ENUM))
        spec = msgspec.structs.replace(spec, realtime=m.realtime is True, operation=m.operation)
    elif isinstance(m, Histogram):
        buckets = m.buckets
        numbers = (not isinstance(buckets, str | bytes) and isinstance(buckets, Sequence) and all(
            isinstance(b, int | float) and not isinstance(b, bool) and b == b and abs(b) != float("inf")
            for b in buckets))
        if not numbers or not buckets:
            problems.append(Problem(f"{what}: buckets= must be a non-empty list of numbers, got {buckets!r}",
                                    codes.BAD_METRIC_BUCKETS))
        elif any(a >= b for a, b in itertools.pairwise(buckets)):
            problems.append(Problem(f"{what}: buckets= must be strictly increasing, got {list(buckets)!r}",
                                    codes.BAD_METRIC_BUCKETS))
        else:
            spec = msgspec.structs.replace(spec, buckets=tuple(buckets))
    return spec if len(problems) == before else None


def _metrics(value: Any) -> tuple[MetricSpec, ...]:
    from athena import codes

    kinds = (Counter, Gauge, Histogram)
    if isinstance(value, (str, Mapping, *kinds)) or not isinstance(value, Sequence):
        raise _fail(f"`metrics` must be a list of athena.Counter(...), Gauge(...) or Histogram(...), got {value!r}")
    problems: list[Problem] = []
    out: list[MetricSpec] = []
    for m in value:
        if not isinstance(m, kinds):
            problems.append(Problem(f"`metrics` items must be athena.Counter(...), Gauge(...) or Histogram(...), "
                                    f"got {m!r}"))
            continue
        spec = _metric(m, problems)
        if spec is None:
            continue
        if any(o.name == spec.name for o in out):
            # Argo keys a metric by its name: two definitions of one name in a template fight over one series
            problems.append(Problem(f"two metrics of this template are named {spec.name!r}", codes.BAD_METRIC_NAME))
        out.append(spec)
    if problems:
        raise OptionInvalid(problems)
    return tuple(out)


def _metrics_target(specs: tuple[MetricSpec, ...], version: ArgoVersion) -> Problem | None:
    from athena import codes
    from athena.argo import facts

    limit = facts.max_metrics_per_template(version)
    if limit is not None and len(specs) > limit:
        return Problem(f"{len(specs)} metrics on one template; Argo {version.canonical_line} accepts at most {limit}",
                       codes.TOO_MANY_METRICS)
    limit = facts.max_gauge_value_length(version)
    for m in specs:
        if limit is not None and m.kind == "gauge" and len(m.value) > limit:
            return Problem(f"Gauge({m.name!r}): value= is {len(m.value)} characters; Argo "
                           f"{version.canonical_line} accepts at most {limit}", codes.BAD_METRIC_VALUE)
    return None


# --- run_as_user= (issue 9, pod security defaults, DESIGN §5.3)

RUN_AS_IMAGE_USER: Literal["image"] = "image"  # run_as_user=None: no runAsUser/runAsGroup/runAsNonRoot at all
MAX_UID = 2**31 - 1  # Kubernetes validates runAsUser/runAsGroup as 0..2147483647


def _run_as_user(value: Any) -> int | Literal["image"]:
    """A UID for the pod (runAsUser and runAsGroup), or None given explicitly: the image's own user."""
    from athena import codes

    if value is None:
        return RUN_AS_IMAGE_USER
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_UID:
        return value
    hint = ("UID 0 is root: to run as the image's own user (root for most images), write run_as_user=None"
            if value == 0 and not isinstance(value, bool) else
            "write a number such as run_as_user=1000, or run_as_user=None for an image that must run as root")
    raise OptionInvalid([Problem(f"`run_as_user` must be a UID (an int from 1 to {MAX_UID}) or None, "
                                 f"got {value!r}", codes.BAD_RUN_AS_USER, hint)])


# --- sidecars= (issue 13): containers beside the main one, in the same pod

# Argo names its own containers main, wait and init; a sidecar of one of these names breaks the pod.
RESERVED_CONTAINER_NAMES = ("main", "wait", "init")
PROBE_KEYS = ("exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
              "successThreshold", "failureThreshold", "terminationGracePeriodSeconds")
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


def _strings(value: Any, what: str, problems: list[Problem]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(x, str) for x in value):
        problems.append(Problem(f"{what} must be a list of str, got {value!r}"))
        return ()
    return tuple(value)


def _sidecar(sc: Any, seen: set[str], problems: list[Problem]) -> SidecarSpec | None:
    if not isinstance(sc, Sidecar):
        problems.append(Problem(f"`sidecars` items must be athena.Sidecar(...), got {sc!r}"))
        return None
    before = len(problems)
    name = sc.name
    if not isinstance(name, str) or len(name) > 63 or not _matches(_DNS_LABEL, name):
        problems.append(Problem(f"Sidecar name {name!r} must be a DNS label: lowercase letters, digits and '-', "
                                "at most 63 characters"))
    elif name in RESERVED_CONTAINER_NAMES:
        problems.append(Problem(f"Sidecar name {name!r} is one of Argo's own containers "
                                f"({', '.join(RESERVED_CONTAINER_NAMES)}); pick another"))
    elif name in seen:
        problems.append(Problem(f"two sidecars are named {name!r}"))
    else:
        seen.add(name)
    if not isinstance(sc.image, str) or not sc.image.strip():
        problems.append(Problem(f"Sidecar {name!r}: image= must be a non-empty str, got {sc.image!r}"))
    command = _strings(sc.command, f"Sidecar {name!r}: command=", problems)
    args = _strings(sc.args, f"Sidecar {name!r}: args=", problems)
    env: tuple[EnvVarSpec, ...] = ()
    if sc.env:
        try:
            env = _env(sc.env)
        except OptionInvalid as exc:
            problems.extend(Problem(f"Sidecar {name!r}: {p.message}", p.code, p.hint) for p in exc.problems)
    ports: list[int] = []
    if isinstance(sc.ports, str) or not isinstance(sc.ports, Sequence):
        problems.append(Problem(f"Sidecar {name!r}: ports= must be a list of port numbers, got {sc.ports!r}"))
    else:
        for port in sc.ports:
            if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                problems.append(Problem(f"Sidecar {name!r}: port {port!r} is not a port number (1 to 65535)"))
            elif port in ports:
                problems.append(Problem(f"Sidecar {name!r}: port {port} is listed twice"))
            else:
                ports.append(port)
    readiness: str | None = None
    if sc.readiness is not None:
        try:
            _known_keys(f"Sidecar {name!r}: readiness", sc.readiness, PROBE_KEYS)
            readiness = _json_text(f"Sidecar {name!r}: readiness", sc.readiness)
        except OptionInvalid as exc:
            problems.extend(exc.problems)
    resources: ResourcesSpec | None = None
    if sc.resources is not None:
        try:
            resources = _resources(sc.resources)
        except OptionInvalid as exc:
            problems.extend(Problem(f"Sidecar {name!r}: {p.message}", p.code, p.hint) for p in exc.problems)
    if len(problems) != before:
        return None
    return SidecarSpec(name, sc.image, command, args, env, tuple(ports), readiness, resources)


def _sidecars(value: Any) -> tuple[SidecarSpec, ...]:
    if isinstance(value, str | Mapping | Sidecar) or not isinstance(value, Sequence):
        raise _fail(f"`sidecars` must be a list of athena.Sidecar(...), got {value!r}")
    problems: list[Problem] = []
    seen: set[str] = set()
    out = [spec for sc in value if (spec := _sidecar(sc, seen, problems)) is not None]
    if problems:
        raise OptionInvalid(problems)
    return tuple(out)


def _row(name: str, where: Where, kinds: tuple[str, ...], validate: Validator, *, field: str | None = None,
         injectable: bool = False, reference: bool = False, target: TargetRule | None = None,
         none_is_value: bool = False) -> OptionSpec:
    return OptionSpec(name, where, kinds, validate, field or name, injectable, reference, target, none_is_value)


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
    *(_row(name, where, kinds, validate) for name, where, kinds, validate in _POD_ROWS),  # type: ignore[arg-type]
    # run_as_user= (issue 9, pod security): None given explicitly means "the image's user", so it is validated
    _row("run_as_user", "container", ("int",), _run_as_user, none_is_value=True),
    # metrics= (issue 9)
    _row("metrics", "both", ("Sequence[Metric]",), _metrics, target=_metrics_target),
    # sidecars= (issue 13)
    _row("sidecars", "container", ("Sequence[Sidecar]",), _sidecars),
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
        spec = OPTIONS.get(key)
        if value is None and (spec is None or not spec.none_is_value):
            continue  # `key=None` reads as "not given", except for the options where None is a value
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
