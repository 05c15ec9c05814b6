"""`athena init`: the starter project passes its own test and `athena check` as created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("ATHENA_CONFIG", None)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_starter_project_passes_its_test_and_check(tmp_path: Path) -> None:
    r = run("-m", "athena.cli", "init", "my-flows", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    project = tmp_path / "my-flows"
    assert (project / "my_flows" / "pipeline.py").is_file() and (project / "values" / "prod.yaml").is_file()
    r = run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout
    r = run("-m", "athena.cli", "check", cwd=project)
    assert r.returncode == 0 and r.stderr.startswith("ok: "), r.stderr
    r = run("-m", "athena.cli", "check", "--values", "values/prod.yaml", cwd=project)
    assert r.returncode == 0, r.stderr
    r = run("-m", "athena.cli", "emit", "--values", "values/prod.yaml", cwd=project)
    assert r.returncode == 0 and "kind: CronWorkflow" in r.stdout and "namespace: my-flows-prod" in r.stdout


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "athena.toml").write_text("# mine\n")
    r = run("-m", "athena.cli", "init", str(tmp_path), cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "already has athena.toml" in r.stderr and "never overwrites" in r.stderr
    assert (tmp_path / "athena.toml").read_text() == "# mine\n" and not (tmp_path / "pyproject.toml").exists()


@pytest.mark.parametrize(("directory", "package"), [("my-flows", "my_flows"), ("2024 jobs", "flows_2024_jobs"),
                                                     ("class", "flows_class"), ("Data.Pipes", "data_pipes")])
def test_package_name_from_the_directory(tmp_path: Path, directory: str, package: str) -> None:
    from athena.scaffold import package_name

    assert package_name(tmp_path / directory) == package


def test_a_bad_name_is_refused(tmp_path: Path) -> None:
    r = run("-m", "athena.cli", "init", str(tmp_path / "p"), "--name", "my-pkg", cwd=tmp_path)
    assert r.returncode != 0 and "is not a Python package name" in r.stderr
    assert not (tmp_path / "p").exists()
