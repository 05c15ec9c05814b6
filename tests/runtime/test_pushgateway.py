"""Pod-side metrics against a real Prometheus Pushgateway (Debian's `prometheus-pushgateway`) on loopback.

Several pods of one template run the runtime at once, one of them failing; the gateway's `/metrics` must then
hold every pod's series separately (grouped by template, workflow, run id and pod: nothing overwritten) with
the right outcome. scripts/setup-pushgateway installs the gateway; in CI a missing binary fails, never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = str(Path(__file__).parents[2] / "src")
BINARY = "prometheus-pushgateway"
STEPS = """\
from athena import container

@container
def work(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * 2
"""


def _binary() -> str:
    found = shutil.which(BINARY) or next((p for p in (f"/usr/bin/{BINARY}",) if os.access(p, os.X_OK)), None)
    if found:
        return found
    message = f"{BINARY} is not installed; run scripts/setup-pushgateway as root (Debian package {BINARY})"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)  # CI installs it (scripts/test): a missing gateway is a broken set-up, not a skip
    pytest.skip(message)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = _binary()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = tmp_path_factory.mktemp("pushgateway")
    log = state / "log"
    with log.open("wb") as out:
        # Debian's build persists to /var/lib/prometheus by default: a file of our own, so runs never share state
        proc = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}",
                                 f"--persistence.file={state / 'pushgateway.data'}"], stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _get(f"{url}/-/ready")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{binary} did not start on {url}:\n{log.read_text(errors='replace')}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_pod(tmp_path: Path, gateway: str, run_id: str, pod: str, slot: str, extra: dict[str, str] | None = None
              ) -> subprocess.Popen[str]:
    """The pod runtime as a local process, with the env the emitter writes when [metrics].pushgateway is set."""
    steps = tmp_path / "steps.py"
    if not steps.exists():  # once: rewriting it while an earlier pod imports it would race (an empty module)
        steps.write_text(STEPS)
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ATHENA_", "ARGO_"))}
    e.update({"ATHENA_RUNTIME": "1", "ATHENA_ENTRY": "steps:work", "ATHENA_TEMPLATE": "golden-work",
              "ATHENA_RESULT": str(tmp_path / f"result-{pod}"), "ATHENA_TMP_DIR": str(tmp_path),
              "ATHENA_PUSHGATEWAY": gateway, "ATHENA_WORKFLOW": "fan-x7k2p",
              "ATHENA_RUN_ID": run_id, "ATHENA_POD": pod, **(extra or {})})
    return subprocess.Popen([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {SRC!r}]; "
                             "from athena.runtime.main import main; raise SystemExit(main(sys.argv[1:]))", "--", slot],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e, cwd=tmp_path)


_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(gateway: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of ``name`` the gateway exposes, with its labels."""
    out = []
    for line in _get(f"{gateway}/metrics").splitlines():
        m = _SAMPLE.match(line)
        if m and m["name"] == name:
            out.append((dict(_LABEL.findall(m["labels"] or "")), float(m["value"])))
    return out


def test_parallel_steps_each_keep_their_series(pushgateway: str, tmp_path: Path) -> None:
    pods = {"fan-x7k2p-golden-work-1001": "1", "fan-x7k2p-golden-work-1002": "2",
            "fan-x7k2p-golden-work-1003": "3", "fan-x7k2p-golden-work-1004": "-1"}
    run_id = str(uuid.uuid4())
    procs = {pod: start_pod(tmp_path, pushgateway, run_id, pod, slot) for pod, slot in pods.items()}  # all at once
    for pod, proc in procs.items():
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == (1 if pods[pod] == "-1" else 0), err
        assert "metrics not pushed" not in err, err
    runs = [(labels, value) for labels, value in scrape(pushgateway, "athena_step_runs_total")
            if labels.get("run_id") == run_id]
    by_pod: dict[str, dict[str, float]] = {}
    for labels, value in runs:
        assert (labels["job"], labels["template"], labels["workflow"]) == ("athena", "golden-work", "fan-x7k2p"), labels
        by_pod.setdefault(labels["pod"], {})[labels["outcome"]] = value
    assert by_pod == {pod: {"succeeded": 0.0 if slot == "-1" else 1.0, "failed": 1.0 if slot == "-1" else 0.0,
                            "error": 0.0} for pod, slot in pods.items()}
    counts = {labels["pod"]: value for labels, value in scrape(pushgateway, "athena_step_duration_seconds_count")
              if labels.get("run_id") == run_id}
    assert counts == dict.fromkeys(pods, 1.0)
    sums = [value for labels, value in scrape(pushgateway, "athena_step_duration_seconds_sum")
            if labels.get("run_id") == run_id]
    assert len(sums) == 4 and all(0 < s < 60 for s in sums)


def test_a_retry_is_a_new_series_and_odd_values_survive(pushgateway: str, tmp_path: Path) -> None:
    """A retried step runs in a new pod: both attempts stay. A value with `/` travels as `@base64`."""
    run_id = str(uuid.uuid4())
    for pod, slot in (("retry-wf-step-1", "-5"), ("retry-wf-step-2", "5")):
        proc = start_pod(tmp_path, pushgateway, run_id, pod, slot, {"ATHENA_WORKFLOW": "team/retry wf"})
        _, err = proc.communicate(timeout=60)
        assert "metrics not pushed" not in err, err
    runs = {(labels["pod"], labels["outcome"]): value for labels, value in scrape(pushgateway, "athena_step_runs_total")
            if labels.get("run_id") == run_id and labels.get("workflow") == "team/retry wf"}
    assert runs[("retry-wf-step-1", "failed")] == 1.0 and runs[("retry-wf-step-2", "succeeded")] == 1.0
    assert runs[("retry-wf-step-1", "succeeded")] == 0.0 and runs[("retry-wf-step-2", "failed")] == 0.0


def test_a_missing_gateway_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="scripts/setup-pushgateway"):
        _binary()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="scripts/setup-pushgateway"):
        _binary()
