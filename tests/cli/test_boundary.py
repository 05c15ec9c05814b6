"""The one error boundary: user errors are one message and exit 1, internal errors exit 70 with the
traceback only under --debug, and a missing command-line dependency says how to install it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from athena.cli import INSTALL_HINT, main
from athena.cli.boundary import EXIT_INTERNAL

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
BLOCKER = Path(__file__).resolve().parent / "blocker.py"


def athena(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "athena.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env)


def blocked(modules: str, snippet: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BLOCKER), modules, snippet], capture_output=True, text=True,
                          cwd=ROOT)


def test_emit_into_a_missing_directory_is_one_line() -> None:
    r = athena("emit", str(EX / "getting_started.py"), "-o", "/nonexistent/dir/x.yaml")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["athena: cannot write /nonexistent/dir/x.yaml: No such file or directory"]


def test_graph_to_a_bad_path_is_one_line() -> None:
    r = athena("workflow", "graph", "orders", "--app", str(EX / "features.py"), "-o", "/nonexistent/dir/g.mmd")
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["athena: cannot write /nonexistent/dir/g.mmd: No such file or directory"]


def _fake_dot(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    dot = bin_dir / "dot"
    dot.write_text("#!/bin/sh\necho 'Error: Could not open \"somewhere\" for writing' >&2\nexit 2\n")
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_graph_png_when_dot_fails_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "g.png"
    r = athena("workflow", "graph", "orders", "--app", str(EX / "features.py"), "--format", "png", "-o", str(out),
               env=_fake_dot(tmp_path))
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"athena: graphviz's dot could not draw {out}: Error: Could not open \"somewhere\" for writing"]


def test_graph_png_without_dot_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no dot here
    r = subprocess.run([sys.executable, "-m", "athena.cli", "workflow", "graph", "orders", "--app",
                        str(EX / "features.py"), "--format", "png", "-o", str(tmp_path / "g.png")],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1 and "needs graphviz's `dot` on PATH" in r.stderr


def test_an_exception_in_the_users_module_shows_only_their_frames(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("def boom() -> None:\n    raise ValueError('no config for you')\n")
    app = tmp_path / "flow.py"
    app.write_text("from athena import container\nimport helper\n\nhelper.boom()\n\n"
                   "@container\ndef c() -> None:\n    pass\n")
    r = athena("emit", str(app))
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0] == "athena: importing the app failed:"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: no config for you"
    assert f'File "{app}", line 4' in r.stderr and 'helper.py", line 2, in boom' in r.stderr
    # athena's loader and importlib's machinery are not the user's business
    assert "importlib" not in r.stderr and str(ROOT / "src") not in r.stderr
    assert "internal error" not in r.stderr


def test_a_missing_import_in_the_users_module_is_an_import_failure(tmp_path: Path) -> None:
    app = tmp_path / "flow.py"
    app.write_text("import no_such_module_for_athena_tests\n")
    r = athena("emit", str(app))
    assert r.returncode == 1
    assert r.stderr.startswith("athena: importing the app failed:")
    assert "ModuleNotFoundError: No module named 'no_such_module_for_athena_tests'" in r.stderr
    assert INSTALL_HINT not in r.stderr


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_an_internal_error_has_no_traceback_without_debug(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import athena.api

    monkeypatch.setattr(athena.api, "load_app", _explode)
    code = main(["emit", str(EX / "getting_started.py")])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL == 70
    assert "athena: internal error, please report it: RuntimeError: boom" in err.splitlines()
    assert "Traceback" not in err
    assert "--debug" in err


def test_an_internal_error_shows_the_traceback_with_debug(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import athena.api

    monkeypatch.setattr(athena.api, "load_app", _explode)
    code = main(["--debug", "emit", str(EX / "getting_started.py")])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL
    assert "Traceback (most recent call last):" in err and "in _explode" in err
    assert err.rstrip().splitlines()[-1] == "athena: internal error, please report it: RuntimeError: boom"


def test_main_returns_exit_codes_and_never_exits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "Usage: athena" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err
    assert main(["check", str(EX / "getting_started.py")]) == 0
    assert main(["container", "describe", "nope", "--app", str(EX / "getting_started.py")]) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith("athena: no container named `nope`")


def test_missing_click_says_how_to_install_the_cli() -> None:
    r = blocked("click", "from athena.cli import console; console()")
    assert r.returncode == 1
    assert r.stderr.strip() == ("athena: the command line needs `click`, which is not installed; install it with: "
                                "pip install 'athena-workflows[cli]'")


def test_missing_yaml_when_emitting_says_how_to_install_the_cli() -> None:
    r = blocked("yaml", f"import sys; from athena.cli import main; sys.exit(main(['emit', {str(EX / 'getting_started.py')!r}]))")
    assert r.returncode == 1
    assert r.stderr.strip().endswith(f"`yaml`, which is not installed; install it with: {INSTALL_HINT}")
    assert "Traceback" not in r.stderr
