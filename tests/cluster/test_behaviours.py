"""One Argo behaviour per test, on the real controller: tests/cluster/apps/cluster_app.py, built and published once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.cluster


def run(cluster: Any, project: Path, root: str, *args: str, timeout: float = 300,
        swap: tuple[str, str] | None = None) -> dict[str, Any]:
    """Emit `root` with a Workflow (`-a` args), submit it, wait. `swap` replaces a text in the emitted stream: one
    argv element is at most 128 KiB, so a larger argument goes in after `athena emit`."""
    argv = ["emit", f"cluster_app:{root}", "--with-workflow", "-n", cluster.namespace]
    for a in args:
        argv += ["-a", a]
    stream = cluster.athena(project, *argv)
    if swap:
        assert swap[0] in stream
        stream = stream.replace(swap[0], swap[1])
    return cluster.run(stream, timeout=timeout)


def nodes(wf: dict[str, Any]) -> list[dict[str, Any]]:
    return list(wf["status"]["nodes"].values())


def returns(cluster: Any, wf: dict[str, Any], template: str) -> list[Any]:
    return [json.loads(o["return"]) for o in cluster.node_outputs(wf, f"-{template}") if o.get("return") is not None]


def test_fan_out_with_continue_on(cluster: Any, project: Path) -> None:
    wf = run(cluster, project, "fan_out", "xs=[1, 2, 3, 4]")
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    assert returns(cluster, wf, "survivors") == [[1, 4, 16]], cluster.describe(wf)
    failed = [n for n in nodes(wf) if n["type"] == "Pod" and n["phase"] == "Failed"]
    assert len(failed) == 1, cluster.describe(wf)


@pytest.mark.parametrize(("n", "arm"), [(20, "big"), (7, "medium"), (1, "small")])
def test_if_elif_else_runs_one_arm(cluster: Any, project: Path, n: int, arm: str) -> None:
    wf = run(cluster, project, "branches", f"n={n}")
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    assert returns(cluster, wf, "record") == [f"{arm} {n}"], cluster.describe(wf)
    assert any(node["phase"] == "Skipped" for node in nodes(wf)), cluster.describe(wf)


def test_dollars_and_braces_arrive_unchanged(cluster: Any, project: Path) -> None:
    text = "costs $$5 in $(HOME) for {{workflow.name}} and {{=1+1}}"
    wf = run(cluster, project, "values", f"text={text}")
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    assert returns(cluster, wf, "echo") == [text]
    assert returns(cluster, wf, "length") == [len(text)]


def test_a_value_of_131071_bytes_of_json_round_trips(cluster: Any, project: Path) -> None:
    text = "x" * 131_069  # its JSON, quotes included, is 131,071 bytes: athena's limit for a parameter
    wf = run(cluster, project, "values", "text=PLACEHOLDER", swap=("PLACEHOLDER", text))
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    assert returns(cluster, wf, "echo") == [text]
    assert returns(cluster, wf, "length") == [len(text)]


def test_an_argument_above_128_kib_arrives_through_argos_offload_file(cluster: Any, project: Path) -> None:
    text = "y" * 131_071  # 131,073 bytes of JSON: Argo >= 3.7 passes it as @/tmp/argo_arg_<N>.txt
    wf = run(cluster, project, "measured", "text=PLACEHOLDER", swap=("PLACEHOLDER", text))
    if cluster.argo_line == "3.6":  # no offload before 3.7: docs/guide.md's table says the pod cannot start
        assert wf["status"]["phase"] == "Failed", cluster.describe(wf)
        assert "argument list too long" in cluster.describe(wf)
        return
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    assert returns(cluster, wf, "length") == [len(text)]


def test_returning_more_than_131071_bytes_of_json_fails_the_step_clearly(cluster: Any, project: Path) -> None:
    text = "z" * 131_071
    wf = run(cluster, project, "values", "text=PLACEHOLDER", swap=("PLACEHOLDER", text))
    assert wf["status"]["phase"] == "Failed", cluster.describe(wf)
    log = cluster.describe(wf)
    if cluster.argo_line == "3.6":  # the argument itself cannot reach the pod on 3.6 (see above)
        assert "argument list too long" in log, log
    else:
        assert "above the 131071-byte limit for a parameter" in log, log


def test_exit_and_expression_hooks_run(cluster: Any, project: Path) -> None:
    wf = run(cluster, project, "hooked", "seconds=8")
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    assert returns(cluster, wf, "cleanup") == ["cleaned"], cluster.describe(wf)
    assert returns(cluster, wf, "heartbeat") == ["beat"], cluster.describe(wf)


def test_retry_succeeds_on_the_second_attempt(cluster: Any, project: Path) -> None:
    wf = run(cluster, project, "retried")
    assert wf["status"]["phase"] == "Succeeded", cluster.describe(wf)
    pods = [n for n in nodes(wf) if n["type"] == "Pod"]
    assert [p["phase"] for p in pods].count("Failed") == 1 and len(pods) == 2, cluster.describe(wf)
    assert returns(cluster, wf, "second-time") == ["second attempt"], cluster.describe(wf)


def test_step_past_its_timeout_fails(cluster: Any, project: Path) -> None:
    wf = run(cluster, project, "timed_out", timeout=180)
    assert wf["status"]["phase"] == "Failed", cluster.describe(wf)
    pod = next(n for n in nodes(wf) if n["type"] == "Pod")
    assert pod["phase"] == "Failed", cluster.describe(wf)
