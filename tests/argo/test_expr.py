"""Unit tests for the pieces of emission: expressions, injection, type assignability, the public surface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Optional, TypedDict

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import athena
from athena.argo import expr, inject
from athena.compile.model import BoolOp, Compare, InLits, Input, IsNone, Item, Lit, Not, Param, TaskOut, Truth
from athena.compile.typecheck import (
    BOOL,
    FLOAT,
    INT,
    STR,
    ListT,
    StructT,
    assignable,
    field_step,
    literal_fits,
    type_node,
)
from athena.runtime import protocol


class TD(TypedDict):
    name: str


class NT(NamedTuple):
    a: str
    b: int


class MS(msgspec.Struct, rename="camel"):
    user_id: int


@dataclass
class Base:
    x: int


@dataclass
class Sub(Base):
    y: str


def test_param_values_are_json_text() -> None:
    assert expr.param_value(Lit("s"), "tasks") == '"s"'
    assert expr.param_value(Lit(7), "tasks") == "7"
    assert expr.param_value(Lit({"a": [1, None]}), "tasks") == '{"a":[1,null]}'
    assert expr.param_value(Lit("ü"), "tasks") == '"ü"'
    assert expr.param_value(Input("x"), "tasks") == "{{inputs.parameters.x}}"
    assert expr.param_value(TaskOut("a"), "tasks") == "{{tasks.a.outputs.parameters.return}}"
    assert expr.param_value(TaskOut("a"), "steps") == "{{steps.a.outputs.parameters.return}}"
    assert expr.param_value(Item(), "tasks") == "{{item}}"


def test_field_paths_use_wire_keys_and_rewrap_json() -> None:
    assert expr.param_value(TaskOut("t", ("f", 0)), "tasks") == (
        "{{=%s}}" % expr.safe_json("toJson(fromJSON(tasks['t'].outputs.parameters['return'])['f'][0])"))
    assert expr.param_value(Item(("k",)), "tasks") == "{{=%s}}" % expr.safe_json("toJson(fromJSON(item)['k'])")
    assert expr.param_value(Input("m", ("it's",)), "tasks") == (
        "{{=%s}}" % expr.safe_json("toJson(fromJSON(inputs.parameters['m'])['it\\'s'])"))


def test_wire_keys_from_the_codec() -> None:
    assert field_step(type_node(NT), "b") == (1, INT)
    assert field_step(type_node(MS), "user_id") == ("userId", INT)
    assert field_step(type_node(TD), "name") == ("name", STR)
    assert isinstance(field_step(type_node(TD), "nope"), str)
    assert "Optional" in str(field_step(type_node(Optional[TD]), "name"))  # noqa: UP045


def test_fan_out_items_are_json_text() -> None:
    assert expr.with_param(Lit(["a", 1]), "tasks") == '["\\"a\\"","1"]'
    wp = expr.with_param(TaskOut("xs"), "tasks")
    assert wp == ("{{=toJson(map(fromJSON(tasks['xs'].outputs.parameters['return']), { %s }))}}"
                  % expr.safe_json("toJson(#)"))


def test_no_tag_closes_early() -> None:
    # A `{{=` tag ends at the first `}}`: every generated expression must contain it only at its end.
    for arg in (TaskOut("a", mode="aggregate"), TaskOut("a", mode="outcome"), TaskOut("a", ("x",), "aggregate")):
        text = expr.param_value(arg, "tasks")
        assert text.startswith("{{=") and text.index("}}") == len(text) - 2, text
    wp = expr.with_param(TaskOut("a", mode="aggregate"), "tasks")
    assert wp.index("}}") == len(wp) - 2


def test_conditions_render_as_one_boolean_expression() -> None:
    c = BoolOp("and", (Compare(">", Input("n"), Lit(3)), Not(IsNone(Input("m", ("id",))))))
    assert expr.when(c, "tasks") == (
        "{{= (fromJSON(inputs.parameters['n']) > 3) && (!(fromJSON(inputs.parameters['m'])['id'] == nil)) }}")
    assert expr.cond_expr(InLits(Input("s"), ("a", "b"), negated=True), "tasks") == (
        "!(fromJSON(inputs.parameters['s']) in ['a', 'b'])")
    assert expr.cond_expr(Truth(Input("ok")), "tasks") == "fromJSON(inputs.parameters['ok']) == true"
    assert expr.cond_expr(Compare("==", Input("f"), Lit(1.5)), "tasks") == "fromJSON(inputs.parameters['f']) == 1.5"


def test_hook_expressions() -> None:
    assert expr.hook_expression("{self}.status == 'Running'", "t-1", "tasks") == "tasks['t-1'].status == 'Running'"
    assert expr.status_expression("t", "Failed", "steps") == "steps['t'].status == \"Failed\""


def test_injection() -> None:
    params = (Param("tag", STR), Param("p", type_node(NT)), Param("n", INT), Param("xs", ListT(STR)))
    assert inject.render("app:{tag}", params) == "app:{{=fromJSON(inputs.parameters['tag'])}}"
    assert inject.render("{p.b}-x", params) == "{{=fromJSON(inputs.parameters['p'])[1]}}-x"
    assert inject.render("{{workflow.name}}:{n}", params) == (
        "{{workflow.name}}:{{=fromJSON(inputs.parameters['n'])}}")
    for bad, msg in (("{nope}", "names no parameter"), ("{xs}", "only str, int and float"),
                     ("{p.zz}", "no field"), ("{a b}", "is not")):
        with pytest.raises(inject.InjectionError, match=msg):
            inject.render(bad, params)


def test_assignability() -> None:
    assert assignable(INT, FLOAT)
    assert not assignable(FLOAT, INT)
    assert assignable(type_node(Sub), type_node(Base))
    assert not assignable(type_node(Base), type_node(Sub))
    assert assignable(STR, type_node(Optional[str]))  # noqa: UP045
    assert not assignable(type_node(Optional[str]), STR)  # noqa: UP045
    assert assignable(type_node(list[int]), type_node(list[float]))
    assert assignable(type_node(Literal["a"]), STR)
    assert assignable(type_node(Any), INT) and assignable(INT, type_node(Any))
    assert assignable(type_node(athena.Outcome[Sub]), type_node(athena.Outcome[Base]))
    assert not assignable(type_node(athena.Outcome[int]), INT)
    assert isinstance(type_node(Base), StructT)
    assert type_node(bool) == BOOL


def test_literal_fits() -> None:
    assert literal_fits({"x": 1, "y": "a"}, type_node(Sub))
    assert not literal_fits({"x": "1", "y": "a"}, type_node(Sub))
    assert not literal_fits({"x": 1}, type_node(Sub))
    assert literal_fits(["a", 1], type_node(NT))
    assert literal_fits(True, BOOL) and not literal_fits(1, BOOL) and not literal_fits(True, INT)


@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(), c, max_size=4), max_leaves=20))
def test_literal_json_round_trips(value: Any) -> None:
    import json

    assert json.loads(expr.param_value(Lit(value), "tasks")) == value


def _ruf022_key(name: str) -> tuple[int, str]:
    """ruff RUF022's "isort-style" order: CONSTANTS, then Classes, then functions, each alphabetical."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_surface_resolves_is_sorted_and_documented() -> None:
    import re
    from pathlib import Path

    names = athena.__all__
    assert names == sorted(names, key=_ruf022_key) and len(set(names)) == len(names)
    for name in names:
        value = getattr(athena, name)  # the lazy ones are imported here
        assert getattr(value, "__name__", name) == name, f"athena.{name} resolves to {value!r}"
    reference = (Path(__file__).resolve().parents[2] / "docs" / "reference.md").read_text(encoding="utf-8")
    public = reference[reference.index("## Public names"):]
    undocumented = [n for n in names if not re.search(rf"`(athena\.)?{n}\b", public)]
    assert undocumented == [], "add them to docs/reference.md#public-names"


def test_bootstrap_needs_only_sh_and_uname() -> None:
    script = protocol.bootstrap_script(("x86_64", "aarch64"))
    assert "exit 70" in script and 'uname -m' in script
    assert "ATHENA_RUNTIME=1" in script and "HOME=/athena/home" in script
    # only shell built-ins besides uname (chmod/mkdir are guarded fallbacks)
    assert '[ -x "$ld" ] || chmod +x "$ld"' in script


def test_runtime_protocol_imports_only_the_stdlib() -> None:
    import subprocess
    import sys

    code = ("import sys; before=set(sys.modules); import athena.runtime.protocol; "
            "new={m.split('.')[0] for m in set(sys.modules)-before}; print(sorted(new))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "yaml" not in out and "msgspec" not in out and "click" not in out
