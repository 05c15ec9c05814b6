"""The JSON codec: property-based round trips for every supported type."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypedDict

import msgspec
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from athena import Outcome
from athena.runtime import codec


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Point:
    x: int
    label: str


class Row(TypedDict):
    name: str
    tags: list[str]


class Pair(NamedTuple):
    a: str
    b: float


class S(msgspec.Struct, rename="camel"):
    user_id: int
    note: str | None = None


class M(pydantic.BaseModel):
    id: int
    when: datetime.date


SAFE_INT = st.integers(-(2**53) + 1, 2**53 - 1)
TEXT = st.text() | st.sampled_from(['a"b', "line\nbreak", "{{workflow.name}}", "ünïcødé", "\\", "@/tmp/x", ""])
FLOAT = st.floats(allow_nan=False, allow_infinity=False)

CASES: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (str, TEXT),
    (int, SAFE_INT),
    (float, FLOAT),
    (bool, st.booleans()),
    (list[int], st.lists(SAFE_INT)),
    (dict[str, str], st.dictionaries(TEXT, TEXT)),
    (tuple[str, int], st.tuples(TEXT, SAFE_INT)),
    (set[int], st.sets(SAFE_INT)),
    (Point, st.builds(Point, SAFE_INT, TEXT)),
    (Row, st.fixed_dictionaries({"name": TEXT, "tags": st.lists(TEXT)})),
    (Pair, st.builds(Pair, TEXT, FLOAT)),
    (Color, st.sampled_from(Color)),
    (Literal["a", "b"], st.sampled_from(["a", "b"])),
    (datetime.datetime, st.datetimes(timezones=st.just(datetime.UTC))),
    (datetime.date, st.dates()),
    (uuid.UUID, st.uuids()),
    (decimal.Decimal, st.decimals(allow_nan=False, allow_infinity=False, places=4)),
    (S, st.builds(S, SAFE_INT, st.none() | TEXT)),
    (M, st.builds(M, id=SAFE_INT, when=st.dates())),
    (Outcome[int], st.builds(Outcome, st.none() | SAFE_INT, st.sampled_from(["Succeeded", "Failed", "Error"]),
                             st.none() | st.integers(0, 255))),
    (list[Outcome[Point]], st.lists(st.builds(Outcome, st.builds(Point, SAFE_INT, TEXT),
                                              st.just("Succeeded"), st.none()), max_size=3)),
    (int | None, st.none() | SAFE_INT),
]


@pytest.mark.parametrize(("tp", "strategy"), CASES, ids=[str(c[0]) for c in CASES])
def test_round_trip(tp: Any, strategy: st.SearchStrategy[Any]) -> None:
    @settings(max_examples=60, deadline=None)
    @given(strategy)
    def check(value: Any) -> None:
        text = codec.encode(value)
        assert codec.decode(text, tp) == value

    check()


@settings(max_examples=5, deadline=None)
@given(st.text(min_size=1, max_size=64).map(lambda s: (s * (200 * 1024 // len(s) + 1))[: 200 * 1024]))
def test_large_values(value: str) -> None:
    assert codec.decode(codec.encode(value), str) == value


def test_encoding_is_compact_and_deterministic() -> None:
    assert codec.encode({"b": 1, "a": [1.5, None, True]}) == '{"a":[1.5,null,true],"b":1}'  # keys sorted
    assert codec.encode({3, 1, 2}) == "[1,2,3]"
    assert codec.encode(S(user_id=1)) == '{"userId":1,"note":null}'
    assert codec.encode(Pair("x", 2.0)) == '["x",2.0]'
    assert codec.encode(M(id=1, when=datetime.date(2026, 1, 2))) == '{"id":1,"when":"2026-01-02"}'
    assert codec.encode(Outcome(1, "Failed", 2)) == '{"value":1,"phase":"Failed","exit_code":2}'


@pytest.mark.parametrize(("value", "message"), [
    (2**53, "outside ±(2**53-1)"),
    ({"a": [float("nan")]}, "`$.a[0]` is not a finite number"),
    (float("inf"), "not a finite number"),
    (object(), "not a JSON boundary type"),
])
def test_unencodable_values(value: Any, message: str) -> None:
    with pytest.raises(codec.CodecError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
                       .replace("[", r"\[").replace("]", r"\]").replace("$", r"\$")):
        codec.encode(value)


def test_strict_typed_decode() -> None:
    with pytest.raises(codec.CodecError, match="Expected `int`, got `str`"):
        codec.decode('"12"', int)
    assert codec.decode("12", str) == "12"  # the raw-text fallback, for str only
    assert codec.decode('"12"', str) == "12"
    with pytest.raises(codec.CodecError):
        codec.decode('{"x": "1", "label": "a"}', Point)


@pytest.mark.parametrize(("text", "tp", "value"), [
    ("0", int, 0), ("-0", int, 0), ("12", int, 12), ("-7", int, -7), ("1.5", float, 1.5), ("3", float, 3.0),
    ("true", bool, True), ("null", type(None), None), ('"plain"', str, "plain"), ('"a\\nb"', str, "a\nb"),
    ('"\\u00e9"', str, "é"),
])
def test_scalar_fast_path_agrees_with_json(text: str, tp: Any, value: Any) -> None:
    import json

    assert codec.decode(text, tp) == value == (json.loads(text) if tp is not float else float(json.loads(text)))


@pytest.mark.parametrize(("text", "tp"), [("01", int), ("1.0", int), ("true", int), ("1", bool), ('"x', str),
                                          ("1", str), ("nan", float), ("+1", int), ("1_0", int)])
def test_scalar_fast_path_is_strict(text: str, tp: Any) -> None:
    if tp is str:
        assert codec.decode(text, str) == text  # raw-text fallback, for str only
        return
    with pytest.raises(codec.CodecError):
        codec.decode(text, tp)


def test_cli_values() -> None:
    assert codec.parse_cli_value("1.20", str) == "1.20"
    assert codec.parse_cli_value('"quoted"', str) == "quoted"
    assert codec.parse_cli_value("3", int) == 3
    assert codec.parse_cli_value('{"x": 1, "label": "p"}', Point) == Point(1, "p")
    with pytest.raises(codec.CodecError):
        codec.parse_cli_value("abc", int)


# ------------------------------------------------------------------- Argo-safe JSON text (DESIGN §5.1.7)

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from("${}()\\\"\x7f é😀aX\n")) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet="${}ab"), inner, max_size=4),
    max_leaves=12)


def _unsafe(text: str) -> bool:
    return "$" in text or "{{" in text or "\x7f" in text


@given(_JSON)
def test_argo_safe_json_decodes_to_the_same_value_and_hides_dollars_and_tags(value: Any) -> None:
    import json

    for text in (json.dumps(value, ensure_ascii=False), json.dumps(value, ensure_ascii=False, indent=2)):
        safe = codec.argo_safe_json(text)
        assert json.loads(safe) == json.loads(text)
        assert not _unsafe(safe), safe


@given(_JSON)
def test_encode_is_argo_safe(value: Any) -> None:
    import json

    text = codec.encode(value)
    assert not _unsafe(text), text
    assert json.loads(text) == json.loads(json.dumps(value))


@given(_JSON)
def test_the_expression_wrapper_is_argo_safe(value: Any) -> None:
    """What Argo computes from `safe_json(toJson(...))` (our evaluator, Go semantics) decodes to the value."""
    import json

    from athena.argo.expr import safe_json
    from athena.local.argo import gojson
    from athena.local.argo.evaluate import evaluate

    go_value = gojson.decode(json.dumps(value))
    out = evaluate(safe_json("toJson(v)"), {"v": go_value})
    assert not _unsafe(out), out
    assert gojson.decode(out) == go_value
