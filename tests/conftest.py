from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from athena.local.pod import Runtime

REPO = Path(__file__).resolve().parent.parent

# Tests never use the user's own cache (~/.cache/athena): downloads and builds go to a cache of the checkout's
# (.athena/ is ignored by git), kept between runs so only the first one needs the network. Subprocesses inherit it.
os.environ["ATHENA_CACHE"] = str(REPO / ".athena" / "test-cache")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden/<feature>/expected.yaml and tests/golden/bootstrap.sh "
                          "from the current emitter (review the diff!)")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


# ------------------------------------------------------------------------------------------------------ docker
# The docker tests (tests/local/pod/test_docker.py, tests/local/run/test_run_podman.py's docker cases) run against
# the private dockerd of scripts/setup-docker (Debian's docker.io 20.10 on a unix socket of its own). In CI a docker
# that cannot be had is a broken set-up and fails; elsewhere those tests skip, saying why.
SETUP_DOCKER = REPO / "scripts" / "setup-docker"
DOCKER_HINT = "run `sudo scripts/setup-docker` (Debian 12, after scripts/setup-podman)"


def _no_docker(reason: str) -> NoReturn:
    message = f"docker is not available: {reason}; {DOCKER_HINT}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def docker_host() -> Iterator[str]:
    """``DOCKER_HOST`` of the private dockerd, set in ``os.environ`` for the session (``athena run --runtime docker``
    reads it). scripts/setup-docker reuses a running daemon; one started here is stopped at the end."""
    was_running = subprocess.run([str(SETUP_DOCKER), "status"], capture_output=True, text=True,
                                 check=False).returncode == 0
    if not was_running and os.geteuid() != 0:
        _no_docker("the private dockerd is not running and starting it needs root")
    proc = subprocess.run([str(SETUP_DOCKER)], capture_output=True, text=True, check=False, timeout=900)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("DOCKER_HOST=")]
    if proc.returncode != 0 or not lines:
        _no_docker("scripts/setup-docker failed:\n" + "\n".join(proc.stderr.strip().splitlines()[-15:]))
    host = lines[-1].removeprefix("DOCKER_HOST=")
    before = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = host
    try:
        yield host
    finally:
        if before is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = before
        if not was_running:
            subprocess.run([str(SETUP_DOCKER), "stop"], capture_output=True, check=False, timeout=120)


@pytest.fixture(scope="session")
def docker(docker_host: str) -> Runtime:
    """The docker CLI, talking to the private dockerd."""
    from athena.local.pod import detect_runtime  # not at import: ATHENA_CACHE above must come first

    rt = detect_runtime("docker")
    assert rt.env.get("DOCKER_HOST") == docker_host
    return rt
