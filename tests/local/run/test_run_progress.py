"""``athena run``'s progress: the plain line-per-node output (not a terminal), the live tree (a terminal, rich),
and each step's log lines streamed as they arrive."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from athena.local.run import NodeEvent, RunResult
from athena.local.run.progress import Progress

REPO = Path(__file__).resolve().parents[3]


def _events(p: Progress) -> None:
    p(NodeEvent("wf", "wf", "main", "Running", None, "DAG"))
    p(NodeEvent("wf.raw", "raw", "fetch", "Running", "wf", "Pod"))
    p(NodeEvent("wf.summary", "summary", "summarize", "Running", "wf", "Pod"))
    p(NodeEvent("wf.raw", "raw", "fetch", "Succeeded", "wf", "Pod"))
    p(NodeEvent("wf.summary", "summary", "summarize", "Failed", "wf", "Pod", "Error (exit code 4)"))
    p(NodeEvent("wf", "wf", "main", "Failed", None, "DAG", "child failed"))


def test_plain_output_is_one_line_per_finished_node() -> None:
    out = io.StringIO()
    p = Progress({"fetch": "fetch", "summarize": "summarize"}, out=out)
    _events(p)
    p.close()
    assert out.getvalue() == ("✔ Succeeded   raw (fetch)\n"
                              "✖ Failed      summary (summarize)  Error (exit code 4)\n"
                              "✖ Failed    wf  child failed\n")


def test_plain_log_lines_are_prefixed_with_the_aligned_step_name() -> None:
    out = io.StringIO()
    p = Progress(out=out, live=False)
    p.node("wf", "wf", "main", "Running", None, "DAG")
    p.node("wf.raw", "raw", "fetch", "Running", "wf", "Pod")
    p.node("wf.summary", "summary", "summarize", "Running", "wf", "Pod")
    p.log("wf.summary", "hello")
    p.log("wf.raw", "fetched 3 rows")
    p.log("elsewhere", "a step the renderer was not told about")
    p.close()
    assert out.getvalue().splitlines() == ["summary │ hello", "raw     │ fetched 3 rows",
                                           "elsewhere │ a step the renderer was not told about"]


def test_logs_false_drops_log_lines() -> None:
    out = io.StringIO()
    p = Progress(out=out, live=False, logs=False)
    p.node("wf.s", "s", "t", "Running", None, "Pod")
    p.log("wf.s", "hello")
    assert out.getvalue() == ""


def test_a_polled_node_reported_again_unchanged_prints_once() -> None:
    """``athena submit --watch`` polls status.nodes and reports every node on each poll."""
    out = io.StringIO()
    p = Progress(out=out, live=False)
    for _ in range(3):
        p.node("wf", "wf", "main", "Running", None, "Steps")
        p.node("wf.a", "a", "a", "Succeeded", "wf", "Pod")
    p.node("wf", "wf", "main", "Succeeded", None, "Steps")
    assert out.getvalue() == "✔ Succeeded   a\n✔ Succeeded wf\n"


def test_live_tree_on_a_terminal_shows_running_steps_with_elapsed_time_and_logs_above() -> None:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, height=40, color_system=None)
    p = Progress({"summarize": "summarize", "main": "main"}, console=console)
    p.node("wf", "wf", "main", "Running", None, "DAG", started=1.0)
    p.node("wf.raw", "raw", "fetch", "Succeeded", "wf", "Pod")
    p.node("wf.summary", "summary", "summarize", "Running", "wf", "Pod")
    p.log("wf.summary", "hello [bold]not markup[/bold]")
    p.refresh()
    p.close()
    text = buf.getvalue()
    assert "summary │ hello [bold]not markup[/bold]" in text
    assert re.search(r"● summary \(summarize\)  \d+(\.\d)?s", text), text
    assert "├─ ✔ raw" in text and re.search(r"● wf \(main\)  \d+m\d\ds", text), text


def test_live_tree_taller_than_the_terminal_hides_finished_steps_first() -> None:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80, height=12, color_system=None)
    p = Progress(console=console)
    p.node("wf", "wf", "main", "Running", None, "DAG")
    for i in range(30):
        p.node(f"wf.s{i}", f"s{i}", "t", "Running", "wf", "Pod")
        if i < 28:
            p.node(f"wf.s{i}", f"s{i}", "t", "Succeeded", "wf", "Pod")
    lines = p.render_lines(height=12)
    assert len(lines) <= 11
    assert any("● s28" in ln for ln in lines) and any("● s29" in ln for ln in lines)
    assert any("28 finished" in ln for ln in lines), lines
    p.close()


BIG = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: logs}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: many, template: many}
      - {name: tail, template: tail}
      - {name: a, template: par, arguments: {parameters: [{name: who, value: a}]}}
      - {name: bb, template: par, arguments: {parameters: [{name: who, value: bb}]}}
  - name: many
    script: {image: alpine, command: [sh], source: "i=0; while [ $i -lt 10000 ]; do echo line-$i; i=$((i+1)); done"}
  - name: tail
    script: {image: alpine, command: [sh], source: "echo first; echo err-line >&2; printf 'no newline at the end'"}
  - name: par
    inputs: {parameters: [{name: who}]}
    script:
      image: alpine
      command: [sh]
      source: "i=0; while [ $i -lt 3000 ]; do echo {{inputs.parameters.who}}-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"
"""


def test_every_log_line_reaches_the_stream_and_the_record(run: Callable[..., RunResult], tmp_path: Path) -> None:
    out = io.StringIO()
    progress = Progress(out=out, live=False)
    got: list[tuple[str, str]] = []

    def on_log(node: str, line: str) -> None:
        got.append((node, line))
        progress.log(node, line)

    result = run(BIG, on_event=progress, on_log=on_log)
    progress.close()
    assert result.phase == "Succeeded", result.message
    by_node: dict[str, list[str]] = {}
    for node, line in got:
        by_node.setdefault(node.split(".", 1)[1], []).append(line)
    assert by_node["many"] == [f"line-{i}" for i in range(10000)]
    assert sorted(by_node["tail"]) == sorted(["first", "err-line", "no newline at the end"])
    record = tmp_path / "record" / "logs"
    many = next(record.glob("*many*.log")).read_text()
    assert many.splitlines() == [f"line-{i}" for i in range(10000)]
    tail = next(record.glob("*tail*.log")).read_text()  # stdout and stderr share the file, as kubectl logs shows
    assert all(line in tail for line in ("first", "err-line", "no newline at the end")), tail
    # parallel steps' lines never interleave mid-line on the stream
    pattern = re.compile(r"(many +│ line-\d+|tail +│ (first|err-line|no newline at the end)"
                         r"|(a|bb) +│ (a|bb)-\d+-x{39}|✔ Succeeded .*)")
    lines = out.getvalue().splitlines()
    bad = [ln for ln in lines if not pattern.fullmatch(ln)]
    assert not bad, bad[:5]
    assert sum(1 for ln in lines if "│ a-" in ln) == 3000 and sum(1 for ln in lines if "│ bb-" in ln) == 3000


FILE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: hello}
spec:
  entrypoint: main
  templates:
  - name: main
    steps: [[{name: greet, template: say}]]
  - name: say
    script: {image: alpine, command: [sh], source: "echo hello from the step"}
"""


def test_cli_streams_logs_unless_no_logs(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from athena.cli import main

    monkeypatch.chdir(tmp_path)
    f = tmp_path / "hello.yaml"
    f.write_text(FILE)
    assert main(["run", "hello", "--file", str(f), "--output", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["phase"] == "Succeeded"  # stdout stays pure JSON
    assert "greet │ hello from the step" in err
    assert main(["run", "hello", "--file", str(f), "--no-logs"]) == 0
    out, err = capsys.readouterr()
    assert "hello from the step" not in err and re.search(r"^✔ Succeeded +greet$", err, re.M), err
    record = next(p for p in (tmp_path / ".athena" / "runs").iterdir() if p.is_dir())
    assert "hello from the step" in next((record / "logs").glob("*greet*.log")).read_text()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}


def test_help_and_a_run_off_a_terminal_do_not_import_rich(tmp_path: Path) -> None:
    f = tmp_path / "hello.yaml"
    f.write_text(FILE)
    snippet = textwrap.dedent(f"""
        import sys
        from athena.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
        assert "rich" not in sys.modules, "--help imported rich"
        code = main(["run", "hello", "--file", {str(f)!r}])
        assert code == 0, code
        assert "rich" not in sys.modules, "a run off a terminal imported rich"
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, cwd=tmp_path, env=_env())
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr
    assert "greet │ hello from the step" in r.stderr


def test_a_run_on_a_terminal_draws_the_live_tree_then_the_final_tree(tmp_path: Path) -> None:
    f = tmp_path / "hello.yaml"
    f.write_text(FILE.replace("echo hello from the step", "echo hello from the step; sleep 0.6"))
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "athena.cli", "run", "hello", "--file", str(f)], cwd=tmp_path,
                            env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(60) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "greet │ hello from the step" in text
    assert re.search(r"● greet", text), text  # the live tree, while the step ran
    assert "✔ Succeeded   greet" not in text  # no plain lines on a terminal
    assert "└─ ✔ greet" in text  # the final tree


def test_line_splitter_pieces_partial_lines_and_a_failing_sink() -> None:
    from athena.local.run.process import LINE_MAX, LineSplitter

    got: list[str] = []
    s = LineSplitter(got.append)
    for chunk in (b"one\ntw", b"o\r\n", b"", b"thr", b"ee"):
        s.feed(chunk)
    s.end()
    assert got == ["one", "two", "three"]
    got.clear()
    s.feed(b"x" * (LINE_MAX + 10))
    s.end()
    assert "".join(got) == "x" * (LINE_MAX + 10)

    def broken(_line: str) -> None:
        raise BrokenPipeError

    b = LineSplitter(broken)
    b.feed(b"a\nb\n")  # the sink fails: lines stop going there, feeding does not raise
    b.end()


def test_the_podman_runtime_tees_the_executor_log_to_the_record_and_the_stream(tmp_path: Path) -> None:
    from athena.local.run.podman import _Tee
    from athena.local.run.process import LineSplitter

    got: list[str] = []
    with open(tmp_path / "x.log", "w", encoding="utf-8") as record:
        tee = _Tee(record, LineSplitter(got.append))
        print("athena emulate: note: resources ignored", file=tee)
        tee.write("out line\n")
        tee.write("last, no newline")
        tee.flush()
        tee.lines.end()
    assert got == ["athena emulate: note: resources ignored", "out line", "last, no newline"]
    assert (tmp_path / "x.log").read_text() == "athena emulate: note: resources ignored\nout line\nlast, no newline"


def test_close_is_idempotent_and_later_reports_do_not_break_the_terminal() -> None:
    from rich.console import Console

    buf = io.StringIO()
    p = Progress(console=Console(file=buf, force_terminal=True, width=80, height=20, color_system=None))
    p.node("wf.s", "s", "t", "Running", None, "Pod")
    p.close()
    p.close()
    size = len(buf.getvalue())
    p.node("wf.s", "s", "t", "Succeeded", None, "Pod")
    p.log("wf.s", "late")
    p.refresh()
    assert len(buf.getvalue()) == size


def test_a_step_that_cannot_start_says_so_on_the_stream(run: Callable[..., RunResult]) -> None:
    got: list[tuple[str, str]] = []
    result = run("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: nostart}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [/no/such/program-athena]}
""", on_log=lambda n, line: got.append((n, line)))
    assert result.phase == "Failed"
    assert any("cannot start /no/such/program-athena" in line for _, line in got), got
