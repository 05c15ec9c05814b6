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


def _local_key(key: str) -> str:
    return key.replace("{workflow_uid}", LOCAL_RUN.get())


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

    p = os.path.join(store, _local_key(key)) if store is not None else artifact_path("in", key)
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

    p = os.path.join(store, _local_key(key)) if store is not None else artifact_path("out", key)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def save_artifact_str(key: str, data: str) -> None:
    save_artifact(key, data)
