"""``athena.settings`` in a pod: the real runtime entry point in a fresh interpreter, env vars in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from athena.bundle.identity import POD_MODULES

POD_MODULE_NAMES = {m.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for m in POD_MODULES}

STEPS = '''
import athena
from athena import container

class DB(athena.Settings):
    host: str = "localhost"
    port: int = 5432
    password: athena.Secret[str]
    pin: athena.Secret[int] = 1234

class Train(athena.Settings):
    db: DB
    tags: list[str] = ["a"]

@container
def train(n: int) -> dict:
    s = athena.settings(Train)
    return {"host": s.db.host, "port": s.db.port, "pw": s.db.password, "tags": s.tags, "n": n}
'''


@pytest.fixture
def pod(tmp_path: Path):
    (tmp_path / "settings_steps.py").write_text(STEPS)

    def run(env: dict[str, str], listing: Path | None = None) -> tuple[int, str | None, str]:
        result = tmp_path / "athena" / "result"
        if result.exists():
            result.unlink()
        e = {k: v for k, v in os.environ.items() if not k.startswith(("ATHENA_", "ARGO_", "TRAIN__"))}
        src = str(Path(__file__).parents[2] / "src")
        e.update({"ATHENA_RUNTIME": "1", "ATHENA_ENTRY": "settings_steps:train", "ATHENA_TEMPLATE": "t-train",
                  "ATHENA_RESULT": str(result)}, **env)
        probe = ("import sys, atexit; atexit.register(lambda: open(sys.argv[1], 'w').write('\\n'.join(sorted("
                 "sys.modules)))); " if listing else "")
        p = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {src!r}]; "
                            f"{probe}from athena.runtime.main import main; raise SystemExit(main(sys.argv[2:]))",
                            str(listing), "--", "3"], capture_output=True, text=True, env=e, cwd=tmp_path)
        return p.returncode, result.read_text() if result.exists() else None, p.stderr

    return run


def test_settings_are_read_from_the_step_variables(pod, tmp_path: Path) -> None:
    listing = tmp_path / "modules.txt"
    rc, out, err = pod({"TRAIN__DB__PASSWORD": "s3cret", "TRAIN__DB__PORT": "5433",
                        "TRAIN__TAGS": '["x","y"]', "TRAIN__DB__HOST": '"quoted"'}, listing)
    assert rc == 0, err
    # a str field takes the text as it is (quotes included); other fields are JSON
    assert json.loads(out or "") == {"host": '"quoted"', "port": 5433, "pw": "s3cret", "tags": ["x", "y"], "n": 3}
    mods = set(listing.read_text().split())
    assert "athena.runtime.settings" in mods
    assert {m for m in mods if m.startswith("athena")} <= POD_MODULE_NAMES  # the bundle digest covers it
    assert not {m for m in mods if m.startswith(("athena.compile", "athena.decorators", "athena.cli"))}


def test_missing_and_malformed_variables_exit_1_without_a_traceback(pod) -> None:
    rc, out, err = pod({"TRAIN__DB__PORT": "five"})
    assert (rc, out) == (1, None)
    assert "Traceback" not in err, err
    assert "TRAIN__DB__PASSWORD is not set (DB.password: str, required)" in err
    assert "TRAIN__DB__PORT='five' is not a valid int" in err
    assert err.startswith("athena: template t-train: step `train` cannot load settings Train")


def test_a_secret_value_never_reaches_the_log(pod) -> None:
    rc, _, err = pod({"TRAIN__DB__PASSWORD": "pw", "TRAIN__DB__PIN": "s3cret-pin"})
    assert rc == 1 and "TRAIN__DB__PIN=(secret value hidden) is not a valid int" in err
    assert "s3cret" not in err
