"""``athena run`` end to end: compile + emit + run with the process runtime, and ``--file`` YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from athena.cli import main

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the run record goes under ./.athena/runs


def test_getting_started_pipeline_runs_with_the_process_runtime(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    code = main(["run", str(REPO / "examples" / "getting_started.py") + ":pipeline"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == "return: null"
    assert "raw (fetch)" in err and "summary (summarize)" in err
    runs = list((tmp_path / ".athena" / "runs").iterdir())
    assert len(runs) == 1
    record = json.loads((runs[0] / "run.json").read_text())
    assert record["phase"] == "Succeeded"
    nodes = {n["display_name"]: n for n in record["nodes"]}
    assert nodes["summary"]["outputs"]["return"] == '"data-from:https://example.com/"'
    assert nodes["summary"]["inputs"] == {"data": '"data-from:https://example.com/data"', "top_n": "3"}
    publish_log = runs[0] / nodes["publish"]["log"]
    assert "publishing data-from:https://example.com/" in publish_log.read_text()


def test_a_workflow_result_is_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    app = tmp_path / "flows.py"
    app.write_text(
        "from athena import container, workflow\n\n"
        "@container\ndef double(x: int) -> int:\n    return 2 * x\n\n"
        "@workflow\ndef twice(x: int) -> list[int]:\n    return [double(i) for i in range(x)]\n")
    code = main(["run", "twice", "--app", str(app), "-a", "x=3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out.removeprefix("return: ")) == [0, 2, 4]


FILE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: hello}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: you}]}
  templates:
  - name: main
    steps: [[{name: s, template: say}], [{name: t, template: boom}]]
  - name: say
    script: {image: alpine, command: [sh], source: "echo hello {{workflow.parameters.who}}"}
  - name: boom
    container: {image: alpine, command: [sh, -c, "echo bad things >&2; exit 4"]}
"""


def test_file_yaml_failure_exits_1_with_the_log_tail(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "hello.yaml"
    f.write_text(FILE)
    code = main(["run", "hello", "--file", str(f), "-a", "who=me"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "Failed" in err and "Error (exit code 4)" in err and "bad things" in err


def test_unknown_entry_is_a_user_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "hello.yaml"
    f.write_text(FILE)
    assert main(["run", "helo", "--file", str(f)]) == 1
    assert "did you mean `hello`" in capsys.readouterr().err


def test_output_json_portability_and_replay(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    app = str(REPO / "examples" / "getting_started.py") + ":pipeline"
    assert main(["run", app, "--output", "json"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["phase"] == "Succeeded" and result["record"]
    assert {n["display_name"] for n in result["nodes"]} >= {"raw", "summary", "publish"}
    # the report says what a cluster would have done differently (here: fields the process runtime ignores)
    assert "portability: honoured as on a cluster, except:" in err
    assert "ignored by --runtime process: " in err and "securityContext" in err
    run_name = Path(result["record"]).name
    assert main(["run", "--replay", f"{run_name}/summary"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == 'return: "data-from:https://example.com/"'  # summarize(raw, top_n=3), inputs as recorded
    assert main(["run", "--replay", f"{run_name}/nope"]) == 1
    _, err = capsys.readouterr()
    assert "has no node 'nope'; its steps: publish, raw, summary" in err
