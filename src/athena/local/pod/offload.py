"""Argo's large-argument offload (3.7.10+/4.0.1+): what the controller and the emissary do with container args
and env vars above 128 KiB (:data:`athena.argo.facts.MAX_ENV_VAR_LEN`), reproduced on the host."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import PurePosixPath

from athena.argo import facts
from athena.errors import AthenaError
from athena.local.pod.volumes import Mount, Pod
from athena.runtime import protocol as proto

__all__ = ["MAX_ARG_LEN", "offload_args", "offload_env", "offloads_args"]


MAX_ARG_LEN = facts.MAX_ENV_VAR_LEN  # Argo's MaxEnvVarLen; also Linux's MAX_ARG_STRLEN


def _go_json_len(values: Sequence[str]) -> int:
    """``len(json.Marshal(values))``: Go escapes <, > and & (and U+2028/9) and keeps other UTF-8 as is."""
    text = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    extra = sum(text.count(c) for c in "<>&") * 5 + sum(text.count(c) for c in "\u2028\u2029") * 3
    return len(text.encode("utf-8")) + extra


def _argo_supports_offload(version: str) -> bool:
    parsed = facts.parse_version(version)
    if parsed is None:
        raise AthenaError(f"argo_version {version!r}: use X.Y or X.Y.Z")
    return facts.offloads_large_args(parsed)


def _argo_config(pod: Pod, key: str, value: str) -> None:
    """A key of the pod's offload ConfigMap, mounted at /argo/config."""
    conf = pod.scratch / "argo-config"
    if not conf.exists():
        conf.mkdir()
        os.chmod(conf, 0o755)
        pod.mounts.append(Mount(conf, proto.ARGO_CONFIG_DIR, read_only=True))
    (conf / key).write_text(value, encoding="utf-8")
    os.chmod(conf / key, 0o644)


def offload_env(pod: Pod, env: dict[str, str], name: str) -> None:
    """ARGO_TEMPLATE above 128 KiB goes to the ConfigMap (value ``offloaded``); any other env var that large
    cannot be exec'd."""
    template = env.get(proto.ENV_ARGO_TEMPLATE, "")
    if len(template.encode("utf-8")) > MAX_ARG_LEN:
        _argo_config(pod, proto.ENV_ARGO_TEMPLATE, template)
        env[proto.ENV_ARGO_TEMPLATE] = "offloaded"
    for k, v in env.items():
        if len(f"{k}={v}".encode()) > MAX_ARG_LEN:
            raise AthenaError(f"{name}: env var {k} is {len(v.encode())} bytes: above the {MAX_ARG_LEN}-byte exec "
                              "limit, the container cannot start (argument list too long)")


def offloads_args(cargs: Sequence[str], argo_version: str, name: str) -> bool:
    """Whether this Argo version offloads ``cargs``; an arg the pod cannot exec on an older one is an error."""
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


def offload_args(pod: Pod, command: Sequence[str], cargs: Sequence[str], env: dict[str, str],
                  user: str | None, name: str) -> list[str]:
    """What the controller + emissary do with args whose JSON is above 128 KiB: the args go to a ConfigMap
    mounted at /argo/config (``ARGO_CONTAINER_ARGS_FILE``); the emissary appends them to the command's own
    arguments and writes each single one above 128 KiB to ``/tmp/argo_arg_<i>.txt`` (``i`` = its index in the argv
    after the command name, so ``command[1:]`` counts), passing ``@<file>`` instead."""
    _argo_config(pod, proto.ENV_ARGS_FILE, json.dumps(list(cargs), separators=(",", ":")))
    env[proto.ENV_ARGS_FILE] = f"{proto.ARGO_CONFIG_DIR}/{proto.ENV_ARGS_FILE}"
    full = [*command[1:], *cargs]
    out = list(cargs)
    tmp = pod.host_path(proto.TMP_DIR)
    first = len(command) - 1  # the index of cargs[0] in the emissary's argv
    for i, a in enumerate(full):
        if i < first or len(a.encode("utf-8")) <= MAX_ARG_LEN:
            continue
        if tmp is None:
            raise AthenaError(f"{name}: Argo's emissary would fail (\"failed to write large arg {i} to file\"): the "
                              "container has no writable /tmp volume (athena's tmp_volume)")
        container_path = proto.offloaded_arg_path(i)
        target = tmp / PurePosixPath(container_path).name  # the emissary writes into /tmp
        target.write_text(a, encoding="utf-8")
        os.chmod(target, 0o644)
        if os.geteuid() == 0 and user is not None:
            uid, _, gid = user.partition(":")
            if uid.isdigit():
                os.chown(target, int(uid), int(gid) if gid.isdigit() else 0)
        out[i - first] = "@" + container_path
    return out
