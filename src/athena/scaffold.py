"""``athena init``: a runnable starter project, written from the templates below.

The project passes ``athena check`` and its own test as created (a CI test runs both), so a newcomer starts
from something that works: a typed pipeline, a test that runs it in-process, a values file per environment.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from athena.errors import UsageError

__all__ = ["package_name", "scaffold"]

_PYPROJECT = '''\
[project]
name = "{dist}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["athena-workflows"]

[project.optional-dependencies]
dev = ["athena-workflows[cli]", "pytest"]

[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["{package}"]

[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
'''

_ATHENA_TOML = '''\
# athena's configuration: docs/reference.md#configuration in athena's repository lists every key.
[project]
name = "{dist}"
app = ["{package}.pipeline"]        # what `athena check`, `emit` and `run` compile by default

[defaults]
argo_version = "4.1"                 # the Argo line your cluster runs (3.6, 3.7, 4.0 or 4.1)

[bootstrap]
default_image = "busybox:1.36"       # any image with `sh` and `uname`: the bundle brings Python

[artifact_repository.s3]             # where `athena publish` puts the bundle, and pods fetch it
bucket = "my-bucket"
endpoint = "s3.amazonaws.com"
'''

_PIPELINE = '''\
"""{dist}: a pipeline of typed steps. Each @container runs in its own pod; the @workflow is read, not run."""

from dataclasses import dataclass

from athena import Resources, container, workflow


@dataclass
class Stats:
    words: int
    longest: str


@container
def fetch(source: str) -> str:
    """Stand-in for reading your data (a bucket, an API, a database)."""
    return f"athena turns plain python into argo workflows from {{source}}"


@container(resources=Resources(cpu="500m", memory="256Mi"))
def analyze(text: str) -> Stats:
    words = text.split()
    return Stats(words=len(words), longest=max(words, key=len))


@container
def report(stats: Stats, title: str) -> str:
    return f"{{title}}: {{stats.words}} words, longest {{stats.longest!r}}"


@workflow
def pipeline(source: str = "example", title: str = "Report") -> str:
    text = fetch(source)
    stats = analyze(text)  # a data dependency is a DAG edge
    return report(stats, title)
'''

_TEST = '''\
"""The pipeline runs in-process: every step's body, wired exactly as the emitted DAG wires it."""

from {package}.pipeline import Stats, analyze, pipeline


def test_analyze_counts_words() -> None:
    assert analyze("a bb ccc") == Stats(words=3, longest="ccc")


def test_pipeline_runs_end_to_end() -> None:
    assert pipeline(source="unit-test", title="T") == "T: 9 words, longest 'workflows'"
'''

_VALUES = '''\
# Deployment settings for one environment: `athena emit --values values/prod.yaml`.
# `athena values schema` prints the JSON Schema of this file; `athena values explain analyze -f values/prod.yaml`
# shows where each field of a step comes from.
namespace: {dist}-prod

defaults:                     # every @container, under its decorator's arguments
  labels: {{team: data}}
  resources: {{cpu: 250m, memory: 128Mi}}

containers:
  analyze:                    # one step, by function name
    resources: {{memory: 1Gi}}
    retry: {{limit: 2, backoff: 10s}}

workflows:
  pipeline:
    schedule: "0 6 * * *"     # also emit a CronWorkflow
    timezone: UTC
'''

_README = '''\
# {dist}

An [athena](https://github.com/) project: Python steps in, Argo WorkflowTemplates out.

    pip install -e ".[dev]"
    pytest                                   # runs the pipeline in-process
    athena check                             # compile, type-check, validate against Argo's schemas
    athena emit --values values/prod.yaml    # the YAML for production
    athena run pipeline                      # run the emitted YAML on this machine

Edit `{package}/pipeline.py`; `athena.toml` says where bundles go (`athena publish`).
'''

_GITIGNORE = '''\
__pycache__/
*.egg-info/
.athena/
.venv/
'''


def package_name(directory: Path) -> str:
    """A Python package name from a directory name: ``my-flows`` → ``my_flows``."""
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", directory.resolve().name).strip("_").lower() or "flows"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"flows_{name}"
    return name


def scaffold(directory: Path, name: str | None = None) -> list[Path]:
    """Write a starter project into ``directory`` (created if missing); the paths written, in order.

    Never overwrites: a file that exists already is a :class:`UsageError` naming it, before anything is written.
    """
    package = name or package_name(directory)
    if not package.isidentifier() or keyword.iskeyword(package):
        raise UsageError(f"--name {package!r} is not a Python package name; use letters, digits and '_'")
    dist = package.replace("_", "-")
    files = {
        "pyproject.toml": _PYPROJECT, "athena.toml": _ATHENA_TOML, f"{package}/__init__.py": "",
        f"{package}/pipeline.py": _PIPELINE, "tests/test_pipeline.py": _TEST, "values/prod.yaml": _VALUES,
        "README.md": _README, ".gitignore": _GITIGNORE,
    }
    existing = [rel for rel in files if (directory / rel).exists()]
    if existing:
        raise UsageError(f"{directory} already has {', '.join(existing)}; athena init never overwrites: "
                         "pick an empty or new directory")
    written: list[Path] = []
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(package=package, dist=dist), encoding="utf-8")
        written.append(path)
    return written
