"""The root's result shown as its Python value on stderr (``returned <type>: <repr>``) beside ``return: <json>``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from athena.cli import main
from athena.cli.returns import show_decoded

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Point:
    x: int
    y: int


def _point() -> Point: ...


def _count() -> int: ...


def _nothing() -> None: ...


def test_a_record_is_shown_as_its_python_value(capsys: pytest.CaptureFixture[str]) -> None:
    show_decoded(_point, '{"x":1,"y":2}')
    assert capsys.readouterr().err == "returned Point: Point(x=1, y=2)\n"


def test_a_result_that_does_not_decode_is_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    show_decoded(_count, '"seven"')
    err = capsys.readouterr().err
    assert err.startswith("athena: warning: the result does not decode as int (the root's return type): ")


def test_nothing_for_none_or_an_unknown_function(capsys: pytest.CaptureFixture[str]) -> None:
    show_decoded(_nothing, "null")
    show_decoded(None, "1")
    assert capsys.readouterr().err == ""


def test_athena_run_prints_both(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["run", str(REPO / "examples" / "features.py") + ":tolerant", "-a", "values=[1,-2,3]",
                 "--no-logs"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == "return: 2\n" and "returned int: 2\n" in err
