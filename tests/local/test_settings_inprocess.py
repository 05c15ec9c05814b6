"""``athena.settings`` in in-process runs and direct container calls: read from os.environ as a pod reads its env."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest

from athena import api
from athena.compile.model import Container
from athena.config import Config
from athena.errors import AthenaError, WorkflowFailed

_n = itertools.count()

FLOW = '''
from __future__ import annotations
import athena
from athena import container, fragment, workflow

class DB(athena.Settings):
    host: str = "localhost"
    port: int = 5432
    password: athena.Secret[str]

class Train(athena.Settings):
    db: DB
    tags: list[str] = ["a"]

@fragment
def where() -> str:
    db = athena.settings(DB)
    return f"{db.host}:{db.port}"

@container
def train(n: int) -> list[str]:
    s = athena.settings(Train)
    return [s.db.host, str(s.db.port), s.db.password, *s.tags, str(n)]

@container
def report() -> str:
    return where()

@workflow
def pipeline(n: int = 1) -> list[str]:
    report()
    return train(n)
'''


def load(tmp_path: Path) -> tuple[Any, Any]:
    path = tmp_path / f"settings_flow_{next(_n)}.py"
    path.write_text(FLOW, encoding="utf-8")
    app = api.load_app(str(path), Config())
    return sys.modules[path.stem], app


def test_a_workflow_run_in_process_reads_each_step_s_variables(tmp_path: Path, monkeypatch) -> None:
    mod, _ = load(tmp_path)
    monkeypatch.setenv("TRAIN__DB__PASSWORD", "pw")
    monkeypatch.setenv("TRAIN__DB__PORT", "5433")
    monkeypatch.setenv("TRAIN__TAGS", '["x","y"]')
    monkeypatch.setenv("REPORT__PASSWORD", "other")
    monkeypatch.setenv("REPORT__HOST", "db.internal")
    assert mod.pipeline(7) == ["localhost", "5433", "pw", "x", "y", "7"]
    assert mod.report() == "db.internal:5432"  # a direct call of the container is a step too


def test_a_missing_variable_fails_the_task_naming_the_variable(tmp_path: Path, monkeypatch) -> None:
    mod, _ = load(tmp_path)
    monkeypatch.setenv("REPORT__PASSWORD", "x")
    monkeypatch.delenv("TRAIN__DB__PASSWORD", raising=False)
    with pytest.raises(WorkflowFailed, match=r"TRAIN__DB__PASSWORD is not set \(DB.password: str, required\)"):
        mod.pipeline(1)


def test_outside_a_step_is_a_clear_error(tmp_path: Path) -> None:
    mod, _ = load(tmp_path)
    with pytest.raises(AthenaError, match="works only inside a running container step"):
        mod.where()  # a fragment called on its own has no step


def test_the_compiler_records_which_classes_each_step_reads(tmp_path: Path) -> None:
    mod, app = load(tmp_path)
    program = api.compile_templates(app.roots, Config())
    by_fn = {t.function: t.settings for t in program.templates.values() if isinstance(t, Container)}
    stem = mod.__name__
    assert by_fn == {"train": (f"{stem}:Train",), "report": (f"{stem}:DB",)}


def test_emulate_forwards_only_the_step_s_variables_the_template_does_not_set(tmp_path: Path) -> None:
    from athena.local.emulate import settings_env

    _, app = load(tmp_path)
    program = api.compile_templates(app.roots, Config())
    ir = next(t for t in program.templates.values() if isinstance(t, Container) and t.function == "train")
    environ = {"TRAIN__DB__PASSWORD": "pw", "TRAIN__TAGS": "[]", "HOME": "/root", "REPORT__HOST": "h"}
    template = {"container": {"env": [{"name": "TRAIN__TAGS", "value": '["from-yaml"]'}]}}
    assert settings_env(ir, environ, template) == {"TRAIN__DB__PASSWORD": "pw"}
