"""The long-running fuzz targets of benchmarks/fuzz.py, each with a small budget so CI stays fast.

`python benchmarks/fuzz.py --examples 20000` runs the same targets for real (docs/reliability.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("athena_fuzz", ROOT / "benchmarks" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["athena_fuzz"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("athena_fuzz", None)


def _run(fuzz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, examples: int) -> dict[str, str]:
    monkeypatch.syspath_prepend(str(tmp_path))
    fuzz.FINDINGS.clear()
    fuzz.COUNTS.clear()
    fuzz.run_target(target, examples, tmp_path)
    assert fuzz.COUNTS[target] > 0
    return dict(fuzz.FINDINGS)


def _report(findings: dict[str, str]) -> str:
    return "\n".join(f"{k}\n  {v}" for k, v in findings.items())


@pytest.mark.parametrize(("target", "examples"), [("modules", 60), ("values", 300)])
def test_fuzz_target_finds_nothing(fuzz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str,
                                   examples: int) -> None:
    findings = _run(fuzz, tmp_path, monkeypatch, target, examples)
    assert not findings, _report(findings)


def test_hostile_tarballs_never_crash_the_unpacker(fuzz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = _run(fuzz, tmp_path, monkeypatch, "tarballs", 150)
    crashes = {k: v for k, v in findings.items() if ": crash:" in k}
    assert not crashes, _report(crashes)


def test_hostile_tarballs_stay_inside_the_destination(fuzz, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    findings = _run(fuzz, tmp_path, monkeypatch, "tarballs", 300)
    assert not findings, _report(findings)
