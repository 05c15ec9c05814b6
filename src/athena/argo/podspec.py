"""``podSpecPatch`` checked against the pod's schema, which neither Argo's schema nor its admission does.

Argo stores the patch as text and merges it into the pod only when the pod is created, so a typo
(``terminationGracePeriod``) or a wrong type (``priority: "high"``) surfaces as a failed pod at run time. This
checks every field the patch sets against the Kubernetes definitions Argo's schema carries (Container, Volume,
Toleration, Affinity, PodSecurityContext, …); unknown fields are errors. ``null`` values are strategic-merge
delete directives and are not checked; neither is a patch holding ``{{...}}`` tags in places YAML cannot parse.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

__all__ = ["patch_issues"]

_CORE = "io.k8s.api.core.v1."
_STRING, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
# PodSpec's fields: a definition of Argo's schema by name, or a plain JSON Schema.
_FIELDS: dict[str, str | dict[str, Any]] = {
    "activeDeadlineSeconds": _INT, "affinity": "Affinity", "automountServiceAccountToken": _BOOL,
    "containers": "[Container", "dnsConfig": "PodDNSConfig", "dnsPolicy": _STRING, "enableServiceLinks": _BOOL,
    "ephemeralContainers": {"type": "array"}, "hostAliases": "[HostAlias", "hostIPC": _BOOL,
    "hostNetwork": _BOOL, "hostPID": _BOOL, "hostUsers": _BOOL, "hostname": _STRING,
    "imagePullSecrets": "[LocalObjectReference", "initContainers": "[Container", "nodeName": _STRING,
    "nodeSelector": {"type": "object", "additionalProperties": _STRING}, "os": {"type": "object"},
    "overhead": {"type": "object"}, "preemptionPolicy": _STRING, "priority": _INT, "priorityClassName": _STRING,
    "readinessGates": {"type": "array"}, "resourceClaims": "[PodResourceClaim", "resources": "ResourceRequirements",
    "restartPolicy": _STRING, "runtimeClassName": _STRING, "schedulerName": _STRING,
    "schedulingGates": {"type": "array"}, "securityContext": "PodSecurityContext", "serviceAccount": _STRING,
    "serviceAccountName": _STRING, "setHostnameAsFQDN": _BOOL, "shareProcessNamespace": _BOOL,
    "subdomain": _STRING, "terminationGracePeriodSeconds": _INT, "tolerations": "[Toleration",
    "topologySpreadConstraints": {"type": "array"}, "volumes": "[Volume",
}


_BUILT: dict[int, tuple[Mapping[str, Any], Any]] = {}  # id(definitions) -> (definitions, validator)


def _validator(definitions: Mapping[str, Any]) -> Any:
    """A validator of PodSpec patches over ``definitions`` (built once per schema; the schemas are cached)."""
    hit = _BUILT.get(id(definitions))
    if hit is not None and hit[0] is definitions:
        return hit[1]
    defs = dict(definitions)
    container = defs.get(_CORE + "Container")
    if container is not None:  # a patch names a container by its merge key and sets only what it changes
        defs[_CORE + "Container"] = {**container, "required": ["name"]}
    props: dict[str, Any] = {}
    for field, spec in _FIELDS.items():
        if isinstance(spec, dict):
            props[field] = spec
            continue
        name = spec.lstrip("[")
        ref: dict[str, Any] = {"$ref": f"#/definitions/{_CORE}{name}"} if _CORE + name in defs else {}
        props[field] = {"type": "array", "items": ref} if spec.startswith("[") else ref
    schema = {"type": "object", "properties": props, "additionalProperties": False, "definitions": defs}
    validator = Draft202012Validator(schema)
    _BUILT[id(definitions)] = (definitions, validator)
    return validator


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def patch_issues(doc: Mapping[str, Any], schema: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, message) for every problem of every ``podSpecPatch`` in ``doc`` (a Workflow-like document)."""
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return
    base = "spec"
    if doc.get("kind") == "CronWorkflow":
        spec, base = spec.get("workflowSpec"), "spec.workflowSpec"
        if not isinstance(spec, Mapping):
            return
    places = [(f"{base}.podSpecPatch", spec.get("podSpecPatch"))]
    templates = spec.get("templates")
    if isinstance(templates, list):
        places += [(f"{base}.templates[{i}].podSpecPatch", t.get("podSpecPatch"))
                   for i, t in enumerate(templates) if isinstance(t, Mapping)]
    for path, text in places:
        if not isinstance(text, str):
            continue
        try:
            patch = yaml.safe_load(text)
        except yaml.YAMLError:
            if "{{" not in text:
                yield path, "is neither JSON nor YAML"
            continue
        if not isinstance(patch, Mapping):
            yield path, f"must be a mapping of PodSpec fields, got {type(patch).__name__}"
            continue
        for error in _validator(schema["definitions"]).iter_errors(_without_nulls(patch)):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            yield f"{path}{where}", f"[pod] {error.message}"

