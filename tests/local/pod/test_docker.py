"""The pod executor with ``--runtime docker``: a representative set of the podman tests, run against the private
dockerd of scripts/setup-docker (Debian's docker.io 20.10) with the same images (copied from podman).

Each test below is the podman test of the same name, imported as it is: the module's ``podman`` fixture hands it the
docker runtime instead. Chosen to cover what differs between the two CLIs: a successful step (argv, UID, env,
result), a failing step's exit code, the read-only root without podman's tmpfs, bind mounts and output artifacts,
the timeout's ``docker kill --signal``, a foreign architecture (``--platform``), python in the image, a missing
image with pulling off, and the real bundle under a read-only root as an unknown UID.

In CI a docker that cannot be had fails these tests; elsewhere they skip, saying why (tests/conftest.py).
"""

from __future__ import annotations

import io
import os
import shutil

import pytest
from podman_app import IMAGE_BB
from test_podman import (
    test_args_above_128k_are_offloaded_like_argo_3_7,
    test_args_arrive_as_json_text_slots_in_order,
    test_arm64_image_under_qemu_picks_app_aarch64,
    test_errors_before_the_pod_starts,
    test_exit_code_is_propagated,
    test_host_mounts_and_artifact_ports,
    test_python_in_the_image,
    test_read_only_root_filesystem,
    test_timeout_sends_sigterm,
    test_umask_is_0000_like_argo_s_emissary,
)
from test_read_only_user import (  # with its module fixtures: the bundle it builds
    built,
    project,
    test_a_random_uid_without_a_group,
    test_default_uid_8737,
    test_run_as_user_54321,
    test_the_image_knows_none_of_the_uids,
)

from athena.errors import AthenaError
from athena.local.pod import PodOptions, Runtime, detect_runtime, run_pod

__all__ = [
    "built",
    "project",
    "test_a_random_uid_without_a_group",
    "test_args_above_128k_are_offloaded_like_argo_3_7",
    "test_args_arrive_as_json_text_slots_in_order",
    "test_arm64_image_under_qemu_picks_app_aarch64",
    "test_default_uid_8737",
    "test_errors_before_the_pod_starts",
    "test_exit_code_is_propagated",
    "test_host_mounts_and_artifact_ports",
    "test_python_in_the_image",
    "test_read_only_root_filesystem",
    "test_run_as_user_54321",
    "test_the_image_knows_none_of_the_uids",
    "test_timeout_sends_sigterm",
    "test_umask_is_0000_like_argo_s_emissary",
]


@pytest.fixture(scope="session")
def podman(docker: Runtime) -> Runtime:
    """Overrides tests/local/pod/conftest.py's ``podman`` for the tests imported here: they run in docker."""
    assert docker.name == "docker"
    return docker


def test_the_runtime_is_docker(podman: Runtime) -> None:
    proc = podman.run("version", "--format", "{{.Server.Version}}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("20.10."), proc.stdout  # Debian 12's docker.io


def test_without_a_shell_the_umask_difference_is_a_note(podman: Runtime) -> None:
    # docker has no --umask and a command that is not a shell cannot be wrapped: said, not silently different
    log = io.StringIO()
    t = {"name": "env", "container": {"image": IMAGE_BB, "command": ["env"]}}
    r = run_pod(t, {}, bundle=None, options=PodOptions(runtime=podman, stream_logs=False, pull=False, log=log))
    assert r.exit_code == 0, r.stderr
    assert "note: docker cannot set the umask" in log.getvalue()


def test_a_missing_image_points_at_setup_docker(podman: Runtime) -> None:
    t = {"name": "nope", "container": {"image": "localhost/athena-nope:1", "command": ["true"]}}
    with pytest.raises(AthenaError, match=r"localhost/athena-nope:1 is not present.*scripts/setup-docker"):
        run_pod(t, {}, bundle=None, options=PodOptions(runtime=podman, stream_logs=False, pull=False))


def test_an_engine_that_does_not_answer_names_docker_host() -> None:
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed")
    rt = detect_runtime("docker", environ={**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    t = {"name": "x", "container": {"image": IMAGE_BB, "command": ["true"]}}
    with pytest.raises(AthenaError, match=r"(?s)docker does not work here.*DOCKER_HOST=unix:///nonexistent/docker"
                                          r".*scripts/setup-docker"):
        run_pod(t, {}, bundle=None, options=PodOptions(runtime=rt, stream_logs=False, pull=False))
