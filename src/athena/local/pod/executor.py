"""Run one emitted container template the way Argo would, with podman or docker (DESIGN §6 ``container emulate``).

What a pod gets, and how it is reproduced here:

- **Template substitution** (``argo-semantics.md`` §4): ``{{inputs.parameters.<n>}}`` from the given ``args``, else
  the input's ``default`` (or ``value``) — a parameter left without a value is an error; globals
  ``{{workflow.name|uid|namespace|serviceAccountName}}``, ``{{pod.name}}``, ``{{inputs.parameters}}``,
  ``{{inputs.artifacts.<n>.path}}``, ``{{outputs.artifacts|parameters.<n>.path}}``. Like Argo: globals first, then
  inputs, then one more pass over the pod's container (so a *value* holding ``{{pod.name}}`` is substituted too);
  unknown tags stay verbatim. Expression tags (``{{= … }}``) are not evaluated: an error.
- **Kubernetes' ``$(VAR)`` expansion** of env values, ``command`` and ``args`` (``$$`` → ``$``, ``$(NAME)`` of a
  defined env var → its value), which the kubelet applies to every argv slot, parameter values included.
- **Volumes**: every ``emptyDir`` is a fresh directory (mode 0777, like the kubelet's), bind-mounted at its
  ``mountPath``s; ``hostPath`` volumes bind the host directory (or the one given in ``host_paths``); any other
  volume kind is an empty directory unless ``volumes`` names a directory for it.
- **Input artifacts** are placed like Argo's init container (:mod:`athena.local.pod.unpack`): into the volume that
  contains their path (``FindOverlappingVolume`` — so ``/athena/bin`` lands inside the ``/athena`` emptyDir), else
  into a separate directory bind-mounted at the path. The ``athena-bundle`` artifact is the given ``bundle``
  tarball; other artifacts come from ``input_files[name]`` or ``artifacts_dir/<s3 key>`` (S3 sync is the
  caller's business). Created files belong to the pod's UID/GID when this process may chown.
- **The container**: the same image (or ``image``), ``command`` as entrypoint + ``args``, the env of the template
  plus the ``ARGO_*`` variables Argo adds to ``main``, ``--init`` (Argo's emissary is PID 1 and forwards signals),
  umask 0 (the emissary's), ``securityContext`` honoured where the runtime can (user/group, ``runAsNonRoot``
  check, read-only root without podman's extra tmpfs, capabilities, no-new-privileges, privileged, seccomp).
- **Outputs**: ``outputs.parameters[*].valueFrom.path`` read back with one trailing newline stripped (``default``
  when missing); ``result_json`` is the ``return`` parameter (or ``/athena/result`` when none is declared);
  output artifacts are copied to ``artifacts_dir/<s3 key>`` (``archive: none`` raw, else a ``.tgz`` like Argo).
  A missing non-optional output is reported in ``EmulateResult.errors``, as Argo would fail the node.
- **Ignored here** (each named in a note): ``resources``, ``imagePullPolicy`` (``pull`` decides), ``tolerations``,
  ``affinity``, ``nodeSelector``, ``priorityClassName``, ``podSpecPatch`` (cluster scheduling has no meaning on
  one machine) and ``envFrom`` (a Secret or ConfigMap cannot be read here; pass the variables with ``env``).
- ``timeout`` (else the template's ``activeDeadlineSeconds``/``timeout``): SIGTERM, then SIGKILL after
  ``grace_period`` seconds.

:func:`run_pod` is the executor: one container template whose input parameter values are already known (what
``athena run`` has after evaluating a task's arguments). :func:`emulate` is the ``container emulate`` entry: it
picks the template out of a document and fills the values from ``args`` and the declared defaults.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from athena.argo import facts
from athena.errors import AthenaError
from athena.local.pod.containers import Runtime, cleanup, detect_runtime, run_container, runtime_failure, tail
from athena.local.pod.image import ensure_image, host_arch, security
from athena.local.pod.kubelet import k8s_expand, resolve_env
from athena.local.pod.offload import offload_args, offload_env, offloads_args
from athena.local.pod.outputs import needs_copy, read_parameters, save_artifacts
from athena.local.pod.template import (
    argo_replace,
    container_template,
    input_values,
    make_pod_name,
    substitute_template,
    template_deadline,
)
from athena.local.pod.volumes import (
    Mount,
    Pod,
    check_bundle,
    chown_created,
    mount_volumes,
    place_inputs,
    selinux_enforcing,
)
from athena.runtime import protocol as proto
from athena.runtime.protocol import platform_arch

__all__ = ["EmulateResult", "PodOptions", "container_failure", "emulate", "run_pod"]


@dataclass(frozen=True)
class EmulateResult:
    """What the pod did. ``exit_code`` is the main container's; ``errors`` are what Argo's wait container would
    report on top of it (a required output missing), so ``succeeded`` is the node's outcome."""

    exit_code: int
    result_json: str | None
    stdout: str
    stderr: str
    outputs: Mapping[str, Path] = field(default_factory=dict)  # artifact key → copy under artifacts_dir
    parameters: Mapping[str, str] = field(default_factory=dict)  # every output parameter read back
    errors: tuple[str, ...] = ()
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.errors


@dataclass(frozen=True)
class PodOptions:
    """How to run a pod, apart from the template and its values; each field is the :func:`emulate` keyword."""

    runtime: str | Runtime | None = None
    containers_conf: Path | None = None
    image: str | None = None
    arch: str | None = None
    host_paths: Mapping[str, Path] = field(default_factory=dict)
    volumes: Mapping[str, Path] = field(default_factory=dict)
    artifacts_dir: Path | None = None
    input_files: Mapping[str, Path] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    read_only: bool = False
    pull: bool = True
    timeout: float | None = None
    grace_period: float = 30.0
    stream_logs: bool = True
    log: IO[str] | None = None
    workflow_name: str = "athena-emulate"
    workflow_uid: str | None = None
    # The pod's name (``{{pod.name}}``, ARGO_NODE_ID): `athena run` passes the one its scheduler already used in
    # the node's parameters, so output artifact keys that hold it agree; default a fresh one.
    pod_name: str | None = None
    namespace: str = "default"
    argo_version: str = "4.1"


def emulate(
    template: Mapping[str, Any],
    *,
    bundle: Path,
    args: Mapping[str, str] | None = None,
    runtime: str | Runtime | None = None,
    containers_conf: Path | None = None,
    image: str | None = None,
    arch: str | None = None,
    host_paths: Mapping[str, Path] | None = None,
    volumes: Mapping[str, Path] | None = None,
    artifacts_dir: Path | None = None,
    input_files: Mapping[str, Path] | None = None,
    env: Mapping[str, str] | None = None,
    read_only: bool = False,
    pull: bool = True,
    timeout: float | None = None,
    grace_period: float = 30.0,
    stream_logs: bool = True,
    log: IO[str] | None = None,
    workflow_name: str = "athena-emulate",
    workflow_uid: str | None = None,
    pod_name: str | None = None,
    namespace: str = "default",
    argo_version: str = "4.1",
) -> EmulateResult:
    """Run the container template ``template`` (``spec.templates[0]`` of an emitted WorkflowTemplate, or the whole
    document) with the bundle tarball ``bundle`` at ``/athena/bin``, as Argo would (see the module doc).

    ``args`` maps input parameter names to their Argo text (JSON, e.g. ``'"s"'``, ``'7'``). ``image``/``arch``
    override the template's image and the platform (``amd64``/``arm64``; default: the image's own).
    ``host_paths`` maps a ``hostPath`` path to the host directory to bind instead; ``volumes`` maps a volume name
    to a directory. ``env`` adds or replaces env vars. ``read_only`` forces a read-only root filesystem.
    Container output is echoed to ``log`` (default ``sys.stderr``) while it runs when ``stream_logs``.
    ``argo_version`` (``X.Y`` = the line's newest patch, or ``X.Y.Z``) decides how args above 128 KiB travel
    (offloaded through ``ARGO_CONTAINER_ARGS_FILE`` and ``@/tmp/argo_arg_<i>.txt`` since 3.7.10/4.0.1, else the
    pod cannot start).
    Raises :class:`AthenaError` when the pod could not start (no runtime, image missing, bad bundle, missing
    parameter or input artifact); the container's own failure is the returned ``exit_code``.
    """
    tmpl = container_template(template)
    check_bundle(tmpl, bundle, str(tmpl.get("name") or "template"))
    rt = runtime if isinstance(runtime, Runtime) else detect_runtime(runtime, containers_conf=containers_conf)
    options = PodOptions(
        runtime=rt, image=image, arch=arch, host_paths=host_paths or {}, volumes=volumes or {},
        artifacts_dir=artifacts_dir, input_files=input_files or {}, env=env or {}, read_only=read_only, pull=pull,
        timeout=timeout, grace_period=grace_period, stream_logs=stream_logs, log=log, workflow_name=workflow_name,
        workflow_uid=workflow_uid, pod_name=pod_name, namespace=namespace, argo_version=argo_version,
    )
    return run_pod(tmpl, input_values(tmpl, args or {}), bundle=bundle, options=options)


def run_pod(template: Mapping[str, Any], values: Mapping[str, str], *, bundle: Path | None,
            options: PodOptions | None = None) -> EmulateResult:
    """Run one pod of the container template ``template`` whose input parameters have the Argo texts ``values``
    (every declared one, defaults already applied), with the bundle tarball ``bundle``.

    Globals, inputs and output paths are substituted here, as the controller does when it creates the pod, so the
    template may still hold their tags. Raises like :func:`emulate`.
    """
    o = options or PodOptions()
    tmpl = container_template(template)
    name = str(tmpl.get("name") or "template")
    if bundle is not None:  # `athena run` passes None for a hand-written template (no athena bundle to unpack)
        check_bundle(tmpl, bundle, name)
    rt = o.runtime if isinstance(o.runtime, Runtime) else detect_runtime(o.runtime, containers_conf=o.containers_conf)
    uid = o.workflow_uid or str(uuid.uuid4())
    pod_name = o.pod_name or make_pod_name(o.workflow_name, name)
    globals_ = {
        "workflow.name": o.workflow_name, "workflow.uid": uid, "workflow.namespace": o.namespace,
        "workflow.serviceAccountName": str(tmpl.get("serviceAccountName") or "default"), "pod.name": pod_name,
    }
    tmpl = substitute_template(tmpl, globals_, values)
    container: dict[str, Any] = dict(tmpl["container"])
    if o.image is not None:
        container["image"] = o.image

    # Env: the template's, then what Argo adds to `main`, then the caller's; then the pod-level pass and $(VAR).
    env_list: list[dict[str, Any]] = [dict(e) for e in container.get("env") or []]
    env_list += _argo_env(o.workflow_name, pod_name, o.argo_version)
    for k, v in o.env.items():
        env_list = [e for e in env_list if e.get("name") != k] + [{"name": k, "value": v}]
    pod_params = {**globals_, **{f"inputs.parameters.{k}": v for k, v in values.items()}}
    env_list = argo_replace(env_list, pod_params)  # substitutePodParams: the second pass over the pod spec
    command = [str(c) for c in argo_replace(container.get("command") or [], pod_params)]
    cargs = [str(a) for a in argo_replace(container.get("args") or [], pod_params)]
    image_ref = str(argo_replace(container.get("image") or "", pod_params))
    if not image_ref:
        raise AthenaError(f"{name}: the template has no container image")
    env_values = resolve_env(env_list, name, pod_name, o.namespace, globals_["workflow.serviceAccountName"])
    command = [k8s_expand(c, env_values) for c in command]
    offload = offloads_args(cargs, o.argo_version, name)
    if not offload:
        cargs = [k8s_expand(a, env_values) for a in cargs]  # offloaded args never reach the kubelet

    info = ensure_image(rt, image_ref, o.arch, o.pull)
    user, groups = security(tmpl, container, info, name)
    deadline = o.timeout if o.timeout is not None else template_deadline(tmpl)

    scratch = Path(tempfile.mkdtemp(prefix="athena-emulate-"))
    pod = Pod(scratch)
    try:
        mount_volumes(pod, tmpl, container, o.host_paths, o.volumes)
        pod.notes += scheduling_notes(tmpl, container)
        place_inputs(pod, tmpl, bundle or Path("/nonexistent-bundle"), o.artifacts_dir, o.input_files, name)
        chown_created(pod, tmpl)
        if offload:
            cargs = offload_args(pod, command, cargs, env_values, user, name)
        offload_env(env_values, name)
        if not rt.is_podman and _umask_wrapped(command) is None:
            pod.notes.append("docker cannot set the umask (it has no --umask) and the command is no shell that "
                             "could: it runs with the image's umask (usually 0022), not Argo's 0000; files it "
                             "creates are not writable by other UIDs")
        for note in pod.notes:
            print(f"athena emulate: note: {note}", file=o.log or sys.stderr)
        keep = needs_copy(pod, tmpl)
        cname = f"athena-emulate-{secrets.token_hex(6)}"
        argv = _run_argv(rt, cname, pod_name, image_ref, info, o.arch, user, groups, container, tmpl, o.read_only,
                         env_values, pod.mounts, command, cargs, keep=keep)
        code, out, err, timed_out = run_container(rt, argv, cname, deadline, o.grace_period,
                                                  o.log if o.stream_logs else None, o.stream_logs)
        try:
            if code in (125, 126, 127):
                runtime_failure(rt, code, err, image_ref)
            parameters, result_json, errors = read_parameters(rt, pod, tmpl, cname if keep else None)
            outputs, art_errors = save_artifacts(rt, pod, tmpl, o.artifacts_dir, pod_params,
                                                 cname if keep else None)
            if code != 0:
                # Argo reports the failed main container, not the outputs it then could not find: the missing
                # /athena/result would only hide the cause.
                errors, art_errors = [container_failure(code, err, timed_out, deadline)], []
        finally:
            if keep:
                rt.run("rm", "-f", cname)
        return EmulateResult(code, result_json, out, err, outputs, parameters, (*errors, *art_errors), timed_out)
    finally:
        cleanup(rt, scratch)


def container_failure(code: int, stderr: str, timed_out: bool, deadline: float | None) -> str:
    """The node's failure as Argo would show it, first: the main container's exit code (with what athena's own
    codes mean) and the last lines of its stderr, where the cause is."""
    if timed_out:
        what = f"the container was stopped after its deadline of {deadline:g} s (exit code {code})"
    elif code == proto.EXIT_UNSUPPORTED_ARCH and "athena: " in stderr and "architecture" in stderr:
        what = (f"the container exited with code {code}: the bundle has no build for the image's architecture "
                "(`--build` builds for the image's; `athena build --target aarch64` or `x86_64` for a tarball)")
    else:
        what = f"the container exited with code {code}"
    last = tail(stderr, 10)
    return f"{what}; the last lines of its stderr:\n{last}" if last else f"{what} (nothing on stderr)"


def _argo_env(workflow_name: str, pod_name: str, argo_version: str) -> list[dict[str, Any]]:
    """The env Argo's controller appends to the ``main`` container, in its order (``workflowpod.go``, the default
    pod layout with init and wait containers, default controller settings).

    ``ARGO_TEMPLATE`` goes to the init container only (the main container's emissary reads the template from
    /var/run/argo/template); ``ARGO_WORKFLOW_NAME`` joined the list in 4.1.0 (argo@v4.1.2
    workflow/controller/workflowpod.go:644-649; absent from v4.0.10 and v3.7.18). The progress variables are set
    because the controller's progress ticks default to 1m and 3s (``controller.go``)."""
    parsed = facts.parse_version(argo_version)
    env = [
        {"name": "ARGO_CONTAINER_NAME", "value": "main"},
        {"name": "ARGO_NODE_ID", "value": pod_name},
        {"name": "ARGO_INCLUDE_SCRIPT_OUTPUT", "value": "false"},
        {"name": "ARGO_DEADLINE", "value": "0001-01-01T00:00:00Z"},
    ]
    if parsed is not None and (parsed.major, parsed.minor) >= (4, 1):
        env.append({"name": "ARGO_WORKFLOW_NAME", "value": workflow_name})
    env += [
        {"name": "ARGO_PROGRESS_FILE", "value": "/var/run/argo/progress"},
        {"name": "ARGO_PROGRESS_PATCH_TICK_DURATION", "value": "1m0s"},
        {"name": "ARGO_PROGRESS_FILE_TICK_DURATION", "value": "3s"},
    ]
    return env


_IGNORED_TEMPLATE = ("tolerations", "affinity", "nodeSelector", "priorityClassName", "podSpecPatch")
_IGNORED_CONTAINER = ("resources", "imagePullPolicy")


def scheduling_notes(tmpl: Mapping[str, Any], container: Mapping[str, Any]) -> list[str]:
    """What the template asks of a cluster that one local container cannot honour: said, not silently dropped."""
    ignored = [f for f in _IGNORED_TEMPLATE if tmpl.get(f)] + [f"container.{f}" for f in _IGNORED_CONTAINER
                                                              if container.get(f)]
    notes = [f"{', '.join(ignored)} ignored here (cluster scheduling and limits)"] if ignored else []
    for e in container.get("envFrom") or []:
        ref = e.get("secretRef") or e.get("configMapRef") or {}
        notes.append(f"envFrom {ref.get('name')} is not read here (a Secret or ConfigMap); pass the variables "
                     "you need with env={...}")
    return notes


_SHELLS = frozenset(f"{d}{sh}" for d in ("", "/bin/", "/usr/bin/") for sh in ("sh", "bash", "ash", "dash"))


def _umask_wrapped(command: Sequence[str]) -> list[str] | None:
    """For docker, which has no ``--umask``: a command run by a shell becomes ``<shell> -c 'umask 0000 && exec
    "$@"' sh <command...>``, so the very same argv runs with Argo's umask 0 in the same process (the signals of
    ``--init`` still reach it). None for any other command: whether the image has a shell is unknown."""
    if command and command[0] in _SHELLS:
        return [command[0], "-c", 'umask 0000 && exec "$@"', "sh", *command]
    return None


def _run_argv(rt: Runtime, cname: str, pod_name: str, image: str, info: Mapping[str, Any], arch: str | None,
              user: str | None, groups: Sequence[str], container: Mapping[str, Any], tmpl: Mapping[str, Any],
              read_only: bool, env: Mapping[str, str], mounts: Sequence[Mount], command: Sequence[str],
              cargs: Sequence[str], *, keep: bool) -> list[str]:
    argv = ["run", "--name", cname, "--hostname", pod_name[:63], "--pull", "never", "--init"]
    if not keep:
        argv.append("--rm")
    image_arch = str(info.get("Architecture") or "")
    run_arch = platform_arch(arch) if arch else image_arch
    if run_arch and run_arch != host_arch():
        argv += ["--arch", run_arch] if rt.is_podman else ["--platform", f"linux/{run_arch}"]
    if user is not None:
        argv += ["--user", user]
    for g in groups:
        argv += ["--group-add", g]
    c_sc = container.get("securityContext") or {}
    pod_sc = tmpl.get("securityContext") or {}
    if read_only or c_sc.get("readOnlyRootFilesystem"):
        argv.append("--read-only")
        if rt.is_podman:
            argv.append("--read-only-tmpfs=false")
    if c_sc.get("privileged"):
        argv.append("--privileged")
    caps = c_sc.get("capabilities") or {}
    for cap in caps.get("drop") or []:
        argv.append(f"--cap-drop={cap}")
    for cap in caps.get("add") or []:
        argv.append(f"--cap-add={cap}")
    if c_sc.get("allowPrivilegeEscalation") is False:
        argv += ["--security-opt", "no-new-privileges"]
    seccomp = (c_sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
    if seccomp == "Unconfined":
        argv += ["--security-opt", "seccomp=unconfined"]
    if rt.is_podman:
        argv += ["--umask", "0000"]  # Argo's emissary sets umask 0 before exec'ing the command
    else:
        command = _umask_wrapped(command) or command
    if container.get("workingDir"):
        argv += ["--workdir", str(container["workingDir"])]
    for k, v in env.items():
        argv += ["--env", f"{k}={v}"]
    relabel = selinux_enforcing()
    for m in mounts:
        if ":" in str(m.source) or ":" in m.target or "," in m.target:
            raise AthenaError(f"cannot bind {m.source} at {m.target}: ':' or ',' in a path")
        opts = (["ro"] if m.read_only else []) + (["z"] if relabel and m.scratch else [])
        argv += ["--volume", f"{m.source}:{m.target}{':' + ','.join(opts) if opts else ''}"]
    if command:
        argv += ["--entrypoint", command[0], image, *command[1:], *cargs]
    else:
        argv += [image, *cargs]
    return argv
