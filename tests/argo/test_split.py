"""Big DAGs (issue 13): split into nested DAGs of at most 200 tasks on v4, every dependency and value kept."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from athena.argo.emit import EmitSettings, emit_program
from athena.compile.model import Arg, Container, Input, Param, Program, Task, TaskOut, Workflow
from athena.compile.options import TemplateOptions
from athena.compile.split import needs_split, split_program
from athena.compile.typecheck import ANY, INT, ListT

SETTINGS = EmitSettings(targets=("x86_64",), default_image="busybox:1.36", service_account=None, namespace=None,
                        argo_line="4.1", image_pull_secrets=(), run_as_user=None, name_tag="", s3={},
                        bundle_key="k", digest="d")
LEAF = Container(name="leaf", entry="m:leaf", function="leaf", params=tuple(Param(f"a{i}", ANY) for i in range(4)),
                 returns=INT, options=TemplateOptions())
_REF = re.compile(r"tasks(?:\?\.)?\[?'?\.?([a-z0-9-]+)'?\]?(?:\?)?\.outputs(?:\?)?\.parameters(?:\?)?"
                  r"(?:\.|\[')?([a-z0-9]*)")
_INPUT = re.compile(r"inputs\.parameters(?:\.|\[')([a-z0-9_]+)")


@st.composite
def dags(draw: st.DrawFn, min_tasks: int, max_tasks: int) -> Workflow:
    n = draw(st.integers(min_tasks, max_tasks))
    tasks: list[Task] = []
    for i in range(n):
        args: list[tuple[str, Arg]] = []
        deps: set[str] = set()
        if i:
            for j, src in enumerate(draw(st.lists(st.integers(0, i - 1), max_size=3))):
                mode = "aggregate" if src % 7 == 3 else "plain"
                path: tuple[str | int, ...] = ("f",) if draw(st.booleans()) and mode == "plain" else ()
                args.append((f"a{j}", TaskOut(f"t{src}", path, mode)))
                deps.add(f"t{src}")
            deps.update(f"t{d}" for d in draw(st.lists(st.integers(0, i - 1), max_size=2)))
        if draw(st.booleans()):
            args.append(("a3", Input("x")))
        fan = Input("xs") if i % 7 == 3 else None
        tasks.append(Task(f"t{i}", "leaf", tuple(args), tuple(sorted(deps)), fan_over=fan))
    return Workflow(name="big", function="big", params=(Param("x", INT), Param("xs", ListT(INT))), returns=INT,
                    tasks=tuple(tasks), options=TemplateOptions(), result=TaskOut(f"t{n - 1}"))


def _emit(program: Program) -> dict[str, dict[str, Any]]:
    docs = emit_program(program, SETTINGS)
    return {d["spec"]["templates"][0]["name"]: d["spec"]["templates"][0] for d in docs}


def _placed(templates: dict[str, dict[str, Any]], root: str) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each leaf task's chain of (template, task) from the root DAG down."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def walk(name: str, chain: list[tuple[str, dict[str, Any]]]) -> None:
        for task in templates[name].get("dag", {}).get("tasks", []):
            callee = task["templateRef"]["template"]
            here = [*chain, (name, task)]
            if "dag" in templates.get(callee, {}):
                walk(callee, here)
            else:
                out[task["name"]] = here

    walk(root, [])
    return out


def _before(templates: dict[str, dict[str, Any]], placed: dict[str, Any], a: str, b: str) -> bool:
    """Whether the emitted structure makes ``b`` start only after ``a`` finished."""
    ca, cb = placed[a], placed[b]
    k = 0
    while ca[k][1]["name"] == cb[k][1]["name"]:
        k += 1
    x, y, dag = ca[k][1]["name"], cb[k][1]["name"], ca[k][0]
    deps = {t["name"]: set(t.get("dependencies", [])) for t in templates[dag]["dag"]["tasks"]}
    seen, stack = set(), [y]
    while stack:
        n = stack.pop()
        for d in deps[n] - seen:
            if d == x:
                return True
            seen.add(d)
            stack.append(d)
    return False


def _source(templates: dict[str, dict[str, Any]], frames: list[tuple[str, dict[str, Any] | None]], text: str) -> str:
    """Follow a value's text through part inputs and part outputs to the original task that produced it.
    ``frames`` are (DAG template, the task that called it) from the root down; ``text`` lives in the last."""
    frames = list(frames)
    while True:
        m = _INPUT.search(text)
        if m and not _REF.search(text):
            dag, caller = frames.pop()
            if caller is None:
                return "input"
            text = {p["name"]: p["value"] for p in caller["arguments"]["parameters"]}[m.group(1)]
            continue
        ref = _REF.search(text)
        assert ref, text
        task, output = ref.group(1), ref.group(2) or "return"
        dag = frames[-1][0]
        called = next(t for t in templates[dag]["dag"]["tasks"] if t["name"] == task)
        callee = called["templateRef"]["template"]
        if "dag" in templates.get(callee, {}) and output != "return":
            out = next(p for p in templates[callee]["outputs"]["parameters"] if p["name"] == output)
            text = out["valueFrom"].get("parameter") or out["valueFrom"]["expression"]
            frames.append((callee, called))
            continue
        return task


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wf=dags(5, 120), limit=st.integers(3, 25))
def test_split_keeps_every_dependency_and_value(wf: Workflow, limit: int) -> None:
    program = split_program(Program({"leaf": LEAF, "big": wf}, ("big",)), "4.1", limit=limit)
    templates = _emit(program)
    for t in templates.values():
        assert len(t.get("dag", {}).get("tasks", [])) <= limit
    placed = _placed(templates, "big")
    assert set(placed) == {t.name for t in wf.tasks}
    for t in wf.tasks:
        for d in t.deps:
            assert _before(templates, placed, d, t.name), (d, t.name)
        chain = placed[t.name]
        emitted = {p["name"]: p["value"] for p in chain[-1][1].get("arguments", {}).get("parameters", [])}
        frames: list[tuple[str, dict[str, Any] | None]] = [("big", None)]
        frames += [(chain[k + 1][0], chain[k][1]) for k in range(len(chain) - 1)]
        for name, arg in t.args:
            want = arg.task if isinstance(arg, TaskOut) else "input"
            assert _source(templates, frames, emitted[name]) == want, (t.name, name, emitted[name])
    result = templates["big"]["outputs"]["parameters"][0]["valueFrom"]["parameter"]
    assert _source(templates, [("big", None)], result) == wf.tasks[-1].name


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wf=dags(201, 450))
def test_above_200_tasks_every_emitted_dag_has_at_most_200(wf: Workflow) -> None:
    templates = _emit(Program({"leaf": LEAF, "big": wf}, ("big",)))
    assert len(templates["big"]["dag"]["tasks"]) <= 200
    assert all(len(t.get("dag", {}).get("tasks", [])) <= 200 for t in templates.values())
    assert sum(1 for t in templates.values() if "dag" in t) >= 3  # the root and at least two parts


def test_only_v4_lines_split() -> None:
    assert [needs_split(line) for line in ("3.6", "3.7", "4.0", "4.1")] == [False, False, True, True]
    wf = Workflow(name="big", function="big", params=(), returns=INT, options=TemplateOptions(),
                  tasks=tuple(Task(f"t{i}", "leaf", ()) for i in range(250)))
    program = Program({"leaf": LEAF, "big": wf}, ("big",))
    assert split_program(program, "3.7") is program
    assert len(split_program(program, "4.1").templates) == 4


def test_split_imports_values_inside_records_f_strings_and_ranges() -> None:
    """Values nested in a record, an f-string or a range's bounds that come from another part are imported as
    part inputs: no emitted DAG names a task or an input it does not have."""
    import json

    from athena.compile.model import Format, FormatPart, Record, Sequence

    tasks = [Task(f"t{i}", "leaf", (("a0", TaskOut(f"t{i - 1}")),) if i else (), (f"t{i - 1}",) if i else ())
             for i in range(8)]
    tasks += [
        Task("rec", "leaf", (("a0", Record((("x", TaskOut("t0")), ("y", Input("x"))))),), ("t0",)),
        Task("fmt", "leaf", (("a1", Format(("run-", FormatPart(TaskOut("t1"), "int"), "/", FormatPart(Input("x"),
                                                                                                   "int")))),),
             ("t1",)),
        Task("seq", "leaf", (), ("t2",), fan_over=Sequence(Input("x"), TaskOut("t2"))),
    ]
    wf = Workflow(name="big", function="big", params=(Param("x", INT), Param("xs", ListT(INT))), returns=INT,
                  tasks=tuple(tasks), options=TemplateOptions(), result=TaskOut("t7"))
    templates = _emit(split_program(Program({"leaf": LEAF, "big": wf}, ("big",)), "4.1", limit=3))
    checked = 0
    for t in templates.values():
        inner = t.get("dag", {}).get("tasks", [])
        names = {x["name"] for x in inner}
        inputs = {p["name"] for p in t.get("inputs", {}).get("parameters", [])}
        for x in inner:
            text = json.dumps({k: x.get(k) for k in ("arguments", "withSequence", "when")})
            for ref in _REF.finditer(text):
                assert ref.group(1) in names, (t["name"], x["name"], ref.group(0))
                checked += 1
            for ref in _INPUT.finditer(text):
                assert ref.group(1) in inputs, (t["name"], x["name"], ref.group(0))
                checked += 1
    assert checked >= 6
