"""The core distribution (msgspec only) serves pods, the compiler API and in-process runs: none of them
may import a dependency of the `cli` extra, or a bundle would need it and a core install would break."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCKER = Path(__file__).resolve().parent / "blocker.py"
# the import names of the `cli` extra's distributions
CLI_MODULES = {"click": "click", "pyyaml": "yaml", "jsonschema": "jsonschema", "obstore": "obstore",
               "pyelftools": "elftools", "pbs-installer": "pbs_installer", "lightkube": "lightkube",
               "httpx2": "httpx2",
               "rich": "rich"}

SNIPPET = """
import sys
from pathlib import Path

import athena.runtime.main  # the pod side
from athena import api
from athena.config import load_config

path = Path("examples/getting_started.py").resolve()
config = load_config(start=path.parent)
app = api.load_app(str(path), config)
program = api.compile_templates(app.roots, config)
docs = api.emit_documents(app, config, with_workflow=True)
assert all(isinstance(d, dict) for d in docs) and len(docs) == 5, docs
pipeline = next(t for t in app.roots if t.fn.__name__ == "pipeline")
pipeline()  # an in-process run
print("ran", len(program.templates))
"""


def test_the_core_needs_no_cli_dependency() -> None:
    blocked = ",".join(CLI_MODULES.values())
    r = subprocess.run([sys.executable, str(BLOCKER), blocked, SNIPPET], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "publishing data-from:" in r.stdout and "ran 4" in r.stdout


def test_the_cli_extra_holds_what_the_core_leaves_out() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {req.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
             for req in project["dependencies"]}
    assert names == {"msgspec"}
    cli = {req.split(">")[0].split("<")[0].split("=")[0].strip().lower()
           for req in project["optional-dependencies"]["cli"]}
    assert cli == set(CLI_MODULES)
    assert "athena-workflows[cli]" in project["optional-dependencies"]["test"]
    assert project["scripts"]["athena"] == "athena.cli:console"
