"""User code type-checks as written: mypy --strict over examples/ (decorators keep signatures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_mypy(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent", *map(str, files)],
        capture_output=True, text=True, cwd=ROOT,
    )


def test_examples_type_check_under_mypy_strict() -> None:
    result = run_mypy(*sorted((ROOT / "examples").glob("*.py")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_sees_wrong_calls(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from athena import Outcome, container, workflow\n"
        "@container\n"
        "def fetch(url: str) -> str:\n    return url\n"
        "@container\n"
        "def count(n: int) -> int:\n    return n\n"
        "@container\n"
        "def ok(r: Outcome[str]) -> None:\n    pass\n"
        "@workflow\n"
        "def w() -> None:\n"
        "    a = fetch('x')\n"
        "    count(a)\n"  # str to int
        "    fetch(urll='x')\n"  # unknown keyword
        "    o = fetch.options(continue_on=['failed'])('x')\n"
        "    ok(o)\n"  # fine
        "    count(o)\n"  # Outcome to int
    )
    result = run_mypy(bad)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 3, result.stdout
    assert all(any(f":{n}:" in e for e in errors) for n in (14, 15, 18))
