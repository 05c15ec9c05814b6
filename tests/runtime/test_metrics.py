"""Pod-side metrics (runtime/metrics.py): the push URL, the exposition text, and that a push never fails a step.

The end-to-end test against a real Prometheus Pushgateway is tests/runtime/test_pushgateway.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from athena.bundle.identity import POD_MODULES
from athena.runtime import metrics, protocol

SRC = str(Path(__file__).parents[2] / "src")


def test_push_path_groups_by_template_workflow_run_and_pod() -> None:
    env = {"ATHENA_TEMPLATE": "app-train", "ATHENA_WORKFLOW": "pipeline-x7k2p", "ATHENA_RUN_ID": "0b5e-11ef",
           "ATHENA_POD": "pipeline-x7k2p-app-train-123"}
    assert metrics.push_path(metrics.grouping(env)) == (
        "/metrics/job/athena/template/app-train/workflow/pipeline-x7k2p/run_id/0b5e-11ef/pod/pipeline-x7k2p-app-"
        "train-123")


def test_values_a_url_cannot_carry_use_base64() -> None:
    path = metrics.push_path([("template", "a/b"), ("workflow", ""), ("run_id", ".."), ("pod", "p q")])
    # the Pushgateway's `@base64` form, URL-safe alphabet; an empty value is `=`
    assert path == "/metrics/job/athena/template@base64/YS9i/workflow@base64/=/run_id@base64/Li4=/pod@base64/cCBx"


def test_pod_defaults_to_the_hostname() -> None:
    assert dict(metrics.grouping({}))["pod"] == socket.gethostname()


def test_exposition_text() -> None:
    text = metrics.exposition(1, 7.5, 1700000000.25)
    lines = text.splitlines()
    assert "# TYPE athena_step_duration_seconds histogram" in lines
    assert 'athena_step_duration_seconds_bucket{le="5"} 0' in lines
    assert 'athena_step_duration_seconds_bucket{le="10"} 1' in lines
    assert 'athena_step_duration_seconds_bucket{le="+Inf"} 1' in lines
    assert "athena_step_duration_seconds_sum 7.5" in lines and "athena_step_duration_seconds_count 1" in lines
    assert 'athena_step_runs_total{outcome="failed"} 1' in lines
    assert 'athena_step_runs_total{outcome="succeeded"} 0' in lines
    assert "athena_step_finished_timestamp_seconds 1700000000.25" in lines
    assert text.endswith("\n")
    assert [metrics.outcome(c) for c in (0, 1, 2, 3, 137)] == ["succeeded", "failed", "error", "failed", "failed"]


def test_a_silent_gateway_costs_at_most_the_timeout(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(protocol, "PUSH_TIMEOUT_SECONDS", 0.3)
    with socket.socket() as server:  # accepts connections (the kernel's backlog) and never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        start = time.monotonic()
        metrics.push_step(0, 1.0, {"ATHENA_PUSHGATEWAY": f"http://user:secret@127.0.0.1:{port}"})
        assert time.monotonic() - start < 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("athena: warning: metrics not pushed to ATHENA_PUSHGATEWAY=")
    assert "secret" not in err


def run_step(tmp_path: Path, env: dict[str, str], listing: Path | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "steps.py").write_text("from athena import container\n\n@container\ndef inc(x: int) -> int:\n"
                                       "    return x + 1\n")
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ATHENA_", "ARGO_"))}
    e.update({"ATHENA_RUNTIME": "1", "ATHENA_ENTRY": "steps:inc", "ATHENA_TEMPLATE": "t-inc",
              "ATHENA_RESULT": str(tmp_path / "result"), **env})
    probe = ""
    if listing is not None:
        probe = ("import atexit; atexit.register(lambda: open(sys.argv[1], 'w').write('\\n'.join(sorted("
                 "sys.modules)))); ")
    return subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {SRC!r}]; "
                           f"{probe}from athena.runtime.main import main; raise SystemExit(main(['--', '41']))",
                           str(listing or "")], capture_output=True, text=True, env=e, cwd=tmp_path)


def test_an_unreachable_gateway_never_fails_the_step(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listing = tmp_path / "modules.txt"
    p = run_step(tmp_path, {"ATHENA_PUSHGATEWAY": f"http://127.0.0.1:{port}"}, listing)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "result").read_text() == "42"
    [warning] = p.stderr.splitlines()
    assert warning.startswith(f"athena: warning: metrics not pushed to ATHENA_PUSHGATEWAY=http://127.0.0.1:{port}: ")
    mods = set(listing.read_text().split())
    assert "athena.runtime.metrics" in mods  # imported when the variable is set, and covered by the bundle digest
    assert "athena/runtime/metrics.py" in POD_MODULES
