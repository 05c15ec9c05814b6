"""The emitted bootstrap, run by `athena.local.pod.emulate` in podman exactly as Argo would run the pod.

The bundle is hand-made (tests/local/pod/conftest.py): its `app-<arch>/run` is a shell script standing in for the
runtime, so these tests depend only on the emitter, the bootstrap and emulate. Needs `scripts/setup-podman`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from podman_app import (
    IMAGE_BB,
    IMAGE_BB_ARM64,
    RUN_AARCH64,
    RUN_X86,
    emit_templates,
    make_bundle,
)

from athena.errors import AthenaError
from athena.local.pod import EmulateResult, PodOptions, Runtime, emulate, run_pod
from athena.runtime import protocol as proto

Templates = dict[str, dict[str, Any]]


def tpl(templates: Templates, suffix: str) -> dict[str, Any]:
    return next(t for name, t in templates.items() if name.endswith("-" + suffix))


def run(podman: Runtime, template: dict[str, Any], bundle: Path, **kw: Any) -> EmulateResult:
    kw.setdefault("stream_logs", False)
    return emulate(template, bundle=bundle, runtime=podman, **kw)


def slots(stdout: str) -> list[str]:
    seg = stdout.split("<<ARGS", 1)[1].split("ARGS>>", 1)[0]
    return seg.split("\036")[1:]


def field(stdout: str, key: str) -> str:
    for line in stdout.splitlines():
        for word in line.split():
            if word.startswith(key + "="):
                return word.split("=", 1)[1]
    raise AssertionError(f"{key}= not in output:\n{stdout}")


def test_args_arrive_as_json_text_slots_in_order(podman: Runtime, templates: Templates, bundle: Path) -> None:
    text = 'he said "hi" \u00fc\nline 2 $HOME {{x}} @/tmp/argo_arg_2.txt'
    args = {"text": json.dumps(text), "count": "7", "items": "[1, 2, 3]"}
    r = run(podman, tpl(templates, "echo-args"), bundle, args=args)
    assert r.exit_code == 0, r.stderr
    # the input's default fills the missing `flag`; every slot is the JSON text, unchanged, in signature order
    assert slots(r.stdout) == [json.dumps(text), "7", "[1, 2, 3]", "false"]
    # the script wrote the JSON plus "\n": Argo strips one trailing newline
    assert r.result_json == '{"text": ' + json.dumps(text) + ', "count": 7}'
    assert json.loads(r.result_json) == {"text": text, "count": 7}
    assert r.parameters == {"return": r.result_json}
    assert field(r.stdout, "script") == "/athena/bin/app-x86_64/run"
    assert (field(r.stdout, "uid"), field(r.stdout, "gid")) == ("8737", "8737")
    assert field(r.stdout, "home") == proto.HOME_DIR and field(r.stdout, "runtime") == "1"
    assert field(r.stdout, "template").endswith("-echo-args") and field(r.stdout, "argo") == "main"
    assert field(r.stdout, "tmp") == "writable"  # the athena-tmp emptyDir in an image without /tmp
    assert field(r.stdout, "rootfs") == "rw"
    assert r.succeeded and r.errors == ()


def test_kubelet_expands_dollar_references_in_args(podman: Runtime, templates: Templates, bundle: Path) -> None:
    # What every pod does to argv: `$$` → `$`, `$(VAR)` of a container env var → its value; others stay.
    text = "cost $$5 $(ATHENA_ENTRY) $(NOPE) $HOME"
    r = run(podman, tpl(templates, "echo-args"), bundle, args={"text": json.dumps(text), "count": "1", "items": "[]"})
    assert r.exit_code == 0, r.stderr
    entry = tpl(templates, "echo-args")["container"]["env"][1]["value"]
    assert slots(r.stdout)[0] == json.dumps(f"cost $5 {entry} $(NOPE) $HOME")


def test_args_above_128k_are_offloaded_like_argo_3_7(podman: Runtime, templates: Templates, bundle: Path) -> None:
    big = json.dumps("x" * 200_000)
    t = tpl(templates, "echo-args")
    r = run(podman, t, bundle, args={"text": big, "count": "1", "items": "[]"})
    assert r.exit_code == 0, r.stderr
    # argv after /bin/sh is ["-c", <bootstrap>, "--", slot0, ...]: slot k is written to /tmp/argo_arg_<k+3>.txt
    assert slots(r.stdout) == ["@/tmp/argo_arg_3.txt", "1", "[]", "false"]
    assert field(r.stdout, "argfile") == str(len(big))
    assert field(r.stdout, "argsenv") == "/argo/config/ARGO_CONTAINER_ARGS_FILE"
    with pytest.raises(AthenaError, match="argument list too long"):
        run(podman, t, bundle, args={"text": big, "count": "1", "items": "[]"}, argo_version="3.6")


def test_exit_code_is_propagated(podman: Runtime, templates: Templates, bundle: Path) -> None:
    r = run(podman, tpl(templates, "fail-with"), bundle, args={"code": "3"})
    assert r.exit_code == 3 and "failing with 3" in r.stderr
    assert r.result_json is None and not r.succeeded


def test_read_only_root_filesystem(podman: Runtime, templates: Templates, bundle: Path) -> None:
    r = run(podman, tpl(templates, "echo-args"), bundle, read_only=True,
            args={"text": '"ro"', "count": "2", "items": "[]"})
    assert r.exit_code == 0, r.stderr
    assert field(r.stdout, "rootfs") == "ro"
    assert field(r.stdout, "tmp") == "writable"  # no podman tmpfs: /tmp is the athena-tmp emptyDir
    assert json.loads(r.result_json or "") == {"text": "ro", "count": 2}


def test_without_the_tmp_volume_a_busybox_image_has_no_tmp(podman: Runtime, templates: Templates,
                                                            bundle: Path) -> None:
    t = tpl(templates, "no-tmp")
    assert [v["name"] for v in t["volumes"]] == [proto.WORK_VOLUME]
    r = run(podman, t, bundle, args={"x": "5"})
    assert r.exit_code == 0, r.stderr
    assert field(r.stdout, "tmp") == "missing" and r.result_json == "5"


def test_bundle_without_this_arch_exits_70(podman: Runtime, templates: Templates, tmp_path: Path) -> None:
    only_arm = make_bundle(tmp_path / "arm.tar.gz", {"aarch64": RUN_AARCH64})
    r = run(podman, tpl(templates, "fail-with"), only_arm, args={"code": "0"})
    assert r.exit_code == proto.EXIT_UNSUPPORTED_ARCH
    assert "athena: the bundle at /athena/bin has no app-x86_64" in r.stderr


def test_bootstrap_without_this_arch_exits_70(podman: Runtime, app_dir: Path, bundle: Path) -> None:
    arm_only = emit_templates(app_dir, targets=["aarch64"])
    r = run(podman, tpl(arm_only, "fail-with"), bundle, args={"code": "0"})
    assert r.exit_code == proto.EXIT_UNSUPPORTED_ARCH
    assert "athena: unsupported architecture x86_64; this bundle has: aarch64" in r.stderr


def test_arm64_image_under_qemu_picks_app_aarch64(podman: Runtime, qemu_aarch64: None, templates: Templates,
                                                  bundle: Path) -> None:
    r = run(podman, tpl(templates, "fail-with"), bundle, image=IMAGE_BB_ARM64, args={"code": "0"})
    assert r.exit_code == 0, r.stderr
    assert "script=/athena/bin/app-aarch64/run machine=aarch64 args=1" in r.stdout
    assert r.result_json == '"aarch64"'


def test_host_mounts_and_artifact_ports(podman: Runtime, templates: Templates, bundle: Path,
                                        tmp_path: Path) -> None:
    t = tpl(templates, "ports")
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    os.chmod(hostdir, 0o777)
    arts = tmp_path / "s3"
    (arts / "emutest").mkdir(parents=True)
    (arts / "emutest" / "in.txt").write_text("from-s3")
    env = {"IN": proto.artifact_path("in", "emutest/in.txt"),
           "OUT": proto.artifact_path("out", "emutest/{workflow_uid}/out.txt"),
           "HOSTDIR": proto.host_mount_path("/var/cache/athena-emutest")}
    r = run(podman, t, bundle, args={"label": '"L1"'}, artifacts_dir=arts, env=env, workflow_uid="wf-1",
            host_paths={"/var/cache/athena-emutest": hostdir})
    assert r.exit_code == 0, r.stderr
    assert r.result_json == '"from-s3"'
    assert (hostdir / "seen.txt").read_text() == "from-s3"
    out = arts / "emutest" / "wf-1" / "out.txt"
    assert r.outputs == {"emutest/wf-1/out.txt": out} and out.read_text() == '"L1"'


def test_missing_input_artifact_and_host_path_are_errors(podman: Runtime, templates: Templates, bundle: Path,
                                                         tmp_path: Path) -> None:
    t = tpl(templates, "ports")
    with pytest.raises(AthenaError, match=r"required input artifact 'emutest-in-txt-.*' not supplied"):
        run(podman, t, bundle, args={"label": '"x"'}, artifacts_dir=tmp_path,
            host_paths={"/var/cache/athena-emutest": tmp_path})
    with pytest.raises(AthenaError, match=r"hostPath volume .*/var/cache/athena-emutest.*host_paths"):
        run(podman, t, bundle, args={"label": '"x"'}, host_paths={"/var/cache/athena-emutest": tmp_path / "nope"})


def test_timeout_sends_sigterm(podman: Runtime, templates: Templates, bundle: Path) -> None:
    r = run(podman, tpl(templates, "sleepy"), bundle, args={"seconds": "30"}, timeout=1.0, grace_period=10)
    assert r.timed_out and r.exit_code == 143  # SIGTERM reached the command (under --init, as under the emissary)


def test_python_in_the_image(podman: Runtime, templates: Templates, bundle: Path) -> None:
    r = run(podman, tpl(templates, "with-python"), bundle, args={"count": "3"}, read_only=True)
    assert r.exit_code == 0, r.stderr
    assert "python 3.11.2 uid 8737" in r.stdout and r.result_json == "[0, 1, 2]"


def test_image_provider_bundle_without_libc(podman: Runtime, templates: Templates, tmp_path: Path) -> None:
    no_libc = make_bundle(tmp_path / "image.tar.gz", {"x86_64": RUN_X86}, loader=False)
    r = run(podman, tpl(templates, "with-python"), no_libc, args={"count": "2"})
    assert r.exit_code == 0, r.stderr


def test_errors_before_the_pod_starts(podman: Runtime, templates: Templates, bundle: Path, tmp_path: Path) -> None:
    t = tpl(templates, "fail-with")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(AthenaError, match="is not a gzip-compressed tarball"):
        run(podman, t, junk, args={"code": "0"})
    with pytest.raises(AthenaError, match="does not exist"):
        run(podman, t, tmp_path / "missing.tar.gz", args={"code": "0"})
    with pytest.raises(AthenaError, match=r"no value for parameter.*code"):
        run(podman, t, bundle)
    with pytest.raises(AthenaError, match=r"unknown parameter.*codee"):
        run(podman, t, bundle, args={"code": "0", "codee": "1"})
    with pytest.raises(AthenaError, match=r"localhost/athena-nope:1 is not present.*setup-podman"):
        run(podman, t, bundle, args={"code": "0"}, image="localhost/athena-nope:1", pull=False)


def test_umask_is_0000_like_argo_s_emissary(podman: Runtime) -> None:
    # The emissary sets umask 0 before exec'ing the command: files the step creates are 0666 (docker has no
    # --umask: its shell commands get the umask set by the executor's wrapper, same argv and PID)
    t = {"name": "umask", "container": {"image": IMAGE_BB, "command": ["/bin/sh", "-c", 'umask; echo "$0" "$@"',
                                                                       "zero", "a b", "$$HOME"]}}
    r = run_pod(t, {}, bundle=None, options=PodOptions(runtime=podman, stream_logs=False, pull=False))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["0000", "zero a b $HOME"]
