"""IR → Argo documents (plain dicts, key order fixed by construction, empty values omitted)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from athena import names
from athena.argo import expr, inject
from athena.compile.model import (
    ArmMerge,
    Container,
    Hook,
    Input,
    Param,
    Program,
    Task,
    TaskOut,
    TemplateIR,
    Workflow,
)
from athena.compile.typecheck import NONE as _NONE
from athena.compile.typecheck import ArtifactT, ListT, enum_values
from athena.config import Config
from athena.runtime import protocol as proto

API_VERSION = "argoproj.io/v1alpha1"
_RETURN_KEY = "athena-runs/{{workflow.uid}}/{{pod.name}}/return"


@dataclass(frozen=True)
class EmitSettings:
    targets: tuple[str, ...]
    default_image: str
    service_account: str | None
    namespace: str | None
    argo_line: str
    image_pull_secrets: tuple[str, ...]
    run_as_user: int | None
    name_tag: str
    s3: dict[str, Any]  # the S3 block of every artifact, without its key
    bundle_key: str
    digest: str

    @classmethod
    def from_config(cls, config: Config, *, digest: str, namespace: str | None = None) -> EmitSettings:
        from athena.bundle.identity import bundle_key, project_identity

        project, version = project_identity(config)
        key = bundle_key(config, digest=digest, project=project, version=version)
        try:
            tag = config.project.name_tag.format(version=version) if config.project.name_tag else ""
        except (KeyError, IndexError, ValueError):
            from athena.errors import ConfigError

            raise ConfigError(f"[project].name_tag = {config.project.name_tag!r}: the only placeholder is "
                              "{version}") from None
        return cls(
            targets=tuple(config.bootstrap.targets),
            default_image=config.bootstrap.default_image,
            service_account=config.defaults.service_account or None,
            namespace=namespace or config.defaults.namespace,
            argo_line=config.defaults.argo_line,
            image_pull_secrets=tuple(config.defaults.image_pull_secrets),
            run_as_user=config.defaults.run_as_user,
            name_tag=tag,
            s3=_s3_block(config),
            bundle_key=key,
            digest=digest,
        )


def _s3_block(config: Config) -> dict[str, Any]:
    s3 = config.artifact_repository.s3
    if s3 is None or s3.repository not in (None, "inline") or not s3.bucket:
        return {}  # key-only: Argo's configured artifact repository supplies the rest
    out: dict[str, Any] = {}
    if s3.endpoint:
        out["endpoint"] = s3.endpoint
    out["bucket"] = s3.bucket
    out["region"] = s3.region
    if s3.insecure:
        out["insecure"] = True
    if s3.use_sdk_creds:
        out["useSDKCreds"] = True
    if s3.access_key_secret:
        out["accessKeySecret"] = {"name": s3.access_key_secret.name, "key": s3.access_key_secret.key}
    if s3.secret_key_secret:
        out["secretKeySecret"] = {"name": s3.secret_key_secret.name, "key": s3.secret_key_secret.key}
    return out


# ------------------------------------------------------------------------------------------ order


def callees_first(program: Program) -> list[str]:
    """Reverse topological order over templateRef edges, ties by name (the Argo Server checks refs)."""
    out: list[str] = []
    done: set[str] = set()

    def visit(n: str) -> None:
        if n in done:
            return
        done.add(n)
        for c in sorted(set(program.callees(n))):
            if c in program.templates:
                visit(c)
        out.append(n)

    for n in sorted(program.templates):
        visit(n)
    return out


def reachable(program: Program, name: str) -> list[str]:
    seen: list[str] = []
    stack = [name]
    while stack:
        n = stack.pop()
        if n in seen or n not in program.templates:
            continue
        seen.append(n)
        stack.extend(program.callees(n))
    return seen


# ------------------------------------------------------------------------------------------ emit


def emit_program(program: Program, s: EmitSettings, *, with_workflow: bool = False) -> list[dict[str, Any]]:
    docs = [_document(program, program.templates[n], s) for n in callees_first(program)]
    if with_workflow:
        for root in program.roots:
            t = program.templates[root]
            if isinstance(t, Workflow):
                docs.append(_workflow_doc(t, s))
    return docs


def _tagged(name: str, s: EmitSettings) -> str:
    return names.with_tag(name, s.name_tag) if s.name_tag else name


def _metadata(name: str, s: EmitSettings, t: TemplateIR | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": _tagged(name, s)}
    if s.namespace:
        md["namespace"] = s.namespace
    if isinstance(t, Workflow) and not t.synthetic:
        if t.options.labels:
            md["labels"] = dict(t.options.labels)
        if t.options.annotations:
            md["annotations"] = dict(t.options.annotations)
    return md


def _document(program: Program, t: TemplateIR, s: EmitSettings) -> dict[str, Any]:
    spec: dict[str, Any] = {"entrypoint": t.name}
    synthetic = isinstance(t, Workflow) and t.synthetic
    if not synthetic:
        spec.update(_root_fields(program, t, s))
    tmpl = _container(t, s) if isinstance(t, Container) else _dag(t, s, program)
    spec["templates"] = [tmpl]
    return {"apiVersion": API_VERSION, "kind": "WorkflowTemplate", "metadata": _metadata(t.name, s, t), "spec": spec}


def _root_fields(program: Program, t: TemplateIR, s: EmitSettings) -> dict[str, Any]:
    """WorkflowSpec fields Argo reads only when this template is the submitted root."""
    out: dict[str, Any] = {}
    values = _value_params(t.params)
    if values:
        out["arguments"] = {"parameters": [_param(p, arguments=True) for p in values]}
    if s.service_account:
        out["serviceAccountName"] = s.service_account
    secrets = list(s.image_pull_secrets)
    for n in reachable(program, t.name):
        c = program.templates[n]
        if isinstance(c, Container):
            secrets.extend(c.options.image_pull_secrets)
    if secrets:
        out["imagePullSecrets"] = [{"name": n} for n in sorted(set(secrets))]
    o = t.options
    if isinstance(t, Workflow):
        if o.labels or o.annotations:
            pm: dict[str, Any] = {}
            if o.labels:
                pm["labels"] = dict(o.labels)
            if o.annotations:
                pm["annotations"] = dict(o.annotations)
            out["podMetadata"] = pm
        if o.node_selector:
            out["nodeSelector"] = dict(o.node_selector)
    if o.parallelism_if_root is not None:
        out["parallelism"] = o.parallelism_if_root
    if isinstance(o.on_exit_if_root, str):
        out["hooks"] = {"exit": {"templateRef": _ref(o.on_exit_if_root, s)}}
    if o.ttl_if_root is not None:
        ttl: dict[str, Any] = {}
        if o.ttl_if_root.after_completion is not None:
            ttl["secondsAfterCompletion"] = o.ttl_if_root.after_completion
        if o.ttl_if_root.after_success is not None:
            ttl["secondsAfterSuccess"] = o.ttl_if_root.after_success
        if o.ttl_if_root.after_failure is not None:
            ttl["secondsAfterFailure"] = o.ttl_if_root.after_failure
        out["ttlStrategy"] = ttl
    if o.pod_gc_if_root:
        out["podGC"] = {"strategy": o.pod_gc_if_root}
    if o.active_deadline_if_root_seconds is not None:
        out["activeDeadlineSeconds"] = o.active_deadline_if_root_seconds
    return out


def _value_params(params: tuple[Param, ...]) -> list[Param]:
    """Parameters that travel as Argo parameters (an ``Artifact[T]`` travels as an artifact instead)."""
    return [p for p in params if not isinstance(p.type, ArtifactT)]


def _dag_artifact_output(t: Workflow, scope: expr.Scope) -> dict[str, Any] | None:
    if not isinstance(t.returns, ArtifactT):
        return None
    r = t.result
    if isinstance(r, ArmMerge):
        arms = list(r.arms)
        text = f"tasks['{arms[-1]}'].outputs.artifacts['return']"
        for a in reversed(arms[:-1]):
            text = f"tasks['{a}'].status == 'Succeeded' ? tasks['{a}'].outputs.artifacts['return'] : ({text})"
        return {"name": "return", "fromExpression": text}
    if isinstance(r, (TaskOut, Input)):
        return {"name": "return", "from": expr.artifact_ref(r, scope)}
    return None


def _param(p: Param, *, arguments: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {"name": p.name}
    if p.has_default:
        d["value" if arguments else "default"] = expr.json_text(p.default)
    values = enum_values(p.type)
    if values:
        d["enum"] = [expr.json_text(v) for v in values]
    return d


def _ref(template: str, s: EmitSettings) -> dict[str, str]:
    return {"name": _tagged(template, s), "template": template}


def _retry(t: TemplateIR, s: EmitSettings) -> dict[str, Any] | None:
    r = t.options.retry
    if r is None:
        return None
    out: dict[str, Any] = {}
    if r.limit is not None:
        out["limit"] = r.limit
    if r.policy is not None:
        out["retryPolicy"] = r.policy
    if r.backoff_seconds is not None:
        b: dict[str, Any] = {"duration": f"{r.backoff_seconds}s"}
        if r.factor is not None:
            b["factor"] = r.factor
        if r.max_duration_seconds is not None:
            b["maxDuration"] = f"{r.max_duration_seconds}s"
        if r.cap_seconds is not None:
            b["cap"] = f"{r.cap_seconds}s"
        out["backoff"] = b
    if r.on_exit_codes:
        out["expression"] = f"asInt(lastRetry.exitCode) in [{', '.join(map(str, r.on_exit_codes))}]"
    return out


# -------------------------------------------------------------------------------------- container


def _container(t: Container, s: EmitSettings) -> dict[str, Any]:
    o = t.options
    res = t.ports
    bundle: dict[str, Any] = {"name": proto.BUNDLE_ARTIFACT, "path": proto.BUNDLE_DIR,
                              "s3": {**s.s3, "key": s.bundle_key}}
    inputs: dict[str, Any] = {}
    values = _value_params(t.params)
    if values:
        inputs["parameters"] = [_param(p) for p in values]
    typed_in = [{"name": p.name, "path": f"{proto.ARTIFACT_INPUT_DIR}/{p.name}"} for p in t.params
                if isinstance(p.type, ArtifactT)]
    in_ports = [{"name": proto.artifact_port_name(k), "path": proto.artifact_path("in", k),
                 **({"optional": True} if optional else {}), "s3": {**s.s3, "key": _artifact_key(k)}}
                for k, optional in res.artifacts_in]
    inputs["artifacts"] = [bundle, *typed_in, *in_ports]
    tmpl: dict[str, Any] = {"name": t.name}
    md: dict[str, Any] = {}
    if o.annotations:
        md["annotations"] = dict(o.annotations)
    if o.labels:
        md["labels"] = dict(o.labels)
    if md:
        tmpl["metadata"] = md
    tmpl["inputs"] = inputs
    outputs: dict[str, Any] = {}
    if t.returns != _NONE:
        outputs["parameters"] = [{"name": "return", "valueFrom": {"path": proto.RESULT_PATH}}]
    out_artifacts: list[dict[str, Any]] = []
    if isinstance(t.returns, ArtifactT):
        out_artifacts.append({"name": "return", "path": proto.ARTIFACT_RETURN_PATH, "archive": {"none": {}},
                              "s3": {**s.s3, "key": _RETURN_KEY}})
    if res.artifacts_out:
        out_artifacts += [{"name": proto.artifact_port_name(k), "path": proto.artifact_path("out", k),
                                 "optional": True, "archive": {"none": {}}, "s3": {**s.s3, "key": _artifact_key(k)}}
                                for k in res.artifacts_out]
    if out_artifacts:
        outputs["artifacts"] = out_artifacts
    if outputs:
        tmpl["outputs"] = outputs
    image = inject.render(o.image or s.default_image, t.params)
    env = [
        {"name": proto.ENV_TEMPLATE, "value": t.name},
        {"name": proto.ENV_ENTRY, "value": t.entry},
        {"name": proto.ENV_BUNDLE, "value": s.digest},
    ]
    if isinstance(t.returns, ArtifactT):
        env.append({"name": "ATHENA_RETURN_KEY", "value": _RETURN_KEY})
    mounts = [{"name": proto.WORK_VOLUME, "mountPath": proto.WORK_DIR}]
    volumes: list[dict[str, Any]] = [{"name": proto.WORK_VOLUME, "emptyDir": {}}]
    if o.tmp_volume:
        mounts.append({"name": proto.TMP_VOLUME, "mountPath": "/tmp"})
        volumes.append({"name": proto.TMP_VOLUME, "emptyDir": {}})
    for path in res.host_paths:
        vname = proto.host_volume_name(path)
        mounts.append({"name": vname, "mountPath": proto.host_mount_path(path)})
        volumes.append({"name": vname, "hostPath": {"path": path}})
    tmpl["container"] = {
        "image": image,
        "command": ["/bin/sh", "-c"],
        "args": [proto.bootstrap_script(s.targets), "--",
                 *("{{inputs.parameters.%s}}" % p.name for p in values)],
        "env": env,
        "volumeMounts": mounts,
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    tmpl["volumes"] = volumes
    pod_sc: dict[str, Any] = {}
    if s.run_as_user is not None:
        pod_sc = {"runAsNonRoot": True, "runAsUser": s.run_as_user, "runAsGroup": s.run_as_user}
    pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
    tmpl["securityContext"] = pod_sc
    if o.service_account:
        tmpl["serviceAccountName"] = inject.render(o.service_account, t.params)
    if o.node_selector:
        tmpl["nodeSelector"] = {k: inject.render(v, t.params) for k, v in o.node_selector}
    retry = _retry(t, s)
    if retry:
        tmpl["retryStrategy"] = retry
    if o.timeout_seconds is not None:
        tmpl["timeout"] = f"{o.timeout_seconds}s"
    if o.pod_running_timeout_seconds is not None:
        tmpl["activeDeadlineSeconds"] = o.pod_running_timeout_seconds
    return tmpl


def _artifact_key(key: str) -> str:
    return key.replace("{workflow_uid}", "{{workflow.uid}}")


# -------------------------------------------------------------------------------------------- dag


def _dag(t: Workflow, s: EmitSettings, program: Program) -> dict[str, Any]:
    scope: expr.Scope = "steps" if t.steps else "tasks"
    tmpl: dict[str, Any] = {"name": t.name}
    inputs: dict[str, Any] = {}
    values = _value_params(t.params)
    if values:
        inputs["parameters"] = [_param(p) for p in values]
    arts = [{"name": p.name} for p in t.params if isinstance(p.type, ArtifactT)]
    if arts:
        inputs["artifacts"] = arts
    if inputs:
        tmpl["inputs"] = inputs
    out = _dag_output(t, scope)
    if out:
        tmpl["outputs"] = {"parameters": [out]}
        art = _dag_artifact_output(t, scope)
        if art:
            tmpl["outputs"]["artifacts"] = [art]
    if t.options.node_selector:
        tmpl["nodeSelector"] = dict(t.options.node_selector)
    if t.options.parallelism is not None and not t.synthetic:
        tmpl["parallelism"] = t.options.parallelism
    retry = _retry(t, s) if not t.synthetic else None
    if retry:
        tmpl["retryStrategy"] = retry
    tasks = [_task(task, scope, s, program) for task in t.tasks]
    if t.steps:
        tmpl["steps"] = [[task] for task in tasks]
    else:
        tmpl["dag"] = {"tasks": tasks}
    return tmpl


def _dag_output(t: Workflow, scope: expr.Scope) -> dict[str, Any] | None:
    r = t.result
    if r is None:
        return None
    vf: dict[str, Any]
    if isinstance(r, ArmMerge):
        arms = list(r.arms)
        text = f"tasks['{arms[-1]}'].outputs.parameters['return']"
        for a in reversed(arms[:-1]):
            text = (f"tasks['{a}'].status == 'Succeeded' ? tasks['{a}'].outputs.parameters['return'] : "
                    f"({text})")
        vf = {"expression": text, "default": "null"}
    else:
        kind, text = expr.output_expression(r, scope)
        vf = {kind: text}
        if isinstance(r, TaskOut) and r.mode == "aggregate" and not r.path:
            vf["default"] = "[]"
        elif t.synthetic:
            vf["default"] = "null"
    if isinstance(t.returns, ListT) and isinstance(r, TaskOut) and r.mode == "aggregate":
        vf.setdefault("default", "[]")
    return {"name": "return", "valueFrom": vf}


def _task(task: Task, scope: expr.Scope, s: EmitSettings, program: Program) -> dict[str, Any]:
    d: dict[str, Any] = {"name": task.name, "templateRef": _ref(task.template, s)}
    callee = program.templates.get(task.template)
    artifact_params = {p.name for p in callee.params if isinstance(p.type, ArtifactT)} if callee else set()
    params = [{"name": n, "value": expr.param_value(a, scope)} for n, a in task.args if n not in artifact_params]
    arts = [{"name": n, "from": expr.artifact_ref(a, scope)} for n, a in task.args if n in artifact_params]
    if params or arts:
        d["arguments"] = {}
        if params:
            d["arguments"]["parameters"] = params
        if arts:
            d["arguments"]["artifacts"] = arts
    if task.deps and scope == "tasks":
        d["dependencies"] = sorted(set(task.deps))
    if task.when is not None:
        d["when"] = expr.when(task.when, scope)
    if task.fan_over is not None:
        d["withParam"] = expr.with_param(task.fan_over, scope)
    if task.continue_on:
        d["continueOn"] = {k: True for k in task.continue_on}
    if task.hooks:
        d["hooks"] = _hooks(task, task.hooks, scope, s)
    return d


def _hooks(task: Task, hooks: Iterable[Hook], scope: expr.Scope, s: EmitSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    n = 0
    status = {"success": "Succeeded", "failure": "Failed", "error": "Error"}
    for h in hooks:
        body: dict[str, Any] = {"templateRef": _ref(h.template, s)}
        if h.args:
            body["arguments"] = {"parameters": [{"name": k, "value": expr.param_value(a, scope)} for k, a in h.args]}
        if h.kind == "exit":
            out["exit"] = body
            continue
        n += 1
        if h.kind == "expr":
            body["expression"] = expr.hook_expression(h.expression or "", task.name, scope)
        else:
            body["expression"] = expr.status_expression(task.name, status[h.kind], scope)
        out[f"hook{n}"] = body
    return out


def _workflow_doc(t: Workflow, s: EmitSettings) -> dict[str, Any]:
    md: dict[str, Any] = {"generateName": f"{t.name}-"}
    if s.namespace:
        md["namespace"] = s.namespace
    spec: dict[str, Any] = {"workflowTemplateRef": {"name": _tagged(t.name, s)}}
    if s.service_account:
        spec["serviceAccountName"] = s.service_account
    return {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": md, "spec": spec}

