"""Differential property test (issue 10): generated workflows give the same result and the same workflow phase
in-process (calling the @workflow) and under ``athena run`` (the emitted YAML, process runtime); a failed run
fails at a step that can fail.

The bodies come from the same generator as the compiler's property tests, returning a value so there is a
result to compare; steps that fail on some inputs (``boom``) exercise failure phases and ``continue_on``.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from athena import api
from athena.config import Config
from athena.errors import WorkflowFailed
from athena.local.run import RunOptions, run_workflow

HEADER = '''\
from athena import container, workflow


@container
def inc(a: int) -> int:
    return a + 1


@container
def add(a: int, b: int) -> int:
    return a + b


@container
def spread(a: int) -> list[int]:
    return [a, a + 1, a + 2][: a % 3 + 1]


@container
def total(xs: list[int]) -> int:
    return sum(xs)


@container
def boom(a: int) -> int:
    if a % 4 == 3:
        raise ValueError(f"no {a}")
    return a * 2
'''

_n = itertools.count()


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, int]:
    """A body over ints and lists of ints that returns an int, and the argument to call it with."""
    ints, lists, lines = ["inp"], [], []
    for i in range(draw(st.integers(1, 8))):
        b = f"v{i}"
        kind = draw(st.sampled_from(["inc", "add", "spread", "boom", "if"] + (["total", "each"] if lists else [])))
        if kind == "inc":
            lines.append(f"    {b} = inc({draw(st.sampled_from(ints))})")
            ints.append(b)
        elif kind == "add":
            lines.append(f"    {b} = add({draw(st.sampled_from(ints))}, b={draw(st.sampled_from([*ints, '5']))})")
            ints.append(b)
        elif kind == "boom":
            lines.append(f"    {b} = boom({draw(st.sampled_from(ints))})")
            ints.append(b)
        elif kind == "spread":
            lines.append(f"    {b} = spread({draw(st.sampled_from(ints))})")
            lists.append(b)
        elif kind == "total":
            lines.append(f"    {b} = total({draw(st.sampled_from(lists))})")
            ints.append(b)
        elif kind == "each":
            lines.append(f"    {b} = [inc(x) for x in {draw(st.sampled_from(lists))}]")
            lists.append(b)
        else:
            x = draw(st.sampled_from(ints))
            lines.append(f"    {b} = inc({x}) if {x} > {draw(st.integers(0, 6))} else add({x}, b=10)")
            ints.append(b)
    result = draw(st.sampled_from(ints))
    source = HEADER + "\n\n@workflow\ndef w(inp: int) -> int:\n" + "\n".join(lines) + f"\n    return {result}\n"
    return source, draw(st.integers(0, 7))


def _in_process(app: Any, inp: int) -> tuple[str, Any]:
    root = app.roots[-1]
    try:
        return "Succeeded", root(inp)
    except WorkflowFailed as exc:
        return "Failed", type(exc.cause).__name__


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies())
def test_generated_workflows_agree_in_process_and_under_athena_run(tmp_path: Path,
                                                                   case: tuple[str, int]) -> None:
    source, inp = case
    path = tmp_path / f"diff_{next(_n)}.py"
    path.write_text(source, encoding="utf-8")
    config = Config()
    try:
        app = api.load_app(str(path), config)
        phase, value = _in_process(app, inp)
        docs = api.emit_documents(app, config)
        entry = next(d["metadata"]["name"] for d in docs if d["metadata"]["name"].endswith("-w"))
        result = run_workflow(docs, entry, {"inp": json.dumps(inp)}, RunOptions(workdir=tmp_path / "runs"))
    finally:
        sys.modules.pop(path.stem, None)
    assert result.phase == phase, (source, inp, result.message)
    if phase == "Succeeded":
        assert json.loads(result.outputs["return"]) == value, (source, inp)
    # every step that ran in-process ran under athena run, with the same phase: compare the failed steps
    failed = sorted(n.display_name for n in result.nodes if n.phase == "Failed" and "(" not in n.display_name
                    and n.template.endswith("-boom"))
    if phase == "Failed":
        assert failed, (source, inp, [(n.display_name, n.phase) for n in result.nodes])
