"""Per-option emit rules: where each decorator option of ``compile.options.OPTIONS`` lands in Argo's documents.

A rule maps *sites* to functions ``(value, template, settings) -> fields``; the value is the option's
normalized value and is never "not given" (``None`` or an empty tuple). The sites:

- ``container_metadata`` / ``container``: the container template's ``metadata`` and its own fields;
- ``main``: fields of the template's main ``container`` (``env`` and ``volumeMounts`` are appended after
  athena's own entries, ``securityContext`` is merged over athena's defaults: see :func:`merge_over`);
- ``dag``: a workflow's DAG (or steps) template; only rules with ``synthetic=True`` also reach the
  templates the compiler makes for branches and loops;
- ``document_metadata``: a user workflow's WorkflowTemplate ``metadata``;
- ``workflow_root`` / ``root``: WorkflowSpec fields Argo reads only when the template is the submitted
  root: of a workflow root only, then of any root;
- ``cron``: the spec of a scheduled root's CronWorkflow (``cron.py`` adds the ``workflowSpec``).

Options that shape a template instead of adding fields (``name``, ``image``, ``steps``...) have a rule
with ``inline`` saying which module reads them. Argo's output key order is fixed by :data:`SITE_ORDER`
(the goldens pin it); ``tests/compile/test_option_table.py`` checks the table, the rules and the orders agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from athena.argo import inject
from athena.argo.emit.common import ref
from athena.argo.emit.settings import EmitSettings
from athena.compile.model import TemplateIR, Workflow
from athena.compile.options import (
    OPTIONS,
    CacheSpec,
    EnvFromSpec,
    EnvVarSpec,
    MetricSpec,
    ResourcesSpec,
    RetrySpec,
    SecretFileSpec,
    SemaphoreSpec,
    SidecarSpec,
    TolerationSpec,
    TTLSpec,
)
from athena.durations import format_seconds

Site = Literal["container_metadata", "container", "main", "dag", "document_metadata", "workflow_root", "root", "cron"]
Fields = dict[str, Any]
Place = Callable[[Any, TemplateIR, EmitSettings], Fields]


@dataclass(frozen=True, slots=True)
class EmitRule:
    sites: dict[Site, Place] = field(default_factory=dict)
    synthetic: bool = False  # the dag site also applies to compiler-made workflows
    inline: str = ""  # for options read in place: where
    zero: bool = False  # 0 is a value here (a history limit of 0 keeps none), not "not given"


def _key(key: str, convert: Callable[[Any], Any] = lambda v: v) -> Place:
    """A rule writing the value (converted) under one key."""
    return lambda v, t, s: {key: convert(v)}


def _pairs(v: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(v)


def retry_strategy(r: RetrySpec) -> Fields:
    out: Fields = {}
    if r.limit is not None:
        out["limit"] = r.limit
    if r.policy is not None:
        out["retryPolicy"] = r.policy
    if r.backoff_seconds is not None:
        b: Fields = {"duration": format_seconds(r.backoff_seconds)}
        if r.factor is not None:
            b["factor"] = r.factor
        if r.max_duration_seconds is not None:
            b["maxDuration"] = format_seconds(r.max_duration_seconds)
        if r.cap_seconds is not None:
            b["cap"] = format_seconds(r.cap_seconds)
        out["backoff"] = b
    if r.on_exit_codes:
        out["expression"] = f"asInt(lastRetry.exitCode) in [{', '.join(map(str, r.on_exit_codes))}]"
    return out


def _retry(r: RetrySpec, t: TemplateIR, s: EmitSettings) -> Fields:
    strategy = retry_strategy(r)
    return {"retryStrategy": strategy} if strategy else {}


def _ttl(ttl: TTLSpec, t: TemplateIR, s: EmitSettings) -> Fields:
    out: Fields = {}
    if ttl.after_completion is not None:
        out["secondsAfterCompletion"] = ttl.after_completion
    if ttl.after_success is not None:
        out["secondsAfterSuccess"] = ttl.after_success
    if ttl.after_failure is not None:
        out["secondsAfterFailure"] = ttl.after_failure
    return {"ttlStrategy": out}


def _injected(key: str) -> Place:
    """A container field whose text may inject the container's parameters."""
    return lambda v, t, s: {key: inject.render(v, t.params)}


def _injected_map(key: str) -> Place:
    return lambda v, t, s: {key: {k: inject.render(x, t.params) for k, x in v}}


def _pod_metadata(key: str) -> Place:
    """On a workflow root, labels/annotations also reach every pod (containers carry their own)."""
    return lambda v, t, s: {"podMetadata": {key: dict(v)}}


# --- mutex=/semaphore=/cache= (issue 9). Only the list forms: v4 removed `synchronization.mutex`/`semaphore`.
def _mutex(name: str, t: TemplateIR, s: EmitSettings) -> Fields:
    return {"synchronization": {"mutexes": [{"name": name}]}}


def _semaphore(ref: SemaphoreSpec, t: TemplateIR, s: EmitSettings) -> Fields:
    return {"synchronization": {"semaphores": [{"configMapKeyRef": {"name": ref.config_map, "key": ref.key}}]}}


def memoize_key(t: TemplateIR, s: EmitSettings) -> str:
    """The bundle digest (so new code never reuses old results) and a hash of every input parameter.

    Argo stores the key as a ConfigMap data key (≤ 253 characters of ``[-._a-zA-Z0-9]``), so raw parameter
    values (JSON, spaces, any length) cannot go in; their sha256 (64 hex) can, whatever they are.
    """
    from athena.argo.emit.common import value_params

    key = f"athena-{s.digest}"
    values = value_params(t.params)
    if values:
        # toJson of the list: ["a-b", "c"] and ["a", "b-c"] hash differently
        listed = ", ".join(f"inputs.parameters['{p.name}']" for p in values)
        key += "-{{=sprig.sha256sum(toJson([%s]))}}" % listed
    return key


def _cache(c: CacheSpec, t: TemplateIR, s: EmitSettings) -> Fields:
    return {"memoize": {"key": memoize_key(t, s), "maxAge": format_seconds(c.max_age_seconds),
                        "cache": {"configMap": {"name": c.config_map}}}}
# --- pod configuration (issue 9)


def merge_over(defaults: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """``user`` over ``defaults`` the way values files merge (Helm): mappings merge key by key, a list or a
    scalar replaces, ``None`` deletes the key. So ``{"capabilities": {"add": ["NET_BIND_SERVICE"]}}`` keeps
    athena's ``drop: [ALL]``, and ``{"runAsNonRoot": None}`` removes a default."""
    out = dict(defaults)
    for key, value in user.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_over(out[key], value)
        else:
            out[key] = value
    return out


def _resources(r: ResourcesSpec, t: TemplateIR, s: EmitSettings) -> Fields:
    out: Fields = {}
    if r.requests:
        out["requests"] = dict(r.requests)
    if r.limits:
        out["limits"] = dict(r.limits)
    return {"resources": out}


def _env(env: tuple[EnvVarSpec, ...], t: TemplateIR, s: EmitSettings) -> Fields:
    def one(e: EnvVarSpec) -> Fields:
        if e.source is None:
            return {"name": e.name, "value": e.value}
        ref: Fields = {"name": e.ref_name, "key": e.ref_key}
        if e.optional:
            ref["optional"] = True
        return {"name": e.name, "valueFrom": {"secretKeyRef" if e.source == "secret" else "configMapKeyRef": ref}}

    return {"env": [one(e) for e in env]}


def _env_from(sources: tuple[EnvFromSpec, ...], t: TemplateIR, s: EmitSettings) -> Fields:
    def one(e: EnvFromSpec) -> Fields:
        out: Fields = {}
        if e.prefix:
            out["prefix"] = e.prefix
        out["secretRef" if e.source == "secret" else "configMapRef"] = {"name": e.name, "optional": e.optional}
        return out

    return {"envFrom": [one(e) for e in sources]}


def secret_volume_names(files: tuple[SecretFileSpec, ...]) -> list[str]:
    """One volume per ``SecretFile``: ``athena-secret-<secret>`` (dots made dashes), by index when that is taken
    or too long for a volume name."""
    names: list[str] = []
    for i, f in enumerate(files):
        name = "athena-secret-" + f.secret.replace(".", "-")
        names.append(name if len(name) <= 63 and name not in names else f"athena-secret-{i}")
    return names


def _secret_mounts(files: tuple[SecretFileSpec, ...], t: TemplateIR, s: EmitSettings) -> Fields:
    return {"volumeMounts": [{"name": v, "mountPath": path, "subPath": key, "readOnly": True}
                             for v, f in zip(secret_volume_names(files), files, strict=True) for key, path in f.files]}


def _secret_volumes(files: tuple[SecretFileSpec, ...], t: TemplateIR, s: EmitSettings) -> Fields:
    return {"volumes": [{"name": v, "secret": {"secretName": f.secret}}
                        for v, f in zip(secret_volume_names(files), files, strict=True)]}


def _tolerations(ts: tuple[TolerationSpec, ...], t: TemplateIR, s: EmitSettings) -> Fields:
    def one(x: TolerationSpec) -> Fields:
        out: Fields = {}
        if x.key is not None:
            out["key"] = x.key
        out["operator"] = x.operator
        if x.value is not None:
            out["value"] = x.value
        if x.effect is not None:
            out["effect"] = x.effect
        if x.seconds is not None:
            out["tolerationSeconds"] = x.seconds
        return out

    return {"tolerations": [one(x) for x in ts]}


def _json(key: str) -> Place:
    """An option kept as canonical JSON text, written back as the object it is."""
    return lambda v, t, s: {key: json.loads(v)}


# --- metrics= (issue 9): the template's `metrics.prometheus`, in the field order of Argo's Prometheus struct


def _metrics(specs: tuple[MetricSpec, ...], t: TemplateIR, s: EmitSettings) -> Fields:
    def one(m: MetricSpec) -> Fields:
        out: Fields = {"name": m.name}
        if m.labels:
            out["labels"] = [{"key": k, "value": v} for k, v in m.labels]
        out["help"] = m.help
        if m.when is not None:
            out["when"] = m.when
        if m.kind == "gauge":
            gauge: Fields = {"value": m.value, "realtime": m.realtime}  # the schema requires realtime
            if m.operation is not None:
                gauge["operation"] = m.operation
            out["gauge"] = gauge
        elif m.kind == "histogram":
            out["histogram"] = {"value": m.value, "buckets": list(m.buckets)}
        else:
            out["counter"] = {"value": m.value}
        return out

    return {"metrics": {"prometheus": [one(m) for m in specs]}}

# --- sidecars= (issue 13): the template's `sidecars`, each with athena's container securityContext (the pod's
# runAsUser/runAsNonRoot apply to them too; run_as_user=None lifts that for images that must run as root)
SIDECAR_SECURITY = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def _sidecars(specs: tuple[SidecarSpec, ...], t: TemplateIR, s: EmitSettings) -> Fields:
    def one(sc: SidecarSpec) -> Fields:
        out: Fields = {"name": sc.name, "image": sc.image}
        if sc.command:
            out["command"] = list(sc.command)
        if sc.args:
            out["args"] = list(sc.args)
        if sc.env:
            out.update(_env(sc.env, t, s))
        if sc.ports:
            out["ports"] = [{"containerPort": p} for p in sc.ports]
        if sc.readiness is not None:
            out["readinessProbe"] = json.loads(sc.readiness)
        if sc.resources is not None:
            out.update(_resources(sc.resources, t, s))
        out["securityContext"] = json.loads(json.dumps(SIDECAR_SECURITY))
        return out

    return {"sidecars": [one(sc) for sc in specs]}


RULES: dict[str, EmitRule] = {
    "name": EmitRule(inline="compile/naming.py: the template's name (and so every document's name)"),
    "image": EmitRule(inline="container.py: the container's image, [bootstrap].default_image when unset"),
    "service_account": EmitRule({"container": _injected("serviceAccountName")}),
    "image_pull_secrets": EmitRule(inline="root.py: a root's imagePullSecrets gather every reachable container's"),
    "node_selector": EmitRule({"container": _injected_map("nodeSelector"), "dag": _key("nodeSelector", _pairs),
                               "workflow_root": _key("nodeSelector", _pairs)}, synthetic=True),
    "retry": EmitRule({"container": _retry, "dag": _retry}),
    "timeout": EmitRule({"container": _key("timeout", format_seconds)}),
    "pod_running_timeout": EmitRule({"container": _key("activeDeadlineSeconds")}),
    "steps": EmitRule(inline="dag.py: `steps` (one task per step) instead of `dag`"),
    "parallelism": EmitRule({"dag": _key("parallelism")}),
    "parallelism_if_root": EmitRule({"workflow_root": _key("parallelism")}),
    "annotations": EmitRule({"container_metadata": _key("annotations", _pairs),
                             "document_metadata": _key("annotations", _pairs),
                             "workflow_root": _pod_metadata("annotations")}),
    "labels": EmitRule({"container_metadata": _key("labels", _pairs), "document_metadata": _key("labels", _pairs),
                        "workflow_root": _pod_metadata("labels")}),
    "on_exit_if_root": EmitRule({"root": lambda v, t, s: {"hooks": {"exit": {"templateRef": ref(v, s)}}}}),
    "ttl_if_root": EmitRule({"root": _ttl}),
    "pod_gc_if_root": EmitRule({"root": _key("podGC", lambda v: {"strategy": v})}),
    "active_deadline_if_root": EmitRule({"root": _key("activeDeadlineSeconds")}),
    "tmp_volume": EmitRule(inline="container.py: an emptyDir mounted at /tmp"),
    "volumes": EmitRule(inline="container.py: volumes + mounts; root.py: the workflow claims' volumeClaimTemplates"),
    "mutex": EmitRule({"container": _mutex, "dag": _mutex}),
    "semaphore": EmitRule({"container": _semaphore, "dag": _semaphore}),
    "cache": EmitRule({"container": _cache}),
    "schedule": EmitRule({"cron": _key("schedules", list)}),  # never the singular `schedule` v4 removed
    "timezone": EmitRule({"cron": _key("timezone")}),
    "concurrency_policy": EmitRule({"cron": _key("concurrencyPolicy")}),
    "starting_deadline": EmitRule({"cron": _key("startingDeadlineSeconds")}),
    "suspend": EmitRule({"cron": _key("suspend")}),
    "successful_jobs_history_limit": EmitRule({"cron": _key("successfulJobsHistoryLimit")}, zero=True),
    "failed_jobs_history_limit": EmitRule({"cron": _key("failedJobsHistoryLimit")}, zero=True),
    "cron_arguments": EmitRule(inline="cron.py: workflowSpec.arguments, with the root's defaults"),
    "resources": EmitRule({"main": _resources}),
    "env": EmitRule({"main": _env}),
    "env_from": EmitRule({"main": _env_from}),
    "secret_files": EmitRule({"main": _secret_mounts, "container": _secret_volumes}),
    "image_pull_policy": EmitRule({"main": _key("imagePullPolicy")}),
    "priority_class": EmitRule({"container": _key("priorityClassName")}),
    "pod_spec_patch": EmitRule({"container": _key("podSpecPatch")}),
    "tolerations": EmitRule({"container": _tolerations, "dag": _tolerations, "workflow_root": _tolerations},
                            synthetic=True),
    "affinity": EmitRule({"container": _json("affinity"), "dag": _json("affinity"),
                          "workflow_root": _json("affinity")}, synthetic=True),
    "security_context": EmitRule({"main": _json("securityContext")}),
    "pod_security_context": EmitRule({"container": _json("securityContext")}),
    # run_as_user= (issue 9): replaces the base pod_security_context= merges over, so it is read in place
    "run_as_user": EmitRule(inline="container.py: the pod securityContext's runAsUser/runAsGroup/runAsNonRoot "
                                   "instead of [defaults].run_as_user's (settings.pod_security_defaults)"),
    # metrics= (issue 9)
    "metrics": EmitRule({"container": _metrics, "dag": _metrics}),
    # sidecars= (issue 13)
    "sidecars": EmitRule({"container": _sidecars}),
}

# The order each site writes its options in (so the order of keys in the YAML).
SITE_ORDER: dict[Site, tuple[str, ...]] = {
    "container_metadata": ("annotations", "labels"),
    "container": ("service_account", "node_selector", "tolerations", "affinity", "priority_class", "retry",
                  "timeout", "pod_running_timeout", "mutex", "semaphore", "cache", "pod_spec_patch", "secret_files",
                  "pod_security_context", "metrics", "sidecars"),
    "main": ("image_pull_policy", "env", "env_from", "resources", "secret_files", "security_context"),
    "dag": ("node_selector", "tolerations", "affinity", "parallelism", "retry", "mutex", "semaphore", "metrics"),
    "document_metadata": ("labels", "annotations"),
    "workflow_root": ("labels", "annotations", "node_selector", "tolerations", "affinity", "parallelism_if_root"),
    "root": ("on_exit_if_root", "ttl_if_root", "pod_gc_if_root", "active_deadline_if_root"),
    "cron": ("schedule", "timezone", "concurrency_policy", "starting_deadline", "suspend",
             "successful_jobs_history_limit", "failed_jobs_history_limit"),
}


# Resolved once: (TemplateOptions field, rule function, also on synthetic workflows, 0 is a value) per site.
_PLAN: dict[Site, tuple[tuple[str, Place, bool, bool], ...]] = {
    site: tuple((OPTIONS[n].field, RULES[n].sites[site], RULES[n].synthetic, RULES[n].zero) for n in order)
    for site, order in SITE_ORDER.items()
}


def fields(site: Site, t: TemplateIR, s: EmitSettings) -> Fields:
    """The fields ``t``'s options add at ``site``, in :data:`SITE_ORDER`; dict values of one key merge.

    A falsy value is "not given": every normalized site value is ``None``, an empty tuple, or truthy
    (durations and counts are ≥ 1, strings non-empty), except that a rule with ``zero`` writes a 0.
    This runs for every template, so it stays lean.
    """
    synthetic = isinstance(t, Workflow) and t.synthetic
    o = t.options
    out: Fields = {}
    for name, place, on_synthetic, zero in _PLAN[site]:
        value = getattr(o, name)
        if (not value and not (zero and value == 0)) or (synthetic and not on_synthetic):
            continue
        for key, v in place(value, t, s).items():
            prev = out.get(key)
            if type(prev) is dict:
                prev.update(v)
            else:
                out[key] = v
    return out
