"""Helpers of the bundle tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import msgspec
import pytest

from athena import api
from athena.config import Config, load_config

FIXTURES = Path(__file__).parent / "fixtures"
HOST_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"

needs_x86_64 = pytest.mark.skipif(os.uname().machine != "x86_64", reason="runs the x86_64 bundle on the host")
needs_py311 = pytest.mark.skipif(HOST_PYTHON != "3.11", reason="the apt provider's bookworm Python is 3.11")


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def argo_unpack(tarball: Path, dest: Path) -> Path:
    """Unpack like Argo's executor: the lone top-level entry becomes ``dest``; only regular files (mode from
    the header) and directories (0755) are created, anything else is dropped. Returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as tf:
        for m in tf.getmembers():
            head, _, rest = m.name.partition("/")
            assert head == "bin", m.name
            target = dest / rest if rest else dest
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
                target.chmod(0o755)
            elif m.isreg():
                target.parent.mkdir(parents=True, exist_ok=True)
                f = tf.extractfile(m)
                assert f is not None
                target.write_bytes(f.read())
                target.chmod(m.mode & 0o777)
    return dest


def load_project(root: Path, app: str | None = None, **bootstrap: object) -> tuple[api.App, Config]:
    config = load_config(start=root, env={})
    if bootstrap:
        config = msgspec.structs.replace(config, bootstrap=msgspec.structs.replace(config.bootstrap, **bootstrap))
    src = root / "src"
    if src.is_dir() and str(src) not in sys.path:
        sys.path.insert(0, str(src))
    return api.load_app(app, config), config


def run_sh(args: list[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=dict(env) if env is not None else None, cwd=cwd, text=True,
                          capture_output=True, timeout=timeout, check=False)


def pod_env(**extra: str) -> dict[str, str]:
    """A pod-like environment: no PYTHON*, a minimal PATH."""
    env = {"PATH": "/usr/bin:/bin", "ATHENA_RUNTIME": "1", "LANG": "C"}
    env.update(extra)
    return env


def make_sdist(d: Path, name: str, version: str, files: dict[str, str], setup: str | None = None) -> Path:
    base = f"{name}-{version}"
    pyproject = (f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
                 f'[project]\nname = "{name.replace("_", "-")}"\nversion = "{version}"\n\n'
                 f'[tool.setuptools]\npackages = ["{name}"]\n')
    content = {"pyproject.toml": pyproject, "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
               **files}
    if setup:
        content["setup.py"] = setup
    path = d / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for rel, text in sorted(content.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def make_wheel(d: Path, name: str, version: str, tag: str, files: dict[str, str]) -> Path:
    info = f"{name}-{version}.dist-info"
    content = {**files,
               f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n",
               f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: athena-tests\nRoot-Is-Purelib: false\nTag: {tag}\n"}
    record = "".join(f"{p},,\n" for p in content) + f"{info}/RECORD,,\n"
    path = d / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for rel, text in sorted({**content, f"{info}/RECORD": record}.items()):
            zf.writestr(rel, text)
    return path
