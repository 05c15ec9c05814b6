"""Property-based tests: generated workflow bodies compile to schema-valid YAML whose DAG edges equal
the data dependencies; arbitrary Python source only ever yields athena's own located errors."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from athena import api
from athena.argo.lint import lint_documents
from athena.config import Config
from athena.errors import CompileError

HEADER = '''\
from dataclasses import dataclass

import athena
from athena import container, parallel, workflow

@dataclass
class Cfg:
    a: int
    b: int = 0

@container
def text(t: str) -> int:
    return len(t)

@container
def conf(c: Cfg) -> int:
    return c.a + c.b

@athena.external(template_ref="tools", template="notify")
def notify(msg: str) -> None: ...

@container
def one(a: int) -> int:
    return a

@container
def two(a: int, b: int) -> int:
    return a + b

@container
def many(xs: list[int]) -> int:
    return sum(xs)

@container
def fan(a: int) -> list[int]:
    return [a]
'''

_n = itertools.count()
CONFIG = Config()


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, dict[str, set[str]]]:
    """A straight-line body; returns its source and the expected edges (binding -> bindings it uses)."""
    names: list[str] = []
    lists: list[str] = []
    lines: list[str] = []
    edges: dict[str, set[str]] = {}
    for i in range(draw(st.integers(1, 12))):
        b = f"v{i}"
        scalars = ["inp", *names]
        kinds = ["one", "two", "fan", "many", "each"] if lists else ["one", "two", "fan"]
        kinds += ["fstring", "record", "range"]  # issue 13: values built in the body
        if lists:
            kinds.append("filter")
        kind = draw(st.sampled_from([*kinds, "after"] if names or lists else kinds))
        if kind == "after":  # issue 13: ordering without data adds the named task as an edge
            x = draw(st.sampled_from([*scalars, "7"]))
            waits = draw(st.lists(st.sampled_from([*names, *lists]), min_size=1, max_size=3, unique=True))
            lines.append(f"    {b} = one.options(after=[{', '.join(waits)}])({x})")
            used = {x, *waits}
        elif kind == "one":
            x = draw(st.sampled_from([*scalars, "7"]))
            lines.append(f"    {b} = one({x})")
            used = {x}
        elif kind == "two":
            x, y = draw(st.sampled_from(scalars)), draw(st.sampled_from([*scalars, "3"]))
            lines.append(f"    {b} = two({x}, b={y})")
            used = {x, y}
        elif kind == "fan":
            x = draw(st.sampled_from(scalars))
            lines.append(f"    {b} = fan({x})")
            used = {x}
            lists.append(b)
        elif kind == "fstring":
            x, y = draw(st.sampled_from(scalars)), draw(st.sampled_from(scalars))
            lines.append(f'    {b} = text(f"{{{x}}}-{{{y}}}/{{athena.wf.name}}")')
            used = {x, y}
        elif kind == "record":
            x, y = draw(st.sampled_from([*scalars, "1"])), draw(st.sampled_from([*scalars, "2"]))
            lines.append(f"    {b} = conf(Cfg(a={x}, b={y}))")
            used = {x, y}
        elif kind == "range":
            x = draw(st.sampled_from([*scalars, "3"]))
            lines.append(f"    {b} = [one(i) for i in range({x})]")
            used = {x}
            lists.append(b)
        elif kind == "filter":
            x = draw(st.sampled_from(lists))
            lines.append(f"    {b} = [one(item) for item in {x} if item > 2]")
            used = {x}
            lists.append(b)
        elif kind == "many":
            x = draw(st.sampled_from(lists))
            lines.append(f"    {b} = many({x})")
            used = {x}
        else:
            x = draw(st.sampled_from(lists))
            lines.append(f"    {b} = [one(item) for item in {x}]")
            used = {x}
            lists.append(b)
        if kind not in ("fan", "each", "range", "filter"):
            names.append(b)
        edges[b] = {u for u in used if u.startswith("v")}
    source = HEADER + "\n@workflow\ndef w(inp: int) -> None:\n" + "\n".join(lines) + "\n"
    return source, edges


def compile_text(tmp: Path, source: str) -> list[dict[str, object]]:
    path = tmp / f"prop_{next(_n)}.py"
    path.write_text(source, encoding="utf-8")
    try:
        app = api.load_app(str(path), CONFIG)
        return api.emit_documents(app, CONFIG)
    finally:
        sys.modules.pop(path.stem, None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies())
def test_generated_bodies_emit_valid_yaml_with_data_edges(tmp_path: Path, case: tuple[str, dict[str, set[str]]]
                                                          ) -> None:
    source, edges = case
    docs = compile_text(tmp_path, source)
    assert lint_documents(docs) == []
    wf = next(d for d in docs if d["metadata"]["name"].endswith("-w"))  # type: ignore[index]
    tasks = wf["spec"]["templates"][0]["dag"]["tasks"]  # type: ignore[index]
    got = {t["name"]: set(t.get("dependencies", [])) for t in tasks}
    assert got == edges


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_arbitrary_text_in_a_body_never_crashes(tmp_path: Path, text: str) -> None:
    body = "\n".join("    " + line for line in text.splitlines()) or "    pass"
    source = HEADER + "\n@workflow\ndef w(inp: int) -> None:\n" + body + "\n"
    try:
        compile(source, "x.py", "exec")
    except (SyntaxError, ValueError):
        return  # not Python: the interpreter reports it, athena never sees it
    try:
        compile_text(tmp_path, source)
    except CompileError as exc:
        assert all(d.code.startswith("ATH") for d in exc.diagnostics)
    except Exception as exc:  # the user's module itself may raise while importing (e.g. NameError at top level)
        assert "athena" not in type(exc).__module__, repr(exc)


_stmt = st.sampled_from([
    "a = one(inp)", "b = two(inp, b=4)", "one(a)", "xs = fan(inp)", "ys = [one(x) for x in xs]",
    "many(ys)", "for x in xs: one(x)", "if inp > 3:\n        one(inp)", "c = one(a) if inp == 1 else one(2)",
    "return one(inp)", "one(str(a))", "one(a + 1)", "one(a.b)", "one(*xs)", "while True: pass",
    "with open('x'): pass", "one(undefined)", "one(inp, inp)", "one(x=1)", "z = [one(x) for x in inp]",
    "if a: one(1)", "d = two.options(continue_on=['failed'])(inp, 1)", "one(d)", "one.options(on_exit=one)(1)",
    "try:\n        pass\n    except Exception:\n        pass", "import os", "del a", "lambda: 1", "one(lambda: 1)",
    # issue 13: ordering without data, parallel groups, recursion
    "e = one.options(after=[a, xs])(inp)", "one.options(after_any=[a, d])(1)", "one.options(after=[inp])(1)",
    "with parallel():\n        one(1)\n        f = one(2)", "if inp > 2:\n        w(inp)", "w(inp)",
    # issue 13: values built in the body, external templates, suspend and approval
    'text(f"{inp}-{a}")', 'text(f"{xs}")', 'text(f"{inp:>4}")', "conf(Cfg(a=inp))", "conf(Cfg(c=1))", "conf(Cfg())",
    "g = [one(i) for i in range(inp)]", "[one(i) for i in range(0, 9, 2)]", "h = [one(x) for x in xs if x > 1]",
    "text(athena.wf.name)", "one(athena.wf.status)", "notify(f'{inp}')", "notify(1)", 'athena.suspend("1m")',
    "athena.suspend(inp)", 'ok: bool = athena.approval("go?", default=False)', "if ok:\n        one(1)",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_stmt, min_size=1, max_size=6))
def test_grammar_fragments_only_yield_located_errors(tmp_path: Path, stmts: list[str]) -> None:
    source = HEADER + "\n@workflow\ndef w(inp: int) -> int:\n" + "\n".join("    " + s for s in stmts) + "\n"
    try:
        compile_text(tmp_path, source)
    except CompileError as exc:
        for d in exc.diagnostics:
            assert d.code.startswith("ATH")
            assert d.span is not None and d.span.line > 0, d.render()
