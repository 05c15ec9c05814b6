"""A pod's filesystem on the host: its volumes (``emptyDir``, ``hostPath``, overrides), the mounts of the main
container, and the input artifacts Argo's init container places (:mod:`athena.local.pod.unpack`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from athena import names
from athena.errors import AthenaError
from athena.local.pod import unpack as argo_unpack
from athena.runtime import protocol as proto

__all__ = ["Mount", "Pod", "artifact_key", "check_bundle", "chown_created", "mount_volumes", "place_inputs",
           "safe_key", "selinux_enforcing", "under"]


def under(path: str, base: str) -> str | None:
    """``path`` relative to ``base`` when it is ``base`` or below it (``""`` for itself), else None."""
    b = base.rstrip("/") or "/"
    if path == b:
        return ""
    if b == "/":
        return path.lstrip("/")
    if path.startswith(b + "/"):
        return path[len(b) + 1:]
    return None


def safe_key(key: str, what: str) -> PurePosixPath:
    """An artifact key as a relative path under ``artifacts_dir`` (no absolute path, no ``..``)."""
    p = PurePosixPath(key)
    if not key or p.is_absolute() or ".." in p.parts:
        raise AthenaError(f"{what}: artifact key {key!r} cannot be mapped under artifacts_dir")
    return p


@dataclass
class Mount:
    """One bind mount of the main container: host ``source`` at container path ``target``."""

    source: Path
    target: str
    read_only: bool = False
    scratch: bool = True  # a directory emulate made (relabelled for SELinux), not a host directory


def selinux_enforcing() -> bool:
    """Whether scratch mounts need relabelling (``:z``) for the container to use them."""
    try:
        return Path("/sys/fs/selinux/enforce").read_text().strip() == "1"
    except OSError:
        return False


@dataclass
class Pod:
    """Host-side state of one emulated pod."""

    scratch: Path
    mounts: list[Mount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)  # paths written by the "init container"

    def host_path(self, container_path: str) -> Path | None:
        """The host file behind ``container_path`` when a mount covers it (the deepest one wins)."""
        best: tuple[int, Mount, str] | None = None
        for m in self.mounts:
            rel = under(container_path, m.target)
            if rel is not None and (best is None or len(m.target) > best[0]):
                best = (len(m.target), m, rel)
        if best is None:
            return None
        return best[1].source / best[2] if best[2] else best[1].source


def mount_volumes(pod: Pod, tmpl: Mapping[str, Any], container: Mapping[str, Any],
                  host_paths: Mapping[str, Path], overrides: Mapping[str, Path]) -> None:
    """Mount each ``volumeMounts`` entry, shallowest first, from its volume's host directory."""
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
                # a mount with no pod volume names a claim of the root's volumeClaimTemplates (WorkflowClaim)
                kind = ("workflow claim" if v is None and vname.startswith(names.VOLUME_PREFIXES["workflow_claim"] + "-")
                        else "undeclared" if v is None else next((k for k in v if k != "name"), "unknown"))
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
        pod.mounts.append(Mount(src, str(m["mountPath"]).rstrip("/") or "/", bool(m.get("readOnly")),
                                 scratch=str(m["name"]) not in host_dirs))


def place_inputs(pod: Pod, tmpl: Mapping[str, Any], bundle: Path, artifacts_dir: Path | None,
                 input_files: Mapping[str, Path], name: str) -> None:
    """Place every input artifact like Argo's init container: into the volume holding its path, else into a
    directory of its own mounted there."""
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
            key = artifact_key(a)
            if key is not None and artifacts_dir is not None:
                cand = Path(artifacts_dir) / safe_key(key, f"{name}: input artifact {aname}")
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
            pod.mounts.append(Mount(dest, path))
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


def check_bundle(tmpl: Mapping[str, Any], bundle: Path, name: str) -> None:
    """The template takes the athena bundle and ``bundle`` is a tarball Argo could unpack."""
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


def artifact_key(a: Mapping[str, Any]) -> str | None:
    """The key (or blob, path, url) of an artifact's repository location, if it has one."""
    for kind in ("s3", "gcs", "oss", "azure", "hdfs", "artifactory"):
        loc = a.get(kind)
        if isinstance(loc, Mapping):
            k = loc.get("key") or loc.get("blob") or loc.get("path") or loc.get("url")
            if k:
                return str(k)
    return None


def chown_created(pod: Pod, tmpl: Mapping[str, Any]) -> None:
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
