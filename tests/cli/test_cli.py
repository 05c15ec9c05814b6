"""The CLI as a user runs it: data on stdout, messages on stderr, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"


def athena(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "athena.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_emit_matches_golden_stream() -> None:
    """`athena emit` prints exactly the documents of the with_workflow golden (placeholders put back)."""
    from athena import api
    from athena.argo.yaml import dump_yaml, load_yaml_documents
    from athena.config import load_config
    from athena.runtime.protocol import bootstrap_script

    feature = GOLDEN / "with_workflow"
    r = athena("emit", str(feature / "app.py"), "--with-workflow", cwd=feature)
    assert r.returncode == 0, r.stderr
    config = load_config(start=feature, env={})
    digest = api.bundle_digest(api.load_app(str(feature / "app.py"), config), config)
    script = bootstrap_script(tuple(config.bootstrap.targets))
    assert r.stdout.count(digest) >= 2 and r.stdout.count("set -e") == 1

    def placeholders(value: object) -> object:
        if isinstance(value, dict):
            return {k: placeholders(v) for k, v in value.items()}
        if isinstance(value, list):
            return [placeholders(v) for v in value]
        if isinstance(value, str):
            return "<bootstrap.sh>" if value == script else value.replace(digest, "<digest>")
        return value

    docs = [placeholders(d) for d in load_yaml_documents(r.stdout)]
    assert dump_yaml(docs) == (feature / "expected.yaml").read_text(encoding="utf-8")


def test_emit_to_file_and_lint_it(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    r = athena("emit", str(EX / "features.py"), "--with-workflow", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    lint = athena("lint", str(out))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 problem(s)" in lint.stderr


def test_lint_reports_problems_with_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\n"
                   "spec:\n  entrypoint: a\n  templates:\n  - name: a\n    retryStrategy: {limt: 3}\n"
                   "    container: {image: busybox}\n")
    r = athena("lint", str(bad), "--argo-version", "4.1")
    assert r.returncode == 1
    assert "spec.templates[0].retryStrategy" in r.stdout and "limt" in r.stdout


def test_check_passes_on_examples() -> None:
    r = athena("check", str(EX / "features.py"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_compile_error_is_rendered_without_traceback(tmp_path: Path) -> None:
    src = tmp_path / "flow.py"
    src.write_text("from athena import container, workflow\n\n@container\ndef c(x: int) -> int:\n    return x\n\n"
                   "@workflow\ndef w() -> None:\n    c(\"3\")\n")
    r = athena("emit", str(src))
    assert r.returncode == 1
    assert r.stdout == ""
    assert f"{src}:9:7: error[ATH203]" in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.rstrip().endswith("athena: 1 error")


def test_grammar_error_at_import_is_rendered(tmp_path: Path) -> None:
    src = tmp_path / "flow.py"
    src.write_text("from athena import container, workflow\n\n@container\ndef c(x: int) -> int:\n    return x\n\n"
                   "@workflow\ndef w(xs: list[int]) -> None:\n    for x in xs:\n        c(x)\n")
    r = athena("emit", str(src))
    assert r.returncode == 1
    assert "error[ATH101]" in r.stderr and "Traceback" not in r.stderr


def test_container_ls_and_describe() -> None:
    r = athena("container", "ls", "--app", str(EX / "getting_started.py"), "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {row["name"] for row in rows} == {"examples-fetch", "examples-summarize", "examples-publish"}
    d = athena("container", "describe", "summarize", "--app", str(EX / "getting_started.py"))
    info = json.loads(d.stdout)
    assert info["parameters"] == [{"name": "data", "type": "str"}, {"name": "top_n", "type": "int", "default": 5}]
    assert info["returns"] == "str"


def test_unknown_name_suggests() -> None:
    r = athena("container", "describe", "summarise", "--app", str(EX / "getting_started.py"))
    assert r.returncode == 1
    assert "no container named `summarise`" in r.stderr


def test_workflow_ls_describe_graph() -> None:
    app = str(EX / "features.py")
    ls = athena("workflow", "ls", "--app", app, "--json")
    names = {row["name"] for row in json.loads(ls.stdout)}
    assert "examples-everything" in names and "examples-everything-if1" not in names
    ls2 = athena("workflow", "ls", "--app", app, "--include-synthetic", "--json")
    assert "examples-everything-if1" in {row["name"] for row in json.loads(ls2.stdout)}
    desc = json.loads(athena("workflow", "describe", "orders", "--app", app).stdout)
    assert [t["name"] for t in desc["tasks"]] == ["batch", "prices", "total"]
    assert desc["tasks"][1]["depends"] == ["batch"] and desc["tasks"][1]["fan_out"] is True
    mer = athena("workflow", "graph", "orders", "--app", app)
    assert mer.stdout.startswith("flowchart TD") and "n0 --> n1" in mer.stdout
    dot = athena("workflow", "graph", "orders", "--app", app, "--format", "dot")
    assert 'n0 [label="batch: examples-load"];' in dot.stdout and "n0 -> n1;" in dot.stdout


def test_missing_app_is_a_usage_message(tmp_path: Path) -> None:
    r = athena("emit", cwd=tmp_path)
    assert r.returncode == 1
    assert "no APP given" in r.stderr


def test_help_lists_every_command() -> None:
    r = athena("--help")
    for cmd in ("emit", "check", "lint", "container", "workflow"):
        assert cmd in r.stdout


def test_graph_png_with_graphviz(tmp_path: Path) -> None:
    import shutil

    assert shutil.which("dot"), "graphviz's dot is required (scripts/test installs it)"
    out = tmp_path / "g.png"
    r = athena("workflow", "graph", "orders", "--app", str(EX / "features.py"), "--format", "png", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_python_mismatch_warns(tmp_path: Path) -> None:
    import shutil

    shutil.copy(EX / "getting_started.py", tmp_path / "flow.py")
    other = "3.99" if sys.version_info[:2] != (3, 99) else "3.11"
    (tmp_path / "athena.toml").write_text(f'[bootstrap]\npython = "{other}"\n')
    r = athena("emit", str(tmp_path / "flow.py"))
    assert r.returncode == 0, r.stderr
    assert f"[bootstrap].python is {other}" in r.stderr
    same = f"{sys.version_info.major}.{sys.version_info.minor}"
    (tmp_path / "athena.toml").write_text(f'[bootstrap]\npython = "{same}"\n')
    assert "warning" not in athena("emit", str(tmp_path / "flow.py")).stderr


WITH_INPUTS = '''
import enum
from typing import Literal
from athena import container, workflow

class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"

@container
def work(count: int, mode: Mode, level: Literal["info", "warn"]) -> int:
    return count

@workflow
def submitted(count: int, mode: Mode, level: Literal["info", "warn"] = "info") -> int:
    return work(count, mode, level)
'''


def _workflow_args(stdout: str) -> dict[str, str]:
    from athena.argo.yaml import load_yaml_documents

    wf = [d for d in load_yaml_documents(stdout) if d["kind"] == "Workflow"]
    assert len(wf) == 1
    return {p["name"]: p["value"] for p in wf[0]["spec"].get("arguments", {}).get("parameters", [])}


def test_with_workflow_fills_every_required_input(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(WITH_INPUTS)
    r = athena("emit", "flow.py", "--with-workflow", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    args = _workflow_args(r.stdout)
    # The controller rejects a Workflow leaving a required input empty: a placeholder saying what to write.
    assert set(args) == {"count", "mode"}  # `level` has a default: the template's own arguments give it
    assert args["count"].startswith("<required: int;") and "-a count=VALUE" in args["count"]
    assert "one of fast | slow" in args["mode"]  # choices as the user types them, not JSON-quoted
    assert "fill in count, mode" in r.stderr and "-a count=VALUE -a mode=VALUE" in r.stderr
    # -a values, parsed like `container emulate -a`; an enum choice typed as is, written as the JSON the pod reads.
    r = athena("emit", "flow.py", "--with-workflow", "-a", "count=3", "-a", "mode=slow", "-a", "level=warn",
               cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert _workflow_args(r.stdout) == {"count": "3", "mode": '"slow"', "level": '"warn"'}
    assert "fill in" not in r.stderr
    lint = tmp_path / "out.yaml"
    lint.write_text(r.stdout)
    assert athena("lint", str(lint)).returncode == 0


def test_emit_arguments_are_checked_against_the_root(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(WITH_INPUTS)
    r = athena("emit", "flow.py", "--with-workflow", "-a", "cnt=1", cwd=tmp_path)
    assert r.returncode != 0 and "no parameter `cnt` (did you mean `count`?)" in r.stderr
    r = athena("emit", "flow.py", "--with-workflow", "-a", "mode=medium", cwd=tmp_path)
    assert r.returncode != 0 and "choose one of fast, slow" in r.stderr
    r = athena("emit", "flow.py", "-a", "count=1", cwd=tmp_path)
    assert r.returncode != 0 and "add --with-workflow" in r.stderr
    assert "Traceback" not in r.stderr


FAN_IN = '''
import athena
from athena import container, workflow

@container
def one(x: int) -> int:
    return x

@container
def total(xs: list[int]) -> int:
    athena.host("/var/cache/models")
    return sum(xs)

@workflow
def flow(xs: list[int]) -> int:
    ys = [one(x) for x in xs]
    return total(ys)
'''


def test_check_warns_about_an_aggregate_passed_as_a_parameter(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(FAN_IN)
    r = athena("check", "flow.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # a warning, not an error: only the run knows the size
    assert "flow.py:17:" in r.stderr and "warning:" in r.stderr and "fan-out `ys`" in r.stderr
    assert "131071 bytes" in r.stderr and "Artifact[T]" in r.stderr and "ok: " in r.stderr
    assert "pss" not in r.stderr  # host() is fine unless --pss asks


def test_check_pss_levels(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(FAN_IN)
    for level in ("baseline", "restricted"):
        r = athena("check", "flow.py", "--pss", level, cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        assert f"pss {level}: WorkflowTemplate/flow-total: volumes[2].hostPath: hostPath volume" in r.stderr
        assert ("executor.securityContext" in r.stderr) == (level == "restricted")
    (tmp_path / "clean.py").write_text(WITH_INPUTS)
    r = athena("check", "clean.py", "--pss", "restricted", cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # athena's own contexts satisfy restricted; only the controller note
    assert "pss restricted: note:" in r.stderr and "ok: " in r.stderr
