"""``athena run --runtime podman`` and ``--runtime docker``: every step in its image through the shared pod executor,
with a bundle built for this machine. Needs rootful podman and the localhost/athena-* images of
`scripts/setup-podman` (fails, never skips, without them); the docker cases need the private dockerd of
`scripts/setup-docker` (the ``docker`` fixture of tests/conftest.py: fails in CI, skips elsewhere, saying why).
Takes about a minute (a bundle build)."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from athena.cli import main

IMAGE_BB = "localhost/athena-bb:1"
HOST_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"

APP = f'''
from athena import container, workflow


@container(image="{IMAGE_BB}")
def shout(text: str) -> str:
    return text.upper()


@container(image="{IMAGE_BB}")
def join(parts: list[str]) -> str:
    return "+".join(parts)


@workflow
def loud(words: list[str]) -> str:
    loud_words = [shout(w) for w in words]
    return join(loud_words)
'''

TOML = f'''
[project]
name = "podrun"
app = ["podrun"]

[bootstrap]
interpreter = "local"
python = "{HOST_PYTHON}"
targets = ["x86_64"]
'''

HAND = f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: hand}}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {{name: a, template: write}}
      - {{name: b, template: write}}
    outputs:
      parameters: [{{name: o, valueFrom: {{parameter: "{{{{tasks.a.outputs.parameters.o}}}}"}}}}]
  - name: write
    container: {{image: {IMAGE_BB}, command: [sh, -c, "hostname > /out.txt"]}}
    outputs: {{parameters: [{{name: o, valueFrom: {{path: /out.txt}}}}]}}
"""


@pytest.fixture(params=["podman", "docker"])
def runtime(request: pytest.FixtureRequest) -> str:
    """The ``--runtime`` under test, once it is usable."""
    if request.param == "docker":
        request.getfixturevalue("docker")  # sets DOCKER_HOST for the CLI
    elif shutil.which("podman") is None:
        pytest.fail("podman is not installed: run `sudo scripts/setup-podman`", pytrace=False)
    return str(request.param)


def test_an_athena_workflow_runs_in_containers(runtime: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "athena.toml").write_text(textwrap.dedent(TOML), encoding="utf-8")
    (project / "podrun.py").write_text(APP, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["run", "loud", "--app", str(project / "podrun.py"), "--runtime", runtime,
                     "-a", 'words=["a", "b"]'])
    finally:
        sys.modules.pop("podrun", None)
        while str(project) in sys.path:
            sys.path.remove(str(project))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out.removeprefix("return: ")) == "A+B"


def test_hand_written_absolute_output_paths_are_per_pod(runtime: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "hand.yaml"
    f.write_text(HAND, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["run", "hand", "--file", str(f), "--runtime", runtime])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("outputs: ") and json.loads(out.removeprefix("outputs: "))["o"].startswith("hand-")
