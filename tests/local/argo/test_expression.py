"""Conformance of the expr-lang evaluator with expr-lang's documented behaviour inside Argo (Go values)."""

from __future__ import annotations

from typing import Any

import pytest

from athena.local.argo.evaluate import ExprError, ExprSyntaxError, evaluate
from athena.local.argo.parser import parse

ENV: dict[str, Any] = {
    "inputs": {"parameters": {"n": "2", "f": "2.0", "m": '{"a": {"b": [1, 2]}, "s": "x", "t": true}', "x": "hi"}},
    "tasks": {"my-task": {"status": "Succeeded", "outputs": {"parameters": {"return": "[1,2,3]"}}, "exitCode": "0"}},
    "nothing": None,
}

# (expression, value), each rewritten from expr-lang's language definition or its runtime's rules.
CASES: list[tuple[str, Any]] = [
    # equality across int / float / bool / nil
    ("1 == 1.0", True),
    ("fromJSON(inputs.parameters.n) == 2", True),  # JSON numbers are float64; equal to an int
    ("fromJSON(inputs.parameters.f) == 2", True),
    ("1 == true", False),
    ("true == 1", False),
    ("nil == nil", True),
    ("nil == false", False),
    ("0 == nil", False),
    ("'1' == 1", False),
    ("[1, 2] == fromJSON('[1, 2]')", True),  # arrays compare element by element
    ("{'a': 1} == fromJSON('{\"a\": 1}')", False),  # maps are reflect.DeepEqual: int 1 is not float64 1
    ("fromJSON('{\"a\": 1}') == fromJSON('{\"a\": 1.0}')", True),
    ("1 != 1.5", True),
    # ordering
    ("1 < 1.5", True),
    ("'a' < 'b'", True),
    ("'B' < 'a'", True),
    ("2 >= 2.0", True),
    # arithmetic
    ("7 / 2", 3.5),
    ("4 / 2", 2.0),
    ("7 % 3", 1),
    ("-7 % 3", -1),
    ("1 + 2 * 3", 7),
    ("2 ** 3 ** 2", 512.0),
    ("'a' + 'b'", "ab"),
    ("-(1 + 1)", -2),
    # nil handling, ?. and ??
    ("nothing ?? 3", 3),
    ("0 ?? 3", 0),
    ("'' ?? 'x'", ""),
    ("nothing?.a", None),
    ("nothing?.a.b.c", None),  # the whole chain is nil
    ("nothing?.['a']", None),
    ("fromJSON(inputs.parameters.m).missing", None),  # a missing key reads nil
    ("fromJSON(inputs.parameters.m).missing ?? 'd'", "d"),
    ("fromJSON(inputs.parameters.m)?.a?.b[1]", 2.0),
    ("fromJSON(inputs.parameters.m).a.b[-1]", 2.0),
    ("tasks['my-task'].outputs.parameters['return']", "[1,2,3]"),
    ("tasks?.['other']?.outputs?.parameters ?? 'none'", "none"),
    ("int(tasks['my-task'].exitCode)", 0),
    # in / not in
    ("2 in [1, 2]", True),
    ("2.0 in [1, 2]", True),
    ("true in [1, 2]", False),
    ("nil in [1, nil]", True),
    ("'a' in {'a': 1}", True),
    ("'b' not in {'a': 1}", True),
    ("'x' in nothing", False),
    ("not ('a' in ['a'])", False),
    # booleans, words and symbols
    ("true && false || true", True),
    ("true and not false", True),
    ("!true or false", False),
    ("1 < 2 ? 'y' : 'n'", "y"),
    ("false ? 1 : true ? 2 : 3", 2),
    # strings: both quotes, escapes
    ("'it\\'s'", "it's"),
    ('"say \\"hi\\""', 'say "hi"'),
    ("'a\\nb\\t\\u00e9\\x41'", "a\nb\t\u00e9A"),
    ("`raw\\n`", "raw\\n"),
    # let, closures, builtins
    ("let x = 2; let y = x * 3; y + 1", 7),
    ("(let p = nothing; p ?? 'q')", "q"),
    ("map([1, 2], { # * 2 })", [2, 4]),
    ("filter(fromJSON('[1, 2, 3]'), { # > 1 })", [2.0, 3.0]),
    ("map(fromJSON('[\"1\", {\"a\": 1}]'), { type(#) == 'string' ? fromJSON(#) : # })", [1.0, {"a": 1.0}]),
    ("type(nil)", "nil"), ("type(1)", "int"), ("type(1.5)", "float"), ("type('s')", "string"),
    ("type(true)", "bool"), ("type([])", "array"), ("type({})", "map"),
    ("type(fromJSON('3'))", "float"),
    ("len('héllo')", 5), ("len([1, 2])", 2), ("len({'a': 1})", 1),
    ("int(2.9)", 2), ("int('42')", 42), ("asInt('7')", 7), ("float('1.5')", 1.5), ("asFloat(2)", 2.0),
    ("string(3.0)", "3"), ("string(1.5)", "1.5"), ("string(nil)", "<nil>"), ("string(true)", "true"),
    ("string(1000000.0)", "1e+06"), ("string([1, 'a'])", "[1 a]"),
    ("{'a': {'b': 1} }", {"a": {"b": 1}}),
    ("{a: 1, 'b': 2}", {"a": 1, "b": 2}),
    ("[1, 'two', nil, true,]", [1, "two", None, True]),
    ("0x1F + 0b11 + 0o7 + 1_000", 31 + 3 + 7 + 1000),
    (".5 + 1e1", 10.5),
    ("'abc' contains 'b' && 'abc' startsWith 'a' && 'abc' endsWith 'c'", True),
    ("'abc' matches '^a.c$'", True),
]


@pytest.mark.parametrize(("text", "value"), CASES)
def test_conformance(text: str, value: Any) -> None:
    got = evaluate(text, ENV)
    assert got == value and type(got) is type(value), (got, value)


# Documented runtime errors: ordering between mismatched kinds, reading from nil, non-bool logic.
ERRORS = [
    "nil < 1", "'a' < 1", "1 > nil", "true < false", "[1] < [2]",
    "nothing.a", "nothing['a']", "fromJSON(inputs.parameters.m).s.x.y",
    "[1][5]", "[1]['a']", "{'a': 1}[0]",
    "1 && true", "!1", "1 ? 2 : 3", "'a' + 1", "1 + nil", "1.5 % 2", "1 % 0",
    "int('1.5')", "int(nil)", "float('x')", "fromJSON('{')", "fromJSON('NaN')", "fromJSON(1)",
    "unknown_name", "nofn(1)", "len(1)", "1 in 'abc'",
]


@pytest.mark.parametrize("text", ERRORS)
def test_runtime_errors(text: str) -> None:
    with pytest.raises(ExprError):
        evaluate(text, ENV)


@pytest.mark.parametrize("text", ["1 +", "(1", "'open", "a ? b", "{'a' 1}", "1 2", "let = 3; 1", "@"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ExprSyntaxError):
        evaluate(text, ENV)


def test_precedence_follows_expr_lang() -> None:
    # `??` binds tighter than every other binary operator, `!` tighter than `==`, `not in` is one operator.
    assert evaluate("nothing ?? 1 + 1", ENV) == 2
    assert evaluate("1 + nothing ?? 1", ENV) == 2
    assert evaluate("!false == true", ENV) is True
    assert evaluate("1 not in [2] && 2 in [2]", ENV) is True


def test_parse_results_are_cached_by_text() -> None:
    assert parse("1 + 2 == 3") is parse("1 + 2 == 3")


def test_to_json_indents_and_to_json_compact_sort_keys_and_escape_html() -> None:
    value = "{'b': [1, 2.5, 3.0], 'a': '<&>', 'c': {}, 'd': []}"
    assert evaluate(f"toJSON({value})", ENV) == (
        '{\n  "a": "\\u003c\\u0026\\u003e",\n  "b": [\n    1,\n    2.5,\n    3\n  ],\n  "c": {},\n  "d": []\n}')
    assert evaluate(f"toJson({value})", ENV) == '{"a":"\\u003c\\u0026\\u003e","b":[1,2.5,3],"c":{},"d":[]}'
    # float64 from JSON: whole values print without `.0`; exponent form from 1e21 and below 1e-6
    assert evaluate("toJson(fromJSON('[3.0, 1e20, 1e21, 0.000001, 1e-7, -0.0]'))", ENV) == (
        "[3,100000000000000000000,1e+21,0.000001,1e-7,-0]")
    assert evaluate("toJSON('é\\u2028\\n')", ENV) == '"é\\u2028\\n"'
    assert evaluate("toJSON(nil)", ENV) == "null"
