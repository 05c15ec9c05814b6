"""`athena run` against Argo's real controller (issue 10): the same emitted YAML on both, compared by workflow
phase, the root's return value and the phase of every step (Pod node) by display name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.cluster


def _steps(nodes: Any) -> list[tuple[str, str]]:
    return sorted((str(n["displayName"]), str(n["phase"])) for n in nodes if n.get("type") == "Pod")


@pytest.mark.parametrize(("root", "args"), [("fan_out", ["xs=[1, 2, 3, 4]"]), ("branches", ["n=7"]),
                                            ("branches", ["n=1"]), ("values", ['text="a $$ b"']),
                                            ("timed_out", []),
                                            # the expression hook `{self}.status == 'Running'` fires on the real
                                            # controller only if it sees the pod Running: 8 s (3 s did not)
                                            ("hooked", ["seconds=8"])])
def test_athena_run_agrees_with_the_real_controller(cluster: Any, project: Path, root: str, args: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from athena.local.run import RunOptions, run_workflow

    argv = ["emit", f"cluster_app:{root}", "--with-workflow", "-n", cluster.namespace]
    for a in args:
        argv += ["-a", a]
    stream = cluster.athena(project, *argv)
    wf = cluster.run(stream)
    docs = [d for d in yaml.safe_load_all(stream) if d]
    workflow = next(d for d in docs if d["kind"] == "Workflow")
    entry = workflow["spec"]["workflowTemplateRef"]["name"]
    arguments = {p["name"]: p["value"] for p in workflow["spec"].get("arguments", {}).get("parameters", [])}
    monkeypatch.syspath_prepend(str(project))  # the process runtime imports the app from the caller's path
    monkeypatch.chdir(project)
    local = run_workflow([d for d in docs if d["kind"] != "Workflow"], entry, arguments,
                         RunOptions(argo_version=cluster.argo_line))
    status = wf["status"]
    assert local.phase == status["phase"], (local.message, cluster.describe(wf))
    real_return = next((p.get("value") for p in status.get("outputs", {}).get("parameters", [])
                        if p["name"] == "return"), None)
    if real_return is not None:
        assert json.loads(local.outputs["return"]) == json.loads(real_return), cluster.describe(wf)
    assert local.record is not None
    record = json.loads((Path(local.record) / "run.json").read_text(encoding="utf-8"))
    local_steps = sorted((n["display_name"], n["phase"]) for n in record["nodes"] if n["type"] == "Pod")
    assert local_steps == _steps(status["nodes"].values()), cluster.describe(wf)
