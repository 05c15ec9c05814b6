"""Differential test: every example root that runs without arguments gives the same result in-process (calling the
@workflow) and through ``athena run`` (the emitted YAML with Argo's semantics, ``--runtime process``).

Issue 10, "Tests": "Every example and every docs example runs with `athena run` and gives the same result as
in-process." The roots are found, not listed, so a new example joins the test; one that needs something the
process runtime cannot give is listed in ``NEEDS_PODMAN`` with the reason, and runs with ``--runtime podman``
instead: its bundle built by the example's own ``[bootstrap]``, every image pointed at the local test image by a
values file (the examples name registry images this machine cannot pull).
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest

from athena import Artifact, api
from athena.cli import main
from athena.config import load_config
from athena.runtime import codec

REPO = Path(__file__).resolve().parents[3]
FILES = sorted((REPO / "examples").glob("*.py")) + sorted((REPO / "docs" / "examples").glob("*.py"))
# "<file relative to the repo>:<function>" -> why it needs --runtime podman (Artifact[T] parameters and the like).
NEEDS_PODMAN: dict[str, str] = {
    "docs/examples/large_values.py:report": "needs --runtime podman: an Artifact[T] parameter is the file "
                                            "/athena/in/<name>, a path only the container has (--runtime process "
                                            "runs on this machine's filesystem)",
    "examples/artifacts.py:report": "needs --runtime podman: compress and size_of take Artifact[bytes] parameters "
                                    "(files under /athena/in/, as large_values.py:report)",
}
LOCAL_IMAGE = "localhost/athena-bb:1"  # scripts/setup-podman's static busybox: the bundle brings the Python
# Roots that are not meant to be run on their own.
NOT_AN_ENTRY: dict[str, str] = {
    "docs/examples/computed.py:on_done": "an exit handler: athena.wf.status/failures exist only when it runs as one",
}
# Arguments for roots that need some (JSON values): each such root runs too.
ARGUMENTS: dict[str, dict[str, Any]] = {
    "docs/examples/in_process.py:add_up": {"text": "1,2,3"},
    "docs/examples/in_process.py:add_up_or_explain": {"text": "1,x"},  # a failed step's Outcome and exit code
    "docs/examples/fanout.py:shards": {"prefix": "p", "regions": ["eu", "us"]},
    "docs/examples/branches.py:triage": {"path": "/tmp/x.csv"},
    "docs/examples/computed.py:report": {"run_id": "r1", "n": 3},
    "docs/examples/hooks.py:guarded": {"url": "https://example.com/a", "mirrors": ["m1", "m2"]},
    "docs/examples/ordering.py:pipeline": {"bucket": "b"},
    "docs/examples/ordering.py:staged": {"bucket": "b"},
    # docs/examples/ports.py:scoring reads a model artifact (models/current.bin) that must already be in the store
    "examples/artifacts.py:report": {"pages": 2},
    "docs/examples/large_values.py:report": {"pages": 2},
    "examples/features.py:in_steps": {"count": 3},
    "examples/features.py:tolerant": {"values": [1, 2, 3]},
}
# What a step reads from its environment (a Secret or env_from on a cluster), for both runs.
ENVIRONMENT: dict[str, dict[str, str]] = {
    "docs/examples/settings.py:nightly": {"TRAIN__DB__PASSWORD": "s3cret"},
}


def _roots() -> list[Any]:
    params: list[Any] = []
    for path in FILES:
        config = load_config(None, start=path.parent)
        loaded = api.load_app(str(path), config)
        program = api.compile_templates(loaded.roots, config, None)
        # the decorated objects: calling one runs the workflow in-process (its .fn is the plain body)
        roots = {t.fn.__name__: t for t in loaded.roots if getattr(t, "fn", None) is not None}
        for name in program.roots:
            t = program.templates[name]
            root = roots.get(str(t.function).split(" ")[0].split(".")[-1])
            if t.kind != "workflow" or root is None:
                continue
            key = f"{path.relative_to(REPO)}:{root.fn.__name__}"
            required = [p.name for p in inspect.signature(root.fn).parameters.values()
                        if p.default is inspect.Parameter.empty]
            if set(required) - set(ARGUMENTS.get(key, {})):
                continue  # a root that needs arguments nobody listed: covered by the conformance corpus and CLI tests
            reason = NOT_AN_ENTRY.get(key)
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            params.append(pytest.param(path, root, t.name, id=key, marks=marks))
    return params


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # run records go under ./.athena/runs


def _same_name(text: str, template: str) -> str:
    """``athena.wf.name`` is generated per run (``<template>-<5 hex>``, as ``generateName`` does)."""
    return re.sub(re.escape(template) + r"-[0-9a-f]{5}\b", "<workflow.name>", text)


@pytest.mark.parametrize(("path", "root", "template"), _roots())
def test_athena_run_gives_the_in_process_result(path: Path, root: Any, template: str,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    name = root.fn.__name__
    key = f"{path.relative_to(REPO)}:{name}"
    for k, v in ENVIRONMENT.get(key, {}).items():
        monkeypatch.setenv(k, v)
    arguments = ARGUMENTS.get(key, {})
    result = root(**arguments)
    pairs = [a for k, v in arguments.items() for a in ("-a", f"{k}={json.dumps(v)}")]
    artifact = isinstance(result, Artifact)
    if artifact:  # compared by content: in-process a local file, here a key in the store
        expected: Any = Path(result.path).read_bytes()
    else:
        expected = json.loads(_same_name(codec.encode(result), template))
    capsys.readouterr()
    if key in NEEDS_PODMAN:
        values = Path("local-images.yaml")
        values.write_text(f"defaults:\n  image: {LOCAL_IMAGE}\n")
        pairs += ["--runtime", "podman", "-f", str(values), "--store", "store"]
    code = main(["run", f"{path}:{name}", "--time-scale", "0.01", *pairs])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("return: "), out
    if artifact:
        got: Any = (Path("store") / json.loads(out.removeprefix("return: "))["key"]).read_bytes()
    else:
        got = json.loads(_same_name(out.removeprefix("return: "), template))
    assert got == expected, err
