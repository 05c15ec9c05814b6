"""Values that reach the YAML from outside the workflow body (module constants, Enum members, parameter
defaults) get the checks a body literal gets, and generated names stay valid (issue 7 items 13-16)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from athena import api, codes, names
from athena.argo.lint import lint_documents
from athena.argo.yaml.io import dump_yaml
from athena.config import Config
from athena.errors import CompileError

HEAD = '''\
import enum
from athena import container, workflow

@container
def text(s: str) -> str:
    return s

@container
def num(x: int) -> int:
    return x
'''


def emit(tmp_path: Path, body: str, name: str = "m") -> list[dict[str, object]]:
    path = tmp_path / f"{name}.py"
    path.write_text(HEAD + body, encoding="utf-8")
    try:
        app = api.load_app(str(path), Config())
        return api.emit_documents(app, Config())
    finally:
        sys.modules.pop(path.stem, None)


def error(tmp_path: Path, body: str) -> tuple[str, int, str]:
    with pytest.raises(CompileError) as info:
        emit(tmp_path, body)
    d = info.value.diagnostics[0]
    assert d.span is not None and d.span.line > 0, d.render()
    line = (HEAD + body).splitlines()[d.span.line - 1]
    return d.code, d.span.line, line + " | " + d.message


@pytest.mark.parametrize(("body", "code", "at"), [
    # item 13: a lone surrogate anywhere YAML would carry it
    ('C = "x\\ud800"\n@workflow\ndef w() -> None:\n    text(C)\n', codes.UNENCODABLE_STRING, "text(C)"),
    ('@container\ndef d(s: str = "\\udfff") -> str:\n    return s\n', codes.UNENCODABLE_STRING, "s: str"),
    ('class E(enum.Enum):\n    A = "\\ud800"\n@container\ndef t(e: E) -> None:\n    pass\n',
     codes.UNENCODABLE_STRING, "e: E"),
    ('@workflow\ndef w() -> None:\n    text({"k\\ud800": 1})\n', codes.UNENCODABLE_STRING, "text("),
    ('@container(annotations={"a": "x\\ud800"})\ndef c() -> None:\n    pass\n', codes.UNENCODABLE_STRING,
     "annotations="),
    # item 15: ±2**53 in constants, Enum members and defaults
    ('C = 2**60\n@workflow\ndef w() -> None:\n    num(C)\n', codes.INT_RANGE, "num(C)"),
    ('@container\ndef d(x: int = 2**53) -> int:\n    return x\n', codes.INT_RANGE, "x: int"),
    ('class E(enum.Enum):\n    A = 2**60\n@container\ndef t(e: E) -> None:\n    pass\n', codes.INT_RANGE,
     "e: E"),
    # an Enum member whose value is not JSON, used as a type and as a value: located, never a TypeError
    ('class E(enum.Enum):\n    A = {1: 2}\n@container\ndef t(e: E) -> None:\n    pass\n', codes.BAD_LITERAL,
     "e: E"),
    ('class E(enum.Enum):\n    A = {1: 2}\n@workflow\ndef w() -> None:\n    text(E.A)\n', codes.BAD_LITERAL,
     "text(E.A)"),
    ('class E(enum.Enum):\n    A = b"x"\n@workflow\ndef w() -> None:\n    text(E.A)\n', codes.BAD_LITERAL,
     "text(E.A)"),
    # an Enum mixing str and int: the pod could not decode it
    ('class E(enum.Enum):\n    A = "a"\n    B = 2\n@workflow\ndef w() -> None:\n    text(E.A)\n',
     codes.ENUM_VALUES, "text(E.A)"),
    ('class E(enum.Enum):\n    A = 1.5\n@container\ndef t() -> E:\n    return E.A\n', codes.ENUM_VALUES, "-> E"),
])
def test_values_from_outside_the_body_are_checked(tmp_path: Path, body: str, code: str, at: str) -> None:
    got, _, where = error(tmp_path, body)
    assert got == code, where
    assert at in where.split(" | ")[0], where


def test_enum_message_names_the_enum(tmp_path: Path) -> None:
    _, _, where = error(tmp_path, 'class Mixed(enum.Enum):\n    A = "a"\n    B = 2\n'
                                  '@container\ndef t(m: Mixed) -> None:\n    pass\n')
    assert "Enum `Mixed`" in where


def test_unicode_binding_names_captured_by_an_if_become_valid_parameters(tmp_path: Path) -> None:
    """Item 14: `café` and `数据` become wrapper parameters; Argo accepts only [-a-zA-Z0-9_]."""
    docs = emit(tmp_path, '''
@workflow
def w(k: int) -> None:
    café = num(k)
    数据 = num(k)
    if café > 1:
        num(数据)
    else:
        num(café)
    r = num(café) if 数据 == 2 else num(数据)
    num(r)
''')
    assert lint_documents(docs) == []
    text = dump_yaml(docs)
    assert "café" not in text and "数据" not in text
    assert names.parameter_name("café") in text and names.parameter_name("数据") in text


def test_parameter_name_mapping() -> None:
    assert names.parameter_name("plain_Name1") == "plain_Name1"
    mapped = {names.parameter_name(n) for n in ("café", "cafe\u0301", "数据", "数", "Ω", "naïve")}
    assert len(mapped) == 6  # distinct names stay distinct
    for m in mapped:
        assert names.check_parameter_name(m) is None and "-" in m
    assert names.parameter_name("café") == names.parameter_name("café")  # deterministic
    assert names.parameter_name("café").startswith("cafe-")


def test_nesting_too_deep_is_located(tmp_path: Path) -> None:
    """Item 16: ATH406 points at a workflow's def."""
    chain = "".join(f"@workflow\ndef w{i}(x: int) -> int:\n    return w{i + 1}(x)\n\n" for i in range(101))
    chain += "@workflow\ndef w101(x: int) -> int:\n    return num(x)\n"
    code, _, where = error(tmp_path, chain)
    assert code == codes.TOO_DEEP
    assert where.startswith("def w"), where


def test_braces_and_dollars_outside_the_body_are_values_written_argo_safe(tmp_path: Path) -> None:
    """`{{` and `$` in constants, defaults and Enum values are fine: every JSON text athena writes escapes them
    (DESIGN §5.1.7), so they arrive byte-exact instead of being substituted by Argo."""
    docs = emit(tmp_path, '''
C = "{{workflow.name}} $$"

class E(enum.Enum):
    A = "{{x}}"

@container
def d(s: str = "a{{b", e: E = E.A) -> str:
    return s

@workflow
def w() -> None:
    text(C)
''', name="braces")
    text = dump_yaml(docs)
    assert "{{workflow.name}}" not in text and "{{x}}" not in text and "a{{b" not in text
    assert "{\\u007bworkflow.name}} \\u0024\\u0024" in text and "a{\\u007bb" in text
    assert not lint_documents(docs)


def test_parameter_names_yaml_reads_as_bools_are_accepted(tmp_path: Path) -> None:
    """DESIGN §1.1 (revised): `n`, `y`, `on`, `null` are fine names; every ambiguous scalar is quoted."""
    docs = emit(tmp_path, '''
@container
def pick(n: int, y: str, on: bool, null: int = 0) -> int:
    return n + null + (1 if on else 0) + len(y)

@workflow(name="on")
def flow(n: int = 2) -> int:
    return pick(n, "yes", True)
''', name="yamlwords")
    text = dump_yaml(docs)
    for word in ("n", "y", "on", "null"):
        assert f"name: '{word}'" in text, word
        assert f"\n    - name: {word}\n" not in text
    assert not lint_documents(docs)
    from athena.argo.yaml import load_yaml_documents

    params = load_yaml_documents(text)[0]["spec"]["templates"][0]["inputs"]["parameters"]
    assert [p["name"] for p in params] == ["n", "y", "on", "null"]  # strings to a YAML 1.1 reader too
