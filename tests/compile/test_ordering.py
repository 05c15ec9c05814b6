"""Issue 13: `after=` / `after_any=`, `with athena.parallel():` and guarded recursion, at compile time."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.compile.test_errors import compile_source

from athena import codes
from athena.argo import expr
from athena.errors import CompileError


@pytest.mark.parametrize(("body", "code", "message"), [
    ("""
@workflow
def w() -> None:
    num.options(after=[1])(1)
""", codes.BAD_AFTER, "`1` is not a name"),
    ("""
@workflow
def w() -> None:
    num.options(after=[ghost])(1)
""", codes.BAD_AFTER, "`ghost` is not an earlier call"),
    ("""
@workflow
def w() -> None:
    h = nothing()
    num.options(after=h)(1)
""", codes.BAD_AFTER, "must be a non-empty list"),
    ("""
@workflow
def w(xs: list[int]) -> None:
    ys = [num.options(after=[x])(x) for x in xs]
""", codes.BAD_AFTER, "loop variable"),
    ("""
@workflow
def w(go: bool) -> None:
    if go:
        h = nothing()
    num.options(after=[h])(1)
""", codes.BAD_AFTER, "bound inside an `if` arm"),
    ("""
@workflow
def w(go: bool) -> None:
    h = nothing()
    if go:
        num.options(after_any=[h])(1)
""", codes.BAD_AFTER, "`after_any=` inside an `if` arm"),
    ("""
@workflow
def w() -> None:
    with athena.parallel():
        with athena.parallel():
            num(1)
""", codes.PARALLEL_GROUP, "do not nest"),
    ("""
@workflow
def w() -> None:
    with athena.parallel() as p:
        num(1)
""", codes.PARALLEL_GROUP, "alone"),
    ("""
@workflow
def w() -> None:
    with athena.parallel():
        pass
""", codes.PARALLEL_GROUP, "calls no template"),
    ("""
@workflow
def w() -> None:
    h = nothing()
    with athena.parallel():
        g = nothing()
        num.options(after=[g, h])(1)
""", codes.PARALLEL_GROUP, "waits for `g`"),
    ("""
@workflow
def w(v: int) -> None:
    if v > 0:
        other(v)

@workflow
def other(v: int) -> None:
    third(v)

@workflow
def third(v: int) -> None:
    other(v)
""", codes.RECURSION, "outside any `if` arm: "),
    ("""
@workflow
def w(v: int) -> int:
    if w(v) > 0:
        num(v)
    return num(v)
""", codes.RECURSION, "calls itself outside an `if` arm"),
    ("""
@workflow
def w(v: int) -> int:
    return num(w(v))
""", codes.RECURSION, "calls itself outside an `if` arm"),
])
def test_ordering_errors(tmp_path: Path, body: str, code: str, message: str) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, body)
    d = info.value.diagnostics[0]
    assert d.code == code, info.value.render()
    assert message in d.message, info.value.render()
    assert d.span is not None and d.hint


def test_unguarded_mutual_recursion_points_at_a_call(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, """
@workflow
def w(v: int) -> None:
    other(v)

@workflow
def other(v: int) -> None:
    w(v)
""")
    d = info.value.diagnostics[0]
    assert d.code == codes.RECURSION and "-w → " in d.message and "-other → " in d.message
    assert d.span is not None and d.span.col == 4  # the call `other(v)`, not the def


def test_guarded_recursion_and_ordering_compile(tmp_path: Path) -> None:
    from athena import api
    from athena.config import Config

    path = tmp_path / "ok_recursion.py"
    path.write_text('''
from athena import container, workflow, parallel

@container
def dec(n: int) -> int:
    return n - 1

@container
def tick() -> None:
    pass

@workflow
def down(n: int) -> int:
    t = tick()
    with parallel():
        a = dec.options(after=[t])(n)
        b = dec(n)
    return down(a) if a > 0 else dec(b)
''', encoding="utf-8")
    app = api.load_app(str(path), Config())
    program = api.compile_templates(app.roots, Config())
    root = program.templates["ok-recursion-down"]
    by = {t.name: t for t in root.tasks}
    assert by["a"].deps == ("t",) and by["a"].group == by["b"].group != 0
    assert "ok-recursion-down" in program.callees("ok-recursion-down-if1-arm0")


def test_depends_text() -> None:
    assert expr.depends([("a", ())], ()) == "a"
    assert expr.depends([("a", ("failed",))], ("h",)) == "(a.Succeeded || a.Skipped || a.Daemoned || a.Failed) && h.Succeeded"
    assert expr.depends([], ("h1", "h2")) == "(h1.Succeeded || h2.Succeeded)"
    assert expr.depends([("a", ())], (), expand=True) == "(a.Succeeded || a.Skipped || a.Daemoned)"


def test_a_recursive_root_can_be_scheduled(tmp_path: Path) -> None:
    from athena import api
    from athena.config import Config

    path = tmp_path / "cron_recursion.py"
    path.write_text('''
from athena import container, workflow

@container
def flip() -> str:
    return "heads"

@workflow(schedule="0 4 * * *")
def coinflip() -> None:
    coin = flip()
    if coin == "tails":
        coinflip()
''', encoding="utf-8")
    app = api.load_app(str(path), Config())
    docs = api.emit_documents(app, Config())
    assert any(d["kind"] == "CronWorkflow" for d in docs)
