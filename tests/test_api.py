"""Compiling whole apps: cross-module calls, enums in conditions, recursion through other workflows."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from athena import api, codes
from athena.argo.lint import lint_documents
from athena.config import Config
from athena.errors import CompileError


@pytest.fixture
def pkg(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith(("apkg", "flows_"))]:
        del sys.modules[name]


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_module_attribute_calls_and_enum_conditions(pkg: Path) -> None:
    write(pkg, "apkg/__init__.py", "")
    write(pkg, "apkg/steps.py", """
import enum
from athena import container

class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"

@container
def fetch(url: str, mode: Mode = Mode.FAST) -> str:
    return url
""")
    write(pkg, "apkg/flow.py", """
from athena import workflow
from apkg import steps
from apkg.steps import Mode

@workflow
def main(url: str, mode: Mode) -> str:
    a = steps.fetch(url, mode=Mode.SLOW)
    if mode == Mode.FAST:
        steps.fetch(a)
    return a
""")
    config = Config()
    app = api.load_app("apkg.flow", config)
    docs = api.emit_documents(app, config)
    assert lint_documents(docs) == []
    names = [d["metadata"]["name"] for d in docs]
    assert names.index("apkg-fetch") < names.index("apkg-main")  # callees first
    main = next(d for d in docs if d["metadata"]["name"] == "apkg-main")
    task = main["spec"]["templates"][0]["dag"]["tasks"][0]
    assert task["arguments"]["parameters"][1] == {"name": "mode", "value": '"slow"'}
    wrapper = next(d for d in docs if d["metadata"]["name"] == "apkg-main-if1")
    when = wrapper["spec"]["templates"][0]["dag"]["tasks"][0]["when"]
    assert when == "{{= fromJSON(inputs.parameters['mode']) == 'fast' }}"


def test_indirect_recursion_is_rejected(pkg: Path) -> None:
    write(pkg, "flows_rec.py", """
from athena import container, workflow

@container
def leaf() -> None:
    pass

@workflow
def a() -> None:
    b()

@workflow
def b() -> None:
    leaf()
    a()
""")
    with pytest.raises(CompileError) as info:
        api.compile_templates(api.load_app("flows_rec", Config()).roots, Config())
    assert info.value.codes == [codes.RECURSION]
    assert "flows-rec-a → flows-rec-b → flows-rec-a" in info.value.render()


def test_unknown_decorator_argument_suggests(pkg: Path) -> None:
    with pytest.raises(CompileError) as info:
        write(pkg, "flows_kw.py", "from athena import container\n\n@container(imagee='x')\ndef c() -> None:\n    pass\n")
        api.load_app("flows_kw", Config())
    d = info.value.diagnostics[0]
    assert d.code == codes.BAD_OPTION and "no argument `imagee`" in d.message and d.hint == "did you mean `image`?"
    assert d.span is not None and (d.span.line, d.span.col) == (3, 18)


def test_exit_handler_with_required_arguments(pkg: Path) -> None:
    write(pkg, "flows_exit.py", """
from athena import container, workflow

@container
def notify(who: str) -> None:
    pass

@workflow(on_exit_if_root=notify)
def w() -> None:
    notify("x")
""")
    with pytest.raises(CompileError) as info:
        api.compile_templates(api.load_app("flows_exit", Config()).roots, Config())
    assert info.value.codes == [codes.HOOK_ARGS]


def test_on_exit_if_root_emits_hooks_exit(pkg: Path) -> None:
    write(pkg, "flows_exit2.py", """
from athena import container, workflow

@container
def notify() -> None:
    pass

@workflow(on_exit_if_root=notify)
def w() -> None:
    notify()
""")
    config = Config()
    docs = api.emit_documents(api.load_app("flows_exit2", config), config)
    w = next(d for d in docs if d["metadata"]["name"] == "flows-exit2-w")
    assert w["spec"]["hooks"] == {"exit": {"templateRef": {"name": "flows-exit2-notify",
                                                            "template": "flows-exit2-notify"}}}


def test_name_tag_and_namespace(pkg: Path) -> None:
    import msgspec

    write(pkg, "flows_tag.py", """
from athena import container, workflow

@container
def c() -> None:
    pass

@workflow
def w() -> None:
    c()
""")
    config = msgspec.structs.replace(Config(), project=msgspec.structs.replace(Config().project, name_tag="v2"))
    docs = api.emit_documents(api.load_app("flows_tag", config), config, namespace="team-a")
    assert {d["metadata"]["name"] for d in docs} == {"flows-tag-c-v2", "flows-tag-w-v2"}
    assert all(d["metadata"]["namespace"] == "team-a" for d in docs)
    w = next(d for d in docs if d["metadata"]["name"] == "flows-tag-w-v2")
    assert w["spec"]["entrypoint"] == "flows-tag-w"
    assert w["spec"]["templates"][0]["dag"]["tasks"][0]["templateRef"] == {
        "name": "flows-tag-c-v2", "template": "flows-tag-c"}


def test_resources_through_a_fragment_in_another_module(pkg: Path) -> None:
    write(pkg, "apkg/__init__.py", "")
    write(pkg, "apkg/helpers.py", """
import athena
from athena import fragment

@fragment
def cache() -> str:
    return athena.host("/var/cache/x")
""")
    write(pkg, "apkg/steps2.py", """
from athena import container
from apkg import helpers

@container
def uses() -> str:
    return helpers.cache()

@container
def plain(x: int) -> int:
    return x + 1
""")
    from athena.compile.ports import collect

    mod = api.import_module("apkg.steps2")
    assert collect(mod.uses).host_paths == ("/var/cache/x",)
    assert collect(mod.plain).host_paths == ()


MANY_MISTAKES = '''from athena import container, workflow


@container(imagee="x")
def a(x: int) -> int:
    return x


@container
def b(x: int) -> int:
    return x


@workflow
def loops(xs: list[int]) -> None:
    for x in xs:
        b(x)


@workflow
def typed() -> None:
    b("three")


@workflow
def fine() -> int:
    return b(1)
'''


def test_loading_an_app_reports_every_mistake_in_one_run(pkg: Path) -> None:
    """Decoration errors are collected while an app loads, and compiling the rest adds the type errors."""
    write(pkg, "flows_many.py", MANY_MISTAKES)
    with pytest.raises(CompileError) as caught:
        api.load_app("flows_many", Config(root=pkg))
    assert [(d.code, d.span.line if d.span else None) for d in caught.value.diagnostics] == [
        (codes.BAD_OPTION, 4), (codes.FOR_LOOP, 16), (codes.ARG_TYPE, 22)]


def test_a_plain_import_still_raises_at_the_first_decorator(pkg: Path) -> None:
    write(pkg, "flows_many2.py", MANY_MISTAKES)
    with pytest.raises(CompileError) as caught:
        __import__("flows_many2")
    assert caught.value.codes == [codes.BAD_OPTION]
