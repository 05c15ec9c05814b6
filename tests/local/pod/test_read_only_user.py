"""The real bundle and runtime under a read-only root filesystem and a UID the image does not know (DESIGN §5.3).

A bundle built by `athena build` (the `local` interpreter: this machine's Python, its loader and libc) runs in the
busybox image, which has no /etc/passwd at all: the pod runs as 8737 (athena's default), as 54321 (from
`run_as_user=`) and as a UID drawn at random, always with `readOnlyRootFilesystem: true` from the template. The
executor turns those fields into `podman run --read-only --user uid:gid` (see test_security_unit.py); the step
reads its parameters, writes through /tmp (the athena-tmp emptyDir) and $HOME (under the /athena emptyDir), and
the test decodes the result the runtime wrote to /athena/result.

Needs rootful podman and the images of `scripts/setup-podman`; fails, never skips, without them.
"""

from __future__ import annotations

import json
import random
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from podman_app import IMAGE_BB

from athena import api
from athena.bundle import build_bundle
from athena.config import load_config
from athena.local.pod import EmulateResult, Runtime, emulate

HOST_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"

APP = f'''
import errno
import os
import tempfile

from athena import container

READ_ONLY = {{"readOnlyRootFilesystem": True}}


def _report(text: str, times: int) -> dict[str, str]:
    with tempfile.TemporaryFile("w+") as f:  # in /tmp: the athena-tmp emptyDir
        f.write(text * times)
        f.seek(0)
        written = f.read()
    home = os.path.join(os.environ["HOME"], "note.txt")  # $HOME is under the /athena emptyDir
    with open(home, "w") as f:
        f.write(written)
    try:
        open("/probe", "w").close()
        root = "writable"
    except OSError as exc:  # EROFS from a read-only root; a writable one owned by root would say EACCES
        root = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    return {{"text": written, "uid": str(os.getuid()), "gid": str(os.getgid()), "root": root,
            "tmp": tempfile.gettempdir(), "home": home}}


@container(image="{IMAGE_BB}", security_context=READ_ONLY)
def as_default(text: str, times: int) -> dict[str, str]:
    return _report(text, times)


@container(image="{IMAGE_BB}", security_context=READ_ONLY, run_as_user=54321)
def as_54321(text: str, times: int) -> dict[str, str]:
    return _report(text, times)
'''

TOML = f'''
[project]
name = "rouser"
app = ["rouser"]

[bootstrap]
interpreter = "local"
python = "{HOST_PYTHON}"
targets = ["x86_64"]
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("rouser")
    (root / "athena.toml").write_text(textwrap.dedent(TOML), encoding="utf-8")
    (root / "rouser.py").write_text(APP, encoding="utf-8")
    yield root
    sys.modules.pop("rouser", None)
    while str(root) in sys.path:
        sys.path.remove(str(root))


@pytest.fixture(scope="module")
def built(project: Path) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The bundle tarball and the emitted container templates, by function name."""
    config = load_config(start=project, env={})
    app = api.load_app(str(project / "rouser.py"), config)
    bundle = build_bundle(app, config, out=project / "bundle.tar.gz").path
    docs = api.emit_documents(app, config)
    templates = {d["metadata"]["name"].removeprefix("rouser-").replace("-", "_"): d["spec"]["templates"][0]
                 for d in docs if d["kind"] == "WorkflowTemplate"}
    return bundle, templates


def run(podman: Runtime, template: dict[str, Any], bundle: Path) -> EmulateResult:
    # no read_only= here: --read-only must come from the template's readOnlyRootFilesystem
    return emulate(template, bundle=bundle, runtime=podman, stream_logs=False, pull=False,
                   args={"text": json.dumps("ab"), "times": "3"})


def check(r: EmulateResult, uid: int, gid: int) -> None:
    assert r.exit_code == 0 and r.succeeded, r.stderr
    assert json.loads(r.result_json or "") == {
        "text": "ababab", "uid": str(uid), "gid": str(gid), "root": "EROFS",
        "tmp": "/tmp", "home": "/athena/home/note.txt"}


def test_the_image_knows_none_of_the_uids(podman: Runtime) -> None:
    proc = podman.run("run", "--rm", "--pull", "never", "--read-only", IMAGE_BB, "sh", "-c",
                      "cat /etc/passwd 2>/dev/null || echo no-passwd")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["no-passwd"]  # the busybox image has no /etc/passwd at all


def test_default_uid_8737(podman: Runtime, built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    bundle, templates = built
    t = templates["as_default"]
    assert t["securityContext"]["runAsUser"] == 8737 and t["container"]["securityContext"]["readOnlyRootFilesystem"]
    check(run(podman, t, bundle), 8737, 8737)


def test_run_as_user_54321(podman: Runtime, built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    bundle, templates = built
    t = templates["as_54321"]
    assert (t["securityContext"]["runAsUser"], t["securityContext"]["runAsGroup"]) == (54321, 54321)
    check(run(podman, t, bundle), 54321, 54321)


def test_a_random_uid_without_a_group(podman: Runtime, built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    """Any UID works; with runAsUser alone the group is the runtime's choice for an unknown user: 0."""
    bundle, templates = built
    uid = random.randint(10_000, 2**31 - 2)
    t = json.loads(json.dumps(templates["as_default"]))
    t["securityContext"]["runAsUser"] = uid
    del t["securityContext"]["runAsGroup"]
    check(run(podman, t, bundle), uid, 0)
