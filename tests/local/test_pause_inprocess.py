"""athena.suspend() and athena.approval() in-process (issue 13): no wait; answers from athena.approvals()."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import athena
from athena import api
from athena.config import Config

_n = itertools.count()

APP = '''
import athena
from athena import container, workflow

CALLS: list[str] = []

@container
def deploy(where: str) -> None:
    CALLS.append("deploy " + where)

@container
def skip() -> None:
    CALLS.append("skip")

@workflow
def release(where: str) -> bool:
    athena.suspend("2d")
    ok: bool = athena.approval("deploy?", default=False)
    if ok:
        deploy(where)
    else:
        skip()
    return ok
'''


def load(tmp_path: Path) -> Any:
    path = tmp_path / f"pause_{next(_n)}.py"
    path.write_text(APP, encoding="utf-8")
    api.load_app(str(path), Config())
    return sys.modules[path.stem]


def test_an_approval_takes_its_default_without_answers(tmp_path: Path) -> None:
    mod = load(tmp_path)
    assert mod.release("prod") is False  # and the 2-day suspend did not wait
    assert mod.CALLS == ["skip"]


def test_answers_by_prompt_and_by_function(tmp_path: Path) -> None:
    mod = load(tmp_path)
    with athena.approvals({"deploy?": True}):
        assert mod.release("prod") is True
    with athena.approvals(lambda prompt: prompt == "other?"):
        assert mod.release("dev") is False
    assert mod.CALLS == ["deploy prod", "skip"]
