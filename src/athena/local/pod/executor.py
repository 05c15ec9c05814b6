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
- ``timeout`` (else the template's ``activeDeadlineSeconds``/``timeout``): SIGTERM, then SIGKILL after
  ``grace_period`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from athena.errors import AthenaError
from athena.local.argo.substitute import substitute
from athena.local.pod import unpack as argo_unpack
from athena.runtime import protocol as proto

__all__ = ["EmulateResult", "Runtime", "detect_runtime", "emulate", "k8s_expand", "substitute"]

ENV_CONTAINERS_CONF = "ATHENA_CONTAINERS_CONF"
SETUP_HINT = "on Debian 12, `sudo scripts/setup-podman` in the athena repository sets podman up"
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


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


# ------------------------------------------------------------------------------------------------- runtime


@dataclass(frozen=True)
class Runtime:
    """A container CLI (``podman`` or ``docker``) and the environment to run it with."""

    name: str
    exe: str
    env: Mapping[str, str]

    @property
    def is_podman(self) -> bool:
        return self.name == "podman"

    def run(self, *argv: str, check: bool = False, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([self.exe, *argv], env=dict(self.env), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AthenaError(f"`{self.name} {' '.join(argv)}` failed (exit {proc.returncode}): "
                              f"{_tail(proc.stderr)}")
        return proc


def detect_runtime(runtime: str | None = None, *, containers_conf: Path | None = None) -> Runtime:
    """``runtime`` by name, else podman if installed, else docker. For podman, ``containers_conf`` (else
    ``$ATHENA_CONTAINERS_CONF``) becomes ``CONTAINERS_CONF`` (e.g. ``tests/podman/containers.conf``)."""
    if runtime is not None and runtime not in ("podman", "docker"):
        raise AthenaError(f"unknown container runtime {runtime!r}: use podman or docker")
    names = [runtime] if runtime else ["podman", "docker"]
    for n in names:
        exe = shutil.which(n)
        if exe:
            env = dict(os.environ)
            if n == "podman":
                conf = containers_conf or (Path(os.environ[ENV_CONTAINERS_CONF])
                                           if os.environ.get(ENV_CONTAINERS_CONF) else None)
                if conf is not None:
                    if not conf.is_file():
                        raise AthenaError(f"containers.conf {conf} does not exist ({SETUP_HINT})")
                    env["CONTAINERS_CONF"] = str(conf.resolve())
            return Runtime(n, exe, env)
    if runtime:
        raise AthenaError(f"`{runtime}` is not installed or not on PATH ({SETUP_HINT})")
    raise AthenaError(f"no container runtime found: install podman or docker ({SETUP_HINT})")


# -------------------------------------------------------------------------------------------- substitution


def k8s_expand(text: str, env: Mapping[str, str]) -> str:
    """The kubelet's ``$(VAR)`` expansion of command, args and env values (``expansion.Expand``)."""
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":  # escaped operator
            out.append("$")
            i += 2
        elif nxt == "(":
            close = text.find(")", i + 2)
            if close < 0:  # incomplete reference: kept
                out.append("$(")
                i += 2
            else:
                name = text[i + 2:close]
                out.append(env.get(name, f"$({name})"))
                i = close + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


# ------------------------------------------------------------------------------------------------- helpers


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _under(path: str, base: str) -> str | None:
    """``path`` relative to ``base`` when it is ``base`` or below it (``""`` for itself), else None."""
    b = base.rstrip("/") or "/"
    if path == b:
        return ""
    if b == "/":
        return path.lstrip("/")
    if path.startswith(b + "/"):
        return path[len(b) + 1:]
    return None


def _pod_name(workflow: str, template: str) -> str:
    prefix = f"{workflow}-{template}"[:52].rstrip("-.")
    return f"{prefix}-{secrets.randbelow(10**10):010d}"


def _safe_key(key: str, what: str) -> PurePosixPath:
    p = PurePosixPath(key)
    if not key or p.is_absolute() or ".." in p.parts:
        raise AthenaError(f"{what}: artifact key {key!r} cannot be mapped under artifacts_dir")
    return p


def _duration(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
    if not m:
        return None
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


@dataclass
class _Mount:
    source: Path
    target: str
    read_only: bool = False
    scratch: bool = True  # a directory emulate made (relabelled for SELinux), not a host directory


def _selinux_enforcing() -> bool:
    try:
        return Path("/sys/fs/selinux/enforce").read_text().strip() == "1"
    except OSError:
        return False


@dataclass
class _Pod:
    """Host-side state of one emulated pod."""

    scratch: Path
    mounts: list[_Mount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)  # paths written by the "init container"

    def host_path(self, container_path: str) -> Path | None:
        """The host file behind ``container_path`` when a mount covers it (the deepest one wins)."""
        best: tuple[int, _Mount, str] | None = None
        for m in self.mounts:
            rel = _under(container_path, m.target)
            if rel is not None and (best is None or len(m.target) > best[0]):
                best = (len(m.target), m, rel)
        if best is None:
            return None
        return best[1].source / best[2] if best[2] else best[1].source


# ----------------------------------------------------------------------------------------------- emulate


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
    tmpl = _container_template(template)
    _check_bundle(tmpl, bundle, str(tmpl.get("name") or "template"))
    rt = runtime if isinstance(runtime, Runtime) else detect_runtime(runtime, containers_conf=containers_conf)
    name = str(tmpl.get("name") or "template")
    values = _input_values(tmpl, args or {})
    uid = workflow_uid or str(uuid.uuid4())
    pod_name = _pod_name(workflow_name, name)
    globals_ = {
        "workflow.name": workflow_name, "workflow.uid": uid, "workflow.namespace": namespace,
        "workflow.serviceAccountName": str(tmpl.get("serviceAccountName") or "default"), "pod.name": pod_name,
    }
    tmpl = _substitute_template(tmpl, globals_, values)
    container: dict[str, Any] = dict(tmpl["container"])
    if image is not None:
        container["image"] = image
    for what in ("image", "command", "args", "env", "workingDir"):
        _no_expressions(container.get(what), f"container.{what}", name)

    # Env: the template's, then what Argo adds to `main`, then the caller's; then the pod-level pass and $(VAR).
    env_list: list[dict[str, Any]] = [dict(e) for e in container.get("env") or []]
    env_list += [
        {"name": "ARGO_CONTAINER_NAME", "value": "main"},
        {"name": "ARGO_TEMPLATE", "value": json.dumps(tmpl, separators=(",", ":"))},
        {"name": "ARGO_NODE_ID", "value": pod_name},
        {"name": "ARGO_INCLUDE_SCRIPT_OUTPUT", "value": "false"},
        {"name": "ARGO_DEADLINE", "value": "0001-01-01T00:00:00Z"},
        {"name": "ARGO_PROGRESS_FILE", "value": "/var/run/argo/progress"},
    ]
    for k, v in (env or {}).items():
        env_list = [e for e in env_list if e.get("name") != k] + [{"name": k, "value": v}]
    pod_params = {**globals_, **{f"inputs.parameters.{k}": v for k, v in values.items()}}
    env_list = substitute(env_list, pod_params)
    command = [str(c) for c in substitute(container.get("command") or [], pod_params)]
    cargs = [str(a) for a in substitute(container.get("args") or [], pod_params)]
    image_ref = str(substitute(container.get("image") or "", pod_params))
    if not image_ref:
        raise AthenaError(f"{name}: the template has no container image")
    env_values = _resolve_env(env_list, name, pod_name, namespace, globals_["workflow.serviceAccountName"])
    command = [k8s_expand(c, env_values) for c in command]
    offload = _offloads_args(cargs, argo_version, name)
    if not offload:
        cargs = [k8s_expand(a, env_values) for a in cargs]  # offloaded args never reach the kubelet

    info = _ensure_image(rt, image_ref, arch, pull)
    user, groups = _security(tmpl, container, info, name)
    deadline = timeout if timeout is not None else _template_deadline(tmpl)

    scratch = Path(tempfile.mkdtemp(prefix="athena-emulate-"))
    pod = _Pod(scratch)
    try:
        _volumes(pod, tmpl, container, host_paths or {}, volumes or {})
        _inputs(pod, tmpl, bundle, artifacts_dir, input_files or {}, name)
        _chown(pod, tmpl)
        if offload:
            cargs = _offload_args(pod, command, cargs, env_values, user, name)
        _offload_env(pod, env_values, name)
        for note in pod.notes:
            print(f"athena emulate: note: {note}", file=log or sys.stderr)
        needs_cp = _needs_copy(pod, tmpl)
        cname = f"athena-emulate-{secrets.token_hex(6)}"
        argv = _run_argv(rt, cname, pod_name, image_ref, info, arch, user, groups, container, tmpl, read_only,
                         env_values, pod.mounts, command, cargs, keep=needs_cp)
        code, out, err, timed_out = _run(rt, argv, cname, deadline, grace_period,
                                         log if stream_logs else None, stream_logs)
        try:
            if code in (125, 126, 127):
                _runtime_failure(rt, code, err, image_ref)
            parameters, result_json, errors = _read_parameters(rt, pod, tmpl, cname if needs_cp else None)
            outputs, art_errors = _save_artifacts(rt, pod, tmpl, artifacts_dir, pod_params,
                                                  cname if needs_cp else None)
        finally:
            if needs_cp:
                rt.run("rm", "-f", cname)
        return EmulateResult(code, result_json, out, err, outputs, parameters, (*errors, *art_errors), timed_out)
    finally:
        _cleanup(rt, scratch)


# ------------------------------------------------------------------------------------------ template parts


def _container_template(template: Mapping[str, Any]) -> dict[str, Any]:
    t: Mapping[str, Any] = template
    if "spec" in t and "container" not in t:
        spec = t["spec"]
        templates = spec.get("templates") or []
        entry = spec.get("entrypoint")
        picked = [x for x in templates if x.get("name") == entry] or templates[:1]
        if not picked:
            raise AthenaError("the document has no templates")
        t = picked[0]
    if "container" not in t:
        raise AthenaError(f"template {t.get('name', '?')!r} is not a container template")
    copy: dict[str, Any] = json.loads(json.dumps(t))  # a private, plain copy
    return copy


def _input_values(tmpl: Mapping[str, Any], args: Mapping[str, str]) -> dict[str, str]:
    declared = (tmpl.get("inputs") or {}).get("parameters") or []
    names = [str(p["name"]) for p in declared]
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise AthenaError(f"{tmpl.get('name')}: unknown parameter(s) {', '.join(unknown)} "
                          f"(parameters: {', '.join(names) or 'none'})")
    values: dict[str, str] = {}
    missing: list[str] = []
    for p in declared:
        n = str(p["name"])
        if n in args:
            values[n] = str(args[n])
        elif p.get("default") is not None:
            values[n] = str(p["default"])
        elif p.get("value") is not None:
            values[n] = str(p["value"])
        else:
            missing.append(n)
    if missing:
        raise AthenaError(f"{tmpl.get('name')}: no value for parameter(s) {', '.join(missing)} "
                          "(Argo: inputs.parameters.<name> had no value); pass them as args")
    return values


def _substitute_template(tmpl: dict[str, Any], globals_: Mapping[str, str],
                         values: Mapping[str, str]) -> dict[str, Any]:
    tmpl = substitute(tmpl, globals_)
    inputs = tmpl.get("inputs") or {}
    outputs = tmpl.get("outputs") or {}
    local: dict[str, str] = {f"inputs.parameters.{k}": v for k, v in values.items()}
    local["inputs.parameters"] = json.dumps([{"name": k, "value": v} for k, v in values.items()],
                                            separators=(",", ":"))
    for a in inputs.get("artifacts") or []:
        if a.get("path"):
            local[f"inputs.artifacts.{a['name']}.path"] = a["path"]
    for a in outputs.get("artifacts") or []:
        if a.get("path"):
            local[f"outputs.artifacts.{a['name']}.path"] = a["path"]
    for p in outputs.get("parameters") or []:
        path = (p.get("valueFrom") or {}).get("path")
        if path:
            local[f"outputs.parameters.{p['name']}.path"] = path
    out: dict[str, Any] = substitute(tmpl, local)
    return out


def _no_expressions(value: Any, where: str, name: str) -> None:
    if isinstance(value, str):
        if "{{=" in value.replace("{{ =", "{{="):
            raise AthenaError(f"{name}: {where} holds an expression tag ({value[:60]!r}); emulate does not evaluate "
                              "expressions: pass the resolved value (e.g. image=...)")
    elif isinstance(value, Mapping):
        for v in value.values():
            _no_expressions(v, where, name)
    elif isinstance(value, list):
        for v in value:
            _no_expressions(v, where, name)


def _resolve_env(env_list: Sequence[Mapping[str, Any]], name: str, pod_name: str, namespace: str,
                 service_account: str) -> dict[str, str]:
    fields = {"metadata.name": pod_name, "metadata.namespace": namespace, "metadata.uid": str(uuid.uuid4()),
              "spec.serviceAccountName": service_account, "spec.nodeName": platform.node(),
              "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}
    out: dict[str, str] = {}
    for e in env_list:
        n = str(e["name"])
        if "value" in e or "valueFrom" not in e:
            out[n] = k8s_expand(str(e.get("value") or ""), out)
            continue
        src = e["valueFrom"] or {}
        if "fieldRef" in src and src["fieldRef"].get("fieldPath") in fields:
            out[n] = fields[src["fieldRef"]["fieldPath"]]
            continue
        ref = src.get("secretKeyRef") or src.get("configMapKeyRef")
        if ref is not None and ref.get("optional"):
            continue
        raise AthenaError(f"{name}: env var {n} comes from {json.dumps(src)}, which emulate cannot read; "
                          f"pass its value with env={{{n!r}: ...}}")
    return out


def _template_deadline(tmpl: Mapping[str, Any]) -> float | None:
    cands = [d for d in (_duration(tmpl.get("activeDeadlineSeconds")), _duration(tmpl.get("timeout")))
             if d is not None]
    return min(cands) if cands else None


# ------------------------------------------------------------------------------------- large args (3.7.10+)

MAX_ARG_LEN = 131_072  # Argo's MaxEnvVarLen; also Linux's MAX_ARG_STRLEN


def _go_json_len(values: Sequence[str]) -> int:
    """``len(json.Marshal(values))``: Go escapes <, > and & (and U+2028/9) and keeps other UTF-8 as is."""
    text = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    extra = sum(text.count(c) for c in "<>&") * 5 + sum(text.count(c) for c in "\u2028\u2029") * 3
    return len(text.encode("utf-8")) + extra


def _argo_supports_offload(version: str) -> bool:
    parts = version.split(".")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise AthenaError(f"argo_version {version!r}: use X.Y or X.Y.Z")
    major, minor = int(parts[0]), int(parts[1])
    patch = int(parts[2]) if len(parts) == 3 else None  # None: the line's newest
    if (major, minor) == (3, 7):
        return patch is None or patch >= 10
    if (major, minor) == (4, 0):
        return patch is None or patch >= 1
    return (major, minor) > (4, 0)


def _argo_config(pod: _Pod, key: str, value: str) -> None:
    """A key of the pod's offload ConfigMap, mounted at /argo/config."""
    conf = pod.scratch / "argo-config"
    if not conf.exists():
        conf.mkdir()
        os.chmod(conf, 0o755)
        pod.mounts.append(_Mount(conf, "/argo/config", read_only=True))
    (conf / key).write_text(value, encoding="utf-8")
    os.chmod(conf / key, 0o644)


def _offload_env(pod: _Pod, env: dict[str, str], name: str) -> None:
    """ARGO_TEMPLATE above 128 KiB goes to the ConfigMap (value ``offloaded``); any other env var that large
    cannot be exec'd."""
    template = env.get("ARGO_TEMPLATE", "")
    if len(template.encode("utf-8")) > MAX_ARG_LEN:
        _argo_config(pod, "ARGO_TEMPLATE", template)
        env["ARGO_TEMPLATE"] = "offloaded"
    for k, v in env.items():
        if len(f"{k}={v}".encode()) > MAX_ARG_LEN:
            raise AthenaError(f"{name}: env var {k} is {len(v.encode())} bytes: above the {MAX_ARG_LEN}-byte exec "
                              "limit, the container cannot start (argument list too long)")


def _offloads_args(cargs: Sequence[str], argo_version: str, name: str) -> bool:
    if _go_json_len(cargs) <= MAX_ARG_LEN:
        return False
    if _argo_supports_offload(argo_version):
        return True
    big = [i for i, a in enumerate(cargs) if len(a.encode("utf-8")) > MAX_ARG_LEN]
    if big:
        raise AthenaError(f"{name}: on Argo {argo_version} the pod cannot start: container arg {big[0]} is "
                          f"{len(cargs[big[0]].encode())} bytes, above the {MAX_ARG_LEN}-byte exec limit "
                          "(argument list too long); Argo offloads large args from 3.7.10/4.0.1, or pass the value "
                          "as an Artifact")
    return False


def _offload_args(pod: _Pod, command: Sequence[str], cargs: Sequence[str], env: dict[str, str],
                  user: str | None, name: str) -> list[str]:
    """What the controller + emissary do with args whose JSON is above 128 KiB: the args go to a ConfigMap
    mounted at /argo/config (``ARGO_CONTAINER_ARGS_FILE``); the emissary appends them to the command's own
    arguments and writes each single one above 128 KiB to ``/tmp/argo_arg_<i>.txt`` (``i`` = its index in the argv
    after the command name, so ``command[1:]`` counts), passing ``@<file>`` instead."""
    _argo_config(pod, "ARGO_CONTAINER_ARGS_FILE", json.dumps(list(cargs), separators=(",", ":")))
    env["ARGO_CONTAINER_ARGS_FILE"] = "/argo/config/ARGO_CONTAINER_ARGS_FILE"
    full = [*command[1:], *cargs]
    out = list(cargs)
    tmp = pod.host_path("/tmp")
    first = len(command) - 1  # the index of cargs[0] in the emissary's argv
    for i, a in enumerate(full):
        if i < first or len(a.encode("utf-8")) <= MAX_ARG_LEN:
            continue
        if tmp is None:
            raise AthenaError(f"{name}: Argo's emissary would fail (\"failed to write large arg {i} to file\"): the "
                              "container has no writable /tmp volume (athena's tmp_volume)")
        target = tmp / f"argo_arg_{i}.txt"
        target.write_text(a, encoding="utf-8")
        os.chmod(target, 0o644)
        if os.geteuid() == 0 and user is not None:
            uid, _, gid = user.partition(":")
            if uid.isdigit():
                os.chown(target, int(uid), int(gid) if gid.isdigit() else 0)
        out[i - first] = f"@/tmp/argo_arg_{i}.txt"
    return out


# -------------------------------------------------------------------------------------------------- image


def _host_arch() -> str:
    m = platform.machine().lower()
    return _ARCHES.get(m, m)


def _ensure_image(rt: Runtime, image: str, arch: str | None, pull: bool) -> dict[str, Any]:
    want = _ARCHES.get(arch, arch) if arch else None
    info = _inspect(rt, image)
    if info is not None and (want is None or info.get("Architecture") == want):
        return info
    if not pull:
        raise AthenaError(f"image {image} is not present locally{f' for {want}' if want else ''} "
                          f"(pulling is off); for athena's test images: {SETUP_HINT}")
    argv = ["pull", image] if want is None else (
        ["pull", "--arch", want, image] if rt.is_podman else ["pull", "--platform", f"linux/{want}", image])
    proc = rt.run(*argv, timeout=None)
    info = _inspect(rt, image)
    if proc.returncode != 0 or info is None:
        raise AthenaError(f"image {image} is not present locally and could not be pulled: {_tail(proc.stderr, 5)}"
                          f"\nfor athena's test images (localhost/athena-*): {SETUP_HINT}")
    return info


def _inspect(rt: Runtime, image: str) -> dict[str, Any] | None:
    proc = rt.run("image", "inspect", image)
    if proc.returncode != 0:
        if "cannot connect" in proc.stderr.lower() or "permission denied" in proc.stderr.lower():
            raise AthenaError(f"{rt.name} does not work here: {_tail(proc.stderr, 5)}")
        return None
    data = json.loads(proc.stdout or "[]")
    return dict(data[0]) if data else None


def _security(tmpl: Mapping[str, Any], container: Mapping[str, Any], info: Mapping[str, Any],
              name: str) -> tuple[str | None, list[str]]:
    pod_sc = tmpl.get("securityContext") or {}
    c_sc = container.get("securityContext") or {}

    def pick(key: str) -> Any:
        return c_sc.get(key, pod_sc.get(key))

    uid, gid, non_root = pick("runAsUser"), pick("runAsGroup"), pick("runAsNonRoot")
    image_user = str((info.get("Config") or {}).get("User") or "")
    if non_root:
        if uid is None:
            u = image_user.split(":", 1)[0]
            if not u or u == "root":
                raise AthenaError(f"{name}: CreateContainerConfigError: container has runAsNonRoot and image will "
                                  "run as root")
            if not u.isdigit():
                raise AthenaError(f"{name}: CreateContainerConfigError: container has runAsNonRoot and image has "
                                  f"non-numeric user ({u}), cannot verify user is non-root")
            uid = int(u)
        if int(uid) == 0:
            raise AthenaError(f"{name}: CreateContainerConfigError: container's runAsUser breaks non-root policy")
    user: str | None = None
    if uid is not None:
        user = f"{uid}:{gid}" if gid is not None else str(uid)
    elif gid is not None:
        u = image_user.split(":", 1)[0] or "0"
        user = f"{u}:{gid}"
    groups = [str(g) for g in pod_sc.get("supplementalGroups") or []]
    if pod_sc.get("fsGroup") is not None:
        groups.append(str(pod_sc["fsGroup"]))
    return user, groups


# ------------------------------------------------------------------------------------------------ volumes


def _volumes(pod: _Pod, tmpl: Mapping[str, Any], container: Mapping[str, Any],
             host_paths: Mapping[str, Path], overrides: Mapping[str, Path]) -> None:
    declared = {str(v["name"]): v for v in tmpl.get("volumes") or []}
    sources: dict[str, Path] = {}
    host_dirs: set[str] = set()

    def source(vname: str) -> Path:
        if vname in sources:
            return sources[vname]
        v = declared.get(vname)
        if vname in overrides:
            host_dirs.add(vname)
            p = Path(overrides[vname]).resolve()
            if not p.exists():
                raise AthenaError(f"volume {vname}: {p} does not exist")
        elif v is not None and "hostPath" in v:
            host_dirs.add(vname)
            hp = str(v["hostPath"].get("path", ""))
            p = Path(host_paths.get(hp, hp)).resolve()
            if not p.exists():
                raise AthenaError(f"hostPath volume {vname} ({hp}): {p} does not exist on this machine; create it "
                                  f"or map it to a directory with host_paths={{{hp!r}: Path(...)}}")
        else:
            p = pod.scratch / "volumes" / vname
            p.mkdir(parents=True)
            os.chmod(p, 0o777)  # the kubelet creates emptyDirs world-writable
            if v is None or "emptyDir" not in v:
                kind = "undeclared" if v is None else next((k for k in v if k != "name"), "unknown")
                pod.notes.append(f"volume {vname} ({kind}) is an empty directory here; "
                                 f"pass volumes={{{vname!r}: Path(...)}} to provide its content")
        sources[vname] = p
        return p

    mounts = container.get("volumeMounts") or []
    for m in sorted(mounts, key=lambda m: len(str(m["mountPath"]).rstrip("/"))):
        src = source(str(m["name"]))
        if m.get("subPath"):
            src = src / str(m["subPath"])
            src.mkdir(parents=True, exist_ok=True)
        pod.mounts.append(_Mount(src, str(m["mountPath"]).rstrip("/") or "/", bool(m.get("readOnly")),
                                 scratch=str(m["name"]) not in host_dirs))


def _inputs(pod: _Pod, tmpl: Mapping[str, Any], bundle: Path, artifacts_dir: Path | None,
            input_files: Mapping[str, Path], name: str) -> None:
    arts = (tmpl.get("inputs") or {}).get("artifacts") or []
    unknown = sorted(set(input_files) - {str(a.get("name")) for a in arts})
    if unknown:
        raise AthenaError(f"{name}: no input artifact named {', '.join(unknown)}")
    raw_dir = pod.scratch / "downloads"
    for a in arts:
        aname, path = str(a["name"]), str(a.get("path") or "")
        if not path:
            raise AthenaError(f"{name}: input artifact {aname} has no path")
        optional = bool(a.get("optional"))
        src: Path | None = None
        if aname == proto.BUNDLE_ARTIFACT:
            src = Path(bundle)
        elif aname in input_files:
            src = Path(input_files[aname])
        elif "raw" in a:
            raw_dir.mkdir(exist_ok=True)
            src = raw_dir / aname
            src.write_text(str(a["raw"].get("data", "")), encoding="utf-8")
        else:
            key = _artifact_key(a)
            if key is not None and artifacts_dir is not None:
                cand = Path(artifacts_dir) / _safe_key(key, f"{name}: input artifact {aname}")
                src = cand if cand.exists() else None
            if src is None:
                if optional:
                    continue
                where = (f"{Path(artifacts_dir) / key}" if key and artifacts_dir else
                         f"key {key} (no artifacts_dir given)" if key else "no key")
                raise AthenaError(f"{name}: required input artifact '{aname}' not supplied ({where}); "
                                  f"pass input_files={{{aname!r}: Path(...)}} or put it under artifacts_dir")
        if not src.exists():
            raise AthenaError(f"{name}: input artifact {aname}: {src} does not exist")
        dest = pod.host_path(path)
        if dest is None:
            base = pod.scratch / "input-artifacts"
            base.mkdir(exist_ok=True)
            dest = base / aname
            pod.mounts.append(_Mount(dest, path))
        first_new = dest
        while not first_new.parent.exists():
            first_new = first_new.parent
        try:
            argo_unpack.load_artifact(src, dest, archive=a.get("archive"), mode=a.get("mode"),
                                      recurse_mode=bool(a.get("recurseMode")))
        except argo_unpack.UnpackError as exc:
            what = "the bundle tarball" if aname == proto.BUNDLE_ARTIFACT else f"input artifact {aname}"
            raise AthenaError(f"{name}: Argo's init container would fail unpacking {what} ({src}): {exc}") from exc
        pod.created.append(first_new)


def _check_bundle(tmpl: Mapping[str, Any], bundle: Path, name: str) -> None:
    arts = (tmpl.get("inputs") or {}).get("artifacts") or []
    art = next((a for a in arts if a.get("name") == proto.BUNDLE_ARTIFACT), None)
    if art is None:
        raise AthenaError(f"{name}: the template has no {proto.BUNDLE_ARTIFACT} input artifact; "
                          "is it a container template emitted by athena?")
    if not Path(bundle).is_file():
        raise AthenaError(f"bundle tarball {bundle} does not exist (build it with `athena build`)")
    if "archive" not in art and not argo_unpack.is_tarball(Path(bundle)):
        raise AthenaError(f"bundle {bundle} is not a gzip-compressed tarball (corrupt, empty or another format): "
                          f"Argo would place the raw file at {art.get('path')} and the bootstrap would fail; "
                          "rebuild it with `athena build`")


def _artifact_key(a: Mapping[str, Any]) -> str | None:
    for kind in ("s3", "gcs", "oss", "azure", "hdfs", "artifactory"):
        loc = a.get(kind)
        if isinstance(loc, Mapping):
            k = loc.get("key") or loc.get("blob") or loc.get("path") or loc.get("url")
            if k:
                return str(k)
    return None


def _chown(pod: _Pod, tmpl: Mapping[str, Any]) -> None:
    """Argo's init container runs with the pod's securityContext: what it writes belongs to that UID/GID."""
    if os.geteuid() != 0:
        return
    sc = tmpl.get("securityContext") or {}
    uid = int(sc.get("runAsUser", proto.DEFAULT_RUN_AS_USER))
    gid = int(sc.get("runAsGroup", 0 if "runAsUser" in sc else proto.DEFAULT_RUN_AS_USER))
    for top in pod.created:
        if not os.path.lexists(top):
            continue
        os.lchown(top, uid, gid)
        if top.is_dir() and not top.is_symlink():
            for root, dirs, files in os.walk(top):
                for n in dirs + files:
                    os.lchown(os.path.join(root, n), uid, gid)


# ------------------------------------------------------------------------------------------------------ run


def _needs_copy(pod: _Pod, tmpl: Mapping[str, Any]) -> bool:
    outputs = tmpl.get("outputs") or {}
    paths = [str((p.get("valueFrom") or {}).get("path")) for p in outputs.get("parameters") or []
             if (p.get("valueFrom") or {}).get("path")]
    paths += [str(a["path"]) for a in outputs.get("artifacts") or [] if a.get("path")]
    return any(pod.host_path(p) is None for p in paths)


def _run_argv(rt: Runtime, cname: str, pod_name: str, image: str, info: Mapping[str, Any], arch: str | None,
              user: str | None, groups: Sequence[str], container: Mapping[str, Any], tmpl: Mapping[str, Any],
              read_only: bool, env: Mapping[str, str], mounts: Sequence[_Mount], command: Sequence[str],
              cargs: Sequence[str], *, keep: bool) -> list[str]:
    argv = ["run", "--name", cname, "--hostname", pod_name[:63], "--pull", "never", "--init"]
    if not keep:
        argv.append("--rm")
    image_arch = str(info.get("Architecture") or "")
    run_arch = _ARCHES.get(arch, arch) if arch else image_arch
    if run_arch and run_arch != _host_arch():
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
    if container.get("workingDir"):
        argv += ["--workdir", str(container["workingDir"])]
    for k, v in env.items():
        argv += ["--env", f"{k}={v}"]
    relabel = _selinux_enforcing()
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


def _run(rt: Runtime, argv: list[str], cname: str, deadline: float | None, grace: float, log: IO[str] | None,
         stream: bool) -> tuple[int, str, str, bool]:
    sink = (log or sys.stderr) if stream else None
    lock = threading.Lock()
    with subprocess.Popen([rt.exe, *argv], env=dict(rt.env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        bufs: dict[str, list[bytes]] = {"out": [], "err": []}

        def pump(pipe: IO[bytes], key: str) -> None:
            for line in iter(pipe.readline, b""):
                bufs[key].append(line)
                if sink is not None:
                    with lock:
                        sink.write(line.decode("utf-8", "replace"))
                        sink.flush()

        threads = [threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
                   threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True)]
        for t in threads:
            t.start()
        timed_out = False
        try:
            try:
                proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                timed_out = True
                rt.run("kill", "--signal", "TERM", cname, timeout=30)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    rt.run("kill", "--signal", "KILL", cname, timeout=30)
                    proc.wait()
        except BaseException:
            rt.run("rm", "-f", cname, timeout=60)
            raise
        for t in threads:
            t.join()
    out = b"".join(bufs["out"]).decode("utf-8", "replace")
    err = b"".join(bufs["err"]).decode("utf-8", "replace")
    return proc.returncode, out, err, timed_out


def _runtime_failure(rt: Runtime, code: int, err: str, image: str) -> None:
    """Exit 125-127 with the runtime's own error message: the pod never ran the command."""
    lines = [ln for ln in err.splitlines() if ln.startswith(("Error:", "docker: Error", "Error response"))]
    if not lines:
        return
    msg = _tail("\n".join(lines), 5)
    hint = ""
    if "rlimit" in msg or "cgroups in hybrid mode" in msg:
        hint = (f"\nhint: use a containers.conf with runc and explicit ulimits (containers_conf=... or "
                f"${ENV_CONTAINERS_CONF}=tests/podman/containers.conf; {SETUP_HINT})")
    elif "container-init" in msg:
        hint = f"\nhint: `--init` needs catatonit (Debian: apt-get install catatonit; {SETUP_HINT})"
    elif "not found" in msg or "no such file" in msg.lower():
        hint = f"\nhint: the image {image} may lack the command (athena needs /bin/sh and uname in the image)"
    raise AthenaError(f"{rt.name} could not run the container (exit {code}): {msg}{hint}")


# -------------------------------------------------------------------------------------------------- outputs


def _read_from(rt: Runtime, pod: _Pod, path: str, cname: str | None, dest_dir: Path) -> Path | None:
    host = pod.host_path(path)
    if host is not None:
        return host if os.path.lexists(host) else None
    if cname is None:
        return None
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / (PurePosixPath(path).name or "root")
    proc = rt.run("cp", f"{cname}:{path}", str(dest))
    return dest if proc.returncode == 0 and os.path.lexists(dest) else None


def _read_parameters(rt: Runtime, pod: _Pod, tmpl: Mapping[str, Any],
                     cname: str | None) -> tuple[dict[str, str], str | None, list[str]]:
    params: dict[str, str] = {}
    errors: list[str] = []
    declared = (tmpl.get("outputs") or {}).get("parameters") or []
    for i, p in enumerate(declared):
        vf = p.get("valueFrom") or {}
        path = vf.get("path")
        if not path:
            continue
        host = _read_from(rt, pod, str(path), cname, pod.scratch / "copied" / f"param-{i}")
        value: str | None = None
        if host is not None and host.is_file():
            value = host.read_bytes().decode("utf-8", "replace")
        elif vf.get("default") is not None:
            value = str(vf["default"])
        else:
            errors.append(f"output parameter {p['name']}: open {path}: no such file or directory")
            continue
        params[str(p["name"])] = value.removesuffix("\n")
    result: str | None = params.get("return")
    if result is None and not any(p.get("name") == "return" for p in declared):
        host = _read_from(rt, pod, proto.RESULT_PATH, cname, pod.scratch / "copied" / "result")
        if host is not None and host.is_file():
            result = host.read_bytes().decode("utf-8", "replace").removesuffix("\n")
    return params, result, errors


def _save_artifacts(rt: Runtime, pod: _Pod, tmpl: Mapping[str, Any], artifacts_dir: Path | None,
                    params: Mapping[str, str], cname: str | None) -> tuple[dict[str, Path], list[str]]:
    saved: dict[str, Path] = {}
    errors: list[str] = []
    for i, a in enumerate((tmpl.get("outputs") or {}).get("artifacts") or []):
        path = a.get("path")
        if not path:
            continue
        host = _read_from(rt, pod, str(path), cname, pod.scratch / "copied" / f"art-{i}")
        if host is None:
            if not a.get("optional"):
                errors.append(f"output artifact {a['name']}: {path} no such file or directory")
            continue
        if artifacts_dir is None:
            continue
        key = substitute(_artifact_key(a) or str(a["name"]), params)
        if "archive" in a and "none" in (a.get("archive") or {}):
            dest = Path(artifacts_dir) / _safe_key(key, f"output artifact {a['name']}")
            _replace(dest)
            if host.is_dir():
                shutil.copytree(host, dest, symlinks=True)
            else:
                shutil.copyfile(host, dest)
        else:
            dest = Path(artifacts_dir) / _safe_key(key, f"output artifact {a['name']}")
            _replace(dest)
            with tarfile.open(dest, "w:gz") as tf:
                tf.add(host, arcname=PurePosixPath(str(path)).name)
        saved[key] = dest
    return saved, errors


def _replace(dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_dir() and not dest.is_symlink():
        shutil.rmtree(dest)
    elif os.path.lexists(dest):
        dest.unlink()


def _cleanup(rt: Runtime, scratch: Path) -> None:
    try:
        shutil.rmtree(scratch)
    except OSError:
        # Rootless podman: files the container wrote belong to a sub-UID this user cannot remove directly.
        if rt.is_podman:
            rt.run("unshare", "rm", "-rf", str(scratch))
        if scratch.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(scratch)

