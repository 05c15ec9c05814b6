"""A pod's outputs: parameters read back like Argo's wait container, the result JSON, output artifacts."""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from athena.errors import AthenaError
from athena.local.argo.substitute import substitute
from athena.local.pod.containers import Runtime
from athena.local.pod.volumes import Pod, artifact_key
from athena.runtime import protocol as proto

__all__ = ["needs_copy", "read_parameters", "save_artifacts"]


def needs_copy(pod: Pod, tmpl: Mapping[str, Any]) -> bool:
    """Whether some output lives outside every mount, so the stopped container must be kept to copy it out."""
    outputs = tmpl.get("outputs") or {}
    paths = [str((p.get("valueFrom") or {}).get("path")) for p in outputs.get("parameters") or []
             if (p.get("valueFrom") or {}).get("path")]
    paths += [str(a["path"]) for a in outputs.get("artifacts") or [] if a.get("path")]
    return any(pod.host_path(p) is None for p in paths)


def read_from(rt: Runtime, pod: Pod, path: str, cname: str | None, dest_dir: Path) -> Path | None:
    """The host file holding container ``path``: in a mount, else copied out of the stopped container."""
    host = pod.host_path(path)
    if host is not None:
        return host if os.path.lexists(host) else None
    if cname is None:
        return None
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / (PurePosixPath(path).name or "root")
    proc = rt.run("cp", f"{cname}:{path}", str(dest))
    return dest if proc.returncode == 0 and os.path.lexists(dest) else None


def read_parameters(rt: Runtime, pod: Pod, tmpl: Mapping[str, Any],
                     cname: str | None) -> tuple[dict[str, str], str | None, list[str]]:
    """Every output parameter read back as Argo's wait container would, the result JSON, and what is missing."""
    params: dict[str, str] = {}
    errors: list[str] = []
    declared = (tmpl.get("outputs") or {}).get("parameters") or []
    for i, p in enumerate(declared):
        vf = p.get("valueFrom") or {}
        path = vf.get("path")
        if not path:
            continue
        host = read_from(rt, pod, str(path), cname, pod.scratch / "copied" / f"param-{i}")
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
        host = read_from(rt, pod, proto.RESULT_PATH, cname, pod.scratch / "copied" / "result")
        if host is not None and host.is_file():
            result = host.read_bytes().decode("utf-8", "replace").removesuffix("\n")
    return params, result, errors


def save_artifacts(rt: Runtime, pod: Pod, tmpl: Mapping[str, Any], artifacts_dir: Path | None,
                    params: Mapping[str, str], cname: str | None) -> tuple[dict[str, Path], list[str]]:
    """Copy every output artifact to ``artifacts_dir/<key>`` (raw for ``archive: none``, else a ``.tgz``)."""
    saved: dict[str, Path] = {}
    errors: list[str] = []
    for i, a in enumerate((tmpl.get("outputs") or {}).get("artifacts") or []):
        path = a.get("path")
        if not path:
            continue
        host = read_from(rt, pod, str(path), cname, pod.scratch / "copied" / f"art-{i}")
        if host is None:
            if not a.get("optional"):
                errors.append(f"output artifact {a['name']}: {path} no such file or directory")
            continue
        if artifacts_dir is None:
            continue
        key = substitute(artifact_key(a) or str(a["name"]), params)
        if "archive" in a and "none" in (a.get("archive") or {}):
            dest = _store_dest(artifacts_dir, key, f"output artifact {a['name']}")
            _replace(dest)
            if host.is_dir():
                shutil.copytree(host, dest, symlinks=True)
            else:
                shutil.copyfile(host, dest)
        else:
            dest = _store_dest(artifacts_dir, key, f"output artifact {a['name']}")
            _replace(dest)
            with tarfile.open(dest, "w:gz") as tf:
                tf.add(host, arcname=PurePosixPath(str(path)).name)
        saved[key] = dest
    return saved, errors


def _store_dest(artifacts_dir: Path, key: str, what: str) -> Path:
    """Where ``key`` lands under ``artifacts_dir``: a malformed key, or one that a symlink in the directory
    would send outside it, is refused (the same rule as the in-process store)."""
    from athena import ports

    try:
        return Path(ports.local_store_path(str(artifacts_dir), key))
    except AthenaError as exc:
        raise AthenaError(f"{what}: {exc}") from None


def _replace(dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_dir() and not dest.is_symlink():
        shutil.rmtree(dest)
    elif os.path.lexists(dest):
        dest.unlink()
