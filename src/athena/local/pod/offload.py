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

__all__ = ["MAX_ARG_LEN", "MAX_EXEC_STRING", "offload_args", "offload_env", "offloads_args"]


MAX_ARG_LEN = facts.MAX_ENV_VAR_LEN  # Argo's MaxEnvVarLen (131,072): its offload thresholds compare with `>`
#: The longest argv or env string exec accepts: Linux's MAX_ARG_STRLEN (131,072) counts the terminating NUL.
#: So an argument of exactly 131,072 bytes is neither offloaded by Argo nor exec'd: E2BIG on every line.
MAX_EXEC_STRING = proto.MAX_VALUE_BYTES


def _too_long(what: str, size: int, name: str, hint: str) -> AthenaError:
    return AthenaError(f"{name}: the pod cannot start: {what} is {size} bytes, above the {MAX_EXEC_STRING}-byte exec "
                       f"limit (argument list too long; Linux counts the terminating NUL); {hint}")


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


def offload_env(env: dict[str, str], name: str) -> None:
    """An env var too large to exec stops the pod: Argo offloads only its own ``ARGO_TEMPLATE``, which is set on
    the init container, never on ``main``."""
    for k, v in env.items():
        size = len(f"{k}={v}".encode())
        if size > MAX_EXEC_STRING:
            raise _too_long(f"env var {k} (as `{k}=<value>`)", size, name, "Argo never offloads env vars")


def offloads_args(cargs: Sequence[str], argo_version: str, name: str) -> bool:
    """Whether this Argo version offloads ``cargs``; an arg the pod cannot exec on an older one is an error."""
    if _go_json_len(cargs) > MAX_ARG_LEN and _argo_supports_offload(argo_version):
        return True
    big = [i for i, a in enumerate(cargs) if len(a.encode("utf-8")) > MAX_EXEC_STRING]
    if big:
        raise _too_long(f"container arg {big[0]}", len(cargs[big[0]].encode()), f"{name} (Argo {argo_version})",
                        "Argo offloads args above 131072 bytes from 3.7.10/4.0.1; pass large values as "
                        "athena.Artifact[T]")
    return False


def offload_args(pod: Pod, command: Sequence[str], cargs: Sequence[str], env: dict[str, str],
                  user: str | None, name: str) -> list[str]:
    """What the controller + emissary do with args whose JSON is above 128 KiB: the args go to a ConfigMap
    mounted at /argo/config (``ARGO_CONTAINER_ARGS_FILE``); the emissary appends them to the command's own
    arguments and writes each single one above 131,072 bytes to ``/tmp/argo_arg_<i>.txt`` (``i`` = its index in
    the argv after the command name, so ``command[1:]`` counts: ``name, args := args[0], args[1:]``, then
    ``for i := 0; i < len(args); i++`` in argo@v4.1.2 cmd/argoexec/commands/emissary.go:99,118), passing ``@<file>``
    instead. The file holds the argument's bytes as they are."""
    _argo_config(pod, proto.ENV_ARGS_FILE, json.dumps(list(cargs), separators=(",", ":")))
    env[proto.ENV_ARGS_FILE] = f"{proto.ARGO_CONFIG_DIR}/{proto.ENV_ARGS_FILE}"
    full = [*command[1:], *cargs]
    out = list(cargs)
    tmp = pod.host_path(proto.TMP_DIR)
    first = len(command) - 1  # the index of cargs[0] in the emissary's argv
    for i, a in enumerate(full):
        size = len(a.encode("utf-8"))
        if i >= first and size == MAX_ARG_LEN:  # the emissary offloads only `len > MaxEnvVarLen`: exec fails
            raise _too_long(f"container arg {i - first}", size, name, "pass large values as athena.Artifact[T]")
        if i < first or size <= MAX_ARG_LEN:
            continue
        if tmp is None:
            raise AthenaError(f"{name}: Argo's emissary would fail (\"failed to write large arg {i} to file\"): the "
                              "container has no writable /tmp volume (athena's tmp_volume)")
        container_path = proto.offloaded_arg_path(i)
        target = tmp / PurePosixPath(container_path).name  # the emissary writes into /tmp
        target.write_bytes(a.encode("utf-8"))  # no newline translation, like Go's os.WriteFile
        os.chmod(target, 0o644)
        if os.geteuid() == 0 and user is not None:
            uid, _, gid = user.partition(":")
            if uid.isdigit():
                os.chown(target, int(uid), int(gid) if gid.isdigit() else 0)
        out[i - first] = "@" + container_path
    return out
