"""Pod resources a container declares by calling these: host paths and S3 artifact ports.

The compiler finds every call statically (``athena.compile.ports``) and wires the template; in a pod these
functions read and write the mounted paths. Outside a pod they raise a clear error.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

#: Every port function, by name: the compiler recognises calls to these (``athena.compile.ports``) and
#: ``athena`` re-exports them.
PORT_FUNCTIONS = ("host", "load_artifact", "load_artifact_str", "save_artifact", "save_artifact_str")

#: Set by the in-process runner: artifact ports read and write files under this directory.
LOCAL_STORE: ContextVar[str | None] = ContextVar("athena_local_store", default=None)
#: The in-process run's id, standing in for Argo's ``{{workflow.uid}}`` in artifact keys.
LOCAL_RUN: ContextVar[str] = ContextVar("athena_local_run", default="local")


#: Host paths a container should not mount without a very good reason: the container runtime's sockets
#: (mounting one is root on the node), the kubelet's state (every pod's secrets), kernel interfaces and
#: the node's configuration. ``host()`` of one of these, of a path under one, or of a directory holding
#: one (``/var``) makes the compiler warn; it is not an error, a node agent may need exactly that.
SENSITIVE_HOST_PATHS = (
    "/etc", "/proc", "/sys", "/dev", "/boot", "/root",
    "/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd", "/run/containerd",
    "/var/run/crio", "/run/crio", "/var/run/secrets", "/run/secrets",
    "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/lib/etcd",
)


def host_path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a ``host()`` path, or None: it must be absolute, without ``..``, and not ``/``."""
    if not path.startswith("/"):
        return f"host path {path!r} is not absolute"
    if ".." in path.split("/"):
        return f"host path {path!r} contains a `..` segment"
    if normalize_host_path(path) == "/":
        return f"host path {path!r} is the node's root directory"
    return None


def normalize_host_path(path: str) -> str:
    """``path`` without repeated slashes, ``.`` segments or a trailing slash (``..`` is refused, not folded)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/" + "/".join(parts)


def sensitive_host_path(path: str) -> str | None:
    """The entry of :data:`SENSITIVE_HOST_PATHS` that the (normalized) ``path`` is, is under, or holds."""
    for s in SENSITIVE_HOST_PATHS:
        if path == s or path.startswith(s + "/") or s.startswith(path + "/"):
            return s
    return None


def artifact_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an artifact key, or None: relative, no empty, ``.`` or ``..`` segments."""
    if not key:
        return "artifact key is empty"
    if key.startswith("/"):
        return f"artifact key {key!r} is absolute (keys are relative to the artifact repository)"
    segments = key.split("/")
    if ".." in segments:
        return f"artifact key {key!r} contains a `..` segment"
    if "." in segments:
        return f"artifact key {key!r} contains a `.` segment"
    if "" in segments:
        return f"artifact key {key!r} contains an empty segment (`//` or a trailing `/`)"
    return None


def local_store_path(store: str, key: str) -> str:
    """The file of artifact ``key`` in the local directory ``store`` (in-process runs, emulation); refuses a
    key that is malformed or would resolve (through ``..`` or symlinks) outside the store."""
    from athena.errors import AthenaError

    problem = artifact_key_problem(key)
    if problem is not None:
        raise AthenaError(f"{problem}; use a relative key such as \"results/out.txt\"")
    path = os.path.join(store, key)
    root = os.path.realpath(store)
    real = os.path.realpath(path)
    if real != root and not real.startswith(root + os.sep):
        raise AthenaError(f"artifact key {key!r} resolves to {real}, outside the local store {root} (a symlink "
                          "in the store points out of it)")
    return path


def _local_key(key: str) -> str:
    key = key.replace("{workflow_uid}", LOCAL_RUN.get())
    if "{workflow_name}" in key:  # issue 13: the in-process run's generated name, as {{workflow.name}} on Argo
        from athena import wf

        current = wf.CURRENT.get()
        key = key.replace("{workflow_name}", str(current["name"]) if current else "local")
    return key


def _in_pod() -> bool:
    from athena.runtime.protocol import ENV_RUNTIME

    return os.environ.get(ENV_RUNTIME) == "1"


def _outside(fn: str) -> Exception:
    from athena.errors import AthenaError

    return AthenaError(
        f"athena.{fn}() works only inside a running container (athena container emulate, athena run, "
        "or a pod); a direct call of the container function has no mounts"
    )


def host(path: str) -> str:
    """Mount the node's ``path`` (hostPath) into this container and return where it is mounted."""
    problem = host_path_problem(path)
    if problem is not None:
        from athena.errors import AthenaError

        raise AthenaError(f"athena.host(): {problem}; pass an absolute directory such as \"/var/cache/models\"")
    path = normalize_host_path(path)  # the compiler mounted the normalized path
    if LOCAL_STORE.get() is not None:
        return path  # in-process: this machine is the node
    if not _in_pod():
        raise _outside("host")
    from athena.runtime.protocol import host_mount_path

    return host_mount_path(path)


def load_artifact(key: str, *, optional: bool = False) -> bytes | None:
    """The bytes stored at S3 ``key`` (an input port), or None when optional and absent."""
    store = LOCAL_STORE.get()
    if store is None and not _in_pod():
        raise _outside("load_artifact")
    from athena.runtime.protocol import artifact_path

    p = local_store_path(store, _local_key(key)) if store is not None else artifact_path("in", key)
    if not os.path.exists(p):
        if optional:
            return None
        from athena.errors import AthenaError

        raise AthenaError(f"input artifact {key!r} is missing at {p}")
    with open(p, "rb") as f:
        return f.read()


def load_artifact_str(key: str, *, optional: bool = False) -> str | None:
    data = load_artifact(key, optional=optional)
    return None if data is None else data.decode("utf-8")


def save_artifact(key: str, data: bytes | str) -> None:
    """Write ``data`` to the output port for S3 ``key``; Argo uploads it when the container ends."""
    store = LOCAL_STORE.get()
    if store is None and not _in_pod():
        raise _outside("save_artifact")
    from athena.runtime.protocol import artifact_path

    p = local_store_path(store, _local_key(key)) if store is not None else artifact_path("out", key)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def save_artifact_str(key: str, data: str) -> None:
    save_artifact(key, data)
