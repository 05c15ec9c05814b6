"""Fixtures for running emitted container templates in podman (tests/local/pod/test_podman.py).

These tests need rootful podman, tests/podman/containers.conf and the localhost/athena-* images: they FAIL (never
skip) with a pointer to `scripts/setup-podman` when something is missing.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from podman_app import (
    APP,
    IMAGE_BB,
    IMAGE_BB_ARM64,
    IMAGE_DEBPY,
    RUN_AARCH64,
    RUN_X86,
    emit_templates,
    make_bundle,
)

from athena.local.pod import Runtime, detect_runtime

REPO = Path(__file__).resolve().parents[3]
CONTAINERS_CONF = REPO / "tests" / "podman" / "containers.conf"
SETUP = "run `sudo scripts/setup-podman` (Debian 12) to install podman and build the localhost/athena-* images"
QEMU_BINFMT = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")


@pytest.fixture(scope="session")
def podman() -> Runtime:
    if shutil.which("podman") is None:
        pytest.fail(f"podman is not installed: {SETUP}", pytrace=False)
    if not CONTAINERS_CONF.is_file():
        pytest.fail(f"{CONTAINERS_CONF} is missing: {SETUP}", pytrace=False)
    rt = detect_runtime("podman", containers_conf=CONTAINERS_CONF)
    info = rt.run("info", "--format", "{{.Host.OCIRuntime.Name}}")
    if info.returncode != 0:
        pytest.fail(f"podman does not work here ({info.stderr.strip()[-300:]}): {SETUP}", pytrace=False)
    for image in (IMAGE_BB, IMAGE_BB_ARM64, IMAGE_DEBPY):
        if rt.run("image", "exists", image).returncode != 0:
            pytest.fail(f"image {image} is missing: {SETUP}", pytrace=False)
    return rt


@pytest.fixture(scope="session")
def qemu_aarch64(podman: Runtime) -> None:
    lines = QEMU_BINFMT.read_text().splitlines() if QEMU_BINFMT.is_file() else []
    if lines[:1] != ["enabled"] or not any(ln.startswith("flags:") and "F" in ln for ln in lines):
        pytest.fail(f"qemu-aarch64 is not registered with binfmt_misc (flag F): {SETUP}", pytrace=False)


@pytest.fixture(scope="session")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    d = tmp_path_factory.mktemp("emuapp")
    (d / "emutest_app.py").write_text(APP, encoding="utf-8")
    yield d
    sys.modules.pop("emutest_app", None)
    while str(d) in sys.path:
        sys.path.remove(str(d))


@pytest.fixture(scope="session")
def templates(app_dir: Path) -> dict[str, dict[str, Any]]:
    return emit_templates(app_dir)


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bundle")
    return make_bundle(d / "bundle.tar.gz", {"x86_64": RUN_X86, "aarch64": RUN_AARCH64})
