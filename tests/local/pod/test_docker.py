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

import pytest
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
)
from test_read_only_user import (  # with its module fixtures: the bundle it builds
    built,
    project,
    test_a_random_uid_without_a_group,
    test_default_uid_8737,
    test_run_as_user_54321,
    test_the_image_knows_none_of_the_uids,
)

from athena.local.pod import Runtime

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
