"""Argo's ``{{...}}`` renderer and the scope a DAG exposes."""

from __future__ import annotations

import pytest

from athena.local.argo.context import NodeResult, aggregate, fan_items, scope_params
from athena.local.argo.render import TemplateError, expand, render

PARAMS = {"inputs.parameters.x": '"hi"', "tasks.a.outputs.parameters.return": "[1,2]", "item": "7"}


def test_simple_tags_are_replaced_and_unknown_ones_kept_verbatim() -> None:
    assert render("{{inputs.parameters.x}}-{{ item }}", PARAMS) == '"hi"-7'
    assert render("{{tasks.b.outputs.parameters.return}} {{workflow.uid}}", PARAMS) == (
        "{{tasks.b.outputs.parameters.return}} {{workflow.uid}}")
    assert render("no tags", PARAMS) == "no tags"
    assert render("{{ unclosed", PARAMS) == "{{ unclosed"


def test_expression_results_render_strings_raw_and_other_values_as_json() -> None:
    assert render("{{=fromJSON(inputs.parameters.x)}}", PARAMS) == "hi"
    assert render("{{=fromJSON(tasks.a.outputs.parameters.return)}}", PARAMS) == "[1,2]"
    assert render("{{= 1 < 2 }}", PARAMS) == "true"
    assert render("n={{=len(fromJSON(tasks.a.outputs.parameters.return))}}!", PARAMS) == "n=2!"


def test_an_expression_tag_ends_at_the_first_closing_braces() -> None:
    # Why athena writes map literals `{...} }`: `}}` would close the tag early.
    assert render("{{=toJson({'a': {'b': 1} })}}", PARAMS) == '{"a":{"b":1}}'
    with pytest.raises(TemplateError):
        render("{{=toJson({'a': {'b': 1}})}}", PARAMS)
    early = "{{=toJson({'a': {'b': 1}})}}"
    assert render(early, PARAMS, strict=False) == early  # the cut-off tag failed and stayed verbatim


def test_failed_or_nil_expressions_raise_or_stay_verbatim() -> None:
    with pytest.raises(TemplateError, match="nil"):
        render("{{=nil}}", PARAMS)
    assert render("{{=nil}}", PARAMS, strict=False) == "{{=nil}}"
    assert render("{{=1 < nil}}", PARAMS, strict=False) == "{{=1 < nil}}"


def test_expand_nests_the_flat_map() -> None:
    assert expand({"a.b.c": "1", "a.d": "2", "e": "3"}) == {"a": {"b": {"c": "1"}, "d": "2"}, "e": "3"}


def test_aggregation_embeds_objects_and_arrays_else_lists_strings() -> None:
    assert aggregate(['{"a":1}', "[2]"]) == '[{"a":1},[2]]'
    assert aggregate(['{"a":1}', "3", '"s"']) == '["{\\"a\\":1}","3","\\"s\\""]'
    assert aggregate([]) is None  # no Succeeded child: no aggregate at all


def test_scope_params_follow_argo_names() -> None:
    nodes = {
        "t": NodeResult("Succeeded", output="5", exit_code=0),
        "f": NodeResult("Failed", exit_code=3),
        "s": NodeResult("Skipped"),
        "g": NodeResult("Succeeded", fanned=True, children=[NodeResult("Succeeded", output="1"),
                                                             NodeResult("Failed", exit_code=1),
                                                             NodeResult("Succeeded", output="2")]),
        "e": NodeResult("Skipped", fanned=True),
    }
    params = scope_params({"x": "1"}, nodes, "steps", item='"i"')
    assert params == {
        "inputs.parameters.x": "1",
        "steps.t.status": "Succeeded", "steps.t.outputs.parameters.return": "5", "steps.t.exitCode": "0",
        "steps.f.status": "Failed", "steps.f.exitCode": "3",
        "steps.s.status": "Skipped",
        "steps.g.status": "Succeeded", "steps.g.outputs.parameters.return": '["1","2"]',
        "steps.e.status": "Skipped",
        "item": '"i"',
    }


def test_fan_items_keep_strings_raw() -> None:
    assert fan_items('["1", "\\"a\\"", 2, {"k": 1}]') == ["1", '"a"', "2", '{"k":1}']
    with pytest.raises(ValueError, match="JSON list"):
        fan_items('{"a": 1}')


def test_compact_is_json_marshal_of_a_raw_message() -> None:
    import pytest

    from athena.local.argo import gojson

    assert gojson.compact(' [1, 2.50,\n {"a <b>": "x  y\\"&"}] ') == '[1,2.50,{"a \\u003cb\\u003e":"x  y\\"\\u0026"}]'
    assert gojson.compact("10") == "10"
    with pytest.raises(gojson.GoJSONError):
        gojson.compact("alpha")
