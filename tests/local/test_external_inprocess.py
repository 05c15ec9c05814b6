"""External templates in-process (issue 13): a registered stand-in runs; without one the call is a clear error."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest

from athena import api
from athena.config import Config
from athena.errors import AthenaError, WorkflowFailed

_n = itertools.count()

APP = '''
import athena
from athena import container, workflow

@athena.external(template_ref="tools", template="notify")
def notify(channel: str, n: int = 1) -> str:
    ...

@container
def shout(s: str) -> str:
    return s.upper()

@workflow
def flow(channel: str) -> str:
    return shout(notify(channel, n=2))
'''


def load(tmp_path: Path) -> Any:
    path = tmp_path / f"ext_{next(_n)}.py"
    path.write_text(APP, encoding="utf-8")
    api.load_app(str(path), Config())
    return sys.modules[path.stem]


def test_a_stand_in_runs_with_decoded_arguments(tmp_path: Path) -> None:
    mod = load(tmp_path)
    seen: list[tuple[str, int]] = []

    @mod.notify.local
    def fake(channel: str, n: int = 1) -> str:
        seen.append((channel, n))
        return f"sent to {channel}"

    try:
        assert mod.flow("#ops") == "SENT TO #OPS"
        assert seen == [("#ops", 2)]
        assert mod.notify("#x") == "sent to #x"  # a direct call runs the stand-in too
    finally:
        mod.notify.local(None)


def test_without_a_stand_in_the_run_fails_saying_how(tmp_path: Path) -> None:
    mod = load(tmp_path)
    with pytest.raises(WorkflowFailed) as info:
        mod.flow("#ops")
    assert "notify.local(fn)" in str(info.value)
    with pytest.raises(AthenaError, match=r"runs only in Argo"):
        mod.notify("#x")


def test_a_stand_in_returning_the_wrong_type_fails(tmp_path: Path) -> None:
    mod = load(tmp_path)
    mod.notify.local(lambda channel, n=1: 42)
    try:
        with pytest.raises(WorkflowFailed):
            mod.flow("#ops")
    finally:
        mod.notify.local(None)
