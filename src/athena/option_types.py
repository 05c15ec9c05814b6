"""The values users pass to decorator options: ``Retry``, ``TTL``, volumes, synchronization, ``Cache``,
``Resources``, env sources, ``Toleration``, Argo's template metrics (``Counter``, ``Gauge``, ``Histogram``).

Pod-safe: a pod imports the user's module, which evaluates ``@container(retry=Retry(...))``, so this module
imports only ``dataclasses``. The validation and the normalized forms are the compiler's
(:mod:`athena.compile.options`).
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations are strings here: a pod need not import typing for them
    from collections.abc import Mapping, Sequence
    from typing import Literal

__all__ = ["TTL", "Cache", "ConfigMapEnv", "ConfigMapValue", "ConfigMapVolume", "Counter", "EmptyDir",
           "ExistingClaim", "Gauge", "Histogram", "HuggingFaceCache", "Metric", "Resources", "Retry", "SecretEnv",
           "SecretFile", "SecretValue", "SecretVolume", "SemaphoreRef", "Sidecar", "Toleration", "Volume",
           "WorkflowClaim"]


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


# --- volumes, synchronization and the memoize cache (issue 9: `volumes=`, `mutex=`/`semaphore=`, `cache=`)


@dataclass(frozen=True)
class ExistingClaim:
    """A ``persistentVolumeClaim`` that already exists in the namespace, mounted at ``mount``."""

    claim: str
    mount: str
    read_only: bool = False
    sub_path: str | None = None


@dataclass(frozen=True)
class WorkflowClaim:
    """A claim Argo creates for each run (``volumeClaimTemplates`` on the root) and deletes with it."""

    name: str
    mount: str
    size: str = "1Gi"
    storage_class: str | None = None
    access_modes: Sequence[str] = ("ReadWriteOnce",)


@dataclass(frozen=True)
class EmptyDir:
    """A scratch directory living as long as the pod (``medium="Memory"``: a tmpfs counted as memory)."""

    name: str
    mount: str
    size_limit: str | None = None
    medium: str | None = None


@dataclass(frozen=True)
class ConfigMapVolume:
    """A ConfigMap's keys as files; ``items`` maps a key to a relative path (only those keys then)."""

    name: str
    mount: str
    items: Mapping[str, str] | None = None


@dataclass(frozen=True)
class SecretVolume:
    """A Secret's keys as files; ``items`` maps a key to a relative path (only those keys then)."""

    name: str
    mount: str
    items: Mapping[str, str] | None = None


@dataclass(frozen=True)
class HuggingFaceCache:
    """An existing claim holding a Hugging Face cache, mounted at ``mount`` with ``HF_HOME`` pointing there."""

    claim: str = "hf"
    read_only: bool = True
    mount: str = "/hf"


# What `volumes=[...]` accepts (a runtime union: no typing import needed).
Volume = ExistingClaim | WorkflowClaim | EmptyDir | ConfigMapVolume | SecretVolume | HuggingFaceCache


@dataclass(frozen=True)
class SemaphoreRef:
    """A semaphore whose limit is the value of ``key`` in ConfigMap ``config_map``."""

    config_map: str
    key: str


@dataclass(frozen=True)
class Cache:
    """Memoize a container: reuse its outputs for the same code and inputs for ``max_age``."""

    max_age: int | str
    config_map: str = "athena-cache"
@dataclass(frozen=True)
class Resources:
    """``container.resources``: Kubernetes quantities (``"500m"``, ``"1Gi"``, ``2``).

    ``cpu``/``memory``/``ephemeral_storage`` are requests, ``cpu_limit``/``memory_limit`` limits; ``gpu`` is a
    count set as the limit of ``gpu_resource`` (Kubernetes takes extended resources as limits only).
    """

    cpu: int | str | None = None
    memory: int | str | None = None
    cpu_limit: int | str | None = None
    memory_limit: int | str | None = None
    gpu: int | None = None
    gpu_resource: str = "nvidia.com/gpu"
    ephemeral_storage: int | str | None = None


@dataclass(frozen=True)
class SecretValue:
    """An env value read from key ``key`` of the Secret ``name`` (``valueFrom.secretKeyRef``): never in the YAML."""

    name: str
    key: str
    optional: bool = False


@dataclass(frozen=True)
class ConfigMapValue:
    """An env value read from key ``key`` of the ConfigMap ``name`` (``valueFrom.configMapKeyRef``)."""

    name: str
    key: str
    optional: bool = False


@dataclass(frozen=True)
class SecretEnv:
    """Every key of the Secret ``name`` as an env var (``envFrom.secretRef``), each name prefixed by ``prefix``."""

    name: str
    prefix: str = ""
    optional: bool = True


@dataclass(frozen=True)
class ConfigMapEnv:
    """Every key of the ConfigMap ``name`` as an env var (``envFrom.configMapRef``)."""

    name: str
    prefix: str = ""
    optional: bool = True


@dataclass(frozen=True)
class SecretFile:
    """Keys of the Secret ``name`` mounted as single files: ``{"tls.crt": "/etc/ssl/cert.pem"}`` (subPath mounts)."""

    name: str
    files: Mapping[str, str]


@dataclass(frozen=True)
class Toleration:
    """One pod toleration; ``seconds`` is ``tolerationSeconds`` (only with ``effect="NoExecute"``)."""

    key: str | None = None
    operator: str = "Equal"
    value: str | None = None
    effect: str | None = None
    seconds: int | None = None


# --- Argo's template-level Prometheus metrics (issue 9: `metrics=`), emitted by the workflow controller


@dataclass(frozen=True)
class Counter:
    """A counter the controller adds ``value`` to each time the template finishes (``when``: only if true)."""

    name: str
    help: str = ""
    labels: Mapping[str, str] | None = None
    value: str | int | float = "1"
    when: str | None = None


@dataclass(frozen=True)
class Gauge:
    """A gauge set to ``value`` (or changed by it: ``operation="Add"``/``"Sub"``); ``realtime=True`` updates it
    while the template runs."""

    name: str
    help: str = ""
    labels: Mapping[str, str] | None = None
    value: str | int | float | None = None
    realtime: bool = False
    operation: str | None = None
    when: str | None = None


@dataclass(frozen=True)
class Histogram:
    """A histogram observing ``value`` (e.g. ``"{{duration}}"``) into ``buckets`` (upper bounds, increasing)."""

    name: str
    help: str = ""
    labels: Mapping[str, str] | None = None
    value: str | int | float | None = None
    buckets: Sequence[int | float] = ()
    when: str | None = None


Metric = Counter | Gauge | Histogram


# --- sidecars= (issue 13): extra containers beside the step's main container, in the same pod


@dataclass(frozen=True)
class Sidecar:
    """A container that runs beside the step in the same pod (Argo's ``sidecars``); the step reaches it on
    ``localhost:<port>``. Argo kills it when the main container ends. ``readiness`` is a Kubernetes probe
    (``{"tcpSocket": {"port": 5432}}``); it marks the pod ready but does not delay the step, so a step that
    needs the sidecar should retry its first connection."""

    name: str
    image: str
    command: Sequence[str] = ()
    args: Sequence[str] = ()
    env: Mapping[str, str | SecretValue | ConfigMapValue] | None = None
    ports: Sequence[int] = ()
    readiness: Mapping[str, object] | None = None
    resources: Resources | None = None
