"""Which containers.conf podman gets: the user's choice, else the settings shipped with athena (issue 8: emulating
offline must not need a setting the user has to discover)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from athena.errors import AthenaError
from athena.local.pod import Runtime, detect_runtime
from athena.local.pod.containers import SHIPPED_CONF, SHIPPED_CONF_NO_RUNC, podman_conf

REPO = Path(__file__).resolve().parents[3]


def _fake_bin(d: Path, *names: str) -> Path:
    d.mkdir(exist_ok=True)
    for n in names:
        (d / n).write_text("#!/bin/sh\nexit 0\n")
        (d / n).chmod(0o755)
    return d


def test_the_shipped_settings_apply_when_the_user_set_none(tmp_path: Path) -> None:
    bin_ = _fake_bin(tmp_path / "bin", "podman", "runc")
    rt = detect_runtime("podman", environ={"PATH": str(bin_)})
    assert rt.env["CONTAINERS_CONF"] == str(SHIPPED_CONF)
    assert SHIPPED_CONF.is_file()


def test_without_runc_the_shipped_settings_keep_podmans_runtime(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("athena.local.pod.containers._RUNC_PATHS", ())
    assert podman_conf({"PATH": str(_fake_bin(tmp_path / "bin", "podman"))}) == SHIPPED_CONF_NO_RUNC
    conf = tomllib.loads(SHIPPED_CONF_NO_RUNC.read_text())
    assert "engine" not in conf and conf["containers"]["default_ulimits"]


def test_the_users_choice_wins(tmp_path: Path) -> None:
    bin_ = _fake_bin(tmp_path / "bin", "podman", "runc")
    mine = tmp_path / "mine.conf"
    mine.write_text("[containers]\n")
    # $CONTAINERS_CONF: podman's own variable, left untouched
    rt = detect_runtime("podman", environ={"PATH": str(bin_), "CONTAINERS_CONF": "/etc/x.conf"})
    assert rt.env["CONTAINERS_CONF"] == "/etc/x.conf"
    # $ATHENA_CONTAINERS_CONF and the containers_conf argument override everything
    rt = detect_runtime("podman", environ={"PATH": str(bin_), "CONTAINERS_CONF": "/etc/x.conf",
                                           "ATHENA_CONTAINERS_CONF": str(mine)})
    assert rt.env["CONTAINERS_CONF"] == str(mine.resolve())
    rt = detect_runtime("podman", containers_conf=mine, environ={"PATH": str(bin_)})
    assert rt.env["CONTAINERS_CONF"] == str(mine.resolve())
    with pytest.raises(AthenaError, match=r"ATHENA_CONTAINERS_CONF\) does not exist.*unset it"):
        detect_runtime("podman", environ={"PATH": str(bin_), "ATHENA_CONTAINERS_CONF": str(tmp_path / "no")})


def test_docker_gets_no_containers_conf(tmp_path: Path) -> None:
    rt = detect_runtime("docker", environ={"PATH": str(_fake_bin(tmp_path / "bin", "docker", "runc"))})
    assert "CONTAINERS_CONF" not in rt.env


def test_the_shipped_settings_are_the_tests_settings() -> None:
    """scripts/setup-podman verifies tests/podman/containers.conf; the shipped file must not drift from it."""
    assert tomllib.loads(SHIPPED_CONF.read_text()) == tomllib.loads(
        (REPO / "tests" / "podman" / "containers.conf").read_text())


def test_the_shipped_settings_are_package_data() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["athena"]
    rel = {str(p.relative_to(REPO / "src" / "athena")) for p in (SHIPPED_CONF, SHIPPED_CONF_NO_RUNC)}
    assert all(any(Path(r).match(pat) for pat in patterns) for r in rel)


def test_podman_runs_with_no_setting_at_all(podman: Runtime) -> None:
    """On this host podman's defaults fail with `error setting rlimit type 7`; nothing set, it still runs."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("CONTAINERS_CONF", "ATHENA_CONTAINERS_CONF")}
    rt = detect_runtime("podman", environ=env)
    proc = rt.run("run", "--rm", "localhost/athena-bb:1", "uname", "-m")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "x86_64"


def test_an_image_that_cannot_be_pulled_says_what_to_do_in_one_line(tmp_path: Path) -> None:
    from athena.local.pod.image import ensure_image

    fake = tmp_path / "podman"
    fake.write_text('#!/bin/sh\nif [ "$1" = pull ]; then\n  echo "Trying to pull docker.io/library/busybox:1.36..." >&2\n'
                    '  echo "Error: initializing source docker://busybox:1.36: pinging container registry '
                    'registry-1.docker.io: dial tcp: lookup registry-1.docker.io: no such host" >&2\n  exit 125\nfi\n'
                    'echo "Error: busybox:1.36: image not known" >&2\nexit 125\n')
    fake.chmod(0o755)
    with pytest.raises(AthenaError) as info:
        ensure_image(Runtime("podman", str(fake), {}), "busybox:1.36", None, True)
    msg = str(info.value)
    assert msg.startswith("image busybox:1.36 is not present locally and could not be pulled: ")
    assert "no such host" in msg
    hint = msg.splitlines()[-1]
    assert hint.startswith("hint: ")
    for what in ("`--image localhost/athena-bb:1`", "[bootstrap].default_image",
                 "`podman pull busybox:1.36 && podman save -o image.tar busybox:1.36`", "`podman load -i image.tar`"):
        assert what in hint
