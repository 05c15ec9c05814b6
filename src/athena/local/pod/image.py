"""Images and the pod's identity: pulling and inspecting the image, the kubelet's ``runAsNonRoot`` checks, the
user and groups the container runs as."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from typing import Any

from athena.errors import AthenaError
from athena.local.pod.containers import Runtime, tail
from athena.runtime.protocol import platform_arch

__all__ = ["ensure_image", "host_arch", "pull_hint", "security"]


def host_arch() -> str:
    """This machine's architecture as images name it (``amd64``, ``arm64``)."""
    return platform_arch(platform.machine().lower())


def ensure_image(rt: Runtime, image: str, arch: str | None, pull: bool) -> dict[str, Any]:
    """The image's ``inspect`` record, pulling it (for ``arch`` when given) if it is absent and ``pull``."""
    want = platform_arch(arch) if arch else None
    info = _inspect(rt, image)
    if info is not None and (want is None or info.get("Architecture") == want):
        return info
    if not pull:
        raise AthenaError(f"image {image} is not present locally{f' for {want}' if want else ''} "
                          f"(pulling is off); for athena's test images: {rt.setup_hint}")
    argv = ["pull", image] if want is None else (
        ["pull", "--arch", want, image] if rt.is_podman else ["pull", "--platform", f"linux/{want}", image])
    proc = rt.run(*argv, timeout=None)
    info = _inspect(rt, image)
    if proc.returncode != 0 or info is None:
        raise AthenaError(f"image {image} is not present locally and could not be pulled: {tail(proc.stderr, 3)}"
                          f"\nhint: {pull_hint(rt, image)}")
    return info


def pull_hint(rt: Runtime, image: str) -> str:
    """One line: the three ways to run without pulling (offline, or behind a registry this machine cannot reach)."""
    made = "scripts/setup-podman builds it" if rt.is_podman else "scripts/setup-docker loads it from podman"
    return (f"run a local image instead with `--image localhost/athena-bb:1` ({made}), set "
            f"[bootstrap].default_image (or the container's image=) to an image this machine has, or copy it here: "
            f"`{rt.name} pull {image} && {rt.name} save -o image.tar {image}` where the registry is reachable, "
            f"then `{rt.name} load -i image.tar`")


def _inspect(rt: Runtime, image: str) -> dict[str, Any] | None:
    proc = rt.run("image", "inspect", image)
    if proc.returncode != 0:
        if "cannot connect" in proc.stderr.lower() or "permission denied" in proc.stderr.lower():
            hint = "" if rt.is_podman else (
                f"\nhint: is the Docker engine running, and does DOCKER_HOST={rt.env.get('DOCKER_HOST') or ''} "
                f"(empty: the default socket) point at it? {rt.setup_hint}")
            raise AthenaError(f"{rt.name} does not work here: {tail(proc.stderr, 5)}{hint}")
        return None
    data = json.loads(proc.stdout or "[]")
    return dict(data[0]) if data else None


def security(tmpl: Mapping[str, Any], container: Mapping[str, Any], info: Mapping[str, Any],
             name: str) -> tuple[str | None, list[str]]:
    """The ``--user`` and ``--group-add`` values of the pod's securityContext, after the kubelet's
    ``runAsNonRoot`` checks against the image's user."""
    pod_sc = tmpl.get("securityContext") or {}
    c_sc = container.get("securityContext") or {}

    def pick(key: str) -> Any:
        return c_sc.get(key, pod_sc.get(key))

    uid, gid, non_root = pick("runAsUser"), pick("runAsGroup"), pick("runAsNonRoot")
    image_user = str((info.get("Config") or {}).get("User") or "")
    if non_root:
        effective = uid
        if effective is None:
            u = image_user.split(":", 1)[0]
            if not u or u == "root":
                raise AthenaError(f"{name}: CreateContainerConfigError: container has runAsNonRoot and image will "
                                  "run as root")
            if not u.isdigit():
                raise AthenaError(f"{name}: CreateContainerConfigError: container has runAsNonRoot and image has "
                                  f"non-numeric user ({u}), cannot verify user is non-root")
            effective = int(u)  # only checked: the image's USER (with its group) still applies, as on a node
        if int(effective) == 0:
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
