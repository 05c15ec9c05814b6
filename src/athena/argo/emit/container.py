"""A ``Container`` IR → its Argo container template: bundle input, ports, bootstrap command, pod security."""

from __future__ import annotations

from typing import Any

from athena.argo import inject
from athena.argo.emit import options
from athena.argo.emit.common import param, value_params
from athena.argo.emit.settings import EmitSettings, pod_security_defaults
from athena.argo.yaml import frozen
from athena.compile.model import Container
from athena.compile.options import VolumeSpec
from athena.compile.typecheck import NONE as _NONE
from athena.compile.typecheck import ArtifactT
from athena.runtime import protocol as proto

RETURN_KEY = "athena-runs/{{workflow.uid}}/{{pod.name}}/return"

# The same in every container template: shared objects, rendered once by the YAML writer (argo/yaml/frozen.py).
_COMMAND = frozen(["/bin/sh", "-c"])
_CONTAINER_SC = frozen({"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})
_RETURN_PARAMETERS = frozen([{"name": "return", "valueFrom": {"path": proto.RESULT_PATH}}])
_WORK_MOUNT = frozen({"name": proto.WORK_VOLUME, "mountPath": proto.WORK_DIR})
_WORK_VOLUME = frozen({"name": proto.WORK_VOLUME, "emptyDir": {}})
_TMP_MOUNT = frozen({"name": proto.TMP_VOLUME, "mountPath": proto.TMP_DIR})
_TMP_VOLUME = frozen({"name": proto.TMP_VOLUME, "emptyDir": {}})
_DEFAULT_MOUNTS = frozen([_WORK_MOUNT, _TMP_MOUNT])
_DEFAULT_VOLUMES = frozen([_WORK_VOLUME, _TMP_VOLUME])


def container_template(t: Container, s: EmitSettings) -> dict[str, Any]:
    o = t.options
    ports = t.ports
    bundle = s.bundle_artifact
    inputs: dict[str, Any] = {}
    values = value_params(t.params)
    if values:
        inputs["parameters"] = [param(p) for p in values]
    # Every input artifact but the bundle is a raw file: with no `archive` field Argo sniffs it and unpacks a
    # tarball, so a `.tar.gz` stored under a key would arrive as a directory. (An argument artifact replaces the
    # template's entry, archive included; one passed with `from:` carries its producer's `archive: none`.)
    typed_in = [{"name": p.name, "path": f"{proto.ARTIFACT_INPUT_DIR}/{p.name}", "archive": {"none": {}}}
                for p in t.params if isinstance(p.type, ArtifactT)]
    in_ports = [{"name": proto.artifact_port_name(k), "path": proto.artifact_path("in", k),
                 **({"optional": True} if optional else {}), "archive": {"none": {}},
                 "s3": {**s.s3, "key": _artifact_key(k)}}
                for k, optional in ports.artifacts_in]
    inputs["artifacts"] = [bundle, *typed_in, *in_ports]
    tmpl: dict[str, Any] = {"name": t.name}
    md = options.fields("container_metadata", t, s)
    if md:
        tmpl["metadata"] = md
    tmpl["inputs"] = inputs
    outputs: dict[str, Any] = {}
    if t.returns != _NONE:
        outputs["parameters"] = _RETURN_PARAMETERS
    out_artifacts: list[dict[str, Any]] = []
    if isinstance(t.returns, ArtifactT):
        out_artifacts.append({"name": "return", "path": proto.ARTIFACT_RETURN_PATH, "archive": {"none": {}},
                              "s3": {**s.s3, "key": RETURN_KEY}})
    out_artifacts += [{"name": proto.artifact_port_name(k), "path": proto.artifact_path("out", k),
                       "optional": True, "archive": {"none": {}}, "s3": {**s.s3, "key": _artifact_key(k)}}
                      for k in ports.artifacts_out]
    if out_artifacts:
        outputs["artifacts"] = out_artifacts
    if outputs:
        tmpl["outputs"] = outputs
    image = inject.render(o.image or s.default_image, t.params)  # the `image` option (see options.RULES)
    env = [
        {"name": proto.ENV_TEMPLATE, "value": t.name},
        {"name": proto.ENV_ENTRY, "value": t.entry},
        {"name": proto.ENV_BUNDLE, "value": s.digest},
    ]
    if isinstance(t.returns, ArtifactT):
        env.append({"name": proto.ENV_RETURN_KEY, "value": RETURN_KEY})
    if s.pushgateway:  # [metrics].pushgateway: the runtime pushes there, grouped per run and pod (DESIGN §4)
        env += _metrics_env(s.pushgateway)
    mounts: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    if o.tmp_volume and not ports.host_paths:  # the `tmp_volume` option (see options.RULES)
        mounts, volumes = _DEFAULT_MOUNTS, _DEFAULT_VOLUMES
    else:
        mounts, volumes = [_WORK_MOUNT], [_WORK_VOLUME]
        if o.tmp_volume:
            mounts.append(_TMP_MOUNT)
            volumes.append(_TMP_VOLUME)
        for path in ports.host_paths:
            vname = proto.host_volume_name(path)
            mounts.append({"name": vname, "mountPath": proto.host_mount_path(path)})
            volumes.append({"name": vname, "hostPath": {"path": path}})
    if o.volumes:  # the `volumes` option (see options.RULES); copies: the defaults above are shared
        mounts, volumes = list(mounts), list(volumes)
        _user_volumes(o.volumes, mounts, volumes, env)
    main = options.fields("main", t, s)  # pod configuration options of the main container (see options.RULES)
    container: dict[str, Any] = {"image": image}
    if "imagePullPolicy" in main:
        container["imagePullPolicy"] = main["imagePullPolicy"]
    container["command"] = _COMMAND
    container["args"] = [proto.bootstrap_script(s.targets), "--",
                         *("{{inputs.parameters.%s}}" % p.name for p in values)]
    container["env"] = env + main.get("env", [])  # athena's ATHENA_* first: the user's come after
    if "envFrom" in main:
        container["envFrom"] = main["envFrom"]
    if "resources" in main:
        container["resources"] = main["resources"]
    container["volumeMounts"] = [*mounts, *main["volumeMounts"]] if "volumeMounts" in main else mounts
    container["securityContext"] = (options.merge_over(_CONTAINER_SC, main["securityContext"])
                                    if "securityContext" in main else _CONTAINER_SC)
    tmpl["container"] = container
    extra = options.fields("container", t, s)
    tmpl["volumes"] = [*volumes, *extra.pop("volumes")] if "volumes" in extra else volumes
    pod_sc = extra.pop("securityContext", None)
    # run_as_user= (see options.RULES) picks the base; pod_security_context= merges over it, so its keys win
    base = (s.pod_security_context if o.run_as_user is None
            else pod_security_defaults(o.run_as_user if isinstance(o.run_as_user, int) else None))
    tmpl["securityContext"] = options.merge_over(base, pod_sc) if pod_sc is not None else base
    tmpl.update(extra)
    return tmpl


def _metrics_env(url: str) -> list[dict[str, Any]]:
    return [{"name": proto.ENV_PUSHGATEWAY, "value": url},
            {"name": proto.ENV_WORKFLOW, "value": "{{workflow.name}}"},
            {"name": proto.ENV_RUN_ID, "value": "{{workflow.uid}}"},
            {"name": proto.ENV_POD, "value": "{{pod.name}}"}]


def _user_volumes(specs: tuple[VolumeSpec, ...], mounts: list[dict[str, Any]], volumes: list[dict[str, Any]],
                  env: list[dict[str, Any]]) -> None:
    """``volumes=[...]``: a mount each; a pod volume per distinct volume name (a workflow claim has none: its
    mount names the root's ``volumeClaimTemplates`` entry)."""
    declared: set[str] = set()
    for v in specs:
        m: dict[str, Any] = {"name": v.volume, "mountPath": v.mount}
        if v.read_only:
            m["readOnly"] = True
        if v.sub_path:
            m["subPath"] = v.sub_path
        mounts.append(m)
        for name, value in v.env:
            env.append({"name": name, "value": value})
        if v.kind == "workflow_claim" or v.volume in declared:
            continue
        declared.add(v.volume)
        volumes.append({"name": v.volume, **_volume_source(v)})


def _volume_source(v: VolumeSpec) -> dict[str, Any]:
    if v.kind == "claim":
        return {"persistentVolumeClaim": {"claimName": v.source}}
    if v.kind == "empty_dir":
        empty: dict[str, Any] = {}
        if v.medium:
            empty["medium"] = v.medium
        if v.size:
            empty["sizeLimit"] = v.size
        return {"emptyDir": empty}
    items = [{"key": k, "path": p} for k, p in v.items]
    if v.kind == "config_map":
        return {"configMap": {"name": v.source, **({"items": items} if items else {})}}
    return {"secret": {"secretName": v.source, **({"items": items} if items else {})}}


def workflow_claim(v: VolumeSpec) -> dict[str, Any]:
    """A ``volumeClaimTemplates`` entry: Argo creates the claim per run and mounts it by this name."""
    spec: dict[str, Any] = {"accessModes": list(v.access_modes), "resources": {"requests": {"storage": v.size}}}
    if v.storage_class:
        spec["storageClassName"] = v.storage_class
    return {"metadata": {"name": v.volume}, "spec": spec}


def _artifact_key(key: str) -> str:
    return key.replace("{workflow_uid}", "{{workflow.uid}}").replace("{workflow_name}", "{{workflow.name}}")
