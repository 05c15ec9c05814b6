"""How the pod executor maps a template's securityContext onto `podman run` (no container is started).

readOnlyRootFilesystem → ``--read-only`` (without podman's extra tmpfs mounts, which a pod does not get);
runAsUser/runAsGroup → ``--user uid:gid`` (the container's context over the pod's, as the kubelet merges them);
fsGroup and supplementalGroups → ``--group-add``; runAsNonRoot is checked against the image's user first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from athena.errors import AthenaError
from athena.local.pod.containers import Runtime
from athena.local.pod.executor import _run_argv
from athena.local.pod.image import security
from athena.local.pod.volumes import Pod, mount_volumes

PODMAN = Runtime("podman", "/usr/bin/podman", {})
IMAGE = {"Architecture": "", "Config": {"User": ""}}


def argv(pod_sc: dict[str, Any] | None = None, c_sc: dict[str, Any] | None = None, *, read_only: bool = False,
         info: dict[str, Any] | None = None) -> list[str]:
    tmpl: dict[str, Any] = {"securityContext": pod_sc or {}}
    container: dict[str, Any] = {"securityContext": c_sc or {}}
    user, groups = security(tmpl, container, info or IMAGE, "t")
    return _run_argv(PODMAN, "c", "pod", "img", info or IMAGE, None, user, groups, container, tmpl, read_only,
                     {}, [], [], [], keep=False)


def option(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


def test_athena_defaults_run_as_8737_with_a_read_only_root_when_asked() -> None:
    pod = {"runAsNonRoot": True, "runAsUser": 8737, "runAsGroup": 8737, "seccompProfile": {"type": "RuntimeDefault"}}
    main = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}
    args = argv(pod, main)
    assert option(args, "--user") == ["8737:8737"]
    assert "--read-only" in args and "--read-only-tmpfs=false" in args
    assert "--cap-drop=ALL" in args and option(args, "--security-opt") == ["no-new-privileges"]


def test_read_only_follows_the_template_or_the_option() -> None:
    assert "--read-only" not in argv({"runAsUser": 1}, {})
    assert "--read-only" not in argv({"runAsUser": 1}, {"readOnlyRootFilesystem": False})
    assert "--read-only" in argv({"runAsUser": 1}, {}, read_only=True)


def test_a_user_without_a_group_keeps_the_images_group_choice() -> None:
    # the kubelet sets only the UID: the runtime then picks the group (0 for a UID the image does not know)
    assert option(argv({"runAsUser": 54321}), "--user") == ["54321"]
    assert option(argv({"runAsGroup": 7}, info={"Config": {"User": "1000"}}), "--user") == ["1000:7"]


def test_the_containers_context_wins_over_the_pods() -> None:
    args = argv({"runAsUser": 8737, "runAsGroup": 8737}, {"runAsUser": 54321, "runAsGroup": 54322})
    assert option(args, "--user") == ["54321:54322"]


def test_fs_group_and_supplemental_groups_are_added() -> None:
    args = argv({"runAsUser": 8737, "runAsGroup": 8737, "fsGroup": 2000, "supplementalGroups": [3000]})
    assert option(args, "--group-add") == ["3000", "2000"]


def test_no_identity_runs_as_the_images_user() -> None:
    # run_as_user=None: no runAsUser/runAsGroup/runAsNonRoot, so podman uses the image's USER
    args = argv({"seccompProfile": {"type": "RuntimeDefault"}})
    assert "--user" not in args


def test_run_as_non_root_is_checked_against_the_image() -> None:
    with pytest.raises(AthenaError, match="runAsNonRoot and image will run as root"):
        argv({"runAsNonRoot": True})
    with pytest.raises(AthenaError, match="non-numeric user"):
        argv({"runAsNonRoot": True}, info={"Config": {"User": "app"}})
    with pytest.raises(AthenaError, match="breaks non-root policy"):
        argv({"runAsNonRoot": True, "runAsUser": 0})
    assert option(argv({"runAsNonRoot": True}, info={"Config": {"User": "1000:1000"}}), "--user") == []


def test_empty_dirs_are_world_writable_for_any_uid(tmp_path: Path) -> None:
    """Like the kubelet's: the /athena and /tmp emptyDirs are 0777, so an arbitrary UID can write them."""
    pod = Pod(tmp_path)
    tmpl = {"volumes": [{"name": "athena-work", "emptyDir": {}}, {"name": "athena-tmp", "emptyDir": {}}]}
    container = {"volumeMounts": [{"name": "athena-work", "mountPath": "/athena"},
                                  {"name": "athena-tmp", "mountPath": "/tmp"}]}
    mount_volumes(pod, tmpl, container, {}, {})
    targets = {m.target: m for m in pod.mounts}
    assert set(targets) == {"/athena", "/tmp"}
    for m in targets.values():
        assert not m.read_only and (Path(m.source).stat().st_mode & 0o777) == 0o777
