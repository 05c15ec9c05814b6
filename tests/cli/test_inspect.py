"""``athena inspect --gen-env / --check-env``: the variables every step reads through athena.settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from athena.envfile import format_value, parse
from athena.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]

APP = '''
import athena
from athena import container, fragment, workflow

class DB(athena.Settings):
    host: str = "localhost"
    port: int = 5432
    password: athena.Secret[str]
    token: athena.Secret[str] = "dev-token-do-not-print"

class Train(athena.Settings):
    db: DB
    tags: list[str] = ["a", "b c"]

@fragment
def connect() -> str:
    return athena.settings(DB).host

@container
def train(n: int) -> int:
    return athena.settings(Train).db.port + n

@container
def report() -> str:
    return connect()

@container
def plain() -> int:
    return 1

@workflow
def pipeline(n: int = 2) -> int:
    plain()
    report()
    return train(n)
'''


def athena(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("TRAIN__", "REPORT__", "PLAIN__"))}
    e["PYTHONPATH"] = str(ROOT / "src")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "athena.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=e)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "flows.py").write_text(APP)
    return tmp_path


def test_gen_env_lists_every_variable_by_step_and_hides_secret_defaults(app: Path) -> None:
    r = athena("inspect", "flows.py", "--gen-env", cwd=app)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "# --- step report (template flows-report, flows:report)" in out
    assert "# --- step train (template flows-train, flows:train)" in out
    assert "plain" not in out  # reads no settings
    assert "# TRAIN__DB__PORT: int, optional; DB.port\nTRAIN__DB__PORT=5432\n" in out
    assert "# TRAIN__DB__PASSWORD: str, required, secret; DB.password\n# TRAIN__DB__PASSWORD=\n" in out
    assert "# REPORT__TOKEN: str, optional, secret, has a default (not shown); DB.token\n# REPORT__TOKEN=\n" in out
    assert "dev-token" not in out
    assert "TRAIN__TAGS='[\"a\",\"b c\"]'" in out
    assert out.index("REPORT__HOST") < out.index("REPORT__PORT") < out.index("REPORT__PASSWORD")
    # the output is a .env file athena reads back: every active line is a default
    env = parse(out, "gen")
    assert env["TRAIN__TAGS"] == '["a","b c"]' and "TRAIN__DB__PASSWORD" not in env


def test_check_env_of_the_generated_file_lists_the_required_variables(app: Path) -> None:
    (app / "gen.env").write_text(athena("inspect", "flows.py", "--gen-env", cwd=app).stdout)
    r = athena("inspect", "flows.py", "--check-env", "--env-file", "gen.env", cwd=app)
    assert r.returncode == 1
    assert r.stdout == ("step report (template flows-report):\n"
                        "  REPORT__PASSWORD is not set (DB.password: str, required)\n"
                        "step train (template flows-train):\n"
                        "  TRAIN__DB__PASSWORD is not set (DB.password: str, required)\n")
    assert "2 problem(s) in gen.env" in r.stderr


def test_check_env_reads_the_environment(app: Path) -> None:
    ok = {"TRAIN__DB__PASSWORD": "x", "REPORT__PASSWORD": "y"}
    r = athena("inspect", "--app", "flows.py", "--check-env", cwd=app, env=ok)
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    assert "ok: the environment sets or defaults all 9 variable(s) of 2 step(s)" in r.stderr
    r = athena("inspect", "flows.py", "--check-env", cwd=app,
               env={**ok, "TRAIN__DB__PORT": "five", "REPORT__TOKEN": "t", "REPORT__HSOT": "h"})
    assert r.returncode == 1
    assert "  TRAIN__DB__PORT='five' is not a valid int (DB.port)" in r.stdout
    assert "REPORT__HSOT is set in the environment but step report reads no such variable (did you mean " \
           "REPORT__HOST?)" in r.stderr


def test_usage_errors(app: Path) -> None:
    for args in ([], ["--gen-env", "--check-env"], ["--gen-env", "--env-file", "x.env"]):
        r = athena("inspect", "flows.py", *args, cwd=app)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    (app / "bad.env").write_text("# fine\nexport A=1\nnot a line\n")
    r = athena("inspect", "flows.py", "--check-env", "--env-file", "bad.env", cwd=app)
    assert r.returncode == 1 and "bad.env:3: expected KEY=VALUE" in r.stderr, r.stderr


def test_an_app_without_settings(tmp_path: Path) -> None:
    (tmp_path / "none.py").write_text("from athena import container\n\n@container\ndef f() -> int:\n    return 1\n")
    r = athena("inspect", "none.py", "--gen-env", cwd=tmp_path)
    assert r.returncode == 0 and "# No step of this app reads settings." in r.stdout
    r = athena("inspect", "none.py", "--check-env", cwd=tmp_path)
    assert r.returncode == 0 and "all 0 variable(s) of 0 step(s)" in r.stderr


def test_env_file_forms() -> None:
    text = ("A=plain  # comment\n  export B = 'single # kept'  # c\nC=\"dq \\\"x\\\" \\n \\\\ $HOME\"\r\n"
            "D=\nE=a#b\n# F=ignored\nA=later\n")
    assert parse(text, "f") == {"A": "later", "B": "single # kept", "C": 'dq "x" \n \\ $HOME', "D": "",
                                "E": "a#b"}
    for bad in ("A='open", 'A="open', "A='x' tail", "1A=x"):
        with pytest.raises(UsageError, match="f:1: "):
            parse(bad, "f")


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_format_value_round_trips(value: str) -> None:
    assert parse(f"K={format_value(value)}\n", "f") == {"K": value}
